"""Competency profiles of clusters, and the small formatting helpers every analysis shares.

The gap, recommendation, application and dissemination analyses all look at a cluster through
the same few derived matrices. They live here, computed once per projection and kept in its
memo (:meth:`~clusterkg.graph.projection.Projection.cached`), so two analyses never compute the
same thing twice and never reach into each other's private helpers.

Profiles (clusters are rows, competencies or industries columns):

- :func:`holdings` — 1 where an organisation tied to the cluster has the competency (broader
  ones included); :func:`holdings_by_competency` is the same by column.
- :func:`tfidf_profiles` — how many tied organisations have each competency, times its
  specificity, rows of unit length: the profile the peer comparison of the gap analysis uses.
- :func:`cluster_industry_matrix`, :func:`industry_weights` (idf over clusters: sharing
  Manufacturing says less than sharing Medical devices) and :func:`industry_profiles`
  (weighted, rows of unit length).
- :func:`competency_profiles` — everything the cooperation analyses (recommend, applications,
  dissemination) derive on top: relevance of each competency to each cluster, needs, gaps.

Formatting helpers: :func:`names` and :func:`concept` (IRI, id and label without pandas cell
access in result loops), :func:`row_indices` and :func:`dense_row` (one row of a CSR matrix
without building a one-row matrix), :func:`top_competencies`, :func:`join_labels` and
:func:`counted` for the human "why" lines.

>>> from clusterkg.graph.projection import build_projection
>>> from clusterkg.graph.sheets import build_rows
>>> from clusterkg.graph.store import OxigraphStore
>>> src = "https://example.org/doc"
>>> rows = {
...     "countries": [{"code": "DE", "name": "Germany"}],
...     "competencies": [{"id": "chips", "label": "Chips"}, {"id": "optics", "label": "Optics"}],
...     "clusters": [{"id": c, "name": c.upper(), "countries": "DE", "source_url": src} for c in ("a", "b")],
...     "organisations": [{"id": "oa", "name": "OA", "type": "sme", "source_url": src}],
...     "affiliations": [{"cluster": "a", "organisation": "oa", "relation": "member", "source_url": src}],
...     "organisation_competencies": [{"organisation": "oa", "competency": "chips", "source_url": src}],
... }
>>> store = OxigraphStore()
>>> for sheet, sheet_rows in rows.items():
...     store.insert_graph(build_rows(sheet, sheet_rows, sheet + ".csv")[0])
>>> projection = build_projection(store)
>>> a = projection.resolve_cluster("a")
>>> [concept(projection, "competency", k)["label"] for k in row_indices(holdings(projection), a)]
['Chips']
>>> join_labels([{"label": "Chips"}, {"label": "Optics"}, {"label": "Sensors"}]), counted(1, "cluster")
('Chips, Optics and Sensors', '1 cluster')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from clusterkg.graph.projection import Projection

__all__ = [
    "BROAD_INDUSTRY_SCHEMES",
    "CompetencyProfiles",
    "Names",
    "cluster_industry_matrix",
    "competency_profiles",
    "concept",
    "counted",
    "dense_row",
    "holdings",
    "holdings_by_competency",
    "industry_profiles",
    "industry_weights",
    "join_labels",
    "names",
    "row_indices",
    "tfidf_profiles",
    "top_competencies",
    "unit_rows",
]

#: industry schemes so broad that sharing one of them alone hardly ties two clusters together
BROAD_INDUSTRY_SCHEMES = frozenset({"nace-sections"})
_PAIR_CHUNK = 50_000


# ---------------------------------------------------------------------------------------------
# Profiles shared by several analyses


def holdings(p: Projection) -> sp.csr_matrix:
    """Clusters × competencies, 1 where a tied organisation has it (broader ones included)."""
    return p.cached("profiles.holdings", lambda: (p.cluster_competency > 0).astype(np.float64).tocsr())


def holdings_by_competency(p: Projection) -> sp.csc_matrix:
    """:func:`holdings` by column, to slice the few competencies a question is about."""
    return p.cached("profiles.holdings_by_competency", lambda: holdings(p).tocsc())


def tfidf_profiles(p: Projection) -> sp.csr_matrix:
    """Clusters' competency profiles, tf-idf weighted (idf = competency specificity), unit rows.

    Counts (how many tied organisations, by tie strength) rather than 0/1, so a competency
    many members share weighs more in the cosine of two profiles.
    """
    return p.cached("profiles.tfidf", lambda: unit_rows(p.cluster_competency.multiply(p.competency_specificity[None, :])))


def cluster_industry_matrix(p: Projection) -> sp.csr_matrix:
    """Clusters × industries, 1 where the cluster is tagged with the industry."""
    def make() -> sp.csr_matrix:
        industry_index = p.index("industry")
        rows, cols = [], []
        for c, industries in enumerate(p.clusters["industries"]):
            for iri in industries:
                if iri in industry_index:
                    rows.append(c)
                    cols.append(industry_index[iri])
        matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(p.clusters), len(p.industries)))
        matrix.data[:] = 1.0
        return matrix
    return p.cached("profiles.cluster_industry", make)


def industry_weights(p: Projection) -> np.ndarray:
    """Per industry ``ln((1 + clusters) / (1 + clusters in it)) + 1``: rare industries say more."""
    def make() -> np.ndarray:
        per_industry = np.asarray(cluster_industry_matrix(p).sum(axis=0)).ravel()
        weights = np.log((1 + len(p.clusters)) / (1 + per_industry)) + 1.0
        weights.flags.writeable = False  # shared by every analysis
        return weights
    return p.cached("profiles.industry_weights", make)


def industry_profiles(p: Projection) -> sp.csr_matrix:
    """Clusters' industries weighted by :func:`industry_weights`, unit rows (for cosines)."""
    return p.cached("profiles.industry_profiles",
                    lambda: unit_rows(cluster_industry_matrix(p).multiply(industry_weights(p)[None, :])))


def unit_rows(matrix: sp.spmatrix) -> sp.csr_matrix:
    """``matrix`` with every non-zero row scaled to unit length, so products of rows are cosines."""
    matrix = sp.csr_matrix(matrix)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_matrix(sp.diags(scale) @ matrix)


# ---------------------------------------------------------------------------------------------
# The cooperation profiles (recommend, applications, dissemination)


@dataclass(frozen=True)
class CompetencyProfiles:
    """What the cooperation analyses derive from a projection, computed once per projection.

    The formulas (``relevance``, ``gap``) are those of :mod:`~clusterkg.graph.analysis.recommend`.
    """

    holds: sp.csr_matrix  # clusters x competencies, 1 = held (with broader ones)
    holds_csc: sp.csc_matrix
    counts_csc: sp.csc_matrix  # projection.cluster_competency, by column
    direct: sp.csr_matrix  # clusters x competencies, 1 = claimed directly by a tied organisation
    specificity: np.ndarray  # per competency
    cluster_industry: sp.csr_matrix  # clusters x industries, 1 = tagged
    industry_weight: np.ndarray  # per industry (idf over clusters)
    industry_share: np.ndarray  # dense clusters x industries: w / sum of the cluster's w
    no_industry: np.ndarray  # per cluster: True when it has no industry
    applied: sp.csr_matrix  # industries x competencies, 1 = ckg:appliedIn
    hold_share: np.ndarray  # dense industries x competencies: share of the industry's clusters holding k
    need_share: np.ndarray  # dense industries x competencies: share of the industry's clusters needing k
    industry_relevance: np.ndarray  # dense industries x competencies: max(applied, hold_share)
    needs: sp.csr_matrix  # clusters x competencies, 1 = the cluster or a tied organisation needs k
    needs_csc: sp.csc_matrix
    gap_mass: np.ndarray  # per cluster: sum_k gap[cluster, k]
    profile_unit: sp.csr_matrix  # s-weighted holdings, rows of unit length (for cosines)
    industry_unit: sp.csr_matrix  # w-weighted industries, rows of unit length

    def relevance(self, competencies: np.ndarray) -> np.ndarray:
        """Dense clusters x ``competencies``: the relevance of each to each cluster."""
        rel = self.industry_share @ self.industry_relevance[:, competencies]
        rel[self.no_industry] = 1.0
        return np.maximum(rel, self.needs_csc[:, competencies].toarray())

    def relevance_of(self, cluster: int) -> np.ndarray:
        """The relevance of every competency to one cluster."""
        if self.no_industry[cluster]:
            return np.ones(self.holds.shape[1])
        rel = self.industry_share[cluster] @ self.industry_relevance
        return np.maximum(rel, dense_row(self.needs, cluster))

    def gap_of(self, cluster: int) -> np.ndarray:
        """``relevance · (1 − holds) · specificity`` of every competency for one cluster."""
        held = dense_row(self.holds, cluster) > 0
        return self.relevance_of(cluster) * ~held * self.specificity


def competency_profiles(p: Projection) -> CompetencyProfiles:
    """The cooperation profiles of ``p``, built on first use and kept in its memo."""
    return p.cached("profiles.competency_profiles", lambda: _build_profiles(p))


def _build_profiles(p: Projection) -> CompetencyProfiles:
    n_clusters, n_competencies = p.cluster_competency.shape
    n_industries = len(p.industries)
    holds = holdings(p)
    ties = (p.cluster_org > 0).astype(np.float64)
    direct = ((ties @ p.org_competency) > 0).astype(np.float64).tocsr()
    needs = ((p.cluster_needs + ties @ p.org_needs) > 0).astype(np.float64).tocsr()

    cluster_industry = cluster_industry_matrix(p)
    per_industry = np.asarray(cluster_industry.sum(axis=0)).ravel()
    industry_weight = industry_weights(p)
    weighted = cluster_industry.multiply(industry_weight[None, :]).toarray()
    totals = weighted.sum(axis=1)
    no_industry = totals == 0
    industry_share = weighted / np.where(no_industry, 1.0, totals)[:, None]

    industry_index = p.index("industry")
    rows, cols = [], []
    for k, industries in enumerate(p.competencies["industries"]):
        for iri in industries:
            if iri in industry_index:
                rows.append(industry_index[iri])
                cols.append(k)
    applied = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_industries, n_competencies))
    applied.data[:] = 1.0
    members = np.where(per_industry > 0, per_industry, 1.0)[:, None]
    hold_share = (cluster_industry.T @ holds).toarray() / members
    need_share = (cluster_industry.T @ needs).toarray() / members
    industry_relevance = np.maximum(applied.toarray(), hold_share)
    specificity = p.competency_specificity

    profiles = CompetencyProfiles(
        holds=holds, holds_csc=holdings_by_competency(p), counts_csc=p.cluster_competency.tocsc(), direct=direct,
        specificity=specificity, cluster_industry=cluster_industry, industry_weight=industry_weight,
        industry_share=industry_share, no_industry=no_industry, applied=applied,
        hold_share=hold_share, need_share=need_share, industry_relevance=industry_relevance,
        needs=needs, needs_csc=needs.tocsc(), gap_mass=np.zeros(n_clusters),
        profile_unit=unit_rows(holds.multiply(specificity[None, :])),
        industry_unit=industry_profiles(p),
    )
    object.__setattr__(profiles, "gap_mass", _gap_mass(profiles))
    return profiles


def _gap_mass(q: CompetencyProfiles) -> np.ndarray:
    """``sum_k relevance * (1 - holds) * s`` for every cluster without a dense clusters x competencies matrix.

    Start from the industry relevance summed over all competencies, then correct it on the
    (sparse) cells where the cluster holds or needs the competency.
    """
    mass = q.industry_share @ (q.industry_relevance @ q.specificity)
    mass[q.no_industry] = q.specificity.sum()
    cells = (q.holds + q.needs).tocoo()
    for start in range(0, cells.nnz, _PAIR_CHUNK):
        r = cells.row[start:start + _PAIR_CHUNK]
        c = cells.col[start:start + _PAIR_CHUNK]
        base = np.einsum("ij,ji->i", q.industry_share[r], q.industry_relevance[:, c])
        base[q.no_industry[r]] = 1.0
        need = np.asarray(q.needs[r, c]).ravel()
        held = np.asarray(q.holds[r, c]).ravel() > 0
        correct = np.maximum(base, need) * ~held
        np.add.at(mass, r, (correct - base) * q.specificity[c])
    return np.maximum(mass, 0.0)


# ---------------------------------------------------------------------------------------------
# Small helpers for results and "why" lines


@dataclass(frozen=True)
class Names:
    """IRIs, ids and labels of one kind of thing, as arrays indexed by projection row."""

    iri: np.ndarray
    id: np.ndarray
    label: np.ndarray


def names(p: Projection, kind: str) -> Names:
    """The names of every ``cluster``, ``organisation``, ``competency`` or ``industry``.

    Plain arrays: a pandas cell lookup costs ~20–50 µs, too much inside result loops.
    """
    def make() -> Names:
        frame = {"cluster": p.clusters, "organisation": p.organisations,
                 "competency": p.competencies, "industry": p.industries}[kind]
        return Names(*(frame[column].to_numpy(dtype=object) for column in ("iri", "id", "label")))
    return p.cached(("profiles.names", kind), make)


def concept(p: Projection, kind: str, i: int) -> dict:
    """``{"iri", "id", "label"}`` of row ``i`` of a kind (see :func:`names`): how results name things."""
    found = names(p, kind)
    return {"iri": str(found.iri[i]), "id": str(found.id[i]), "label": str(found.label[i])}


def row_indices(matrix: sp.csr_matrix, i: int) -> np.ndarray:
    """Column indices of the stored entries of row ``i`` (``getrow`` builds a matrix: 0.5 ms)."""
    return matrix.indices[matrix.indptr[i]:matrix.indptr[i + 1]]


def dense_row(matrix: sp.csr_matrix, i: int) -> np.ndarray:
    """Row ``i`` of a CSR matrix as a dense vector, without building a one-row matrix."""
    out = np.zeros(matrix.shape[1])
    start, end = matrix.indptr[i], matrix.indptr[i + 1]
    out[matrix.indices[start:end]] = matrix.data[start:end]
    return out


def top_competencies(p: Projection, weights: np.ndarray, candidates: np.ndarray, n: int) -> list[int]:
    """The ``n`` heaviest ``candidates``, skipping broader ones of a competency already chosen.

    A why line naming "Power semiconductors" need not also name "Semiconductor devices".
    """
    order = candidates[np.argsort(-weights[candidates], kind="stable")]
    chosen: list[int] = []
    covered: set[int] = set()
    broader = p.competencies["broader"].to_numpy()
    for k in order:
        if weights[k] <= 0 or k in covered:
            continue
        chosen.append(int(k))
        j, seen = broader[k], 0
        while j >= 0 and seen < 64:
            covered.add(int(j))
            j, seen = broader[j], seen + 1
        if len(chosen) == n:
            break
    return chosen


def join_labels(items: list[dict]) -> str:
    """The ``label`` of each item as prose: ``"A"``, ``"A and B"``, ``"A, B and C"``."""
    labels = [item["label"] for item in items]
    if len(labels) < 2:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``"1 cluster"``, ``"3 clusters"``, ``"2 countries"`` (with ``plural`` given) for why lines."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"
