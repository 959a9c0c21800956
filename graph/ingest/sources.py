"""The sources ``clusterkg ingest`` knows: read a folder, resolve organisations, make the facts.

``convert(source, directory)`` returns the triples of one source (with its dataset node, the
programme parts or categories and their mappings, the countries its records need, and the
identity matches of its organisations with the curated ones) plus the candidate matches for the
review sheet. With ``scope="linked"`` a CORDIS extract keeps only the projects in which a
curated organisation took part, with all their participants (the co-participants).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from clusterkg.graph.ingest import SOURCES
from clusterkg.graph.ingest.cmp import cluster_iri, cmp_triples, read_cmp
from clusterkg.graph.ingest.cordis import CordisData, cordis_triples, organisation_iri, read_cordis
from clusterkg.graph.ingest.mappings import ProgrammeParts, country_triples, known_country_codes, mapping_triples
from clusterkg.graph.ingest.provenance import CORDIS_H2020, US_CMP, OpenDataset, organisation_page
from clusterkg.graph.ingest.resolve import Candidate, Curated, Record, find_matches, match_triples, read_decisions
from clusterkg.graph.ingest.triples import Triples, describe_dataset
from clusterkg.graph.problems import Problem, ValidationFailed

__all__ = ["SOURCES", "Conversion", "convert", "curated_organisations", "curated_clusters", "decisions_path"]

SCOPES = ("all", "linked")


@dataclass
class Conversion:
    source: str
    triples: Triples
    candidates: list[Candidate] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _data_file(*parts: str) -> Path:
    return Path(str(resources.files("clusterkg.data").joinpath(*parts)))


def decisions_path() -> Path:
    return _data_file("mappings", "organisation-matches-curated.csv")


def curated_organisations() -> list[Curated]:
    with open(_data_file("sheets", "organisations.csv"), encoding="utf-8", newline="") as handle:
        return [Curated(row["id"], row["name"], row.get("country", ""), row.get("city", ""))
                for row in csv.DictReader(handle)]


def curated_clusters() -> list[Curated]:
    """Curated clusters, compared by their name, first country and first city."""
    with open(_data_file("sheets", "clusters.csv"), encoding="utf-8", newline="") as handle:
        return [Curated(row["id"], row["name"], row["countries"].split(";")[0].strip(),
                        (row.get("city") or "").split(";")[0].strip(), kind="cluster")
                for row in csv.DictReader(handle)]


def convert(source: str, directory: str | Path, *, scope: str = "all") -> Conversion:
    """The facts of one source folder; ValidationFailed (nothing made) on any bad input."""
    if source not in SOURCES:
        raise ValidationFailed([Problem("", "", "source", f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")])
    if scope not in SCOPES:
        raise ValidationFailed([Problem("", "", "scope", f"unknown scope {scope!r}; expected one of {', '.join(SCOPES)}")])
    if not Path(directory).is_dir():
        raise ValidationFailed([Problem(str(directory), "", "", "not a folder")])
    if source == "cordis-h2020":
        return _convert_cordis(Path(directory), scope)
    return _convert_cmp(Path(directory))


def _convert_cordis(directory: Path, scope: str) -> Conversion:
    parts = ProgrammeParts.load()
    data = read_cordis(directory, parts)
    unknown = sorted(data.countries() - known_country_codes())
    if unknown:
        raise ValidationFailed([Problem(str(directory), "", "country", f"unknown country code(s) {', '.join(unknown)}; "
                                        "expected ISO 3166-1 codes (CORDIS's UK and EL are read as GB and GR)")])
    records = [Record(CORDIS_H2020.key, o.pic, o.name, str(organisation_iri(o.pic)), organisation_page(o.pic),
                      o.short_name, o.country, o.city) for o in data.organisations.values()]
    candidates = find_matches(curated_organisations(), records, read_decisions(decisions_path()))
    linked = {c.record.id for c in candidates if c.linked}
    if scope == "linked":
        data = _linked_only(data, linked)
    out = _dataset(CORDIS_H2020)
    out.update(parts.triples())
    out.update(mapping_triples(parts, {"h2020-programme-parts"}))
    out.update(country_triples(data.countries()))
    out.update(cordis_triples(data, parts))
    out.update(match_triples(c for c in candidates if c.record.id in data.organisations))
    counts = {"projects": len(data.projects), "organisations": len(data.organisations),
              "participations": len(data.participations), "participations without a named organisation": data.skipped,
              "linked curated organisations": len({c.curated.id for c in candidates if c.linked and c.record.id in data.organisations})}
    return Conversion("cordis-h2020", out, candidates, counts)


def _linked_only(data: CordisData, pics: set[str]) -> CordisData:
    """The projects of the linked organisations, with every participant of those projects."""
    projects = {p.rcn for p in data.participations if p.pic in pics}
    participations = [p for p in data.participations if p.rcn in projects]
    organisations = {p.pic for p in participations}
    return CordisData({rcn: data.projects[rcn] for rcn in projects},
                      {pic: o for pic, o in data.organisations.items() if pic in organisations}, participations, data.skipped)


def _convert_cmp(directory: Path) -> Conversion:
    data = read_cmp(directory)
    records = [Record(US_CMP.key, org_id, title, str(cluster_iri(org_id)), US_CMP.copies[0], country="US", kind="cluster")
               for org_id, title in data.organisations.items()]
    candidates = find_matches(curated_organisations() + curated_clusters(), records, read_decisions(decisions_path()))
    out = _dataset(US_CMP)
    out.update(cmp_triples(data))
    out.update(mapping_triples(ProgrammeParts.load(), {"us-cmp-cluster-categories"}))
    out.update(match_triples(candidates))
    counts = {"cluster organisations": len(data.organisations), "categories": len(data.categories),
              "category pairs": len(data.relatedness),
              "linked curated organisations and clusters": len({c.curated.key for c in candidates if c.linked})}
    return Conversion("us-cluster-mapping", out, candidates, counts)


def _dataset(dataset: OpenDataset) -> Triples:
    out = Triples()
    describe_dataset(out, dataset)
    return out
