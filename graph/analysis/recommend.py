"""Cross-cluster recommendations: clusters to partner with, and why.

A good partner is *complementary* — its strengths meet my gaps **and** my strengths meet its
gaps — and has *enough common ground* to cooperate at all. Link prediction on the cluster graph
(partnerships and shared members) is a second, structural signal.

Definitions (all on the projection; ``k`` a competency, ``A``/``B`` clusters; the shared
quantities are computed once in :mod:`~clusterkg.graph.analysis.profiles`):

- ``holds[A, k]`` — 1 when an organisation tied to ``A`` has ``k`` (broader ones included).
- ``s[k]`` — the competency's specificity (idf over organisations), so rare competencies
  weigh more than "Aerospace" or "Life sciences".
- Industry weight ``w[i] = ln((1 + n_clusters) / (1 + clusters in i)) + 1``: sharing
  Manufacturing (NACE C, most clusters) says less than sharing Medical devices.
- ``relevance[A, k]`` in [0, 1] — how much ``k`` matters to ``A``: over ``A``'s industries,
  weighted by ``w``, the mean of ``max(1 if k is applied in the industry (ckg:appliedIn),
  share of that industry's clusters — A's peers — that hold k)``; 1 when ``A`` or one of its
  organisations declares a need for ``k``; 1 for every ``k`` when ``A`` has no industry.
- ``gap[A, k] = relevance[A, k] · (1 − holds[A, k]) · s[k]``: relevant, missing, weighted.
- ``they_cover = Σ_k gap[A, k]·holds[B, k] / Σ_k gap[A, k]`` — the share of my weighted gaps
  ``B`` fills; ``you_cover`` the same the other way round (my holdings over ``B``'s gaps).
- ``complementarity = sqrt(they_cover · you_cover)`` — a geometric mean, zero unless both
  directions give something.
- ``common_ground = max(cosine of the s-weighted competency profiles, cosine of the
  w-weighted industry profiles)``; a candidate needs ``common_ground >= MIN_COMMON_GROUND``
  (0.1: e.g. one shared specific industry among a few, or a tenth of the profile).
- ``link = 1 − exp(−RA)`` where ``RA`` is the resource allocation index of ``(A, B)`` on
  ``projection.cluster_graph()`` (sum of ``1 / degree`` over common neighbours).
- ``score = complementarity · (1 + link) / 2``: complementarity carries the recommendation and
  closeness in the graph (shared partners, shared members) raises it up to twice. A plain sum
  was tried first: on the bundled data complementarity is 0.03–0.15 while one 19-cluster
  memorandum gives its members a link signal near 0.6, so the sum ranked every co-signatory
  above any complementary cluster. Candidates with score 0 are left out. When the cluster has
  no competencies recorded, complementarity cannot be measured and ``score = link / 2`` (the
  result's ``note`` says so).

On the bundled data, two clusters that share only a NACE section (say Manufacturing) have an
industry cosine of 0.04–0.47 (median 0.10), while sharing a specific industry gives at least
0.13; the profile cosine of clusters with any competency in common has a median of 0.11. So
0.1 lets a cluster of another industry through when it has some competencies in common, which
cross-industry cooperation needs, and keeps out clusters with nothing in common.

JSON (``Recommendations.to_json()``)::

    {
      "cluster": {"iri": str, "id": str, "label": str},
      "limit": int, "include_existing": bool,
      "min_common_ground": float,
      "score": str,                        # the formula used for this result
      "note": str | null,                  # e.g. no competencies recorded for the cluster
      "items": [{
        "rank": int, "iri": str, "id": str, "label": str, "countries": [str],
        "score": float, "complementarity": float, "they_cover": float, "you_cover": float,
        "common_ground": float, "resource_allocation": float, "link_prediction": float,
        "existing_partnerships": [str],     # labels; empty when not yet partners
        "shared_partners": [str],           # labels of clusters partnering with both
        "shared_members": int,
        "they_offer": [{"iri": str, "id": str, "label": str}],   # their strengths, my gaps
        "you_offer": [{"iri": str, "id": str, "label": str}],    # my strengths, their gaps
        "shared_industries": [{"iri": str, "id": str, "label": str}],
        "why": str
      }]
    }

Examples
--------
Two clusters of one industry, each with what the other lacks, rank first for each other:

>>> from clusterkg.graph.projection import build_projection
>>> from clusterkg.graph.sheets import build_rows
>>> from clusterkg.graph.store import OxigraphStore
>>> src = "https://example.org/doc"
>>> rows = {
...     "countries": [{"code": "DE", "name": "Germany"}],
...     "industries": [{"id": "elec", "scheme": "eu-industrial-ecosystems", "notation": "E", "label": "Electronics"}],
...     "competencies": [{"id": k, "label": k.title(), "industries": "elec"} for k in ("chips", "optics", "glue")],
...     "clusters": [{"id": c, "name": c.upper(), "countries": "DE", "industries": "elec", "source_url": src} for c in ("a", "b", "c")],
...     "organisations": [{"id": o, "name": o, "type": "sme", "country": "DE", "source_url": src} for o in ("oa", "ob", "oc")],
...     "affiliations": [{"cluster": c, "organisation": "o" + c, "relation": "member", "source_url": src} for c in ("a", "b", "c")],
...     "organisation_competencies": [{"organisation": o, "competency": k, "source_url": src}
...                                   for o, k in (("oa", "chips"), ("ob", "optics"), ("oc", "chips"))],
... }
>>> store = OxigraphStore()
>>> for sheet, sheet_rows in rows.items():
...     store.insert_graph(build_rows(sheet, sheet_rows, sheet + ".csv")[0])
>>> result = recommend_clusters(build_projection(store), "a")
>>> [item.label for item in result.items]
['B']
>>> result.items[0].why
'they have Optics which you lack; you have Chips which they lack; both in Electronics'
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from clusterkg.graph.analysis.profiles import (BROAD_INDUSTRY_SCHEMES, competency_profiles, concept, dense_row,
                                               join_labels, row_indices, top_competencies)
from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.projection import Projection

__all__ = ["MIN_COMMON_GROUND", "Recommendation", "Recommendations", "recommend_clusters"]

#: the least common ground (see the module docstring) a candidate needs to be recommended
MIN_COMMON_GROUND = 0.1
SCORE_FORMULA = "complementarity * (1 + link_prediction) / 2"
GRAPH_ONLY_FORMULA = "link_prediction / 2 (no competencies recorded for the cluster)"
_SHOWN_COMPETENCIES = 3


@dataclass(frozen=True)
class Recommendation:
    """One cluster to partner with, its scores and the evidence behind them."""

    rank: int
    iri: str
    id: str
    label: str
    countries: tuple[str, ...]
    score: float
    complementarity: float
    they_cover: float
    you_cover: float
    common_ground: float
    resource_allocation: float
    link_prediction: float
    existing_partnerships: tuple[str, ...]
    shared_partners: tuple[str, ...]
    shared_members: int
    they_offer: tuple[dict, ...]
    you_offer: tuple[dict, ...]
    shared_industries: tuple[dict, ...]
    why: str

    def to_json(self) -> dict:
        return {
            "rank": self.rank, "iri": self.iri, "id": self.id, "label": self.label,
            "countries": list(self.countries), "score": self.score,
            "complementarity": self.complementarity, "they_cover": self.they_cover,
            "you_cover": self.you_cover, "common_ground": self.common_ground,
            "resource_allocation": self.resource_allocation, "link_prediction": self.link_prediction,
            "existing_partnerships": list(self.existing_partnerships),
            "shared_partners": list(self.shared_partners), "shared_members": self.shared_members,
            "they_offer": list(self.they_offer), "you_offer": list(self.you_offer),
            "shared_industries": list(self.shared_industries), "why": self.why,
        }


@dataclass(frozen=True)
class Recommendations:
    """Clusters recommended to one cluster, best first."""

    cluster: dict
    limit: int
    include_existing: bool
    items: tuple[Recommendation, ...]
    note: str | None = None
    min_common_ground: float = MIN_COMMON_GROUND
    score: str = SCORE_FORMULA

    def to_json(self) -> dict:
        return {
            "cluster": dict(self.cluster), "limit": self.limit, "include_existing": self.include_existing,
            "min_common_ground": self.min_common_ground, "score": self.score, "note": self.note,
            "items": [item.to_json() for item in self.items],
        }

    def to_frame(self) -> pd.DataFrame:
        columns = ["rank", "id", "label", "score", "complementarity", "common_ground", "link_prediction",
                   "existing_partnerships", "they_offer", "you_offer", "why"]
        return pd.DataFrame(
            [{**item.to_json(), "they_offer": [c["label"] for c in item.they_offer],
              "you_offer": [c["label"] for c in item.you_offer]} for item in self.items],
            columns=columns,
        )[columns]


def recommend_clusters(projection: Projection, cluster: str, limit: int = 10, include_existing: bool = True) -> Recommendations:
    """Clusters ``cluster`` should partner with: complementary, with common ground, close in the graph.

    Parameters
    ----------
    projection : Projection
    cluster : str
        Id, IRI or an unambiguous part of the cluster's name.
    limit : int
        How many to return (at least 1).
    include_existing : bool
        Keep clusters that already partner with ``cluster`` (they are marked); ``False`` drops them.

    Returns
    -------
    Recommendations
        See the module docstring for the scores and the JSON shape.

    Raises
    ------
    ClusterNotFound, AmbiguousName
        When ``cluster`` names no cluster or several.
    InvalidInput
        When ``limit`` is below 1.
    """
    if limit < 1:
        raise InvalidInput(f"limit must be at least 1, not {limit}")
    p = projection
    me = p.resolve_cluster(cluster)
    q = competency_profiles(p)
    n_clusters = len(p.clusters)

    # they cover my gaps
    my_gap = q.gap_of(me)
    they_cover = (q.holds @ my_gap) / q.gap_mass[me] if q.gap_mass[me] > 0 else np.zeros(n_clusters)
    # I cover their gaps (only my competencies' columns are touched)
    mine = row_indices(q.holds, me)
    if mine.size:
        their_gaps = q.relevance(mine) * (1.0 - q.holds_csc[:, mine].toarray()) * q.specificity[mine]
        covered = their_gaps.sum(axis=1)
    else:
        their_gaps, covered = np.zeros((n_clusters, 0)), np.zeros(n_clusters)
    you_cover = np.divide(covered, q.gap_mass, out=np.zeros(n_clusters), where=q.gap_mass > 0)
    complementarity = np.sqrt(np.clip(they_cover, 0, 1) * np.clip(you_cover, 0, 1))

    # common ground
    common = np.maximum(q.profile_unit @ dense_row(q.profile_unit, me), q.industry_unit @ dense_row(q.industry_unit, me))

    # link prediction on the cluster graph
    graph = p.cluster_graph()
    allocation = _resource_allocation(graph, me, n_clusters)
    link = 1.0 - np.exp(-allocation)

    score = complementarity * (1.0 + link) / 2.0 if mine.size else link / 2.0
    partners = p.partners_of(me)
    eligible = (common >= MIN_COMMON_GROUND - 1e-12) & (score > 0)
    eligible[me] = False
    if not include_existing:
        eligible[list(partners)] = False
    candidates = np.flatnonzero(eligible)
    order = candidates[np.lexsort((p.clusters["label"].to_numpy()[candidates], -score[candidates]))][:limit]

    my_industries = set(row_indices(q.cluster_industry, me))
    my_partners = set(partners)
    items = []
    for rank, other in enumerate(order, start=1):
        other = int(other)
        they_have = row_indices(q.holds, other)
        offer = [concept(p, "competency", k) for k in top_competencies(p, my_gap, they_have, _SHOWN_COMPETENCIES)]
        if mine.size:
            you_weights = np.zeros(p.cluster_competency.shape[1])
            you_weights[mine] = their_gaps[other]
            you_offer = [concept(p, "competency", k) for k in top_competencies(p, you_weights, mine, _SHOWN_COMPETENCIES)]
        else:
            you_offer = []
        shared = _industry_order(p, sorted(my_industries & set(row_indices(q.cluster_industry, other))))
        shared_industries = [concept(p, "industry", i) for i in shared]
        shared_partners = sorted(p.clusters["label"].iat[c] for c in my_partners & set(p.partners_of(other)))
        edge = graph.get_edge_data(me, other) or {}
        existing = tuple(partners.get(other, ()))
        items.append(Recommendation(
            rank=rank, iri=p.clusters["iri"].iat[other], id=p.clusters["id"].iat[other],
            label=p.clusters["label"].iat[other], countries=tuple(p.clusters["countries"].iat[other]),
            score=round(float(score[other]), 6), complementarity=round(float(complementarity[other]), 6),
            they_cover=round(float(they_cover[other]), 6), you_cover=round(float(you_cover[other]), 6),
            common_ground=round(float(common[other]), 6),
            resource_allocation=round(float(allocation[other]), 6), link_prediction=round(float(link[other]), 6),
            existing_partnerships=existing, shared_partners=tuple(shared_partners),
            shared_members=int(edge.get("shared_members", 0)),
            they_offer=tuple(offer), you_offer=tuple(you_offer), shared_industries=tuple(shared_industries),
            why=_why(offer, you_offer, shared_industries, shared_partners, int(edge.get("shared_members", 0)), existing),
        ))
    note, formula = None, SCORE_FORMULA
    if mine.size == 0:
        note = f"no competencies are recorded for {p.clusters['label'].iat[me]}: only the cluster graph ranks candidates"
        formula = GRAPH_ONLY_FORMULA
    return Recommendations(cluster=concept(p, "cluster", me), limit=limit, include_existing=include_existing,
                           items=tuple(items), note=note, score=formula)


def _industry_order(p: Projection, industries: list[int]) -> list[int]:
    """Specific industries first (EU ecosystems, emerging industries), broad NACE sections last."""
    schemes = p.industries["scheme"]
    return sorted(industries, key=lambda i: (schemes.iat[i] in BROAD_INDUSTRY_SCHEMES, p.industries["label"].iat[i]))


def _resource_allocation(graph: nx.Graph, me: int, n: int) -> np.ndarray:
    """Resource allocation index of ``(me, v)`` for every node ``v``: sum of 1/degree over common neighbours."""
    scores = np.zeros(n)
    for z in graph[me]:
        share = 1.0 / graph.degree(z)
        for v in graph[z]:
            if v != me:
                scores[v] += share
    return scores


def _why(offer, you_offer, shared_industries, shared_partners, shared_members, existing) -> str:
    parts = []
    if offer:
        parts.append(f"they have {join_labels(offer)} which you lack")
    if you_offer:
        parts.append(f"you have {join_labels(you_offer)} which they lack")
    if shared_industries:
        parts.append(f"both in {join_labels(shared_industries[:2])}")
    if shared_partners:
        n = len(shared_partners)
        parts.append(f"{n} shared partner{'s' if n > 1 else ''} ({', '.join(shared_partners[:3])}{', …' if n > 3 else ''})")
    if shared_members:
        parts.append(f"{shared_members} shared member{'s' if shared_members > 1 else ''}")
    if existing:
        parts.append(f"already partners via {'; '.join(existing)}")
    return "; ".join(parts)
