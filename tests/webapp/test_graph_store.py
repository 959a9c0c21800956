"""The Graph Store HTTP Protocol at /store."""

from __future__ import annotations

import pytest
import rdflib

G = "http://example.org/graph/one"
TURTLE = "@prefix ex: <http://example.org/> . ex:a ex:p ex:b , ex:c ."


@pytest.fixture
def gsp(serve_app, store_path, raw):
    server = serve_app(store_path)
    auth = {"Authorization": f"Bearer {raw.token}"}
    return server, auth


def test_put_get_post_delete_a_named_graph(gsp, raw):
    server, auth = gsp
    url = f"{server}/store?graph={raw.quote(G)}"
    assert raw.request("GET", url).status == 404
    assert raw.request("PUT", url, TURTLE, {**auth, "Content-Type": "text/turtle"}).status == 201
    reply = raw.request("GET", url, headers={"Accept": "application/n-triples"})
    assert reply.status == 200 and len(rdflib.Graph().parse(data=reply.body, format="nt")) == 2
    head = raw.request("HEAD", url)
    assert head.status == 200 and head.body == b""
    more = "<http://example.org/a> <http://example.org/p> <http://example.org/d> .\n"
    assert raw.request("POST", url, more, {**auth, "Content-Type": "application/n-triples"}).status == 204
    reply = raw.request("GET", url, headers={"Accept": "text/turtle"})
    assert len(rdflib.Graph().parse(data=reply.body, format="turtle")) == 3
    assert raw.request("PUT", url, more, {**auth, "Content-Type": "application/n-triples"}).status == 204
    reply = raw.request("GET", url, headers={"Accept": "application/ld+json"})
    assert len(rdflib.Graph().parse(data=reply.body, format="json-ld")) == 1
    assert raw.request("DELETE", url, headers=auth).status == 204
    assert raw.request("GET", url).status == 404


def test_post_to_the_store_creates_a_graph(gsp, raw):
    server, auth = gsp
    reply = raw.request("POST", f"{server}/store", TURTLE, {**auth, "Content-Type": "text/turtle"})
    assert reply.status == 201
    location = reply.headers["location"]
    assert raw.request("GET", f"{server}/store?graph={raw.quote(location)}").status == 200


def test_default_graph_read(gsp, raw):
    server, _ = gsp
    reply = raw.request("GET", f"{server}/store?default", headers={"Accept": "application/n-triples"})
    assert reply.status == 200
    assert len(rdflib.Graph().parse(data=reply.body, format="nt")) > 1000


def test_a_graph_read_is_capped_like_a_query(serve_app, store_path, raw):
    """GET /store goes through the runner: at most MAX_ROWS triples, and the cut is flagged."""
    server = serve_app(store_path, MAX_ROWS=7)
    reply = raw.request("GET", f"{server}/store?default", headers={"Accept": "application/n-triples"})
    assert reply.status == 200
    assert len(rdflib.Graph().parse(data=reply.body, format="nt")) == 7
    assert reply.headers["x-clusterkg-truncated"] == "7"


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
@pytest.mark.parametrize("authorization", [None, "Bearer nope"])
def test_writes_need_the_token_and_change_nothing(gsp, raw, method, authorization):
    server, _ = gsp
    url = f"{server}/store?default"
    before = raw.request("GET", url, headers={"Accept": "application/n-triples"}).body
    headers = {"Content-Type": "text/turtle"}
    if authorization:
        headers["Authorization"] = authorization
    reply = raw.request(method, url, TURTLE if method != "DELETE" else None, headers)
    assert reply.status == 401 and reply.json()["status"] == 401
    after = raw.request("GET", url, headers={"Accept": "application/n-triples"}).body
    assert sorted(after.splitlines()) == sorted(before.splitlines())


@pytest.mark.parametrize("query, body, ctype, status", [
    ("?default&graph=http%3A%2F%2Fx", TURTLE, "text/turtle", 400),
    ("?graph=relative", TURTLE, "text/turtle", 400),
    ("?graph=http%3A%2F%2Fx", TURTLE, "image/png", 415),
    ("?graph=http%3A%2F%2Fx", "this is not turtle", "text/turtle", 400),
    ("", None, None, 400),
])
def test_bad_graph_store_requests(gsp, raw, query, body, ctype, status):
    server, auth = gsp
    headers = dict(auth)
    if ctype:
        headers["Content-Type"] = ctype
    method = "GET" if body is None else "PUT"
    reply = raw.request(method, f"{server}/store{query}", body, headers)
    assert reply.status == status and reply.json()["status"] == status


AGENTS = """PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?agent (COUNT(?activity) AS ?n) WHERE { GRAPH <https://w3id.org/clusterkg/graph/history> {
  ?activity prov:wasAssociatedWith ?who . ?who rdfs:label ?agent } } GROUP BY ?agent"""


def test_writes_over_http_are_recorded_as_the_admins(gsp, raw):
    """Whoever holds the admin token is the admin: the history names that agent, not the OS user
    the server runs as, for Graph Store writes and SPARQL Update alike — one record per write."""
    server, auth = gsp

    def agents() -> dict[str, int]:
        reply = raw.request("GET", f"{server}/sparql?query={raw.quote(AGENTS)}",
                            headers={"Accept": "application/sparql-results+json"})
        return {b["agent"]["value"]: int(b["n"]["value"]) for b in reply.json()["results"]["bindings"]}

    before = agents()
    url = f"{server}/store?graph={raw.quote(G)}"
    assert raw.request("PUT", url, TURTLE, {**auth, "Content-Type": "text/turtle"}).status == 201
    update = "INSERT DATA { <http://example.org/a> <http://example.org/p> <http://example.org/e> }"
    reply = raw.request("POST", f"{server}/sparql", update, {**auth, "Content-Type": "application/sparql-update"})
    assert reply.status == 200, reply.body
    after = agents()
    assert after.get("admin", 0) == before.get("admin", 0) + 2
    assert {agent: n for agent, n in after.items() if agent != "admin"} == {
        agent: n for agent, n in before.items() if agent != "admin"}
