"""Binding variables of a query to terms (``bindings=`` on every read of a store).

The terms go first into the outermost WHERE group, so they restrict the pattern before any
aggregate; strings, IRIs and comments in the query are never mistaken for its syntax, and a
bound literal can never end the block it is written in.
"""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef

from clusterkg.graph.store import BindingError, OxigraphStore

X = "http://example.org/"
M = URIRef(X + "m")


@pytest.fixture()
def store():
    with OxigraphStore() as s:
        s.update(f"""INSERT DATA {{
          <{X}o1> <{M}> <{X}c1> . <{X}o2> <{M}> <{X}c2> . <{X}o3> <{M}> <{X}c3> .
          <{X}o1> <{X}name> "x }} # y" . <{X}o2> <{X}name> "plain" .
        }}""")
        yield s


def count(store, query, **bindings):
    return int(store.select(query, bindings).rows[0][0])


def test_a_variable_hidden_by_an_aggregate_is_still_bound(store):
    # a trailing VALUES joined after the COUNT, where ?c is out of scope: it answered 3
    assert count(store, f"SELECT (COUNT(?o) AS ?n) {{ ?o <{M}> ?c }}", c=URIRef(X + "c1")) == 1
    assert count(store, f"SELECT (COUNT(?o) AS ?n) WHERE {{ ?o <{M}> ?c }} GROUP BY ?c", c=URIRef(X + "c2")) == 1


def test_a_literal_with_a_brace_or_a_hash_matches_itself_and_nothing_else(store):
    query = f"SELECT ?s WHERE {{ ?s <{X}name> ?name }}"
    assert [str(r[0]) for r in store.select(query, {"name": Literal("x } # y")})] == [X + "o1"]
    sneaky = Literal('"} UNION { ?s ?p ?o } #')
    assert store.select(query, {"name": sneaky}).rows == []


def test_braces_and_keywords_inside_strings_iris_and_comments_are_not_syntax(store):
    query = (f"# SELECT * WHERE {{ a comment\n"
             f"SELECT ?o WHERE {{ ?o <{M}> ?c FILTER(?c != <{X}a#WHERE> && STR(?o) != \"}} WHERE {{\") }}")
    rows = store.select(query, {"c": URIRef(X + "c3")}).rows
    assert [str(r[0]) for r in rows] == [X + "o3"]


@pytest.mark.parametrize("query", [
    f"CONSTRUCT {{ ?o <{X}in> ?c }} WHERE {{ ?o <{M}> ?c }}",
    f"CONSTRUCT WHERE {{ ?o <{M}> ?c }}",
])
def test_construct_binds_its_pattern_not_its_template(store, query):
    graph = store.construct(query, {"c": URIRef(X + "c2")})
    assert {str(s) for s in graph.subjects()} == {X + "o2"}


def test_a_group_that_is_one_sub_select_and_ask_without_where(store):
    query = f"SELECT ?o WHERE {{ SELECT ?o ?c WHERE {{ ?o <{M}> ?c }} }}"
    assert [str(r[0]) for r in store.select(query, {"c": URIRef(X + "c1")})] == [X + "o1"]
    assert store.ask(f"ASK {{ ?o <{M}> ?c }}", {"o": URIRef(X + "o1"), "c": URIRef(X + "c1")})
    assert not store.ask(f"ASK {{ ?o <{M}> ?c }}", {"o": URIRef(X + "o1"), "c": URIRef(X + "c2")})


def test_a_query_without_a_where_group_cannot_be_bound(store):
    with pytest.raises(BindingError, match="no WHERE group"):
        store.construct(f"DESCRIBE <{X}o1>", {"o": URIRef(X + "o1")})


def test_a_comment_before_a_sub_select_or_inside_construct_where_is_not_syntax(store):
    # both were read with regular expressions that a comment fooled
    query = f"SELECT ?o WHERE {{ # the one sub-select\n SELECT ?o ?c WHERE {{ ?o <{M}> ?c }} }}"
    assert [str(r[0]) for r in store.select(query, {"c": URIRef(X + "c1")})] == [X + "o1"]
    graph = store.construct(f"CONSTRUCT WHERE # short form\n{{ ?o <{M}> ?c }}", {"c": URIRef(X + "c2")})
    assert {str(s) for s in graph.subjects()} == {X + "o2"}
