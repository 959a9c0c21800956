"""A SPARQL Update through ``/sparql`` lists the resources it changed in the history when the
update names them (``INSERT DATA`` / ``DELETE DATA``), so the analytic projection catches up on
those alone instead of being built afresh after every such write."""

from __future__ import annotations

import pytest

from clusterkg.graph.projection import build_projection, changes_between
from clusterkg.webapp import create_app

TOKEN = "history-test-token"


@pytest.mark.parametrize(("update", "listed"), [
    ("INSERT DATA { <urn:a> <urn:p> 1 . GRAPH <urn:g> { <urn:b> <urn:p> 2 } }", ["urn:a", "urn:b"]),
    ("INSERT DATA { <urn:a> <urn:p> 1 } ; DELETE DATA { <urn:c> <urn:p> 3 }", ["urn:a", "urn:c"]),
    ("DELETE WHERE { <urn:a> ?p ?o }", None),
    ("INSERT DATA { _:b <urn:p> 1 }", None),
    ("INSERT { ?s <urn:q> 1 } WHERE { ?s <urn:p> 1 }", None),
])
def test_updates_list_what_they_name(update, listed):
    app = create_app({"STORE": ":memory:", "ADMIN_TOKEN": TOKEN, "QUERY_CACHE": 0})
    store = app.extensions["clusterkg"].store
    try:
        before = store.data_version()
        reply = app.test_client().post("/sparql", data=update, headers={
            "Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
        assert reply.status_code == 200, reply.data
        changed = changes_between(store, before, store.data_version())
        assert changed == (set(listed) if listed is not None else None)
    finally:
        app.extensions["clusterkg"].close()


def test_the_projection_catches_up_on_a_listed_update_and_equals_a_build():
    app = create_app({"STORE": ":memory:", "ADMIN_TOKEN": TOKEN, "QUERY_CACHE": 0})
    ckg = app.extensions["clusterkg"]
    try:
        first = ckg.projections.get()
        cluster = "https://w3id.org/clusterkg/id/cluster/history-test"
        reply = app.test_client().post("/sparql", data=(
            f"INSERT DATA {{ <{cluster}> a <https://w3id.org/clusterkg/ns#Cluster> ; "
            f"<http://www.w3.org/2000/01/rdf-schema#label> \"History test\" }}"), headers={
            "Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
        assert reply.status_code == 200, reply.data
        assert changes_between(ckg.store, first.version, ckg.store.data_version()) == {cluster}
        caught_up = ckg.projections.get()
        assert list(caught_up.clusters["iri"]) == list(build_projection(ckg.store).clusters["iri"])
        assert cluster in set(caught_up.clusters["iri"])
    finally:
        ckg.close()
