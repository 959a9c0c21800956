"""Accept header negotiation over the one media type table."""

from __future__ import annotations

import pytest

from clusterkg.webapp.negotiation import GRAPH_FORMATS, RESULT_FORMATS, choose


@pytest.mark.parametrize("accept, expected", [
    (None, "application/sparql-results+json"),
    ("", "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("text/*", "text/csv"),
    ("text/tab-separated-values, text/csv", "text/tab-separated-values"),
    ("text/csv;q=0.1, application/sparql-results+xml;q=0.5", "application/sparql-results+xml"),
    ("application/sparql-results+json,application/json,text/javascript,application/javascript", "application/sparql-results+json"),
    ("application/json", "application/json"),
    ("text/csv;q=0, */*;q=0.1", "application/sparql-results+json"),
    ("image/png", None),
    ("text/csv;q=0", None),
])
def test_results(accept, expected):
    assert choose(accept, RESULT_FORMATS) == expected


@pytest.mark.parametrize("accept, expected", [
    (None, "text/turtle"),
    ("application/rdf+xml, text/turtle;q=0.5", "application/rdf+xml"),
    ("application/*", "application/n-triples"),
    ("application/sparql-results+json", None),
])
def test_graphs(accept, expected):
    assert choose(accept, GRAPH_FORMATS) == expected


def test_html_is_only_chosen_when_asked_for():
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert choose(browser, GRAPH_FORMATS, extra=("text/html",)) == "text/html"
    assert choose("*/*", GRAPH_FORMATS, extra=("text/html",)) == "text/turtle"
