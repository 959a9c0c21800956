"""Every data IRI dereferences: 303 to its page for a browser, its triples as RDF otherwise, 404 if unknown."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

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
