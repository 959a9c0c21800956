"""The lean path for ``GET /sparql?query=`` and ``POST``ed queries answers exactly as the Flask
endpoint does.

Each request goes once through the app as served (the lean path first) and once straight to
Flask (the middleware's inner app), on the same on-disk store with real query workers; status,
headers and body must be equal, and Flask's request signal says which requests the lean path
kept for itself.
"""

from __future__ import annotations

import re
import urllib.parse

import pytest
from flask import request_started
from werkzeug.test import Client

from clusterkg.webapp import create_app
from clusterkg.webapp.sparql import LeanQueries

CKG = "https://w3id.org/clusterkg/ns#"
JSON = "application/sparql-results+json"
# a four-way cartesian product whose filter can only be tested on full rows, and never holds
RUNAWAY = ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l "
           "FILTER(STRLEN(CONCAT(STR(?a), STR(?d), STR(?g), STR(?j))) < 0) }")


@pytest.fixture(scope="module")
def app(store_template, tmp_path_factory):
    import shutil

    store = tmp_path_factory.mktemp("lean") / "store"
    shutil.copytree(store_template, store)
    app = create_app({"STORE": str(store), "QUERY_CACHE": 0, "MAX_ROWS": 5, "QUERY_TIMEOUT": 1.5,
                      "QUERY_WORKERS": 1, "QUERY_RESERVE": 1})
    yield app
    app.extensions["clusterkg"].close()


def _both(app, query_string: str, headers: dict[str, str], method: str = "GET", data: bytes | None = None,
          **environ) -> tuple[object, object, int]:
    """(lean reply, Flask reply, how many of the two Flask saw)"""
    seen = []

    def count(sender, **extra):
        seen.append(1)

    request_started.connect(count, app)
    try:
        lean, flask = (Client(wsgi, use_cookies=False).open(
            "/sparql", method=method, query_string=query_string, headers=headers, data=data,
            environ_overrides=environ) for wsgi in (app.wsgi_app, app.wsgi_app.wsgi_app))
    finally:
        request_started.disconnect(count, app)
    return lean, flask, len(seen)


def _post(app, content_type: str, body: str | bytes, headers: dict[str, str], query_string: str = ""):
    """:func:`_both` for a POST."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return _both(app, query_string, {**headers, "Content-Type": content_type}, method="POST", data=data)


def _same(lean, flask) -> None:
    assert lean.status == flask.status
    assert _headers(lean) == _headers(flask)
    assert lean.get_data() == flask.get_data()


_EXPIRES = re.compile(r"Expires=[^;]*; ")


def _headers(response) -> list[tuple[str, str]]:
    """The headers, sorted, without a cookie's ``Expires``: it is the clock's second plus the
    ``Max-Age`` (which stays compared), and the two requests may fall in different seconds."""
    return sorted((name, _EXPIRES.sub("", value) if name == "Set-Cookie" else value) for name, value in response.headers.items())


def _q(query: str, **extra: str) -> str:
    return urllib.parse.urlencode({"query": query, **extra})


@pytest.mark.parametrize("query, accept", [
    (f"SELECT (COUNT(?c) AS ?n) WHERE {{ ?c a <{CKG}Cluster> }}", JSON),
    (f"SELECT (COUNT(?c) AS ?n) WHERE {{ ?c a <{CKG}Cluster> }}", None),
    (f"SELECT ?c WHERE {{ ?c a <{CKG}Cluster> }} ORDER BY ?c", JSON),  # cut at MAX_ROWS
    (f"SELECT ?c WHERE {{ ?c a <{CKG}Cluster> }} ORDER BY ?c", "text/csv"),
    (f"SELECT ?c WHERE {{ ?c a <{CKG}Cluster> }} ORDER BY ?c", "application/sparql-results+xml"),
    ("SELECT (<relative> AS ?iri) WHERE {}", JSON),  # resolved against the endpoint's URL
    (f"ASK {{ ?c a <{CKG}Cluster> }}", "text/tab-separated-values"),
    (f"CONSTRUCT {{ ?c a <{CKG}Cluster> }} WHERE {{ ?c a <{CKG}Cluster> }}", "text/turtle"),
])
def test_answers_as_flask_does(app, query, accept):
    lean, flask, seen = _both(app, _q(query), {"Accept": accept} if accept else {})
    assert lean.status_code == 200
    _same(lean, flask)
    assert seen == 1, "the lean path handed the request to Flask"


def test_truncated_answer_says_so_on_both_paths(app):
    lean, flask, _ = _both(app, _q(f"SELECT ?c WHERE {{ ?c a <{CKG}Cluster> }}"), {"Accept": JSON})
    _same(lean, flask)
    assert lean.headers["X-ClusterKG-Truncated"] == "5"
    assert lean.get_json()["clusterkg"] == {"truncated": True, "max_rows": 5}


def test_base_iri_follows_host_and_script_name(app):
    lean, flask, seen = _both(app, _q("SELECT (<x> AS ?iri) WHERE {}"), {"Accept": JSON, "Host": "kg.example:8080"},
                              SCRIPT_NAME="/kg")
    _same(lean, flask)
    assert lean.get_json()["results"]["bindings"][0]["iri"]["value"] == "http://kg.example:8080/kg/x"
    assert seen == 1


def test_dataset_parameters(app):
    graph = "urn:clusterkg:no-such-graph"
    lean, flask, seen = _both(app, _q("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{"default-graph-uri": graph}),
                              {"Accept": JSON})
    _same(lean, flask)
    assert lean.get_json()["results"]["bindings"][0]["n"]["value"] == "0"
    assert seen == 1


@pytest.mark.parametrize("query, accept, status", [
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", JSON, 400),  # refused, never sent
    ("SELECT * WHERE { ?s ?p", JSON, 400),  # a syntax error
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", "image/png", 406),
    (RUNAWAY, JSON, 503),  # stopped at the time limit
])
def test_failures_are_answered_by_flask(app, query, accept, status):
    lean, flask, seen = _both(app, _q(query), {"Accept": accept})
    assert lean.status_code == status
    _same(lean, flask)
    assert seen == 2, "the failure was not answered by the app's error handlers"


@pytest.mark.parametrize("query_string, headers", [
    (_q("ASK {}", lang="ru"), {"Accept": JSON}),  # the language switch (and its cookie)
    (_q("ASK {}", lang="xx"), {"Accept": JSON}),  # a bad language
    (_q("ASK {}"), {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}),  # a browser: the editor
    ("update=CLEAR%20ALL", {"Accept": JSON}),  # an update by GET: refused
    ("query=ASK%7B%7D&query=ASK%7B%7D", {"Accept": JSON}),  # two queries: refused
    ("query=%FF", {"Accept": JSON}),  # not UTF-8
])
def test_anything_else_goes_to_flask(app, query_string, headers):
    lean, flask, seen = _both(app, query_string, headers)
    _same(lean, flask)
    assert seen == 2


def test_requests_with_cookies_go_to_flask(app):
    lean, flask, seen = _both(app, _q("ASK {}"), {"Accept": JSON, "Cookie": "lang=ru"})
    _same(lean, flask)
    assert seen == 2


def test_the_service_description_comes_from_flask(app):
    lean, flask, seen = _both(app, "", {"Accept": "text/turtle"})  # (fresh blank nodes each time)
    assert lean.status_code == flask.status_code == 200 and lean.mimetype == "text/turtle"
    assert seen == 2



# --------------------------------------------------------------------------- POST

DIRECT = "application/sparql-query"
FORM = "application/x-www-form-urlencoded"
CLUSTERS = f"SELECT ?c WHERE {{ ?c a <{CKG}Cluster> }} ORDER BY ?c"


@pytest.mark.parametrize("content_type, body, query_string, accept", [
    (DIRECT, CLUSTERS, "", JSON),  # cut at MAX_ROWS
    (DIRECT, CLUSTERS, "", "text/csv"),
    (f"{DIRECT}; charset=UTF-8", f"ASK {{ ?c a <{CKG}Cluster> }}", "", "application/sparql-results+xml"),
    (DIRECT, f"CONSTRUCT {{ ?c a <{CKG}Cluster> }} WHERE {{ ?c a <{CKG}Cluster> }}", "", "text/turtle"),
    (DIRECT, "SELECT (<relative> AS ?iri) WHERE {}", "", None),
    (DIRECT, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "default-graph-uri=urn%3Ano-such-graph", JSON),
    (DIRECT, "SELECT (\"d\u00e9j\u00e0\" AS ?x) WHERE {}", "query=ignored", JSON),  # the URL's query is not read
    (FORM, _q(CLUSTERS), "", JSON),
    (f"{FORM}; charset=utf-8", _q(CLUSTERS), "", "text/tab-separated-values"),
    (FORM, _q("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{"default-graph-uri": "urn:a"}),
     "default-graph-uri=urn%3Ab", JSON),  # the form's graphs, then the URL's
    (FORM, _q("SELECT (\"d\u00e9j\u00e0 vu\" AS ?x) WHERE {}"), "", JSON),
])
def test_posted_queries_answer_as_flask_does(app, content_type, body, query_string, accept):
    lean, flask, seen = _post(app, content_type, body, {"Accept": accept} if accept else {}, query_string)
    assert lean.status_code == 200, lean.get_data()[:300]
    _same(lean, flask)
    assert seen == 1, "the lean path handed the request to Flask"


@pytest.mark.parametrize("content_type, body, query_string, accept, status", [
    (DIRECT, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "", JSON, 400),
    (DIRECT, "SELECT * WHERE { ?s ?p", "", JSON, 400),
    (FORM, _q("SELECT * WHERE { ?s ?p ?o } LIMIT 1"), "", "image/png", 406),
    (FORM, _q(RUNAWAY), "", JSON, 503),
])
def test_posted_failures_are_answered_by_flask(app, content_type, body, query_string, accept, status):
    lean, flask, seen = _post(app, content_type, body, {"Accept": accept}, query_string)
    assert lean.status_code == status
    _same(lean, flask)
    assert seen == 2, "the failure was not answered by the app's error handlers"


@pytest.mark.parametrize("content_type, body, query_string, headers", [
    (DIRECT, "ASK {}", "lang=ru", {"Accept": JSON}),  # the language switch
    (DIRECT, b"ASK { FILTER(\"\xff\") }", "", {"Accept": JSON}),  # not UTF-8
    (f"{DIRECT}; charset=latin-1", "ASK {}", "", {"Accept": JSON}),  # another charset: refused
    (DIRECT, "ASK {}", "", {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}),  # a browser: the editor
    (DIRECT, "ASK {}", "", {"Accept": JSON, "Cookie": "lang=ru"}),
    (DIRECT, "ASK {" + " " * LeanQueries.BODY_LIMIT + "}", "", {"Accept": JSON}),  # a long body
    ("application/sparql-update", "CLEAR ALL", "", {"Accept": JSON}),  # an update: needs the token
    (FORM, "update=CLEAR%20ALL", "", {"Accept": JSON}),
    (FORM, "query=ASK%7B%7D&update=CLEAR%20ALL", "", {"Accept": JSON}),  # both: refused
    (FORM, "query=ASK%7B%7D&query=ASK%7B%7D", "", {"Accept": JSON}),  # two queries: refused
    (FORM, "query=ASK%7B%7D", "query=ASK%7B%7D", {"Accept": JSON}),  # the query in the URL too: refused
    (FORM, "query=%FF", "", {"Accept": JSON}),  # not UTF-8
    (FORM, "", "", {"Accept": JSON}),  # no query
    ("text/plain", "ASK {}", "", {"Accept": JSON}),  # not a query's media type: refused
])
def test_other_posts_go_to_flask(app, content_type, body, query_string, headers):
    lean, flask, seen = _post(app, content_type, body, headers, query_string)
    _same(lean, flask)
    assert seen == 2
