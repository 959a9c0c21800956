"""Counts of what the knowledge graph holds, for ``clusterkg stats`` and the home page."""

from __future__ import annotations

from clusterkg.graph.store import KnowledgeStore
from clusterkg.ontology.namespace import sparql_prefixes

__all__ = ["graph_stats"]

STATS_QUERY = sparql_prefixes("ckg", "org") + """SELECT ?what (COUNT(DISTINCT ?x) AS ?n) WHERE {
  VALUES (?what ?class) {
    ("clusters" ckg:Cluster) ("organisations" org:FormalOrganization) ("competencies" ckg:Competency)
    ("industries" ckg:Industry) ("countries" ckg:Country) ("regions" ckg:Region)
    ("affiliations" ckg:Affiliation) ("memberships" org:Membership)
    ("competency claims" ckg:CompetencyClaim) ("competency needs" ckg:CompetencyNeed)
    ("partnerships" ckg:Partnership) ("cluster policies" ckg:ClusterPolicy)
    ("shared resources" ckg:SharedResource) ("developments" ckg:Development)
  }
  OPTIONAL { ?x a ?class }
} GROUP BY ?what
"""

CLUSTER_COUNTRIES = sparql_prefixes("ckg") + """SELECT (COUNT(DISTINCT ?country) AS ?n) WHERE { ?cluster a ckg:Cluster ; ckg:country ?country }
"""

ORDER = [
    "clusters", "organisations", "affiliations", "memberships", "competencies", "competency claims",
    "competency needs", "industries", "countries", "regions", "partnerships", "cluster policies",
    "shared resources", "developments",
]


def graph_stats(store: KnowledgeStore) -> dict[str, int]:
    """Counts by kind of thing, plus the countries that have clusters and the triple count."""
    _, rows = store.select_values(STATS_QUERY)
    counts = {what: int(n) for what, n in rows}
    result = {what: counts.get(what, 0) for what in ORDER}
    _, rows = store.select_values(CLUSTER_COUNTRIES)
    result["countries with clusters"] = int(rows[0][0]) if rows else 0
    result["triples"] = store.triple_count()
    return result
