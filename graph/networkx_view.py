"""The one converter from the RDF store to a networkx graph of the things people talk about.

Nodes are clusters, organisations, competencies, industries, countries, regions and
partnerships; edges are the direct relations between them (the shortcut triples, not the
qualified nodes). Used by GraphML/GEXF export and by analyses that want a networkx view.
"""

from __future__ import annotations

import networkx as nx

from clusterkg.graph.store import KnowledgeStore

__all__ = ["NODE_KINDS", "EDGE_RELATIONS", "store_to_networkx"]

PREFIXES = """
PREFIX ckg: <https://w3id.org/clusterkg/ns#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""

#: class IRI -> node kind written on every node
NODE_KINDS = {
    "https://w3id.org/clusterkg/ns#Cluster": "cluster",
    "http://www.w3.org/ns/org#FormalOrganization": "organisation",
    "https://w3id.org/clusterkg/ns#Competency": "competency",
    "https://w3id.org/clusterkg/ns#Industry": "industry",
    "https://w3id.org/clusterkg/ns#Country": "country",
    "https://w3id.org/clusterkg/ns#Region": "region",
    "https://w3id.org/clusterkg/ns#Partnership": "partnership",
}

#: predicate IRI -> relation name written on every edge
EDGE_RELATIONS = {
    "https://w3id.org/clusterkg/ns#affiliatedWith": "affiliated_with",
    "http://www.w3.org/ns/org#memberOf": "member_of",
    "https://w3id.org/clusterkg/ns#hasCompetency": "has_competency",
    "https://w3id.org/clusterkg/ns#needsCompetency": "needs_competency",
    "https://w3id.org/clusterkg/ns#participant": "participant",
    "https://w3id.org/clusterkg/ns#industry": "industry",
    "https://w3id.org/clusterkg/ns#appliedIn": "applied_in",
    "https://w3id.org/clusterkg/ns#country": "country",
    "https://w3id.org/clusterkg/ns#region": "region",
    "https://w3id.org/clusterkg/ns#clusterOrganisation": "cluster_organisation",
    "http://www.w3.org/2004/02/skos/core#broader": "broader",
}


def store_to_networkx(store: KnowledgeStore) -> nx.MultiDiGraph:
    """Read nodes (with ``kind`` and ``label``) and relations (``relation``) from the store."""
    graph = nx.MultiDiGraph()
    kinds = " ".join(f"<{iri}>" for iri in NODE_KINDS)
    _, rows = store.select_values(
        PREFIXES
        + f"""SELECT ?node ?class (SAMPLE(?name) AS ?label) WHERE {{
            VALUES ?class {{ {kinds} }}
            ?node a ?class .
            OPTIONAL {{ ?node rdfs:label|skos:prefLabel ?name }}
        }} GROUP BY ?node ?class"""
    )
    for node, cls, label in rows:
        graph.add_node(node, kind=NODE_KINDS[cls], label=label or node.rsplit("/", 1)[-1])
    predicates = " ".join(f"<{iri}>" for iri in EDGE_RELATIONS)
    _, rows = store.select_values(
        f"SELECT ?s ?p ?o WHERE {{ VALUES ?p {{ {predicates} }} ?s ?p ?o . FILTER(isIRI(?o)) }}"
    )
    for subject, predicate, obj in rows:
        if subject in graph and obj in graph:
            graph.add_edge(subject, obj, key=EDGE_RELATIONS[predicate], relation=EDGE_RELATIONS[predicate])
    return graph
