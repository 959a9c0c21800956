"""The SPARQL query behind a partner search, for "show the SPARQL".

:func:`partner_ranking_query` writes one SELECT that ranks the same organisations as
:func:`~clusterkg.graph.analysis.partners.search_partners` by **coverage** (the share of the gap's
weight an organisation covers, having a gap competency or a narrower one), with the same
eligibility (tied to another cluster, not to this one) and the same filters. The page's score
also multiplies coverage by the preference bonuses; the query says so in a comment and leaves
them out. The gap competencies and their weights go in a ``VALUES`` block; every IRI and literal
is written by :func:`clusterkg.graph.store.sparql_term`, which refuses anything that could break
out of its place.

>>> print(values_block([("https://w3id.org/clusterkg/id/competency/mems", 1.5)]))
VALUES (?gap ?weight) {
    (<https://w3id.org/clusterkg/id/competency/mems> 1.500000)
  }
"""

from __future__ import annotations

from collections.abc import Sequence

from rdflib import Literal, URIRef

from clusterkg.graph.analysis.partners import PartnerFilters
from clusterkg.graph.projection import ORGANISATION_TYPES, Projection, local_name
from clusterkg.graph.store import sparql_term
from clusterkg.ontology.namespace import sparql_prefixes

_PREFIXES = sparql_prefixes("ckg", "skos", "rdfs")

__all__ = ["partner_ranking_query", "values_block"]

_TYPE_CLASSES = {name: iri for iri, name in ORGANISATION_TYPES.items()}


def _iri(text: str) -> str:
    return sparql_term(URIRef(text))


def _literal(text: str) -> str:
    return sparql_term(Literal(text))


def values_block(gap: Sequence[tuple[str, float]], indent: str = "  ") -> str:
    rows = "\n".join(f"{indent}  ({_iri(iri)} {float(weight):.6f})" for iri, weight in gap)
    return "VALUES (?gap ?weight) {\n" + rows + "\n" + indent + "}"


def _effective_countries(p: Projection, row: int, filters: PartnerFilters) -> list[str]:
    countries = {c.strip().upper() for c in filters.countries if c.strip()}
    if filters.domestic:
        own = set(p.clusters["countries"].iat[row])
        countries = countries & own if countries else own
    return sorted(countries)


def _regions(p: Projection, filters: PartnerFilters) -> list[str]:
    known = {r for r in p.organisations["region"].unique() if r}
    wanted = set()
    for region in filters.regions:
        text = region.strip()
        wanted.update(r for r in known if r == text or local_name(r) == text or local_name(r) == text.lower())
    return sorted(wanted)


def partner_ranking_query(p: Projection, row: int, gap: Sequence[tuple[str, float]], filters: PartnerFilters,
                          exclude_iris: Sequence[str] = (), industry_iris: Sequence[str] = ()) -> str:
    """A SELECT ranking organisations by how much of ``gap`` ((competency IRI, weight) pairs) they cover.

    ``exclude_iris`` and ``industry_iris`` are the resolved IRIs of ``filters.exclude_clusters``
    and ``filters.industries``.
    """
    cluster = p.clusters.iloc[row]
    total = sum(float(f"{w:.6f}") for _, w in gap) or 1.0
    conditions = []
    countries = _effective_countries(p, row, filters)
    if countries:
        listed = ", ".join(_literal(c) for c in countries)
        conditions.append(f'FILTER EXISTS {{ ?organisation ckg:country ?country FILTER(REPLACE(STR(?country), "^.*/", "") IN ({listed})) }}')
    regions = _regions(p, filters)
    if filters.regions:
        conditions.append(f"FILTER EXISTS {{ ?organisation ckg:region ?region VALUES ?region {{ {' '.join(map(_iri, regions))} }} }}")
    if filters.org_types:
        classes = " ".join(_iri(_TYPE_CLASSES[t]) for t in filters.org_types if t in _TYPE_CLASSES)
        conditions.append(f"FILTER EXISTS {{ ?organisation a ?type VALUES ?type {{ {classes} }} }}")
    if industry_iris:
        conditions.append("FILTER EXISTS { ?organisation ckg:affiliatedWith ?industryCluster . ?industryCluster ckg:industry ?industry "
                          f"VALUES ?industry {{ {' '.join(map(_iri, industry_iris))} }} }}")
    if exclude_iris:
        conditions.append(f"FILTER NOT EXISTS {{ ?organisation ckg:affiliatedWith ?excluded VALUES ?excluded {{ {' '.join(map(_iri, exclude_iris))} }} }}")
    extra = "".join(f"\n      {c}" for c in conditions)
    title = str(cluster["label"]).replace("\n", " ").replace("\r", " ")
    return f"""# Partners for {title}: organisations tied to another cluster, not to this one, that have
# a gap competency or a narrower one, ranked by coverage (share of the gap's weight they cover).
# The partner search page multiplies coverage by its preference bonuses; this query does not.
{_PREFIXES}
SELECT ?organisation (SAMPLE(?name) AS ?label) (SUM(?weight) / {total:.6f} AS ?coverage)
       (COUNT(?gap) AS ?covered) (GROUP_CONCAT(?gapLabel; separator=", ") AS ?covers)
WHERE {{
  {{
    SELECT ?organisation ?gap ?weight (SAMPLE(?n) AS ?name) (SAMPLE(?l) AS ?gapLabel) WHERE {{
      {values_block(gap, '      ')}
      ?organisation ckg:hasCompetency/skos:broader* ?gap .
      FILTER EXISTS {{ ?organisation ckg:affiliatedWith ?someCluster }}
      FILTER NOT EXISTS {{ ?organisation ckg:affiliatedWith {_iri(cluster["iri"])} }}{extra}
      OPTIONAL {{ ?organisation rdfs:label ?n FILTER(LANG(?n) IN ("", "en")) }}
      OPTIONAL {{ ?gap skos:prefLabel ?l FILTER(LANG(?l) IN ("", "en")) }}
    }} GROUP BY ?organisation ?gap ?weight
  }}
}}
GROUP BY ?organisation
ORDER BY DESC(?coverage) DESC(?covered) ?label
"""
