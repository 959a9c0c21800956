"""Refusing SERVICE / LOAD with a real parser, and applying protocol USING graphs."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from clusterkg.webapp.sparql_text import (
    InvalidUpdateRequest,
    RemoteAccessRefused,
    check_query,
    check_update,
    with_using_graphs,
)


@pytest.mark.parametrize("query", [
    "SELECT * { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }",
    "select * { service silent <http://127.0.0.1:1/> { ?s ?p ?o } }",
    "SELECT * { ?s ?p ?o OPTIONAL { SERVICE ?endpoint { ?s ?q ?r } } }",
    "SELECT * { \\u0053ERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }",
    "PREFIX ex: <http://example.org/> SELECT * { { SELECT ?s { SERVICE ex:x { ?s ?p ?o } } } }",
])
def test_service_is_refused(query):
    with pytest.raises(RemoteAccessRefused, match="SERVICE"):
        check_query(query)


@pytest.mark.parametrize("query", [
    'SELECT * { ?s ?p "SERVICE <http://x/> { }" }',
    "SELECT * { ?s ?p ?o } # SERVICE <http://x/> { }",
    "PREFIX service: <http://example.org/> SELECT * { ?s service:load ?o }",
    "SELECT ?service ?load { ?service ?p ?load }",
    "SELECT * FROM <http://example.org/g> { ?s ?p ?o }",
])
def test_harmless_lookalikes_pass(query):
    check_query(query)


@pytest.mark.parametrize("update", [
    "LOAD <http://127.0.0.1:1/data.ttl>",
    "LOAD SILENT <http://127.0.0.1:1/x> INTO GRAPH <http://g>",
    "INSERT DATA { <a:b> <a:c> 1 } ; LOAD <http://127.0.0.1:1/>",
    "INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }",
])
def test_update_refusals(update):
    with pytest.raises(RemoteAccessRefused):
        check_update(update)


def test_update_lookalikes_pass():
    check_update('INSERT DATA { <http://a> <http://b> "LOAD <http://x/>" }')


def test_using_graphs_change_what_the_where_clause_sees():
    store = ox.Store()
    store.update("INSERT DATA { GRAPH <http://g1> { <http://d1> a <http://Doc> } GRAPH <http://g2> { <http://d2> a <http://Doc> } }")
    update = "PREFIX ex: <http://example.org/> INSERT { GRAPH <http://out> { ?s a ex:Seen } } WHERE { ?s a <http://Doc> }"
    store.update(with_using_graphs(update, ["http://g2"], []))
    seen = [str(r[0].value) for r in store.query("SELECT ?s { GRAPH <http://out> { ?s ?p ?o } }")]
    assert seen == ["http://d2"]


def test_delete_where_gets_using_too():
    store = ox.Store()
    store.update("INSERT DATA { <http://x> <http://p> 1 . <http://y> <http://p> 2 . "
                 "GRAPH <http://g> { <http://x> <http://p> 1 } }")
    store.update(with_using_graphs("DELETE WHERE { ?s <http://p> ?o }", ["http://g"], []))
    # the pattern matched only in <http://g> (not <y>, which is in the default graph alone);
    # the deletion applies to the default graph
    left = [str(row[0].value) for row in store.query("SELECT ?s { ?s ?p ?o }")]
    assert left == ["http://y"]


def test_own_using_conflicts_with_the_parameters():
    with pytest.raises(InvalidUpdateRequest):
        with_using_graphs("INSERT { ?s a <http://T> } USING <http://g> WHERE { ?s ?p ?o }", ["http://h"], [])
    with pytest.raises(InvalidUpdateRequest):
        with_using_graphs("WITH <http://g> INSERT { ?s a <http://T> } WHERE { ?s ?p ?o }", ["http://h"], [])


def test_data_operations_are_left_alone():
    update = "INSERT DATA { <http://a> <http://b> <http://c> }"
    assert with_using_graphs(update, ["http://g"], []) == update
