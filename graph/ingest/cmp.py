"""US Cluster Mapping connector: cluster organisations as clusters of their categories, and the
relatedness of the categories as industry relatedness.

Reads the project's published files:

- ``CurrentOrganizationsAndClusters.csv`` (``org_id``, ``org_title``, ``cluster_name``): each US
  cluster organisation with the cluster categories it serves; each becomes a ``ckg:Cluster`` in
  the US whose ``ckg:industry`` values are its categories;
- ``relatedClusters.json``: one object per ordered pair of the 51 traded categories
  (``clustera``, ``clusterb``, ``cluster_name``, ``cluster_name_2``, ``cr_all`` the combined
  relatedness, ``cr_all_pc`` its percentile, ``rel_all_90_v3`` = 1 for the pairs the project
  publishes as related). Each unordered pair becomes a ``ckg:IndustryRelatedness``; published
  pairs also get ``skos:related`` between the two categories.

The categories form the scheme ``us-cmp-cluster-categories``: traded ones numbered as in the
relatedness table, local ones (named only by organisations) by their name.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from clusterkg.graph.ingest.mappings import CATEGORY_SCHEME, category_iri
from clusterkg.graph.ingest.provenance import US_CMP, OpenDataset
from clusterkg.graph.ingest.triples import Triples, decimal, describe_source, english, integer, text
from clusterkg.graph.problems import Problem, ValidationFailed
from clusterkg.ontology.namespace import CKG, DATA, RDF, RDFS, SKOS

__all__ = ["CmpData", "read_cmp", "cmp_triples", "cluster_iri"]

ORGANISATIONS_FILE = "CurrentOrganizationsAndClusters.csv"
RELATEDNESS_FILE = "relatedClusters.json"


@dataclass
class Relatedness:
    a: str
    b: str
    score: Decimal
    percentile: int | None
    published: bool


@dataclass
class CmpData:
    organisations: dict[str, str] = field(default_factory=dict)  # org_id -> title
    categories_of: dict[str, set[str]] = field(default_factory=dict)  # org_id -> category codes
    categories: dict[str, str] = field(default_factory=dict)  # code -> name
    relatedness: list[Relatedness] = field(default_factory=list)


def cluster_iri(org_id: str):
    return DATA[f"cluster/us-cmp-{org_id}"]


def read_cmp(directory: str | Path) -> CmpData:
    """Read a US Cluster Mapping folder; raise ValidationFailed listing every problem."""
    directory = Path(directory)
    problems: list[Problem] = []
    data = CmpData()
    code_of_name: dict[str, str] = {}
    related_path = directory / RELATEDNESS_FILE
    organisations_path = directory / ORGANISATIONS_FILE
    for path in (related_path, organisations_path):
        if not path.is_file():
            problems.append(Problem(str(path), "", "", "file not found (a US Cluster Mapping folder holds "
                                    f"{ORGANISATIONS_FILE} and {RELATEDNESS_FILE})"))
    if problems:
        raise ValidationFailed(problems)
    try:
        pairs = json.loads(related_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationFailed([Problem(related_path.name, "", "", f"not JSON: {error}")]) from error
    if not isinstance(pairs, list):
        raise ValidationFailed([Problem(related_path.name, "", "", "expected a JSON array of category pairs")])
    seen: set[tuple[str, str]] = set()
    for number, pair in enumerate(pairs, start=1):
        where = f"item {number}"
        if not isinstance(pair, dict):
            problems.append(Problem(related_path.name, where, "", "expected an object"))
            continue
        a, b = str(pair.get("clustera", "")).strip(), str(pair.get("clusterb", "")).strip()
        if not (a.isdigit() and b.isdigit()):
            problems.append(Problem(related_path.name, where, "clustera/clusterb", f"expected category numbers, got {a!r}, {b!r}"))
            continue
        for code, key in ((a, "cluster_name"), (b, "cluster_name_2")):
            name = str(pair.get(key, "")).strip()
            if not name:
                problems.append(Problem(related_path.name, where, key, "expected the category's name"))
            data.categories.setdefault(code, name)
            code_of_name.setdefault(name, code)
        if a == b or (min(a, b, key=int), max(a, b, key=int)) in seen:
            continue
        try:
            score = Decimal(str(pair.get("cr_all", "")).strip())
        except InvalidOperation:
            problems.append(Problem(related_path.name, where, "cr_all", f"expected a number, got {pair.get('cr_all')!r}"))
            continue
        percentile_text = str(pair.get("cr_all_pc", "")).strip()
        if percentile_text and not (percentile_text.isdigit() and int(percentile_text) <= 100):
            problems.append(Problem(related_path.name, where, "cr_all_pc", f"expected a percentile 0-100, got {percentile_text!r}"))
            continue
        low, high = sorted((a, b), key=int)
        seen.add((low, high))
        data.relatedness.append(Relatedness(low, high, score, int(percentile_text) if percentile_text else None,
                                            str(pair.get("rel_all_90_v3", "")).strip() == "1"))
    with open(organisations_path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("org_id", "org_title", "cluster_name") if c not in (reader.fieldnames or [])]
        if missing:
            raise ValidationFailed([Problem(organisations_path.name, "", ", ".join(missing), "missing column(s)")])
        for number, row in enumerate(reader, start=2):
            org_id, title, category = (row.get(c, "").strip() for c in ("org_id", "org_title", "cluster_name"))
            if not org_id.isdigit():
                problems.append(Problem(organisations_path.name, f"row {number}", "org_id", f"expected a number, got {org_id!r}"))
                continue
            if not title:
                problems.append(Problem(organisations_path.name, f"row {number}", "org_title", "expected the organisation's name"))
                continue
            data.organisations.setdefault(org_id, title)
            if category:
                code = code_of_name.get(category, category)  # local categories: keyed by name
                data.categories.setdefault(code, category)
                data.categories_of.setdefault(org_id, set()).add(code)
    if problems:
        raise ValidationFailed(problems)
    return data


def cmp_triples(data: CmpData, dataset: OpenDataset = US_CMP) -> Triples:
    """Clusters, categories and relatedness, each node with its source file, licence and dataset."""
    organisations_source, related_source = dataset.copies[0], dataset.copies[1]
    out = Triples()
    for code, name in data.categories.items():
        node = category_iri(code)
        out.add(node, RDF.type, CKG.Industry)
        out.add(node, RDF.type, SKOS.Concept)
        out.add(node, SKOS.prefLabel, english(name))
        out.add(node, SKOS.notation, text(code))
        out.add(node, SKOS.inScheme, CATEGORY_SCHEME)
        out.add(node, SKOS.topConceptOf, CATEGORY_SCHEME)
        describe_source(out, node, related_source if code.isdigit() else organisations_source, dataset)
    for org_id, title in data.organisations.items():
        node = cluster_iri(org_id)
        out.add(node, RDF.type, CKG.Cluster)
        out.add(node, RDFS.label, text(title))
        out.add(node, CKG.country, DATA["country/US"])
        for code in sorted(data.categories_of.get(org_id, ())):
            out.add(node, CKG.industry, category_iri(code))
        describe_source(out, node, organisations_source, dataset)
    for pair in data.relatedness:
        node = DATA[f"relatedness/us-cmp-{pair.a}-{pair.b}"]
        out.add(node, RDF.type, CKG.IndustryRelatedness)
        out.add(node, CKG.industry, category_iri(pair.a))
        out.add(node, CKG.industry, category_iri(pair.b))
        out.add(node, CKG.relatednessScore, decimal(pair.score))
        if pair.percentile is not None:
            out.add(node, CKG.relatednessPercentile, integer(pair.percentile))
        describe_source(out, node, related_source, dataset)
        if pair.published:
            out.add(category_iri(pair.a), SKOS.related, category_iri(pair.b))
            out.add(category_iri(pair.b), SKOS.related, category_iri(pair.a))

    return out
