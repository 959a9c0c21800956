"""The /sparql endpoint against a live server, with real clients and raw HTTP."""

from __future__ import annotations

import csv
import io
import json
import threading
import time

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

from clusterkg.graph.store import META_GRAPH

CKG = "https://w3id.org/clusterkg/ns#"
COUNT_CLUSTERS = f"SELECT (COUNT(?c) AS ?n) WHERE {{ ?c a <{CKG}Cluster> }}"
CLUSTERS = f"SELECT ?c WHERE {{ ?c a <{CKG}Cluster> }} ORDER BY ?c"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DIRECT = {"Content-Type": "application/sparql-query"}


def _wrapper(server: str, query: str, fmt) -> object:
    client = SPARQLWrapper(server + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    return client.query().convert()


def test_sparqlwrapper_json(server):
    result = _wrapper(server, COUNT_CLUSTERS, JSON)
    assert result["results"]["bindings"][0]["n"]["value"] == "20"


def test_sparqlwrapper_xml(server):
    document = _wrapper(server, CLUSTERS, XML)  # a parsed xml.dom document
    assert len(document.getElementsByTagName("result")) == 20


def test_sparqlwrapper_csv(server):
    rows = list(csv.reader(io.StringIO(_wrapper(server, CLUSTERS, CSV).decode())))
    assert rows[0] == ["c"] and len(rows) == 21


def test_sparqlwrapper_construct(server):
    query = f"CONSTRUCT {{ ?c a <{CKG}Cluster> }} WHERE {{ ?c a <{CKG}Cluster> }}"
    data = _wrapper(server, query, TURTLE)
    graph = rdflib.Graph().parse(data=data, format="turtle")
    assert len(graph) == 20


def test_rdflib_sparqlstore(server):
    store = SPARQLStore(server + "/sparql", returnFormat="json")
    graph = rdflib.Graph(store=store)
    rows = list(graph.query(CLUSTERS))
    assert len(rows) == 20 and all(isinstance(row[0], rdflib.URIRef) for row in rows)
    store.close()


@pytest.mark.parametrize("accept, expected", [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/csv;q=0.2, text/tab-separated-values;q=0.9", "text/tab-separated-values"),
    ("*/*", "application/sparql-results+json"),
    (None, "application/sparql-results+json"),
])
def test_select_negotiation(server, raw, accept, expected):
    headers = {"Accept": accept} if accept else {}
    reply = raw.request("GET", f"{server}/sparql?query={raw.quote(COUNT_CLUSTERS)}", headers=headers)
    assert reply.status == 200
    assert reply.content_type.split(";")[0] == expected
    assert b"20" in reply.body


@pytest.mark.parametrize("accept, rdflib_format", [
    ("text/turtle", "turtle"),
    ("application/n-triples", "nt"),
    ("application/ld+json", "json-ld"),
    ("application/rdf+xml", "xml"),
])
def test_construct_negotiation_parses_back(server, raw, accept, rdflib_format):
    query = f"CONSTRUCT {{ ?c a <{CKG}Cluster> }} WHERE {{ ?c a <{CKG}Cluster> }}"
    reply = raw.request("POST", f"{server}/sparql", query, {**DIRECT, "Accept": accept})
    assert reply.status == 200 and reply.content_type.startswith(accept)
    assert len(rdflib.Graph().parse(data=reply.body, format=rdflib_format)) == 20


def test_nothing_acceptable_is_406(server, raw):
    reply = raw.request("GET", f"{server}/sparql?query={raw.quote(COUNT_CLUSTERS)}", headers={"Accept": "image/png"})
    assert reply.status == 406
    assert reply.json()["ok"] is False and reply.json()["status"] == 406


def test_form_and_direct_post_agree(server, raw):
    form = raw.request("POST", f"{server}/sparql", "query=" + raw.quote(COUNT_CLUSTERS), FORM)
    direct = raw.request("POST", f"{server}/sparql", COUNT_CLUSTERS, DIRECT)
    assert form.status == direct.status == 200
    assert form.json() == direct.json()


def test_service_description(server, raw):
    reply = raw.request("GET", f"{server}/sparql", headers={"Accept": "text/turtle"})
    assert reply.status == 200
    graph = rdflib.Graph().parse(data=reply.body, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = graph.value(predicate=rdflib.RDF.type, object=sd.Service)
    assert graph.value(service, sd.endpoint) == rdflib.URIRef(server + "/sparql")
    assert (service, sd.supportedLanguage, sd.SPARQL11Query) in graph
    assert len(list(graph.objects(service, sd.resultFormat))) == 8


def test_browser_gets_the_editor_with_only_local_assets(server, raw):
    reply = raw.request("GET", f"{server}/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert reply.status == 200 and reply.content_type.startswith("text/html")
    page = reply.body.decode()
    assert "vendor/yasgui/yasgui.min.js" in page
    for attribute in ("src=\"http", "href=\"http", "src=\"//", "href=\"//"):
        assert attribute not in page
    config = json.loads(page.split('id="clusterkg-sparql-config">', 1)[1].split("</script>", 1)[0])
    assert config["endpoint"] == server + "/sparql"
    assert len(config["examples"]) >= 10
    for asset in ("vendor/yasgui/yasgui.min.js", "vendor/yasgui/yasgui.min.css", "sparql-editor.js"):
        assert raw.request("GET", f"{server}/static/{asset}").status == 200


def test_dataset_parameters_select_graphs(serve_app, store_path, raw, backend):
    server = serve_app(store_path)
    headers = {"Content-Type": "application/n-triples", "Authorization": f"Bearer {raw.token}"}
    for name in ("a", "b"):
        data = f"<http://example.org/{name}> <http://example.org/p> \"{name}\" .\n"
        assert raw.request("PUT", f"{server}/store?graph={raw.quote('http://example.org/g/' + name)}", data, headers).status in (201, 204)
    query = "SELECT ?o WHERE { ?s <http://example.org/p> ?o }"
    url = f"{server}/sparql?query={raw.quote(query)}&default-graph-uri={raw.quote('http://example.org/g/a')}"
    rows = raw.request("GET", url).json()["results"]["bindings"]
    assert [r["o"]["value"] for r in rows] == ["a"]
    named = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    url = f"{server}/sparql?query={raw.quote(named)}&named-graph-uri={raw.quote('http://example.org/g/b')}"
    rows = raw.request("GET", url).json()["results"]["bindings"]
    assert [r["g"]["value"] for r in rows] == ["http://example.org/g/b"]
    # the bookkeeping graph is not shown by an embedded store; a remote server's default dataset
    # holds it (the protocol cannot name the default graph beside a list of named graphs).
    # The change history is a named graph like any other.
    rows = raw.request("GET", f"{server}/sparql?query={raw.quote(named)}").json()["results"]["bindings"]
    extra = ({META_GRAPH} if backend == "remote" else set()) | {"https://w3id.org/clusterkg/graph/history"}
    assert {r["g"]["value"] for r in rows} == {"http://example.org/g/a", "http://example.org/g/b"} | extra
    # a comment that says "named" does not make the query name its own dataset
    rows = raw.request("GET", f"{server}/sparql?query={raw.quote('# every named graph' + chr(10) + named)}").json()
    assert {r["g"]["value"] for r in rows["results"]["bindings"]} == {"http://example.org/g/a", "http://example.org/g/b"} | extra


@pytest.mark.parametrize("method, body, headers", [
    ("GET", None, {}),
    ("POST", "SELECT * {}", {"Content-Type": "text/plain"}),
    ("POST", "SELECT * {}", {}),
    ("POST", "SELECT * {}", {"Content-Type": "application/sparql-query; charset=UTF-16"}),
])
def test_bad_requests_are_4xx_json(server, raw, method, body, headers):
    url = f"{server}/sparql?query=ASK%20%7B" if method == "GET" else f"{server}/sparql"
    reply = raw.request(method, url, body, headers)
    assert 400 <= reply.status < 500
    assert set(reply.json()) == {"ok", "error", "status", "code", "message"}


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
])
def test_service_is_refused_without_a_connection(server, raw, listener, template):
    query = template.format(url=listener.url)
    reply = raw.request("POST", f"{server}/sparql", query, DIRECT)
    assert reply.status == 400
    assert "SERVICE is not allowed" in reply.json()["error"]
    assert listener.connections() == 0


def test_load_is_refused_without_a_connection(server, raw, listener):
    headers = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {raw.token}"}
    reply = raw.request("POST", f"{server}/sparql", f"LOAD <{listener.url}>", headers)
    assert reply.status == 400 and "LOAD is not allowed" in reply.json()["error"]
    assert listener.connections() == 0


def test_keywords_in_strings_and_comments_are_fine(server, raw):
    query = 'SELECT ("SERVICE <http://x/> LOAD" AS ?text) WHERE {} # SERVICE <http://x/>'
    reply = raw.request("POST", f"{server}/sparql", query, DIRECT)
    assert reply.status == 200
    assert reply.json()["results"]["bindings"][0]["text"]["value"].startswith("SERVICE")


def test_remote_from_and_dataset_graphs_are_never_fetched(server, raw, listener):
    query = f"SELECT * FROM <{listener.url}> FROM NAMED <{listener.url}/n> WHERE {{ ?s ?p ?o }}"
    reply = raw.request("POST", f"{server}/sparql", query, DIRECT)
    assert reply.status == 200 and reply.json()["results"]["bindings"] == []
    url = f"{server}/sparql?query={raw.quote('ASK { ?s ?p ?o }')}&default-graph-uri={raw.quote(listener.url)}"
    reply = raw.request("GET", url)
    assert reply.status == 200 and reply.json()["boolean"] is False
    assert listener.connections() == 0


# --------------------------------------------------------------------------- updates


def _count(server, raw) -> int:
    reply = raw.request("POST", f"{server}/sparql", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", DIRECT)
    assert reply.status == 200, reply.body
    return int(reply.json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize("authorization, status", [
    (None, 401),
    ("Bearer wrong-token", 401),
    ("Basic dGVzdDp0ZXN0", 401),
])
def test_update_without_valid_token_changes_nothing(server, raw, authorization, status):
    before = _count(server, raw)
    headers = {"Content-Type": "application/sparql-update"}
    if authorization:
        headers["Authorization"] = authorization
    reply = raw.request("POST", f"{server}/sparql", "DELETE WHERE { ?s ?p ?o }", headers)
    assert reply.status == status and reply.json()["status"] == status
    assert reply.headers.get("www-authenticate", "").startswith("Bearer")
    assert _count(server, raw) == before > 0


def test_without_configured_token_writes_are_forbidden(serve_app, store_path, raw):
    server = serve_app(store_path, ADMIN_TOKEN=None)
    before = _count(server, raw)
    headers = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {raw.token}"}
    reply = raw.request("POST", f"{server}/sparql", "DELETE WHERE { ?s ?p ?o }", headers)
    assert reply.status == 403
    assert _count(server, raw) == before


def test_update_with_token_is_seen_by_the_next_query(server, raw):
    headers = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {raw.token}"}
    before = _count(server, raw)
    reply = raw.request("POST", f"{server}/sparql", "INSERT DATA { <http://example.org/x> <http://example.org/p> 1 }", headers)
    assert reply.status == 200
    # every worker process must see it, not only the one that happens to answer first
    assert {_count(server, raw) for _ in range(6)} == {before + 1}


def test_update_using_graph_parameter(serve_app, store_path, raw):
    server = serve_app(store_path)
    headers = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {raw.token}"}
    setup = ("INSERT DATA { GRAPH <http://example.org/g1> { <http://example.org/d1> a <http://example.org/Doc> } "
             "GRAPH <http://example.org/g2> { <http://example.org/d2> a <http://example.org/Doc> } }")
    assert raw.request("POST", f"{server}/sparql", setup, headers).status == 200
    update = "INSERT { GRAPH <http://example.org/out> { ?s a <http://example.org/Seen> } } WHERE { ?s a <http://example.org/Doc> }"
    url = f"{server}/sparql?using-graph-uri={raw.quote('http://example.org/g1')}"
    assert raw.request("POST", url, update, headers).status == 200
    query = "SELECT ?s WHERE { GRAPH <http://example.org/out> { ?s ?p ?o } }"
    rows = raw.request("POST", f"{server}/sparql", query, DIRECT).json()["results"]["bindings"]
    assert [r["s"]["value"] for r in rows] == ["http://example.org/d1"]


# --------------------------------------------------------------------------- limits


CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# a four-way cartesian product whose filter can only be tested on full rows, and never holds
RUNAWAY = ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l "
           "FILTER(STRLEN(CONCAT(STR(?a), STR(?d), STR(?g), STR(?j))) < 0) }")


def test_time_limit_stops_the_query_while_others_answer(serve_app, store_path, raw, backend):
    server = serve_app(store_path, QUERY_TIMEOUT=1.0, QUERY_WORKERS=2, QUERY_CACHE=0)  # every query reaches a worker
    runner = serve_app.app.extensions["clusterkg"].runner
    workers_before = [w.process for w in getattr(runner, "_workers", {}).values()]
    for _ in range(2):  # both workers have started and opened the store
        assert raw.request("POST", f"{server}/sparql", COUNT_CLUSTERS, DIRECT).status == 200
    events = []

    def runaway():
        reply = raw.request("POST", f"{server}/sparql", CROSS_JOIN, DIRECT)
        events.append(("runaway", reply))

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    events.append(("quick", raw.request("POST", f"{server}/sparql", COUNT_CLUSTERS, DIRECT)))
    thread.join(60)
    assert [kind for kind, _ in events] == ["quick", "runaway"], "the simple query waited for the runaway one"
    assert events[0][1].status == 200
    reply = events[1][1]
    assert reply.status == 503
    assert "timed out after 1 s" in reply.json()["error"]
    if backend == "embedded":  # the worker that ran it was killed, not left burning a core
        assert sum(process.poll() is not None for process in workers_before) == 1
    for _ in range(4):
        assert raw.request("POST", f"{server}/sparql", COUNT_CLUSTERS, DIRECT).status == 200


def test_runaway_queries_do_not_starve_small_ones(serve_app, store_path, raw):
    """Four runaways at once, a fifth client asking a small query every 200 ms: every runaway
    ends with the time-limit message (none is refused unrun), every small query is answered."""
    server = serve_app(store_path, QUERY_TIMEOUT=3.0, QUERY_WORKERS=2, QUERY_RESERVE=3, QUERY_CACHE=0)
    assert raw.request("POST", f"{server}/sparql", COUNT_CLUSTERS, DIRECT).status == 200
    runaways, small, lock = [], [], threading.Lock()

    def runaway():
        reply = raw.request("POST", f"{server}/sparql", RUNAWAY, DIRECT, timeout=60)
        with lock:
            runaways.append((len(small), reply))

    threads = [threading.Thread(target=runaway) for _ in range(4)]
    for thread in threads:
        thread.start()
    for index in range(150):  # bounded: ~30 s at most; stops once every runaway has ended
        with lock:
            if len(runaways) == 4:
                break
        query = f'SELECT (COUNT(?c) AS ?n) WHERE {{ ?c a <{CKG}Cluster> FILTER(STR(?c) != "x{index}") }}'
        small.append(raw.request("POST", f"{server}/sparql", query, DIRECT))
        time.sleep(0.2)
    for thread in threads:
        thread.join(60)
    assert len(runaways) == 4
    for _, reply in runaways:
        assert reply.status == 503 and "timed out after 3 s" in reply.json()["error"], reply.body
    assert [reply.status for reply in small] == [200] * len(small)
    assert {reply.json()["results"]["bindings"][0]["n"]["value"] for reply in small} == {"20"}
    # small queries were answered while all four runaways were still running
    assert min(answered_before for answered_before, _ in runaways) >= 3


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/csv"])
def test_row_cap_truncates_and_says_so(serve_app, store_path, raw, accept):
    server = serve_app(store_path, MAX_ROWS=25)
    reply = raw.request("POST", f"{server}/sparql", "SELECT * WHERE { ?s ?p ?o }", {**DIRECT, "Accept": accept})
    assert reply.status == 200
    assert reply.headers["x-clusterkg-truncated"] == "25"
    if accept == "text/csv":
        assert len(list(csv.reader(io.StringIO(reply.body.decode())))) == 26
    else:
        document = reply.json()
        assert len(document["results"]["bindings"]) == 25
        assert document["clusterkg"] == {"truncated": True, "max_rows": 25}


def test_small_answers_are_not_flagged(serve_app, store_path, raw):
    server = serve_app(store_path, MAX_ROWS=20)
    reply = raw.request("POST", f"{server}/sparql", CLUSTERS, DIRECT)
    assert len(reply.json()["results"]["bindings"]) == 20
    assert "x-clusterkg-truncated" not in reply.headers and "clusterkg" not in reply.json()
