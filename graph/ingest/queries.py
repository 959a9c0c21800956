"""Queries over ingested open data. Co-participation is derived here, not stored.

Two organisations that took part in the same project worked together then: the project's dates
date the evidence, its record page sources it. Materialising the pairs would store the same
fact twice and grow with the square of a project's size (Horizon 2020 has 1,089,509 such
pairs over 31,451 projects, up to 186 participants in one), and it would go stale when a
participation is corrected; the query below derives them from the participations in one pass.
"""

from __future__ import annotations

from clusterkg.ontology.namespace import sparql_prefixes

__all__ = ["CO_PARTICIPATION", "co_participation_query"]

#: Pairs of organisations that took part in one project: each pair once per project.
CO_PARTICIPATION = sparql_prefixes("ckg", "rdfs", "schema", "dct") + """\
SELECT ?a ?b ?project ?start ?end ?roleA ?roleB ?source WHERE {
  ?pa a ckg:Participation ; ckg:project ?project ; ckg:organisation ?a ; ckg:participationRole ?roleA .
  ?pb a ckg:Participation ; ckg:project ?project ; ckg:organisation ?b ; ckg:participationRole ?roleB .
  FILTER(STR(?a) < STR(?b))
  ?project dct:source ?source .
  OPTIONAL { ?project schema:startDate ?start }
  OPTIONAL { ?project schema:endDate ?end }
  #FILTER#
}
ORDER BY ?a ?b ?start ?project
"""


def co_participation_query(organisation: str | None = None) -> str:
    """The co-participation query, optionally for the pairs that involve one organisation IRI
    (or any record ``owl:sameAs`` it)."""
    if organisation is None:
        return CO_PARTICIPATION.replace("  #FILTER#\n", "")
    restriction = (f"  <{organisation}> (<http://www.w3.org/2002/07/owl#sameAs>)? ?me .\n"
                   "  FILTER(?a = ?me || ?b = ?me)\n")
    return CO_PARTICIPATION.replace("  #FILTER#\n", restriction)
