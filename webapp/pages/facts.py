"""Facts the projection does not carry (sources, quotes, roles, dates), read from the store.

Every query is a constant string run through :mod:`clusterkg.webapp.pages.reads` (the query
runner's time limit and row cap); the resource it is about is bound there, never pasted in.
"""

from __future__ import annotations

from rdflib import Literal, URIRef

from clusterkg.graph.projection import local_name
from clusterkg.ontology.namespace import CKG as _CKG
from clusterkg.ontology.namespace import PREFIXES as ALL_PREFIXES
from clusterkg.webapp.i18n import N_
from clusterkg.webapp.pages import reads

__all__ = [
    "PREFIXES",
    "AFFILIATION_TYPES",
    "curie",
    "exists",
    "describe",
    "Triples",
    "incoming",
    "INCOMING",
    "values",
    "cluster_affiliations",
    "organisation_affiliations",
    "organisation_claims",
]

CKG = str(_CKG)
#: prefix -> namespace of the IRIs a page shows as CURIEs (data IRIs stay whole: they are links)
PREFIXES = {name: namespace for name, namespace in ALL_PREFIXES.items() if name != "id"}
_SPARQL_PREFIXES = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())

#: affiliation type concept -> (key, heading), in the order a profile lists them; the pages
#: translate the heading where they show it (JSON keeps it in English)
AFFILIATION_TYPES = {
    CKG + "FoundingMember": ("founding_member", N_("Founding members")),
    CKG + "BoardMember": ("board_member", N_("Board members")),
    CKG + "Member": ("member", N_("Members")),
    CKG + "Resident": ("resident", N_("Residents")),
    CKG + "ProjectPartner": ("project_partner", N_("Project partners")),
    CKG + "LocatedInRegion": ("located_in_region", N_("Located in the cluster's region")),
}


def curie(iri: str) -> str:
    """``https://schema.org/url`` -> ``schema:url``; other IRIs unchanged."""
    for name, base in PREFIXES.items():
        if iri.startswith(base) and len(iri) > len(base):
            return f"{name}:{iri[len(base):]}"
    return iri


def _text(term) -> str | None:
    return None if term is None else str(term)


def _term(term, label=None) -> dict:
    if isinstance(term, URIRef):
        return {"iri": str(term), "label": _text(label) or curie(str(term))}
    if isinstance(term, Literal):
        return {"value": str(term), "language": term.language, "datatype": curie(str(term.datatype)) if term.datatype else None}
    return {"value": str(term)}


def exists(iri: str) -> bool:
    """Whether the store holds any triple with ``iri`` as subject."""
    return reads.ask("ASK { ?s ?p ?o }", {"s": URIRef(iri)})


class Triples(list):
    """:func:`describe`'s triples; ``truncated`` when the row cap (``CLUSTERKG_MAX_ROWS``) cut them."""

    truncated = False


def describe(iri: str) -> Triples:
    """The resource's own triples: ``[{"predicate": {iri, label}, "object": {iri, label} | {value, ...}}]``."""
    result = reads.select(
        _SPARQL_PREFIXES + "SELECT ?p ?o ?l WHERE { ?s ?p ?o OPTIONAL { ?o rdfs:label|skos:prefLabel ?l } }",
        {"s": URIRef(iri)},
    )
    rows: dict[tuple, dict] = {}
    for p, o, label in result.rows:
        key = (str(p), o)
        # one row per triple; prefer an English or untagged label
        if key in rows and (label is None or getattr(label, "language", None) not in (None, "en")):
            continue
        rows[key] = {"predicate": _term(p), "object": _term(o, label)}
    triples = Triples(sorted(rows.values(), key=lambda r: (r["predicate"]["label"], r["object"].get("label") or r["object"].get("value", ""))))
    triples.truncated = result.truncated
    return triples


#: the triples pointing at ``?o`` (at most 200), for the ``/resource`` page
INCOMING = (_SPARQL_PREFIXES + "SELECT ?s ?p (SAMPLE(?l) AS ?label) WHERE { ?s ?p ?o "
            "OPTIONAL { ?s rdfs:label|skos:prefLabel ?l FILTER(LANG(?l) IN (\"\", \"en\")) } }"
            " GROUP BY ?s ?p ?o ORDER BY ?p ?s LIMIT 200")


def incoming(iri: str) -> list[dict]:
    """Triples pointing at the resource, ``[{"subject": {iri, label}, "predicate": {iri, label}}]``."""
    result = reads.select(INCOMING, {"o": URIRef(iri)})
    return [{"subject": _term(s, label), "predicate": _term(p)} for s, p, label in result.rows if s is not None]


def values(triples: list[dict], predicate: str) -> list[dict]:
    """The objects of one predicate (a full IRI) among ``describe`` triples."""
    return [t["object"] for t in triples if t["predicate"]["iri"] == predicate]


def _grouped(rows, key_columns: int, names: list[str]) -> list[dict]:
    """Rows (key..., source, quote) -> one dict per key with its sources and quotes collected."""
    grouped: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(_text(x) for x in row[:key_columns])
        entry = grouped.setdefault(key, {**dict(zip(names, key)), "sources": [], "quotes": []})
        source, quote = _text(row[key_columns]), _text(row[key_columns + 1])
        if source and source not in entry["sources"]:
            entry["sources"].append(source)
        if quote and quote not in entry["quotes"]:
            entry["quotes"].append(quote)
    return list(grouped.values())


_AFFILIATIONS = _SPARQL_PREFIXES + """SELECT ?a ?cluster ?organisation ?type ?role ?start ?end ?source ?quote WHERE {
  ?a ckg:cluster ?cluster ; ckg:organisation ?organisation ; ckg:affiliationType ?type .
  OPTIONAL { ?a ckg:roleLabel ?role } OPTIONAL { ?a schema:startDate ?start } OPTIONAL { ?a schema:endDate ?end }
  OPTIONAL { ?a dct:source ?source } OPTIONAL { ?a ckg:sourceQuote ?quote }
}"""
_AFFILIATION_NAMES = ["affiliation", "cluster", "organisation", "type", "role", "start", "end"]


def _affiliations(binding: str, iri: str) -> list[dict]:
    rows = reads.select(_AFFILIATIONS, {binding: URIRef(iri)}).rows
    items = _grouped(rows, 7, _AFFILIATION_NAMES)
    for item in items:
        item["type_key"], item["type_label"] = AFFILIATION_TYPES.get(item["type"], (local_name(item["type"]), local_name(item["type"])))
    return items


def cluster_affiliations(cluster_iri: str) -> list[dict]:
    """Every affiliation of the cluster: organisation, type, role, dates, sources, quotes."""
    return _affiliations("cluster", cluster_iri)


def organisation_affiliations(organisation_iri: str) -> list[dict]:
    return _affiliations("organisation", organisation_iri)


_CLAIMS = _SPARQL_PREFIXES + """SELECT ?competency ?level ?source ?quote WHERE {
  ?organisation ckg:qualifiedCompetency ?claim . ?claim ckg:competency ?competency .
  OPTIONAL { ?claim ckg:level ?level } OPTIONAL { ?claim dct:source ?source } OPTIONAL { ?claim ckg:sourceQuote ?quote }
}"""


def organisation_claims(organisation_iri: str) -> list[dict]:
    """The organisation's competency claims: competency, level, sources, quotes."""
    rows = reads.select(_CLAIMS, {"organisation": URIRef(organisation_iri)}).rows
    items = _grouped(rows, 2, ["competency", "level"])
    for item in items:
        item["level"] = local_name(item["level"]).removeprefix("Level").lower() if item["level"] else None
    return items
