"""The explorer's JSON API and pages through Flask's test client, on the real default dataset."""

from __future__ import annotations

import re
import urllib.parse

import pytest

from clusterkg.graph.dataset import initialise
from clusterkg.graph.store import OxigraphStore
from clusterkg.webapp import create_app
from clusterkg.webapp.explorer import register

# a cluster and a member whose labels are markup: every page must show them as text
EVIL_UPDATE = """PREFIX ckg: <https://w3id.org/clusterkg/ns#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
INSERT DATA {
  <https://w3id.org/clusterkg/id/cluster/evil> a ckg:Cluster ;
    rdfs:label "<script>window.__xss = 1</script>" ; ckg:country <https://w3id.org/clusterkg/id/country/DE> .
  <https://w3id.org/clusterkg/id/org/evil-org> a org:FormalOrganization, ckg:SME ;
    rdfs:label "<img src=x onerror=\\"window.__xss = 2\\">" ; ckg:affiliatedWith <https://w3id.org/clusterkg/id/cluster/evil> .
  <https://w3id.org/clusterkg/id/affiliation/evil> a ckg:Affiliation ; ckg:cluster <https://w3id.org/clusterkg/id/cluster/evil> ;
    ckg:organisation <https://w3id.org/clusterkg/id/org/evil-org> ; ckg:affiliationType ckg:Member .
}"""
GRAPH_KEYS = {"ok", "view", "title", "focus", "nodes", "edges", "physics", "layout", "aggregated", "more",
              "sparql", "options", "stats", "industry_labels", "country_labels"}
NODE_KEYS = {"id", "kind", "label", "iri", "ref", "country", "country_name", "industries", "size", "detail", "url"}


@pytest.fixture(scope="module")
def app():
    store = OxigraphStore()
    initialise(store, progress=False)
    store.update(EVIL_UPDATE)
    app = create_app({"KNOWLEDGE_STORE": store, "STORE": ":memory:", "ADMIN_TOKEN": None})
    register(app)
    register(app)  # a second call does nothing
    yield app
    app.extensions["clusterkg"].close()


@pytest.fixture()
def client(app):
    return app.test_client()


def test_ego_network_shape_and_links_to_pages(client):
    body = client.get("/api/graph/ego?cluster=silicon-saxony").get_json()
    assert set(body) == GRAPH_KEYS and body["ok"] is True
    assert body["view"] == "ego" and body["focus"] == "cluster:silicon-saxony"
    assert all(set(n) >= NODE_KEYS for n in body["nodes"])
    urls = {n["kind"]: n["url"] for n in body["nodes"]}
    assert urls["cluster"] == "/clusters/silicon-saxony"
    assert urls["organisation"].startswith("/organisations/") and urls["competency"].startswith("/competencies/")
    ids = {n["id"] for n in body["nodes"]}
    assert all(e["from"] in ids and e["to"] in ids for e in body["edges"])
    assert body["stats"] == {"nodes": len(body["nodes"]), "edges": len(body["edges"])}
    assert body["physics"] is True and body["options"]["physics"]["enabled"] is True


def test_ego_network_limit_and_more(client):
    body = client.get("/api/graph/ego?cluster=silicon-saxony&limit=5").get_json()
    assert sum(n["kind"] == "organisation" for n in body["nodes"]) == 5
    assert {"node": "cluster:silicon-saxony", "relation": "members", "shown": 5, "total": 22} in body["more"]


def test_partnership_network(client):
    body = client.get("/api/graph/partnerships").get_json()
    assert body["view"] == "partnerships" and len(body["nodes"]) > 20
    assert all(n["kind"] == "cluster" for n in body["nodes"])
    assert all(e["relation"] == "partners" and e["label"] for e in body["edges"])
    shared = client.get("/api/graph/partnerships?shared=1").get_json()
    assert len(shared["edges"]) >= len(body["edges"])


def test_competency_map_is_laid_out_on_the_server(client):
    body = client.get("/api/graph/competencies").get_json()
    assert len(body["nodes"]) >= 300 and body["physics"] is False
    assert body["options"]["physics"]["enabled"] is False
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in body["nodes"])


def test_expand_counts_first_then_pages(client):
    counts = client.get("/api/graph/expand?node=cluster:silicon-saxony").get_json()
    assert counts["ok"] is True
    assert [c["relation"] for c in counts["counts"]] == ["members", "competencies", "partners", "industries", "needs"]
    assert counts["counts"][0]["count"] == 22
    page = client.get("/api/graph/expand?node=cluster:silicon-saxony&relation=members&limit=10").get_json()
    assert len(page["nodes"]) == 10 and page["total"] == 22 and page["next_offset"] == 10 and page["remaining"] == 12
    assert page["source"]["url"] == "/clusters/silicon-saxony"
    last = client.get("/api/graph/expand?node=cluster:silicon-saxony&relation=members&offset=20&limit=10").get_json()
    assert len(last["nodes"]) == 2 and last["next_offset"] is None


@pytest.mark.parametrize("url, status, words", [
    ("/api/graph/ego?cluster=atlantis", 404, "unknown cluster"),
    ("/api/graph/ego", 400, "give a cluster"),
    ("/api/graph/ego?cluster=silicon-saxony&limit=0", 400, "limit"),
    ("/api/graph/ego?cluster=silicon-saxony&limit=ten", 400, "whole number"),
    ("/api/graph/expand?node=cluster:atlantis", 404, "unknown cluster"),
    ("/api/graph/expand?node=atlantis", 400, "node id"),
    ("/api/graph/expand?node=cluster:silicon-saxony&relation=orbits", 400, "no relation"),
    ("/api/graph/query", 400, "give a SPARQL"),
    ("/api/graph/query?query=ASK%20%7B%7D", 400, "ASK"),
    ("/api/graph/query?query=SELEKT", 400, "invalid SPARQL"),
    ("/api/graph/query?query=" + urllib.parse.quote("SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"), 400, "SERVICE"),
    ("/explore.json?view=galaxy", 400, "unknown view"),
])
def test_errors_have_the_one_shape(client, url, status, words):
    response = client.get(url)
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"ok", "error", "status", "code", "message"} and body["ok"] is False and body["status"] == status
    assert words in body["error"]


def test_a_browser_gets_an_error_page_from_the_explorer(client):
    response = client.get("/explore?view=galaxy", headers={"Accept": "text/html"})
    assert response.status_code == 400 and response.content_type.startswith("text/html")
    assert "unknown view" in response.get_data(as_text=True)


def test_a_construct_query_draws_as_a_graph(client):
    sparql = client.get("/api/graph/ego?cluster=silicon-saxony").get_json()["sparql"]
    body = client.get("/api/graph/query", query_string={"query": sparql}).get_json()
    assert body["view"] == "query" and body["truncated"] is False
    ids = {n["id"] for n in body["nodes"]}
    assert "cluster:silicon-saxony" in ids
    assert sum(i.startswith("organisation:") for i in ids) == 22  # the same members as the ego network


def test_a_select_query_links_iri_columns(client):
    query = """PREFIX ckg: <https://w3id.org/clusterkg/ns#>
    SELECT ?org ?cluster WHERE { ?org ckg:affiliatedWith ?cluster } LIMIT 30"""
    body = client.post("/api/graph/query", data={"query": query}).get_json()
    assert len(body["edges"]) >= 10
    assert {e["relation"] for e in body["edges"]} == {"org→cluster"}


def test_page_and_json_twin_come_from_one_view(client):
    api = client.get("/api/graph/ego?cluster=silicon-saxony").get_json()
    twin = client.get("/explore.json?view=ego&cluster=silicon-saxony").get_json()
    negotiated = client.get("/explore?view=ego&cluster=silicon-saxony", headers={"Accept": "application/json"}).get_json()
    assert api == twin == negotiated
    assert client.get("/explore/query.json", query_string={"query": api["sparql"]}).get_json()["view"] == "query"


def test_pages_load_only_local_assets(client):
    for url in ("/explore", "/explore?view=competencies", "/explore?view=ego&cluster=silicon-saxony", "/explore/query"):
        response = client.get(url, headers={"Accept": "text/html"})
        assert response.status_code == 200 and response.mimetype == "text/html"
        page = response.get_data(as_text=True)
        assert not re.search(r'(?:src|href)="(?:https?:)?//', page), url
        assert "vendor/vis-network/vis-network.min.js" in page or url == "/explore/query"


def test_show_the_sparql_opens_the_editor_with_the_query(client):
    page = client.get("/explore?view=ego&cluster=silicon-saxony", headers={"Accept": "text/html"}).get_data(as_text=True)
    link = re.search(r'id="show-sparql" href="([^"]+)"', page).group(1)
    path, _, query = link.replace("&amp;", "&").partition("?")
    assert path == "/sparql"
    sparql = urllib.parse.parse_qs(query)["query"][0]
    assert sparql == client.get("/api/graph/ego?cluster=silicon-saxony").get_json()["sparql"]
    editor = client.get(link.replace("&amp;", "&"), headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "clusterkg-sparql-config" in editor and "silicon-saxony" in editor


def test_labels_with_markup_are_escaped_in_html(client):
    page = client.get("/explore?view=ego&cluster=evil", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "<script>window.__xss" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.__xss = 1&lt;/script&gt;" in page  # the title, as text
    body = client.get("/api/graph/ego?cluster=evil").get_json()
    assert {n["label"] for n in body["nodes"]} >= {"<script>window.__xss = 1</script>", '<img src=x onerror="window.__xss = 2">'}


@pytest.mark.parametrize("url", ["/api/graph/ego?cluster=silicon-saxony&limit=20", "/api/graph/partnerships",
                                 "/api/graph/competencies"])
def test_a_kept_answer_is_the_answer_jsonify_gives(app, client, url):
    """The API keeps its answers encoded (per data version): sent again, they are the same bytes
    and headers as the answer encoded afresh from the view."""
    first, again = client.get(url), client.get(url)
    assert first.status_code == again.status_code == 200
    assert first.get_data() == again.get_data()
    assert first.content_type == again.content_type == "application/json"
    with app.test_request_context(url):
        from flask import jsonify
        from clusterkg.webapp import explorer

        kind = url.split("?")[0].rsplit("/", 1)[1]
        view = {"ego": lambda: explorer.ego_payload("silicon-saxony", 20), "partnerships": lambda: explorer.partnerships_payload(False),
                "competencies": explorer.competencies_payload}[kind]()
        assert jsonify(view).get_data() == first.get_data()
