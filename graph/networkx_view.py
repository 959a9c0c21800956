"""The one converter from the RDF store to a networkx graph of the things people talk about.

Nodes are clusters, organisations, competencies, industries, countries, regions and
partnerships; edges are the direct relations between them (the shortcut triples, not the
qualified nodes). Used by GraphML/GEXF export and by analyses that want a networkx view.
"""

from __future__ import annotations

import networkx as nx

from clusterkg.graph.store import KnowledgeStore
from clusterkg.ontology.namespace import CKG, ORG, SKOS, sparql_prefixes

__all__ = ["NODE_KINDS", "EDGE_RELATIONS", "store_to_networkx"]

PREFIXES = sparql_prefixes("ckg", "org", "skos", "rdfs")

#: class IRI -> node kind written on every node
NODE_KINDS = {
    str(CKG.Cluster): "cluster",
    str(ORG.FormalOrganization): "organisation",
    str(CKG.Competency): "competency",
    str(CKG.Industry): "industry",
    str(CKG.Country): "country",
    str(CKG.Region): "region",
    str(CKG.Partnership): "partnership",
}

#: predicate IRI -> relation name written on every edge
EDGE_RELATIONS = {
    str(CKG.affiliatedWith): "affiliated_with",
    str(ORG.memberOf): "member_of",
    str(CKG.hasCompetency): "has_competency",
    str(CKG.needsCompetency): "needs_competency",
    str(CKG.participant): "participant",
    str(CKG.industry): "industry",
    str(CKG.appliedIn): "applied_in",
    str(CKG.country): "country",
    str(CKG.region): "region",
    str(CKG.clusterOrganisation): "cluster_organisation",
    str(SKOS.broader): "broader",
}


def store_to_networkx(store: KnowledgeStore) -> nx.MultiDiGraph:
    """Read nodes (with ``kind`` and ``label``) and relations (``relation``) from the store."""
    graph = nx.MultiDiGraph()
    kinds = " ".join(f"<{iri}>" for iri in NODE_KINDS)
    _, rows = store.select_values(
        PREFIXES
        # the English name where a node has names in several languages, else the one it has
        + f"""SELECT ?node ?class (COALESCE(SAMPLE(?english), SAMPLE(?name)) AS ?label) WHERE {{
            VALUES ?class {{ {kinds} }}
            ?node a ?class .
            OPTIONAL {{ ?node rdfs:label|skos:prefLabel ?english FILTER(LANG(?english) IN ("", "en")) }}
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
