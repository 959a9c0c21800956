"""New applications: industries outside a cluster's own where its competencies are used.

The literature's second search tool: describe a cluster's competencies and new opportunities
to apply them in other industries. For cluster ``A`` with the competencies its organisations
claim directly (``K`` — not the broader ones their claims imply: "Power semiconductors" is
applied in fewer places than "Semiconductor devices", and the narrow claim is what ``A`` can
offer), and every industry ``i`` that is not one of ``A``'s:

``use[i, k] = applied[i, k] + need_share[i, k] + 0.5 · hold_share[i, k]``

- ``applied`` — 1 when ``k`` is applied in ``i`` (``ckg:appliedIn``);
- ``need_share`` — the share of ``i``'s clusters that need ``k`` (the cluster or one of its
  organisations declares it): demand stated outright;
- ``hold_share`` — the share of ``i``'s clusters holding ``k``: demand shown by use, counted
  half, since a holder may as well be a competitor.

``score[i] = Σ_k s[k] · use[i, k] / Σ_k s[k]`` over ``K`` (``s`` the competency specificity), so
a score of 1 means: every competency of the cluster, weighted by how rare it is, is applied
there. Industries scoring 0 are left out.

Each industry names the competencies that carry it (heaviest ``s[k] · use[i, k]`` first) and
the clusters of that industry to approach, ranked by how much they would use those
competencies: ``Σ_k c[k] · max(needs[B, k], relevance[B, k] · (1 − share[B, k])) / Σ_k c[k]``
with ``c[k]`` the competency's weight in the industry, ``share[B, k]`` the share of ``B``'s
organisations (by tie strength) holding ``k`` and ``relevance`` as in
:mod:`~clusterkg.graph.analysis.recommend` (applied in ``B``'s industries or held by its
peers, weighted by industry specificity) — a cluster that needs a competency, or for which it
is relevant and that holds it rarely, has most use for it. A cluster with no competencies
recorded counts 0.5 for "holds rarely" (unknown), below a cluster known to lack them.

JSON (``Applications.to_json()``)::

    {
      "cluster": {"iri": str, "id": str, "label": str},
      "limit": int, "scheme": str | null,
      "competencies": [{"iri": str, "id": str, "label": str}],   # the cluster's own (K)
      "note": str | null,
      "items": [{
        "rank": int, "iri": str, "id": str, "label": str, "scheme": str,
        "score": float,
        "applied": int,                  # how many of K are applied in the industry
        "needed_by": int,                # clusters of the industry that need one of K
        "held_by": int,                  # clusters of the industry holding one of K
        "competencies": [{"iri": str, "id": str, "label": str, "weight": float}],
        "clusters": [{"iri": str, "id": str, "label": str, "score": float,
                      "needs": [str], "partner": bool}],
        "why": str
      }]
    }

Examples
--------
>>> from clusterkg.graph.projection import build_projection
>>> from clusterkg.graph.sheets import build_rows
>>> from clusterkg.graph.store import OxigraphStore
>>> src = "https://example.org/doc"
>>> rows = {
...     "countries": [{"code": "DE", "name": "Germany"}],
...     "industries": [{"id": i, "scheme": "eu-industrial-ecosystems", "notation": i, "label": i.title()}
...                    for i in ("electronics", "health", "textiles")],
...     "competencies": [{"id": "sensors", "label": "Sensors", "industries": "electronics;health"}],
...     "clusters": [{"id": "chips", "name": "Chips", "countries": "DE", "industries": "electronics", "source_url": src},
...                  {"id": "medtech", "name": "Medtech", "countries": "DE", "industries": "health", "source_url": src}],
...     "organisations": [{"id": "o", "name": "O", "type": "sme", "country": "DE", "source_url": src}],
...     "affiliations": [{"cluster": "chips", "organisation": "o", "relation": "member", "source_url": src}],
...     "organisation_competencies": [{"organisation": "o", "competency": "sensors", "source_url": src}],
... }
>>> store = OxigraphStore()
>>> for sheet, sheet_rows in rows.items():
...     store.insert_graph(build_rows(sheet, sheet_rows, sheet + ".csv")[0])
>>> result = find_applications(build_projection(store), "chips")
>>> [(item.label, item.score, [c["label"] for c in item.clusters]) for item in result.items]
[('Health', 1.0, ['Medtech'])]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterkg.graph.analysis.profiles import competency_profiles, concept, row_indices, top_competencies
from clusterkg.graph.reasons import N_, Reason, and_list, join, reason
from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.projection import Projection

__all__ = ["Application", "Applications", "find_applications"]

HOLD_WEIGHT = 0.5
UNKNOWN_RARITY = 0.5
_SHOWN_COMPETENCIES = 5
_SHOWN_CLUSTERS = 5


@dataclass(frozen=True)
class Application:
    """One industry where the cluster's competencies could find new use."""

    rank: int
    iri: str
    id: str
    label: str
    scheme: str
    score: float
    applied: int
    needed_by: int
    held_by: int
    competencies: tuple[dict, ...]
    clusters: tuple[dict, ...]
    why: str

    def to_json(self) -> dict:
        return {
            "rank": self.rank, "iri": self.iri, "id": self.id, "label": self.label, "scheme": self.scheme,
            "score": self.score, "applied": self.applied, "needed_by": self.needed_by, "held_by": self.held_by,
            "competencies": [dict(c) for c in self.competencies], "clusters": [dict(c) for c in self.clusters],
            "why": self.why,
        }


@dataclass(frozen=True)
class Applications:
    """Industries outside a cluster's own, best first."""

    cluster: dict
    limit: int
    scheme: str | None
    competencies: tuple[dict, ...]
    items: tuple[Application, ...]
    note: str | None = None

    def to_json(self) -> dict:
        return {
            "cluster": dict(self.cluster), "limit": self.limit, "scheme": self.scheme,
            "competencies": [dict(c) for c in self.competencies], "note": self.note,
            "items": [item.to_json() for item in self.items],
        }

    def to_frame(self) -> pd.DataFrame:
        columns = ["rank", "id", "label", "scheme", "score", "competencies", "clusters", "why"]
        return pd.DataFrame(
            [{**item.to_json(), "competencies": [c["label"] for c in item.competencies],
              "clusters": [c["label"] for c in item.clusters]} for item in self.items],
            columns=columns,
        )[columns]


def find_applications(projection: Projection, cluster: str, limit: int = 10, scheme: str | None = None) -> Applications:
    """Industries, other than the cluster's own, where its competencies are applied or demanded.

    Parameters
    ----------
    projection : Projection
    cluster : str
        Id, IRI or an unambiguous part of the cluster's name.
    limit : int
        How many industries to return (at least 1).
    scheme : str, optional
        Only industries of this scheme (``eu-industrial-ecosystems``, ``eu-emerging-industries``,
        ``nace-sections``); all by default.

    Returns
    -------
    Applications
        See the module docstring for the score and the JSON shape.

    Raises
    ------
    ClusterNotFound, AmbiguousName
        When ``cluster`` names no cluster or several.
    InvalidInput
        When ``limit`` is below 1 or ``scheme`` is not a scheme of the data.
    """
    if limit < 1:
        raise InvalidInput(f"limit must be at least 1, not {limit}")
    p = projection
    schemes = sorted(set(p.industries["scheme"]))
    if scheme is not None and scheme not in schemes:
        raise InvalidInput(reason(N_("unknown industry scheme %(scheme)s; use one of %(choices)s"), scheme=repr(scheme), choices=", ".join(schemes)))
    me = p.resolve_cluster(cluster)
    q = competency_profiles(p)
    own = row_indices(q.direct, me)
    own_json = tuple(concept(p, "competency", k) for k in own)
    if own.size == 0:
        return Applications(cluster=concept(p, "cluster", me), limit=limit, scheme=scheme, competencies=(),
                            items=(), note=reason(N_("no competencies are recorded for %(cluster)s"), cluster=p.clusters['label'].iat[me]))

    s = q.specificity[own]
    use = q.applied[:, own].toarray() + q.need_share[:, own] + HOLD_WEIGHT * q.hold_share[:, own]
    contribution = use * s  # industries x own competencies
    score = contribution.sum(axis=1) / s.sum()
    outside = np.ones(len(p.industries), dtype=bool)
    outside[row_indices(q.cluster_industry, me)] = False
    if scheme is not None:
        outside &= (p.industries["scheme"] == scheme).to_numpy()
    candidates = np.flatnonzero(outside & (score > 0))
    order = candidates[np.lexsort((p.industries["label"].to_numpy()[candidates], -score[candidates]))][:limit]

    industry_clusters = q.cluster_industry.tocsc()
    ties = np.asarray(p.cluster_org.sum(axis=1)).ravel()
    # every cluster against my competencies only: dense, clusters x len(own)
    evidence = _Evidence(
        needs=q.needs_csc[:, own].toarray(),
        share=np.minimum(q.counts_csc[:, own].toarray() / np.where(ties > 0, ties, 1.0)[:, None], 1.0),
        relevance=q.relevance(own),
        unknown=np.diff(q.holds.indptr) == 0,
    )
    partners = p.partners_of(me)
    applied_own = q.applied[:, own].toarray() > 0
    n_competencies = p.cluster_competency.shape[1]
    items = []
    for rank, i in enumerate(order, start=1):
        i = int(i)
        weights = np.zeros(n_competencies)
        weights[own] = contribution[i]
        carrying = top_competencies(p, weights, own, _SHOWN_COMPETENCIES)
        members = industry_clusters.indices[industry_clusters.indptr[i]:industry_clusters.indptr[i + 1]]
        members = members[members != me]
        clusters = _clusters_to_approach(p, evidence, members, own, contribution[i], partners)
        applied = int(applied_own[i].sum())
        needed_by = int((evidence.needs[members] > 0).any(axis=1).sum())
        held_by = int((evidence.share[members] > 0).any(axis=1).sum())
        competencies = tuple({**concept(p, "competency", k), "weight": round(float(weights[k]), 6)} for k in carrying)
        industry = concept(p, "industry", i)
        items.append(Application(
            rank=rank, **industry, scheme=str(p.industries["scheme"].iat[i]),
            score=round(float(score[i]), 6), applied=applied, needed_by=needed_by, held_by=held_by,
            competencies=competencies, clusters=tuple(clusters),
            why=_why(competencies, applied, own.size, needed_by, held_by, members.size, clusters),
        ))
    return Applications(cluster=concept(p, "cluster", me), limit=limit, scheme=scheme, competencies=own_json, items=tuple(items))


@dataclass(frozen=True)
class _Evidence:
    """Every cluster against the competencies in question (dense, clusters x competencies)."""

    needs: np.ndarray  # 1 = the cluster or one of its organisations needs it
    share: np.ndarray  # share of the cluster's organisations (by tie strength) holding it
    relevance: np.ndarray  # see recommend: applied in its industries or held by its peers
    unknown: np.ndarray  # per cluster: no competency recorded at all


def _clusters_to_approach(p, evidence: _Evidence, members, own, weights, partners) -> list[dict]:
    """The industry's clusters ranked by how much they would use ``own`` (need it or hold it rarely)."""
    if members.size == 0 or weights.sum() <= 0:
        return []
    rarity = 1.0 - evidence.share[members]
    rarity[evidence.unknown[members]] = UNKNOWN_RARITY
    needs = evidence.needs[members]
    use = (np.maximum(needs, evidence.relevance[members] * rarity) * weights).sum(axis=1) / weights.sum()
    order = np.lexsort((p.clusters["label"].to_numpy()[members], -use))[:_SHOWN_CLUSTERS]
    labels = p.competencies["label"].to_numpy()
    result = []
    for j in order:
        b = int(members[j])
        needed = [str(labels[own[k]]) for k in np.flatnonzero(needs[j] > 0)]
        result.append({**concept(p, "cluster", b), "score": round(float(use[j]), 6), "needs": needed,
                       "partner": b in partners})
    return result


def _why(competencies, applied, n_own, needed_by, held_by, n_members, clusters) -> Reason:
    parts = []
    if competencies:
        parts.append(reason(N_("carried by %(competencies)s"), competencies=and_list([c["label"] for c in competencies[:3]])))
    if applied:
        parts.append(reason(N_("%(count)s of your %(total)s competencies are applied here"), count=int(applied), total=int(n_own)))
    if needed_by:
        parts.append(reason(N_("needed by %(count)s of its %(total)s clusters"), count=int(needed_by), total=int(n_members)))
    if held_by:
        parts.append(reason(N_("used by %(count)s of its %(total)s clusters"), count=int(held_by), total=int(n_members)))
    if clusters:
        parts.append(reason(N_("approach %(clusters)s"), clusters=[c["label"] for c in clusters[:3]]))
    return join(parts)
