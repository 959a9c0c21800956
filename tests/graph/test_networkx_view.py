"""The networkx view of the store (GraphML/GEXF export): one node per resource, named in English."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef

from clusterkg.graph.networkx_view import store_to_networkx
from clusterkg.graph.store import OxigraphStore
from clusterkg.ontology.namespace import CKG, RDF, RDFS

NAMES = [("Moscow Innovation Cluster", "Московский инновационный кластер"), ("Aviacor", "Авиакор"),
         ("Kuznetsov", "Кузнецов"), ("SSAU", "СГАУ"), ("IFAR", "ИФАР"), ("Artlife", "Артлайф"),
         ("Solagift", "Солагифт"), ("Siatek", "Сиатек"), ("Signatek", "Сигнатек")]


def test_nodes_named_in_two_languages_are_named_in_english():
    graph, english = Graph(), {}
    for number, (name, russian) in enumerate(NAMES):
        node = URIRef(f"https://w3id.org/clusterkg/id/cluster/c{number}")
        graph.add((node, RDF.type, CKG.Cluster))
        graph.add((node, RDFS.label, Literal(name)))
        graph.add((node, RDFS.label, Literal(russian, lang="ru")))
        english[str(node)] = name
    only_russian = URIRef("https://w3id.org/clusterkg/id/cluster/tomsk")
    graph.add((only_russian, RDF.type, CKG.Cluster))
    graph.add((only_russian, RDFS.label, Literal("Томский кластер", lang="ru")))
    with OxigraphStore() as store:
        store.insert_graph(graph)
        network = store_to_networkx(store)
    assert {node: network.nodes[node]["label"] for node in english} == english
    assert network.nodes[str(only_russian)]["label"] == "Томский кластер"  # its only name
