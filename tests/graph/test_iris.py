"""The one IRI check agrees with the store: what it passes the store takes, what it refuses the
store would refuse. The character checks it replaced passed all of ``NOT_IRIS`` but the first."""

from __future__ import annotations

import pytest
from rdflib import URIRef

from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.explorer_model import _iri as explorer_iri
from clusterkg.graph.iris import check_iri, iri_error
from clusterkg.graph.store import BindingError, OxigraphStore, sparql_term

NOT_IRIS = ["http://a/b c", "http://a/%zz", "relative/x", "http://[::1/x", "1http://a"]


@pytest.mark.parametrize("value", NOT_IRIS)
def test_what_the_store_refuses_every_caller_refuses(value):
    with pytest.raises(ValueError, match="not a valid IRI"):
        check_iri(value)
    with pytest.raises(BindingError):
        sparql_term(URIRef(value))
    with pytest.raises(InvalidInput):
        explorer_iri(value)


def test_what_passes_the_check_the_store_takes():
    with OxigraphStore() as store:
        for value in ("urn:x", "http://a/#x", "https://w3id.org/clusterkg/id/cluster/ä"):
            assert iri_error(value) is None
            store.update(f"INSERT DATA {{ {sparql_term(URIRef(value))} <urn:p> 1 }}")
        assert store.triple_count() == 3


def test_a_relative_reference_is_checked_only_for_forbidden_characters():
    assert iri_error("#me", relative=True) is None
    assert "'<'" in iri_error("#a<b", relative=True)
