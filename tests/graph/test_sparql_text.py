"""The one reader of SPARQL text: the CLI's query form and the store's WHERE group use its tokens."""

from __future__ import annotations

import pytest

from clusterkg.graph.sparql_text import query_form, where_group


@pytest.mark.parametrize(("text", "form"), [
    ("select * { ?s ?p ?o }", "SELECT"),
    ("PREFIX : <http://x/>\nBASE <http://b/> ASK { ?s ?p ?o }", "ASK"),
    ("# SELECT in a comment\nCONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("PREFIX x: <http://x/> DESCRIBE x:y", "DESCRIBE"),
    ("PREFIX x: <http://x/#SELECT> INSERT DATA { <a> <b> 'SELECT' }", None),
    ('# a query\n"SELECT"', None),
    ("", None),
])
def test_the_form_is_the_first_word_after_the_prologue(text, form):
    assert query_form(text) == form


def test_the_where_group_skips_braces_in_comments_strings_and_iris():
    query = 'SELECT ?s # { WHERE\nWHERE { ?s <x#WHERE> "{" FILTER(?s) }'
    opened, closed = where_group(query)
    assert query[opened:closed + 1] == '{ ?s <x#WHERE> "{" FILTER(?s) }'
    assert where_group("DESCRIBE <x>") is None
