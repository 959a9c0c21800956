"""The one media-type table: each row's names really are one format in pyoxigraph and rdflib."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib

from clusterkg.graph.media_types import MEDIA_TYPES

TRIPLE = ox.Triple(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal("ö"))


@pytest.mark.parametrize("row", [m for m in MEDIA_TYPES if m.rdflib], ids=lambda m: m.media_type)
def test_what_pyoxigraph_writes_rdflib_reads_under_the_rows_name(row):
    data = ox.serialize([TRIPLE], format=row.ox_format)
    graph = rdflib.Graph().parse(data=data, format=row.rdflib)
    assert set(graph) == {(rdflib.URIRef("http://x/s"), rdflib.URIRef("http://x/p"), rdflib.Literal("ö"))}
    assert ox.RdfFormat.from_media_type(row.media_type) == row.ox_format


def test_a_synonym_reads_as_the_row_it_stands_for():
    written = {m.media_type: m for m in MEDIA_TYPES if m.alias_of is None}
    for alias in (m for m in MEDIA_TYPES if m.alias_of):
        assert written[alias.alias_of].ox_format == alias.ox_format
        assert written[alias.alias_of].content_type == alias.content_type
