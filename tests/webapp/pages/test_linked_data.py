"""Every data IRI dereferences: 303 to its page for a browser, its triples as RDF otherwise, 404 if unknown."""

from __future__ import annotations

import json
import shutil

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from clusterkg.webapp import create_app
from clusterkg.webapp.pages import register
from clusterkg.webapp.sparql import TRUNCATED_HEADER

CLUSTER = URIRef("https://w3id.org/clusterkg/id/cluster/silicon-saxony")


@pytest.mark.parametrize(("path", "page"), [
    ("/id/cluster/silicon-saxony", "/clusters/silicon-saxony"),
    ("/id/org/fraunhofer-ikts", "/organisations/fraunhofer-ikts"),
    ("/id/competency/mems", "/competencies/mems"),
    ("/id/country/DE", "/resource?iri=https://w3id.org/clusterkg/id/country/DE"),
])
def test_browser_is_sent_to_the_page(client, path, page):
    response = client.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 303
    assert response.headers["Location"] == page
    assert client.get(page).status_code == 200


def test_turtle_holds_the_resources_triples(client):
    response = client.get("/id/cluster/silicon-saxony", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.content_type.startswith("text/turtle")
    graph = Graph().parse(data=response.data, format="turtle")
    assert (CLUSTER, RDFS.label, Literal("Silicon Saxony")) in graph
    assert (CLUSTER, URIRef("https://w3id.org/clusterkg/ns#country"), URIRef("https://w3id.org/clusterkg/id/country/DE")) in graph
    assert set(graph.subjects()) == {CLUSTER}
    assert len(graph) > 10


def test_default_is_turtle_and_json_ld_by_accept(client):
    assert client.get("/id/cluster/silicon-saxony").content_type.startswith("text/turtle")
    response = client.get("/id/cluster/silicon-saxony", headers={"Accept": "application/ld+json"})
    assert response.content_type.startswith("application/ld+json")
    json.loads(response.data)
    graph = Graph().parse(data=response.data, format="json-ld")
    assert (CLUSTER, RDFS.label, Literal("Silicon Saxony")) in graph


def test_unknown_is_404_and_unacceptable_is_406(client):
    response = client.get("/id/cluster/no-such-cluster", headers={"Accept": "text/turtle"})
    assert response.status_code == 404 and response.get_json()["status"] == 404
    assert client.get("/id/cluster/no-such-cluster", headers={"Accept": "text/html"}).status_code == 404
    assert client.get("/id/cluster/silicon-saxony", headers={"Accept": "image/png"}).status_code == 406


def test_page_and_linked_data_reads_stop_at_the_row_cap(default_store_template, tmp_path):
    """Pages read through the query runner like /sparql: at most MAX_ROWS rows, and they say so."""
    copy = shutil.copytree(default_store_template, tmp_path / "store")
    app = create_app({"STORE": str(copy), "QUERY_WORKERS": 1, "MAX_ROWS": 5, "QUERY_CACHE": 0})
    register(app)
    try:
        client = app.test_client()
        iri = "https://w3id.org/clusterkg/id/cluster/silicon-saxony"
        data = client.get("/resource.json", query_string={"iri": iri}).get_json()
        assert data["truncated"] is True and 0 < len(data["triples"]) <= 5
        html = client.get("/resource", query_string={"iri": iri}).get_data(as_text=True)
        assert "Only the first triples are shown" in html
        turtle = client.get("/id/cluster/silicon-saxony", headers={"Accept": "application/n-triples"})
        assert turtle.headers[TRUNCATED_HEADER] == "true"
        assert len([line for line in turtle.get_data(as_text=True).splitlines() if line.strip()]) == 5
    finally:
        app.extensions["clusterkg"].close()
