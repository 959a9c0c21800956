"""The mapping table and reference lists open data needs, from ``data/mappings/``.

- ``h2020-programme-parts.csv``: Horizon 2020's programme parts with their legal-basis codes
  (the parts' names are CORDIS's reference list of H2020 programmes);
- ``scheme-mappings.csv``: one row per mapping of a programme part or a US Cluster Mapping
  category to a competency or industry of the project's schemes, with the SKOS relation, whether
  a source states it or it was inferred (and how), and the source consulted;
- ``iso3166-countries.csv``: ISO 3166-1 codes and English names, for the countries open-data
  records name that the curated sheets do not define.

>>> parts = ProgrammeParts.load()
>>> parts.part_of_legal_basis("H2020-EU.3.1.2.")
'SC1'
>>> str(parts.iri("Innovation in SMEs"))
'https://w3id.org/clusterkg/id/programme-part/h2020-innovation-in-smes'
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pyoxigraph as ox

from clusterkg.graph.ingest.triples import Triples, english, iri, text
from clusterkg.graph.sheets import slugify
from clusterkg.ontology.namespace import CKG, DATA, DCT, RDF, SKOS

__all__ = ["ProgrammeParts", "mapping_rows", "mapping_triples", "country_triples", "curated_country_codes",
           "category_iri", "PROGRAMME_PART_SCHEME", "CATEGORY_SCHEME", "RELATIONS"]

PROGRAMME_PART_SCHEME = DATA["scheme/h2020-programme-parts"]
CATEGORY_SCHEME = DATA["scheme/us-cmp-cluster-categories"]
RELATIONS = {"exact": SKOS.exactMatch, "close": SKOS.closeMatch, "broad": SKOS.broadMatch,
             "narrow": SKOS.narrowMatch, "related": SKOS.relatedMatch}
SCHEMES = {"h2020-programme-parts", "us-cmp-cluster-categories"}
CORDIS_REFERENCE = "https://data.europa.eu/data/datasets/cordisref-data"


def _mapping_file(name: str) -> Path:
    return Path(str(resources.files("clusterkg.data") / "mappings" / name))


def _read(name: str) -> list[dict[str, str]]:
    with open(_mapping_file(name), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def category_iri(code: str):
    """A US Cluster Mapping category: traded ones by their number, local ones by name."""
    return DATA[f"industry/us-cmp-{slugify(code)}"]


@dataclass(frozen=True)
class ProgrammeParts:
    labels: dict[str, str]  # code -> name
    legal_bases: dict[str, str]  # code -> legal-basis code (H2020-EU.3.1.)
    records: dict[str, str]  # code -> CORDIS record number of the programme

    @classmethod
    def load(cls) -> "ProgrammeParts":
        rows = _read("h2020-programme-parts.csv")
        return cls({r["code"]: r["label"] for r in rows}, {r["code"]: r["legal_basis"] for r in rows},
                   {r["code"]: r["cordis_rcn"] for r in rows})

    def iri(self, code: str):
        return DATA[f"programme-part/h2020-{slugify(code)}"]

    def part_of_legal_basis(self, legal_basis: str) -> str | None:
        """The part whose legal-basis code is the longest prefix of ``legal_basis``."""
        best = None
        for code, basis in self.legal_bases.items():
            if legal_basis.strip().startswith(basis) and (best is None or len(basis) > len(self.legal_bases[best])):
                best = code
        return best

    def triples(self) -> Triples:
        out = Triples()
        for code, label in self.labels.items():
            node = self.iri(code)
            out.add(node, RDF.type, CKG.ProgrammePart)
            out.add(node, RDF.type, SKOS.Concept)
            out.add(node, SKOS.prefLabel, english(label))
            out.add(node, SKOS.notation, text(code))
            out.add(node, SKOS.notation, text(self.legal_bases[code]))
            out.add(node, SKOS.inScheme, PROGRAMME_PART_SCHEME)
            out.add(node, SKOS.topConceptOf, PROGRAMME_PART_SCHEME)
            out.add(node, DCT.source, iri(CORDIS_REFERENCE))
        return out


def mapping_rows() -> list[dict[str, str]]:
    return _read("scheme-mappings.csv")


def mapping_triples(parts: ProgrammeParts, schemes: set[str] = SCHEMES) -> Triples:
    """SKOS mapping triples from the mapping table, for the rows of ``schemes``."""
    out = Triples()
    for row in mapping_rows():
        if row["scheme"] not in schemes:
            continue
        subject = parts.iri(row["code"]) if row["scheme"] == "h2020-programme-parts" else category_iri(row["code"])
        kind, _, target = row["target"].partition(":")
        out.add(subject, RELATIONS[row["relation"]], DATA[f"{'org' if kind == 'organisation' else kind}/{target}"])
    return out


def curated_country_codes() -> set[str]:
    path = Path(str(resources.files("clusterkg.data") / "sheets" / "countries.csv"))
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["code"] for row in csv.DictReader(handle)}


def country_triples(codes: set[str]) -> Triples:
    """Country nodes for the codes the curated sheets do not define (ISO 3166-1 names, in English
    and, where iso-codes translates them, in Russian: the mapping's ``name_ru``)."""
    rows = _read("iso3166-countries.csv")
    names = {row["code"]: row["name"] for row in rows}
    russian = {row["code"]: row["name_ru"] for row in rows if row.get("name_ru")}
    out = Triples()
    for code in sorted(codes - curated_country_codes()):
        if code not in names:
            continue  # the connectors report unknown codes before this
        node = DATA[f"country/{code}"]
        out.add(node, RDF.type, CKG.Country)
        out.add(node, RDF.type, SKOS.Concept)
        out.add(node, SKOS.notation, text(code))
        out.add(node, SKOS.prefLabel, english(names[code]))
        if code in russian:
            out.add(node, SKOS.prefLabel, ox.Literal(russian[code], language="ru"))
        out.add(node, SKOS.inScheme, DATA["scheme/countries"])
    return out


def known_country_codes() -> set[str]:
    return {row["code"] for row in _read("iso3166-countries.csv")}
