"""Virtuoso's partial answers are never shown as whole.

A real Virtuoso on 127.0.0.1 with tiny limits: ``ResultSetMaxRows`` 20 and a 1 s
``MaxQueryExecutionTime``. Past the row limit it answers ``200`` with the first 20 rows and
``X-SPARQL-MaxRows``; past the ``timeout`` a request gives (the app passes its own time limit on)
it answers ``200`` with what it found so far and ``X-SQL-State: S1TAT``, an "anytime" result;
past its own ``MaxQueryExecutionTime`` it fails with "Transaction timed out". The store refuses
cut answers; the app's ``/sparql`` flags a cut answer as cut at the row cap and reports a
stopped one with its time-limit message.
"""

from __future__ import annotations

import socket
import threading

import pytest
import waitress

from clusterkg.graph.store import StoreError
from clusterkg.graph.virtuoso import LocalVirtuoso
from clusterkg.webapp import create_app

SERVER_ROWS = 20
TRIPLES = 300
DIRECT = {"Content-Type": "application/sparql-query"}
EVERYTHING = "SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o }"
# a four-way cross join of 300 triples (8.1e9 rows): runs until a time limit stops it
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def tiny_virtuoso(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tiny-virtuoso")
    with LocalVirtuoso(directory, _free_port(), _free_port(), memory_mib=64, result_rows=SERVER_ROWS,
                       max_query_seconds=1, max_estimate_seconds=0) as server:
        with server.connect() as store:
            store.update("INSERT DATA { " + " ".join(
                f"<http://example.org/s{i}> <http://example.org/p> {i} ." for i in range(TRIPLES)) + " }")
        yield server


@pytest.fixture(scope="module")
def app_url(tiny_virtuoso, stop_waitress):
    def start(**config):
        app = create_app({"STORE": None, "ENDPOINT": tiny_virtuoso.query_url, "ADMIN_TOKEN": "t",
                          "QUERY_TIMEOUT": 30, "QUERY_CACHE": 0, **config})
        server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        started.append((server, thread, app))
        return f"http://127.0.0.1:{server.effective_port}"

    started = []
    yield start
    for server, thread, app in started:
        stop_waitress(server, thread)
        app.extensions["clusterkg"].close()


def test_the_store_refuses_a_cut_answer(tiny_virtuoso):
    with tiny_virtuoso.connect() as store:
        with pytest.raises(StoreError, match=f"only the first {SERVER_ROWS} rows.*incomplete"):
            store.select(EVERYTHING)
        assert len(store.select(EVERYTHING + " LIMIT 5").rows) == 5  # below the limit: whole


def test_the_store_fails_on_a_query_stopped_at_the_time_limit(tiny_virtuoso):
    with tiny_virtuoso.connect() as store:
        with pytest.raises(StoreError, match="timed out"):
            store.select(RUNAWAY)


def test_the_endpoint_flags_an_answer_cut_by_the_server(app_url, raw):
    """The app's own cap (1,000) is above the server's (20): the 20 rows come flagged as cut."""
    url = app_url(MAX_ROWS=1000)
    reply = raw.request("POST", f"{url}/sparql", EVERYTHING, DIRECT)
    assert reply.status == 200
    document = reply.json()
    assert len(document["results"]["bindings"]) == SERVER_ROWS
    assert "x-clusterkg-truncated" in reply.headers and document["clusterkg"]["truncated"] is True
    whole = raw.request("POST", f"{url}/sparql", EVERYTHING + " LIMIT 5", DIRECT)
    assert len(whole.json()["results"]["bindings"]) == 5 and "x-clusterkg-truncated" not in whole.headers


@pytest.mark.parametrize("query", [EVERYTHING, "CONSTRUCT WHERE { ?s <http://example.org/p> ?o }"])
def test_the_endpoint_cap_below_the_servers_cuts_and_flags(app_url, raw, query):
    """The app's cap (7) is below the server's: it asks for 8 rows, shows 7, says they are cut."""
    url = app_url(MAX_ROWS=7)
    reply = raw.request("POST", f"{url}/sparql", query, {**DIRECT, "Accept": "text/csv, application/n-triples"})
    assert reply.status == 200 and reply.headers["x-clusterkg-truncated"] == "7"
    lines = [line for line in reply.body.decode().splitlines() if line.strip()]
    assert len(lines) == (8 if query.startswith("SELECT") else 7)  # (a CSV header, then 7 rows)


@pytest.mark.parametrize("seconds", [
    0.5,  # the app's limit, passed on as ``timeout``: Virtuoso's partial "anytime" answer
    30,   # the server's own limit (1 s) first: its error
])
def test_the_endpoint_reports_a_query_the_server_stopped(app_url, raw, seconds):
    url = app_url(MAX_ROWS=1000, QUERY_TIMEOUT=seconds)
    reply = raw.request("POST", f"{url}/sparql", RUNAWAY, DIRECT, timeout=60)
    assert reply.status == 503, reply.body
    assert f"timed out after {seconds:g} s" in reply.json()["error"]
    assert raw.request("POST", f"{url}/sparql", EVERYTHING + " LIMIT 1", DIRECT).status == 200
