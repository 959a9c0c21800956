"""Entity resolution: which open-data record is which curated organisation (or cluster).

Nothing is merged. Each curated organisation is compared with the records of an ingested
dataset on a normalised name (accents folded, case and punctuation dropped, legal forms such
as GmbH, e.V., Ltd, S.A. removed), its short name or abbreviation, the country and the city.
Every candidate pair above a floor becomes a row of the review sheet
(``data/mappings/organisation-matches.csv``: match, score, evidence, status). A curated sheet
(``data/mappings/organisation-matches-curated.csv``) confirms or rejects pairs; a confirmed pair
is linked even when the names differ (a known alias), a rejected one never is.

Linked pairs (status ``confirmed``, or ``automatic``: normalised names equal, or nearly equal
with the same city, and the countries agree) become a ``ckg:IdentityMatch`` node with score,
evidence and status, plus ``owl:sameAs`` from the curated node to the record, so a query can
follow the link in one step and drop it as easily.

>>> normalise_name("Fraunhofer-Gesellschaft zur Förderung der angewandten Forschung e.V.")
'fraunhofer gesellschaft zur forderung der angewandten forschung'
>>> normalise_name("GLOBALFOUNDRIES Dresden Module One LLC & Co. KG")
'globalfoundries dresden module one'
>>> abbreviations("German Cancer Research Center (DKFZ)")
{'dkfz'}
"""

from __future__ import annotations

import csv
import re
import unicodedata
from decimal import Decimal
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from clusterkg.graph.ingest.triples import Triples, decimal, english, iri
from clusterkg.graph.problems import Problem, ValidationFailed
from clusterkg.ontology.namespace import CKG, DATA, DCT, OWL, RDF

__all__ = ["Candidate", "Record", "Curated", "normalise_name", "abbreviations", "find_matches",
           "read_decisions", "write_review_sheet", "match_triples", "REVIEW_COLUMNS", "DECISION_COLUMNS"]

LEGAL_FORMS = {
    "gmbh", "mbh", "ag", "kg", "kgaa", "ev", "eg", "ug", "sa", "sas", "sarl", "sau", "spa", "srl", "sl", "slu",
    "ltd", "limited", "llc", "llp", "lp", "inc", "incorporated", "corp", "corporation", "co", "plc", "bv", "nv",
    "oy", "oyj", "ab", "publ", "as", "asa", "aps", "sro", "spzoo", "zoo", "ooo", "oao", "zao", "pao", "jsc",
    "ojsc", "cjsc", "se", "scrl", "asbl", "vzw", "cvba", "bvba", "the", "and", "und",
}
#: Legal forms written with dots or spaces, joined before tokenising.
JOINED_FORMS = [(re.compile(pattern), joined) for pattern, joined in (
    (r"\be\s*v\b", "ev"), (r"\bs\s*a\s*s\b", "sas"), (r"\bs\s*a\b", "sa"), (r"\bs\s*p\s*a\b", "spa"),
    (r"\bs\s*r\s*l\b", "srl"), (r"\bb\s*v\b", "bv"), (r"\bn\s*v\b", "nv"), (r"\bs\s*l\b", "sl"),
    (r"\bsp\s*z\s*o\s*o\b", "spzoo"), (r"\bs\s*r\s*o\b", "sro"), (r"\ba\s*s\b", "as"),
)]
#: Umlauts written out (ae, oe, ue) or folded (a, o, u) compare equal; applied to both sides.
GERMAN_UMLAUTS = re.compile(r"(?<=[a-z])[aou]e")
ABBREVIATION = re.compile(r"\(([^()]{2,15})\)")

#: Below this name similarity a pair is not worth a reviewer's time.
FLOOR = 0.86
#: A pair is linked without review when its names are this similar and the countries agree.
AUTOMATIC = 0.97


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


def normalise_name(name: str) -> str:
    """Accents folded, lowercase, punctuation gone, legal forms removed."""
    text = re.sub(r"[^a-z0-9]+", " ", _fold(name))
    text = GERMAN_UMLAUTS.sub(lambda m: m.group(0)[0], text)  # "universitaet" = "universitat"
    for pattern, joined in JOINED_FORMS:
        text = pattern.sub(joined, text)
    tokens = [token for token in text.split() if token not in LEGAL_FORMS]
    return " ".join(tokens) or text.strip()


def abbreviations(name: str) -> set[str]:
    """Abbreviations a name gives in brackets: "German Cancer Research Center (DKFZ)" -> dkfz."""
    return {normalise_name(m) for m in ABBREVIATION.findall(name) if normalise_name(m)}


@dataclass(frozen=True)
class Curated:
    """A curated organisation or cluster, as the matcher sees it."""

    id: str
    name: str
    country: str = ""
    city: str = ""
    kind: str = "org"  # "org" or "cluster"

    @property
    def iri(self):
        return DATA[f"{self.kind}/{self.id}"]

    @property
    def key(self) -> str:
        """How the sheets name it: the id for an organisation, ``cluster/{id}`` for a cluster."""
        return self.id if self.kind == "org" else f"{self.kind}/{self.id}"


@dataclass(frozen=True)
class Record:
    """An open-data record that may be a curated organisation."""

    dataset: str
    id: str
    name: str
    iri: str
    page: str
    short_name: str = ""
    country: str = ""
    city: str = ""
    kind: str = "org"  # what the record's node is: "org" or "cluster"


@dataclass
class Candidate:
    curated: Curated
    record: Record
    score: float
    name_similarity: float
    evidence: str
    status: str  # automatic, review, confirmed, rejected

    @property
    def linked(self) -> bool:
        return self.status in ("automatic", "confirmed")


def _score(curated: Curated, record: Record, similarity: float, how: str) -> Candidate:
    evidence = [f"{how} {similarity:.2f}"]
    score = similarity
    if curated.country and record.country:
        if curated.country == record.country:
            evidence.append(f"same country {record.country}")
            score += 0.05
        else:
            evidence.append(f"country differs ({curated.country} vs {record.country})")
            score -= 0.3
    same_city = bool(curated.city and record.city and _fold(curated.city).strip() == _fold(record.city).strip())
    if same_city:
        evidence.append(f"same city {record.city}")
        score += 0.05
    score = max(0.0, min(1.0, score))
    countries_agree = not (curated.country and record.country and curated.country != record.country)
    automatic = countries_agree and (similarity >= 1.0 or (similarity >= AUTOMATIC and same_city))
    return Candidate(curated, record, round(score, 3), round(similarity, 3), "; ".join(evidence),
                     "automatic" if automatic else "review")


def find_matches(curated: Iterable[Curated], records: Iterable[Record],
                 decisions: dict[tuple[str, str, str], str] | None = None) -> list[Candidate]:
    """Candidate pairs, best first per curated node, with the curated decisions applied."""
    records, curated = list(records), list(curated)
    curated_by_id = {node.key: node for node in curated}
    decisions = decisions or {}
    names = [normalise_name(r.name) for r in records]
    by_short: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        for key in {normalise_name(record.short_name)} - {""}:
            by_short.setdefault(key, []).append(index)
    by_id = {(r.dataset, r.id): r for r in records}
    found: dict[tuple[str, str, str], Candidate] = {}
    for node in curated:
        name = normalise_name(node.name.split("(")[0]) or normalise_name(node.name)
        if len(name) < 3:
            continue
        hits = process.extract(name, names, scorer=fuzz.token_sort_ratio, score_cutoff=FLOOR * 100, limit=5)
        for _, similarity, index in hits:
            candidate = _score(node, records[index], similarity / 100, "name similarity")
            found.setdefault((node.key, records[index].dataset, records[index].id), candidate)
        for abbreviation in abbreviations(node.name):
            for index in by_short.get(abbreviation, []):
                candidate = _score(node, records[index], 0.9, "abbreviation equals short name")
                candidate.status = "review"
                found.setdefault((node.key, records[index].dataset, records[index].id), candidate)
    _one_automatic_each(found.values())
    for key, decision in decisions.items():
        candidate = found.get(key)
        if candidate is None and decision == "confirm" and key[0] in curated_by_id and key[1:] in by_id:
            candidate = Candidate(curated_by_id[key[0]], by_id[key[1:]], 1.0, 0.0, "confirmed by a curator", "review")
            found[key] = candidate
        if candidate is not None:
            candidate.status = "confirmed" if decision == "confirm" else "rejected"
    return sorted(found.values(), key=lambda c: (c.curated.key, c.record.dataset, -c.score, c.record.id))


def _one_automatic_each(candidates: Iterable[Candidate]) -> None:
    """A curated node with several automatic candidates (a firm's subsidiaries in countries its
    row does not name) gets none: a reviewer picks."""
    automatic: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        if candidate.status == "automatic":
            automatic.setdefault(candidate.curated.key, []).append(candidate)
    for group in automatic.values():
        if len(group) > 1:
            for candidate in group:
                candidate.status = "review"
                candidate.evidence += f"; {len(group)} records fit equally well"


REVIEW_COLUMNS = ["organisation", "organisation_name", "dataset", "record_id", "record_name", "record_country",
                  "record_city", "score", "name_similarity", "status", "evidence", "record_page"]
DECISION_COLUMNS = ["organisation", "dataset", "record_id", "decision", "note"]


def write_review_sheet(candidates: list[Candidate], path: str | Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(REVIEW_COLUMNS)
        for c in candidates:
            writer.writerow([c.curated.key, c.curated.name, c.record.dataset, c.record.id, c.record.name,
                             c.record.country, c.record.city, f"{c.score:.3f}", f"{c.name_similarity:.3f}",
                             c.status, c.evidence, c.record.page])


def read_decisions(path: str | Path) -> dict[tuple[str, str, str], str]:
    """The curated sheet: (organisation, dataset, record_id) -> confirm or reject. The
    organisation column holds an organisation id, or ``cluster/{id}`` for a curated cluster."""
    path = Path(path)
    problems: list[Problem] = []
    decisions: dict[tuple[str, str, str], str] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in DECISION_COLUMNS[:4] if c not in (reader.fieldnames or [])]
        if missing:
            raise ValidationFailed([Problem(path.name, "", ", ".join(missing), "missing column(s)")])
        for number, row in enumerate(reader, start=2):
            decision = (row.get("decision") or "").strip()
            if decision not in ("confirm", "reject"):
                problems.append(Problem(path.name, f"row {number}", "decision", f"expected confirm or reject, got {decision!r}"))
                continue
            key = tuple((row.get(c) or "").strip() for c in ("organisation", "dataset", "record_id"))
            if not all(key):
                problems.append(Problem(path.name, f"row {number}", "organisation", "expected organisation, dataset and record_id"))
                continue
            decisions[key] = decision
    if problems:
        raise ValidationFailed(problems)
    return decisions


def match_triples(candidates: Iterable[Candidate]) -> Triples:
    """An identity-match node for every linked pair, and owl:sameAs when both are the same kind
    of thing (a curated cluster organisation matched with a US Cluster Mapping cluster is linked
    by the match node only: one is an organisation, the other the cluster it runs)."""
    out = Triples()
    for c in candidates:
        if not c.linked:
            continue
        node = DATA[f"match/{c.curated.key.replace('/', '-')}--{c.record.dataset}-{c.record.id}"]
        out.add(node, RDF.type, CKG.IdentityMatch)
        out.add(node, CKG.organisation if c.curated.kind == "org" else CKG.cluster, c.curated.iri)
        out.add(node, CKG.matchedRecord, iri(c.record.iri))
        out.add(node, CKG.matchStatus, CKG.MatchConfirmed if c.status == "confirmed" else CKG.MatchAutomatic)
        out.add(node, CKG.matchScore, decimal(Decimal(str(c.score))))
        out.add(node, DCT.description, english(c.evidence))
        out.add(node, DCT.source, iri(c.record.page))
        if c.curated.kind == c.record.kind:
            out.add(c.curated.iri, OWL.sameAs, iri(c.record.iri))
    return out
