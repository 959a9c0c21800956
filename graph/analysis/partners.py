"""Partner search: organisations outside a cluster that have what it lacks, and why.

The second half of the first search tool of cross-cluster cooperation: once the missing
competencies are known (:func:`~clusterkg.graph.analysis.gaps.find_gaps`, or given by the user),
find who has them. Candidates are organisations not tied to this cluster: those of other
clusters, and those tied to no cluster at all (marked ``outside_clusters``; a funding record
linked to a curated organisation is that organisation, never a second candidate). A candidate
covers a gap competency when it has that competency or a narrower one (``org_competency_up``).

**Score** = ``credited coverage × (1 + bonus)``. Credited coverage is the share of the gap's
weight the organisation covers, each competency counted with its *credit*: the weight of the
claim's basis when held directly (stated or without a basis 1, inferred from project
participation 0.8, from a cluster's or programme's specialisation 0.6: :data:`BASIS_WEIGHTS`),
``NARROWER_CREDIT`` (0.3) times it when held only through a narrower competency. Gap weights are
the gap scores, which already carry each competency's specificity; a competency given with
``--competency`` weighs its specificity. ``coverage`` (in the JSON) stays the plain share. The
bonus adds the user's preference weights (:class:`PartnerPreferences`):

- ``prefer_domestic`` (default 0): for an organisation in one of the cluster's own countries
  (import substitution);
- ``prefer_partnering_clusters`` (default 0.25): for an organisation tied to a cluster that
  already partners with this one or shares members with it (existing trust lowers the cost of
  working together);
- ``prefer_track_record`` (default 0.25): times the strength (``1 − exp(−projects / 2)``) of the
  organisation's record of Horizon 2020 projects with this cluster's members; the why-line says
  "worked with 2 of your members in 3 H2020 projects (2016–2019), coordinated 1".

With the default preferences a direct holder always outranks one that holds a competency only
through a narrower one (0.3 × 1.5 < 0.6). Ties in score go to the organisation holding more of
the gap directly, then to the stronger track record, then to more competencies covered, then to
the organisation's row (its IRI order) — never to its name.

Beside the ranking: the **cover**, the smallest set of partners found by greedy weighted set
cover over all eligible candidates (each step takes the candidate adding the most uncovered gap
weight, ties to the higher score), with the share of gap weight covered and what no candidate
has; and the **resources** (equipment, labs, test beds) offered by eligible organisations whose
competencies (or narrower ones) match the gap.

Scoring touches only the gap's columns of the organisation × competency credit matrix (each
holding's credit, computed once per projection and kept with it; a CSC slice per search), never
a loop over all organisations.

JSON shape (``PartnerSearch.to_json()``, a stable public API)::

    {
      "cluster": {"iri", "id", "label", "countries": [str]},
      "gap": {"source": "gaps" | "given", "lens": str | null,   # lens asked for (gaps given: "target+peers+demand")
              "competencies": [{"iri", "id", "label", "weight": float, "specificity": float,
                                "in_cluster": bool}],
              "total_weight": float},
      "filters": {"countries": [str], "domestic": bool, "regions": [str], "org_types": [str],
                  "industries": [str], "exclude_clusters": [str]},
      "preferences": {"prefer_domestic": float, "prefer_partnering_clusters": float, "prefer_track_record": float},
      "candidates": int,                                   # eligible organisations covering >= 1
      "partners": [{
          "organisation": {"iri", "id", "label", "type", "country", "region"},
          "score": float, "coverage": float,               # coverage = share of gap weight covered
          "covers": [{"competency": {"iri", "id", "label"}, "weight": float,
                      "via": [{"iri", "id", "label"}],     # its own (possibly narrower) competencies
                      "direct": bool,                      # holds the competency itself
                      "basis": [str]}],                    # how those claims are known (evidence.BASIS)
          "clusters": [{"iri", "id", "label", "countries": [str]}],
          "ties": [{"cluster": {"iri", "id", "label"}, "partnerships": [str], "shared_members": int}],
          "domestic": bool, "in_cover": bool,
          "track_record": null | {"members": [{"iri", "id", "label"}], "projects": int, "first_year": int | null,
                                  "last_year": int | null, "coordinated": int, "strength": float},
          "outside_clusters": bool,                        # tied to no cluster
          "evidence": [str],                               # competency claims, project co-participation, cluster ties
          "why": str}],
      "cover": {"partners": [{"organisation": {...}, "adds": [{"iri", "id", "label"}],
                              "adds_weight": float}],
                "covered_share": float, "uncovered": [{"iri", "id", "label"}]},
      "resources": [{"resource": {"iri", "label", "kind"}, "organisation": {...},
                     "covers": [{"iri", "id", "label"}], "score": float, "why": str}],
      "notes": [str]
    }

>>> import io
>>> from clusterkg.graph.store import OxigraphStore
>>> from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic
>>> from clusterkg.graph.projection import build_projection
>>> buffer = io.BytesIO()
>>> _ = write_synthetic(SyntheticSpec(clusters=8, organisations=150, competencies=60, seed=3), buffer)
>>> store = OxigraphStore(); store.insert_ntriples(buffer.getvalue())
>>> projection = build_projection(store)
>>> search = search_partners(projection, 0, lens="peers", limit=5)
>>> members = set(projection.members_of(0))
>>> all(projection.resolve_organisation(p.organisation["iri"]) not in members for p in search.partners)
True
>>> all(len(p.covers) >= 1 for p in search.partners)
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from clusterkg.graph.analysis.evidence import BASIS, BASIS_WEIGHTS, TrackRecord, basis_label, evidence_of
from clusterkg.graph.analysis.gaps import LENS_WORDS, GapReport, find_gaps, resolve_cluster_arg
from clusterkg.graph.analysis.profiles import concept, names
from clusterkg.graph.reasons import N_, Reason, join, reason
from clusterkg.graph.analysis.templates import Template
from clusterkg.graph.errors import InvalidInput, NotFound
from clusterkg.graph.projection import ORGANISATION_TYPES, Projection, local_name

__all__ = ["PartnerFilters", "PartnerPreferences", "Partner", "Cover", "ResourceMatch",
           "PartnerSearch", "search_partners", "ORGANISATION_TYPE_NAMES"]

#: the organisation types a filter may name (the ``type`` column of ``organisations.csv``)
ORGANISATION_TYPE_NAMES = tuple(sorted(set(ORGANISATION_TYPES.values())))
#: how many gap competencies the search takes from the gap analysis by default
DEFAULT_GAP_LIMIT = 20
#: credit for a gap held only through a narrower competency, times the claim's basis weight: below
#: the least direct credit (0.6) even with every default bonus (x 1.5), so direct holders rank first
NARROWER_CREDIT = 0.3
DIRECT_CREDIT_FLOOR = 0.6
#: shared projects at which the track-record strength reaches 1 - 1/e
TRACK_RECORD_SCALE = 2.0


class _RowPicker:
    """The rows of ``rows`` (sorted, distinct) from column slices of a CSC matrix, as CSR.

    What ``slice.tocsr()[rows]`` gives, at the cost of the slice's entries: that conversion
    touches every row of the matrix (a million organisations at world scale) for each slice."""

    def __init__(self, height: int, rows: np.ndarray) -> None:
        self.rows = rows
        self.position = np.full(height, -1, dtype=np.int32)
        self.position[rows] = np.arange(len(rows), dtype=np.int32)

    def __call__(self, part: sp.csc_matrix) -> sp.csr_matrix:
        mapped = self.position[part.indices]
        keep = mapped >= 0
        column = np.repeat(np.arange(part.shape[1], dtype=np.int32), np.diff(part.indptr))
        picked = sp.csr_matrix((part.data[keep], (mapped[keep], column[keep])), shape=(len(self.rows), part.shape[1]))
        picked.sort_indices()
        return picked


def _credit_csc(p: Projection) -> sp.csc_matrix:
    """Organisations × competencies, on the entries of ``org_competency_up``: how directly and how
    surely each organisation holds each competency it holds.

    The basis weight of a direct claim; else ``NARROWER_CREDIT`` × the basis weights of its claims
    of narrower competencies (summed, at most 1); an explicit 0 where no claim stands behind the
    entry. Computed once per projection (one sparse product over all claims: about 2 s at world
    scale), so a search only slices the gap's columns."""
    evidence = evidence_of(p)

    def make():
        basis = evidence.claim_basis
        claimed = sp.csr_matrix((_basis_weights()[basis.data.astype(np.int64)], basis.indices.copy(), basis.indptr.copy()),
                                shape=basis.shape)
        narrower = (claimed @ p.competency_ancestors).tocsr()  # its own claim included, dropped below where it has one
        narrower.data = np.minimum(narrower.data, 1.0) * NARROWER_CREDIT
        credit = (claimed + (narrower - narrower.multiply(claimed > 0))).tocsr()
        credit.sort_indices()
        holds = p.org_competency_up.tocsr()
        holds = holds if holds.has_sorted_indices else holds.sorted_indices()  # (a copy only when unsorted)
        if np.array_equal(holds.indptr, credit.indptr) and np.array_equal(holds.indices, credit.indices):
            return evidence, credit.tocsc()  # the usual case: every entry stands on a claim
        width = np.int64(holds.shape[1])
        held_keys = _row_of_entries(holds) * width + holds.indices
        credit_keys = _row_of_entries(credit) * width + credit.indices
        at = np.minimum(np.searchsorted(held_keys, credit_keys), max(len(held_keys) - 1, 0))
        found = held_keys[at] == credit_keys if len(held_keys) else np.zeros(len(credit_keys), dtype=bool)
        data = np.zeros(holds.nnz)
        data[at[found]] = credit.data[found]
        return evidence, sp.csr_matrix((data, holds.indices, holds.indptr), shape=holds.shape).tocsc()

    held, matrix = p.cached(("partners.credit_csc", id(evidence)), make)
    return matrix if held is evidence else make()[1]


def _row_of_entries(matrix: sp.csr_matrix) -> np.ndarray:
    return np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))


def _basis_weights() -> np.ndarray:
    """Weight per basis code (index 0 unused)."""
    return np.array([0.0] + [BASIS_WEIGHTS[b] for b in BASIS])


def _ancestor_sets(p: Projection) -> list[frozenset]:
    """Per competency, itself and its broader competencies (for the why-lines' "via")."""
    def make():
        up = p.competency_ancestors
        return [frozenset(up.indices[up.indptr[c]:up.indptr[c + 1]].tolist()) for c in range(up.shape[0])]
    return p.cached("partners.ancestor_sets", make)


@dataclass(frozen=True)
class PartnerFilters:
    """Which candidates to keep. Empty means "no restriction"."""

    countries: tuple[str, ...] = ()       # ISO codes of the organisation's country
    domestic: bool = False                # only the cluster's own countries
    regions: tuple[str, ...] = ()         # region ids or IRIs of the organisation
    org_types: tuple[str, ...] = ()       # see ORGANISATION_TYPE_NAMES
    industries: tuple[str, ...] = ()      # an industry of one of the organisation's clusters
    exclude_clusters: tuple[str, ...] = ()  # drop organisations tied to these clusters

    def to_json(self) -> dict:
        return {key: (list(value) if isinstance(value, tuple) else value) for key, value in asdict(self).items()}


@dataclass(frozen=True)
class PartnerPreferences:
    """Bonuses added to 1 and multiplied into the coverage (see the module docstring)."""

    prefer_domestic: float = 0.0
    prefer_partnering_clusters: float = 0.25
    prefer_track_record: float = 0.25

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Partner:
    organisation: dict
    score: float
    coverage: float
    covers: tuple[dict, ...]
    clusters: tuple[dict, ...]
    ties: tuple[dict, ...]
    domestic: bool
    in_cover: bool
    why: str
    track_record: dict | None = None  # projects with this cluster's members (see TrackRecord.to_json)
    outside_clusters: bool = False    # tied to no cluster at all
    evidence: tuple[str, ...] = ()    # the kinds of evidence the answer stands on

    def to_json(self) -> dict:
        return {"organisation": self.organisation, "score": round(self.score, 6), "coverage": round(self.coverage, 6),
                "covers": list(self.covers), "clusters": list(self.clusters), "ties": list(self.ties),
                "domestic": self.domestic, "in_cover": self.in_cover, "track_record": self.track_record,
                "outside_clusters": self.outside_clusters, "evidence": list(self.evidence), "why": self.why}


@dataclass(frozen=True)
class Cover:
    partners: tuple[dict, ...]
    covered_share: float
    uncovered: tuple[dict, ...]

    def to_json(self) -> dict:
        return {"partners": list(self.partners), "covered_share": round(self.covered_share, 6),
                "uncovered": list(self.uncovered)}


@dataclass(frozen=True)
class ResourceMatch:
    resource: dict
    organisation: dict
    covers: tuple[dict, ...]
    score: float
    why: str

    def to_json(self) -> dict:
        return {"resource": self.resource, "organisation": self.organisation, "covers": list(self.covers),
                "score": round(self.score, 6), "why": self.why}


@dataclass(frozen=True)
class PartnerSearch:
    """Ranked partners, the smallest covering set and matching shareable resources."""

    cluster: dict
    gap: dict
    partners: tuple[Partner, ...]
    cover: Cover
    resources: tuple[ResourceMatch, ...]
    filters: PartnerFilters = PartnerFilters()
    preferences: PartnerPreferences = PartnerPreferences()
    candidates: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        return {
            "cluster": dict(self.cluster), "gap": self.gap, "filters": self.filters.to_json(),
            "preferences": self.preferences.to_json(), "candidates": self.candidates,
            "partners": [p.to_json() for p in self.partners], "cover": self.cover.to_json(),
            "resources": [r.to_json() for r in self.resources], "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per ranked partner."""
        columns = ["rank", "organisation_id", "organisation_label", "type", "country", "score", "coverage",
                   "covers", "clusters", "in_cover", "evidence", "why"]
        rows = [{
            "rank": rank, "organisation_id": p.organisation["id"], "organisation_label": p.organisation["label"],
            "type": p.organisation["type"], "country": p.organisation["country"], "score": p.score,
            "coverage": p.coverage, "covers": "; ".join(c["competency"]["label"] for c in p.covers),
            "clusters": "; ".join(c["label"] for c in p.clusters) or "(outside any cluster)", "in_cover": p.in_cover,
            "evidence": "; ".join(p.evidence), "why": p.why,
        } for rank, p in enumerate(self.partners, start=1)]
        return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------------------------


def search_partners(projection: Projection, cluster: int | str, competencies: Sequence[str] | None = None,
                    filters: PartnerFilters | None = None, preferences: PartnerPreferences | None = None,
                    limit: int = 20, *, lens: str = "all", template: Template | str | Path | None = None,
                    gap_limit: int = DEFAULT_GAP_LIMIT, gaps: GapReport | None = None) -> PartnerSearch:
    """Organisations in other clusters that have what ``cluster`` lacks, ranked, with the reasons.

    Parameters
    ----------
    projection : Projection
    cluster : int or str
        Row number, id, IRI or an unambiguous part of the cluster's name.
    competencies : sequence of str, optional
        The competencies to search for (ids, labels or parts of labels). ``None`` searches for
        the cluster's gaps (``find_gaps`` with ``lens`` and ``template``, top ``gap_limit``);
        an empty sequence is an error.
    filters : PartnerFilters, optional
    preferences : PartnerPreferences, optional
    limit : int
        How many partners (and resources) to return.
    lens, template, gap_limit :
        How to find the gaps when no competencies are given (see ``find_gaps``).
    gaps : GapReport, optional
        Gaps already found for this cluster (``find_gaps``): searched for as they are, so a
        caller showing both does not compute them twice. Ignored when ``competencies`` is given.

    Returns
    -------
    PartnerSearch

    Raises
    ------
    ClusterNotFound, AmbiguousName, NotFound, InvalidInput
    """
    filters = filters or PartnerFilters()
    preferences = preferences or PartnerPreferences()
    if not isinstance(limit, (int, np.integer)) or isinstance(limit, bool) or limit < 1:
        raise InvalidInput(f"limit must be a whole number >= 1, not {limit!r}")
    for name, value in asdict(preferences).items():
        if not np.isfinite(value) or value < 0:
            raise InvalidInput(f"preference {name} must be a number >= 0, not {value!r}")
    row = resolve_cluster_arg(projection, cluster)
    p = projection
    notes: list[Reason] = []
    eligible = _Eligibility(p, row, filters)  # checks the filters before any work
    specificity = p.competency_specificity

    # what to search for
    if competencies is not None:
        wanted = [c for c in (str(x).strip() for x in competencies) if c]
        if not wanted:
            raise InvalidInput("the competency list is empty: name at least one competency, or omit it to search for the cluster's gaps")
        columns = list(dict.fromkeys(p.resolve_competency(name) for name in wanted))
        weights = np.array([specificity[c] for c in columns], dtype=np.float64)
        gap_source = {"source": "given", "lens": None}
    else:
        if gaps is not None and gaps.cluster["iri"] != p.clusters["iri"].iat[row]:
            raise InvalidInput(f"the gaps given are those of {gaps.cluster['label']}, not of {p.clusters['label'].iat[row]}")
        report = gaps if gaps is not None else find_gaps(p, row, lens=lens, template=template, limit=gap_limit)
        lens = "+".join(report.lenses) if gaps is not None else lens
        columns = [g.competency_index for g in report.combined]
        weights = np.array([g.score for g in report.combined], dtype=np.float64)
        gap_source = {"source": "gaps", "lens": lens}
        notes.extend(reason(N_("%(lens)s: %(why)s"), lens=reason(LENS_WORDS[name]), why=note) for name, note in report.notes.items())
    columns = np.array(columns, dtype=np.int64)
    profile = p.cluster_competency.getrow(row)
    in_cluster = set(profile.indices[profile.data > 0].tolist())
    gap = {**gap_source, "competencies": [
        {**concept(p, "competency", c), "weight": round(float(w), 6), "specificity": round(float(specificity[c]), 6),
         "in_cluster": int(c) in in_cluster} for c, w in zip(columns, weights)],
        "total_weight": round(float(weights.sum()), 6)}
    info = p.clusters.iloc[row]
    cluster_json = {"iri": info["iri"], "id": info["id"], "label": info["label"], "countries": list(info["countries"])}
    if len(columns) == 0:
        notes.append(reason(N_("no missing competencies found, so there is nothing to search partners for")))
        return PartnerSearch(cluster_json, gap, (), Cover((), 0.0, ()), (), filters, preferences, 0, tuple(notes))

    total = float(weights.sum())

    # organisations x gap columns: a CSC slice, then the rows that have anything
    wanted = _credit_csc(p)[:, columns]
    holders = np.flatnonzero(_mask(wanted.shape[0], wanted.indices))
    candidates = holders[eligible(holders)]
    credit = _RowPicker(wanted.shape[0], candidates)(wanted)  # how directly and how surely each holds each gap
    block = sp.csr_matrix((np.ones(credit.nnz), credit.indices, credit.indptr), shape=credit.shape)  # holds it at all
    covered = np.asarray(block @ weights).ravel()
    direct = np.asarray(sp.csr_matrix(((credit.data >= DIRECT_CREDIT_FLOOR).astype(np.float64), credit.indices, credit.indptr),
                                      shape=credit.shape) @ weights).ravel()
    domestic = eligible.domestic(candidates)
    tied = eligible.near_partner(candidates)
    track = eligible.track_strength(candidates)
    bonus = (1.0 + preferences.prefer_domestic * domestic + preferences.prefer_partnering_clusters * tied
             + preferences.prefer_track_record * track)
    coverage = covered / total
    score = np.asarray(credit @ weights).ravel() / total * bonus
    counts = np.diff(block.indptr)
    order = _best(score, lambda i: (-direct[i], -track[i], -counts[i], int(candidates[i])), limit)

    cover_rows, cover_json, covered_share, uncovered = _greedy_cover(p, block, weights, score, candidates, columns, total)
    in_cover = set(cover_rows)
    partners = []
    for position in order:
        o = int(candidates[position])
        hits = block.indices[block.indptr[position]:block.indptr[position + 1]]
        partners.append(_partner(p, row, o, columns[hits], weights[hits], float(score[position]),
                                 float(coverage[position]), bool(domestic[position]), position in in_cover,
                                 eligible.track_record(o)))
    if not len(candidates):
        notes.append(reason(N_("no organisation outside the cluster that passes the filters has any of these competencies")))
    resources = _resources(p, columns, weights, total, eligible, limit)
    return PartnerSearch(
        cluster=cluster_json, gap=gap, partners=tuple(partners),
        cover=Cover(tuple(cover_json), covered_share, tuple(uncovered)), resources=tuple(resources),
        filters=filters, preferences=preferences, candidates=int(len(candidates)), notes=tuple(notes),
    )


# ---------------------------------------------------------------------------------------------


class _Eligibility:
    """Which organisations may be proposed: tied to another cluster, not to this one, filters passed."""

    def __init__(self, p: Projection, row: int, filters: PartnerFilters):
        self.p, self.row = p, row
        self.org_cluster = p.org_cluster
        self.members = np.sort(p.members_of(row))
        own = tuple(p.clusters["countries"].iat[row])
        self.own_countries = set(own)
        countries = {c.strip().upper() for c in filters.countries if c.strip()}
        if filters.domestic:
            if not own:
                raise InvalidInput(f"--domestic: cluster {p.clusters['label'].iat[row]!r} has no country recorded")
            countries = countries & set(own) if countries else set(own)
            if not countries:
                raise InvalidInput(f"--domestic and --country {', '.join(filters.countries)} leave no country "
                                   f"(the cluster's countries are {', '.join(own)})")
        self.countries = countries
        if filters.countries and not filters.domestic:
            known_countries = set(p.organisations["country"].unique())
            unknown = sorted(c for c in countries if c not in known_countries)
            if unknown:
                raise NotFound("country", ", ".join(unknown), sorted(c for c in known_countries if c))
        self.regions = set()
        if filters.regions:
            known = {r for r in p.organisations["region"].unique() if r}
            for region in filters.regions:
                text = region.strip()
                match = [r for r in known if r == text or local_name(r) == text or local_name(r) == text.lower()]
                if not match:
                    raise NotFound("region", region, sorted({local_name(r) for r in known if text.lower() in local_name(r)}) or sorted(local_name(r) for r in known)[:10])
                self.regions.update(match)
        bad = [t for t in filters.org_types if t not in ORGANISATION_TYPE_NAMES]
        if bad:
            raise InvalidInput(f"unknown organisation type(s) {', '.join(map(repr, bad))}; choose from: {', '.join(ORGANISATION_TYPE_NAMES)}")
        self.org_types = set(filters.org_types)
        self.industry_clusters = None
        if filters.industries:
            wanted = {p.industries["iri"].iat[p.resolve_industry(i)] for i in filters.industries}
            self.industry_clusters = np.array([i for i, values in enumerate(p.clusters["industries"]) if wanted & set(values)], dtype=np.int64)
        excluded = [resolve_cluster_arg(p, c) for c in filters.exclude_clusters]
        self.excluded_orgs = np.unique(np.concatenate([p.members_of(c) for c in excluded])) if excluded else np.array([], dtype=np.int64)
        self.evidence = evidence_of(p)
        member_projects = np.zeros(self.evidence.org_project.shape[1])
        if len(self.members) and len(member_projects):
            member_projects[np.unique(self.evidence.org_project[self.members].indices)] = 1.0
        self.member_projects = member_projects
        graph = p.cluster_graph()
        near = [other for other, data in graph[row].items() if data.get("partnerships") or data.get("shared_members")]
        ties = p.cluster_org[np.array(near, dtype=np.int64)]
        self.near_orgs = _mask(len(p.organisations), ties.indices[ties.data > 0])  # tied to a cluster near this one
        self.member_mask = _mask(len(p.organisations), self.members)

    def __call__(self, orgs: np.ndarray) -> np.ndarray:
        p = self.p
        orgs = np.asarray(orgs, dtype=np.int64)
        keep = ~self.member_mask[orgs]                     # not tied to this cluster (outside any cluster is fine)
        keep &= self.evidence.same_as[orgs] < 0            # a funding record of a curated organisation is that organisation
        if len(self.excluded_orgs):
            keep &= ~np.isin(orgs, self.excluded_orgs)
        if self.countries:
            keep &= _in(p, "country", orgs, self.countries)
        if self.regions:
            keep &= _in(p, "region", orgs, self.regions)
        if self.org_types:
            keep &= _in(p, "type", orgs, self.org_types)
        if self.industry_clusters is not None:
            indicator = np.zeros(len(p.clusters))
            indicator[self.industry_clusters] = 1.0
            keep &= np.asarray(self.org_cluster[orgs] @ indicator).ravel() > 0
        return keep

    def domestic(self, orgs: np.ndarray) -> np.ndarray:
        if not len(orgs):
            return np.zeros(0, dtype=bool)
        return _in(self.p, "country", orgs, self.own_countries)

    def track_strength(self, orgs: np.ndarray) -> np.ndarray:
        """Per organisation in [0, 1): H2020 projects shared with this cluster's members (none: 0)."""
        if not len(orgs) or not self.member_projects.any():
            return np.zeros(len(orgs))
        shared = np.asarray(self.evidence.org_project[np.asarray(orgs, dtype=np.int64)] @ self.member_projects).ravel()
        return 1.0 - np.exp(-shared / TRACK_RECORD_SCALE)

    def track_record(self, o: int) -> TrackRecord | None:
        return self.evidence.track_record(o, self.members) if self.member_projects.any() else None

    def near_partner(self, orgs: np.ndarray) -> np.ndarray:
        if not len(orgs):
            return np.zeros(0, dtype=bool)
        return self.near_orgs[orgs]


def _mask(size: int, rows: np.ndarray) -> np.ndarray:
    """``size`` booleans, true at ``rows`` (a lookup by row number costs one read, not a search)."""
    mask = np.zeros(size, dtype=bool)
    mask[rows] = True
    return mask


def _codes(p: Projection, column: str) -> tuple[np.ndarray, dict[str, int]]:
    """An organisation column as integer codes (filters compare integers, not strings)."""
    def make():
        codes, uniques = pd.factorize(p.organisations[column])
        return codes, {value: i for i, value in enumerate(uniques)}
    return p.cached(("partners.codes", column), make)


def _in(p: Projection, column: str, orgs: np.ndarray, values: set[str]) -> np.ndarray:
    codes, index = _codes(p, column)
    wanted = np.array([index[v] for v in values if v in index], dtype=np.int64)
    return np.isin(codes[orgs], wanted)


def _organisation(p: Projection, o: int) -> dict:
    details = p.cached("partners.org_details", lambda: tuple(
        p.organisations[column].to_numpy(dtype=object) for column in ("type", "country", "region")))
    kind, country, region = (column[o] for column in details)
    return {**concept(p, "organisation", o), "type": kind, "country": country,
            "region": local_name(region) if region else ""}


def _clusters_of(p: Projection, o: int) -> np.ndarray:
    """Like ``Projection.clusters_of`` without building a one-row matrix."""
    matrix = p.org_cluster
    return matrix.indices[matrix.indptr[o]:matrix.indptr[o + 1]]


def _cluster_countries(p: Projection) -> np.ndarray:
    return p.cached("partners.cluster_countries", lambda: p.clusters["countries"].to_numpy(dtype=object))


def _via(p: Projection, o: int, targets) -> list[list[int]]:
    """Per target, the organisation's own competencies (rows) that are that target or narrower."""
    matrix = p.org_competency
    own = matrix.indices[matrix.indptr[o]:matrix.indptr[o + 1]].tolist()
    ancestors = _ancestor_sets(p)
    reaches = [ancestors[c] for c in own]
    return [[c for c, up in zip(own, reaches) if target in up] for target in targets]


def _bases(p: Projection, o: int) -> dict[int, str]:
    """The organisation's direct claims: competency row -> basis (one row of the CSR, no lookups)."""
    matrix = evidence_of(p).claim_basis
    start, end = matrix.indptr[o], matrix.indptr[o + 1]
    return {int(c): BASIS[int(code) - 1] for c, code in zip(matrix.indices[start:end], matrix.data[start:end]) if code}


def _partner(p: Projection, row: int, o: int, hit_columns, hit_weights, score: float, coverage: float,
             domestic: bool, in_cover: bool, track: TrackRecord | None) -> Partner:
    held = _bases(p, o)
    covers = []
    hits = sorted(zip(hit_columns.tolist(), hit_weights.tolist()), key=lambda x: -x[1])
    for (c, w), via in zip(hits, _via(p, o, [c for c, _ in hits])):
        bases = sorted({held.get(v) or "unspecified" for v in via}, key=BASIS.index)
        covers.append({"competency": concept(p, "competency", int(c)), "weight": round(float(w), 6),
                       "via": [concept(p, "competency", v) for v in via], "direct": int(c) in via, "basis": bases})
    graph = p.cluster_graph()
    clusters, ties = [], []
    for c in _clusters_of(p, o):
        c = int(c)
        clusters.append({**concept(p, "cluster", c), "countries": list(_cluster_countries(p)[c])})
        if graph.has_edge(row, c):
            data = graph[row][c]
            if data.get("partnerships") or data.get("shared_members"):
                ties.append({"cluster": concept(p, "cluster", c), "partnerships": list(data.get("partnerships", [])),
                             "shared_members": int(data.get("shared_members", 0))})
    organisation = _organisation(p, o)
    parts = []
    for cover in covers:
        via = [v["label"] for v in cover["via"] if v["iri"] != cover["competency"]["iri"]]
        known = join((basis_label(b) for b in cover["basis"] if b != "unspecified"), "/")
        detail = join([reason(N_("via %(competencies)s"), competencies=via) if via else "", known], ", ")
        parts.append(reason(N_("%(competency)s (%(detail)s)"), competency=cover["competency"]["label"], detail=detail)
                     if detail else cover["competency"]["label"])
    where = [c["label"] for c in clusters] or reason(N_("outside any cluster"))
    if organisation["country"] and domestic:
        where = reason(N_("%(clusters)s (%(country)s, domestic)"), clusters=where, country=organisation["country"])
    elif organisation["country"]:
        where = reason(N_("%(clusters)s (%(country)s)"), clusters=where, country=organisation["country"])
    lines = [reason(N_("covers %(competencies)s"), competencies=parts), where]
    if track is not None:
        lines.append(track.why())
    for tie in ties:
        if tie["partnerships"]:
            lines.append(reason(N_("%(cluster)s already partners via %(partnerships)s"), cluster=tie["cluster"]["label"],
                                partnerships=tie["partnerships"]))
        if tie["shared_members"]:
            lines.append(reason(N_("%(cluster)s shares %(count)s member(s) with this cluster"),
                                cluster=tie["cluster"]["label"], count=tie["shared_members"]))
    why = join(lines)
    kinds = ["competency claims"] + (["project co-participation"] if track is not None else []) \
        + (["cluster ties"] if ties else [])
    return Partner(organisation, score, coverage, tuple(covers), tuple(clusters), tuple(ties), domestic, in_cover, why,
                   track.to_json(p) if track is not None else None, not clusters, tuple(kinds))


def _greedy_cover(p: Projection, block: sp.csr_matrix, weights: np.ndarray, score: np.ndarray,
                  candidates: np.ndarray, columns: np.ndarray, total: float):
    """Greedy weighted set cover: few partners that together cover as much gap weight as possible."""
    remaining = weights.copy()
    chosen, described = [], []
    available = np.asarray(block.sum(axis=0)).ravel() > 0
    while len(candidates) and (remaining[available] > 0).any():
        gains = np.asarray(block @ remaining).ravel()
        best_gain = gains.max()
        if best_gain <= 0:
            break
        best = int(np.flatnonzero(gains >= best_gain - 1e-12)[np.argmax(score[gains >= best_gain - 1e-12])])
        hits = block.indices[block.indptr[best]:block.indptr[best + 1]]
        adds = [h for h in hits if remaining[h] > 0]
        chosen.append(best)
        described.append({"organisation": _organisation(p, int(candidates[best])),
                          "adds": [concept(p, "competency", int(columns[h])) for h in adds],
                          "adds_weight": round(float(remaining[adds].sum()), 6)})
        remaining[adds] = 0.0
    covered_share = float((weights.sum() - remaining.sum()) / total) if total else 0.0
    uncovered = [concept(p, "competency", int(columns[i])) for i in np.flatnonzero(remaining > 0)]
    return chosen, described, covered_share, uncovered


def _resource_competency_up(p: Projection) -> sp.csr_matrix:
    """Resources × competencies, each resource also counting the broader competencies."""
    def make():
        broader = p.competencies["broader"].to_numpy()
        rows, cols = [], []
        for r, competencies in enumerate(p.resources["competencies"]):
            for c in competencies:
                j, steps = int(c), 0
                while j >= 0 and steps < 64:
                    rows.append(r)
                    cols.append(j)
                    j, steps = int(broader[j]), steps + 1
        matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(p.resources), len(p.competencies)))
        matrix.data[:] = 1.0
        return matrix.tocsc()
    return p.cached("partners.resource_competency", make)


def _best(scores: np.ndarray, tie_break, limit: int) -> list[int]:
    """Positions of the ``limit`` highest scores, ties by ``tie_break(position)``.

    Only the positions that can make the cut (score at least the limit-th best) are sorted.
    """
    positions = np.arange(len(scores))
    if len(scores) > limit:
        threshold = np.partition(scores, len(scores) - limit)[len(scores) - limit]
        positions = positions[scores >= threshold]
    return sorted(positions.tolist(), key=lambda i: (-scores[i], tie_break(i)))[:limit]


#: a resource's kind (``ckg:resourceKind``'s local name) as words in a why-line
RESOURCE_KIND_WORDS = {"Equipment": N_("equipment"), "Laboratory": N_("laboratory"), "TestBed": N_("test bed"),
                       "PilotLine": N_("pilot line"), "Facility": N_("facility"), "Service": N_("service"), "": N_("resource")}


def _kind_words(kind: str) -> Reason | str:
    """``TestBed`` -> ``test bed`` for the why line (a kind not known here: its name split into words)."""
    if kind in RESOURCE_KIND_WORDS:
        return reason(RESOURCE_KIND_WORDS[kind])
    return re.sub(r"(?<!^)(?=[A-Z])", " ", kind).lower()


def _resources(p: Projection, columns: np.ndarray, weights: np.ndarray, total: float, eligible: _Eligibility,
               limit: int) -> list[ResourceMatch]:
    if len(p.resources) == 0:
        return []
    block = _resource_competency_up(p)[:, columns].tocsr()
    block.data[:] = 1.0
    matching = np.flatnonzero(np.diff(block.indptr))
    if not len(matching):
        return []
    owners = p.cached("partners.resource_owners", lambda: p.resources["organisation"].to_numpy().astype(np.int64))[matching]
    valid = owners >= 0
    ok = np.zeros(len(matching), dtype=bool)
    ok[valid] = eligible(owners[valid])
    matching, owners = matching[ok], owners[ok]
    scores = np.asarray(block[matching] @ weights).ravel() / total
    iris, labels, kinds = p.cached("partners.resource_columns", lambda: tuple(
        p.resources[column].to_numpy(dtype=object) for column in ("iri", "label", "kind")))
    found = []
    for position in _best(scores, lambda i: str(labels[matching[i]]), limit):
        r, o = int(matching[position]), int(owners[position])
        hits = block.indices[block.indptr[r]:block.indptr[r + 1]]
        resource = {"iri": iris[r], "label": labels[r], "kind": kinds[r]}
        covers = [concept(p, "competency", int(columns[h])) for h in hits]
        organisation = _organisation(p, o)
        clusters = [names(p, "cluster").label[int(c)] for c in _clusters_of(p, o)]
        found.append(ResourceMatch(
            resource, organisation, tuple(covers), float(scores[position]),
            reason(N_("%(kind)s of %(organisation)s (%(clusters)s) for %(competencies)s"), kind=_kind_words(resource["kind"]),
                   organisation=organisation["label"], clusters=clusters, competencies=[c["label"] for c in covers])))
    return found
