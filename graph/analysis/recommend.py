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
  w-weighted industry profiles widened by related industries)`` — two clusters described in
  different schemes meet through the SKOS mappings between them and the relatedness the US
  Cluster Mapping Project publishes between its categories
  (:func:`~clusterkg.graph.analysis.evidence.related_industry_profiles`).
- ``collaboration = 1 − exp(−projects / 3)`` where ``projects`` is the number of Horizon 2020
  projects in which members of both clusters took part (co-participation, from the open data;
  a curated member counts its linked funding record's projects).
- ``link = 1 − exp(−RA)`` where ``RA`` is the resource allocation index of ``(A, B)`` on
  ``projection.cluster_graph()`` (sum of ``1 / degree`` over common neighbours).
- ``proximity`` = 1 for a shared region, 0.5 for a shared country, else 0: neighbours merge
  and form super-regional clusters more than distant clusters do.
- ``score = 0.4·common_ground + 0.25·complementarity + 0.15·collaboration + 0.1·link +
  0.1·proximity`` (:data:`WEIGHTS`). A candidate needs ``common_ground >= MIN_COMMON_GROUND``
  (0.1: e.g. one shared specific industry among a few, or a tenth of the profile) or a record of
  collaboration; a cluster that already partners with this one is kept (and marked) whenever
  ``include_existing`` is set. A cluster with no competencies recorded still gets
  recommendations: complementarity is 0 for it and the other evidence ranks (``note`` says so).

Why a weighted sum with common ground first: in a leave-one-out test over the 28 sourced
partnerships of the bundled data (``bench/quality.py``), clusters that partner are above all
clusters of the same or related industries; complementarity alone put the real partner in the
top 10 for 27% of the queries, industry closeness for about 75%. Complementarity still orders
clusters of equal common ground, and every signal shows up in the why-line.

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
        "collaboration": {"projects": int, "first_year": int | null, "last_year": int | null,
                          "strength": float},            # members' H2020 co-participation
        "proximity": float, "related_industries": [[{"iri", "id", "label"}, {"iri", "id", "label"}]],
        "evidence": [str],                  # the kinds of evidence the item stands on
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
Two clusters of one industry, each with what the other lacks, rank first for each other; a third
of the same industry and country that holds what A holds follows on common ground alone:

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
>>> [(item.label, item.complementarity > 0) for item in result.items]
[('B', True), ('C', False)]
>>> result.items[0].why
'they have Optics which you lack; you have Chips which they lack; both in Electronics; same country (DE)'
>>> result.items[1].why
'both in Electronics; same country (DE)'
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from clusterkg.graph.analysis.profiles import (BROAD_INDUSTRY_SCHEMES, competency_profiles, concept, dense_row,
                                               row_indices, top_competencies)
from clusterkg.graph.analysis.evidence import cluster_collaboration, evidence_of, related_industry_profiles
from clusterkg.graph.reasons import N_, Reason, and_list, join, reason
from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.projection import Projection

__all__ = ["MIN_COMMON_GROUND", "Recommendation", "Recommendations", "recommend_clusters"]

#: the least common ground (see the module docstring) a candidate needs to be recommended
MIN_COMMON_GROUND = 0.1
#: the weight of each signal in the score (see the module docstring)
WEIGHTS = {"common_ground": 0.4, "complementarity": 0.25, "collaboration": 0.15, "link_prediction": 0.1, "proximity": 0.1}
SCORE_FORMULA = " + ".join(f"{w:g}*{name}" for name, w in WEIGHTS.items())
#: projects shared at which the collaboration signal reaches 1 - 1/e
COLLABORATION_SCALE = 3.0
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
    collaboration: dict | None = None
    proximity: float = 0.0
    related_industries: tuple = ()
    evidence: tuple[str, ...] = ()

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
            "shared_industries": list(self.shared_industries), "collaboration": self.collaboration,
            "proximity": self.proximity, "related_industries": [list(pair) for pair in self.related_industries],
            "evidence": list(self.evidence), "why": self.why,
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
                   "existing_partnerships", "they_offer", "you_offer", "evidence", "why"]
        return pd.DataFrame(
            [{**item.to_json(), "they_offer": [c["label"] for c in item.they_offer],
              "you_offer": [c["label"] for c in item.you_offer], "evidence": "; ".join(item.evidence)}
             for item in self.items],
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
        Keep clusters that already partner with ``cluster`` (marked), all of them: those ranked
        below ``limit`` follow the top ``limit`` with their rank. ``False`` drops them.

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

    # common ground: competency profiles, or industries widened by related ones
    widened = related_industry_profiles(p)
    common = np.maximum(q.profile_unit @ dense_row(q.profile_unit, me), widened @ dense_row(widened, me))

    # members' co-participation in projects
    projects = dense_row(cluster_collaboration(p), me)
    collaboration = 1.0 - np.exp(-projects / COLLABORATION_SCALE)

    # link prediction on the cluster graph
    graph = p.cluster_graph()
    allocation = _resource_allocation(graph, me, n_clusters)
    link = 1.0 - np.exp(-allocation)
    proximity = _proximity(p, me)

    signals = {"common_ground": common, "complementarity": complementarity, "collaboration": collaboration,
               "link_prediction": link, "proximity": proximity}
    score = sum(WEIGHTS[name] * values for name, values in signals.items())
    partners = p.partners_of(me)
    eligible = ((common >= MIN_COMMON_GROUND - 1e-12) | (projects > 0)) & (score > 0)
    if include_existing:
        eligible[list(partners)] = True
    else:
        eligible[list(partners)] = False
    eligible[me] = False
    candidates = np.flatnonzero(eligible)
    ranking = candidates[np.lexsort((candidates, -complementarity[candidates], -score[candidates]))]
    ranks = {int(c): r for r, c in enumerate(ranking.tolist(), start=1)}
    # existing partners are never dropped when asked for: beyond the limit they follow, with their rank
    kept = ranking[:limit].tolist() + ([int(c) for c in ranking[limit:] if int(c) in partners] if include_existing else [])
    order = np.array(kept, dtype=np.int64)

    my_industries = set(row_indices(q.cluster_industry, me))
    my_partners = set(partners)
    evidence = evidence_of(p)
    items = []
    for other in order.tolist():
        rank = ranks[other]
        they_have = row_indices(q.holds, other)
        offer = [concept(p, "competency", k) for k in top_competencies(p, my_gap, they_have, _SHOWN_COMPETENCIES)]
        if mine.size:
            you_weights = np.zeros(p.cluster_competency.shape[1])
            you_weights[mine] = their_gaps[other]
            you_offer = [concept(p, "competency", k) for k in top_competencies(p, you_weights, mine, _SHOWN_COMPETENCIES)]
        else:
            you_offer = []
        their_industries = set(row_indices(q.cluster_industry, other))
        shared = _industry_order(p, sorted(my_industries & their_industries))
        shared_industries = [concept(p, "industry", i) for i in shared]
        related = _related_pairs(p, evidence, my_industries - their_industries, their_industries - my_industries)
        shared_partners = sorted(p.clusters["label"].iat[c] for c in my_partners & set(p.partners_of(other)))
        edge = graph.get_edge_data(me, other) or {}
        existing = tuple(partners.get(other, ()))
        together = _collaboration(p, evidence, me, other) if projects[other] > 0 else None
        kinds = [name for name, present in (
            ("complementary competencies", bool(offer or you_offer)),
            ("shared or related industries", bool(shared_industries or related)),
            ("project co-participation", together is not None),
            ("cluster graph", bool(shared_partners or edge.get("shared_members") or existing)),
            ("location", proximity[other] > 0)) if present]
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
            why=_why(offer, you_offer, shared_industries, shared_partners, int(edge.get("shared_members", 0)), existing,
                     together, related, _place(p, me, other, proximity[other])),
            collaboration=together, proximity=float(proximity[other]), related_industries=tuple(related),
            evidence=tuple(kinds),
        ))
    note = None
    if mine.size == 0:
        note = reason(N_("no competencies are recorded for %(cluster)s: complementarity cannot be measured, "
                         "so industries, project co-participation, the cluster graph and location rank candidates"),
                      cluster=p.clusters['label'].iat[me])
    return Recommendations(cluster=concept(p, "cluster", me), limit=limit, include_existing=include_existing,
                           items=tuple(items), note=note, score=SCORE_FORMULA)


def _proximity(p: Projection, me: int) -> np.ndarray:
    """1 for clusters sharing a region with ``me``, 0.5 for sharing a country, else 0."""
    regions = set(p.clusters["regions"].iat[me])
    countries = set(p.clusters["countries"].iat[me])
    return np.array([1.0 if regions & set(r) else 0.5 if countries & set(c) else 0.0
                     for r, c in zip(p.clusters["regions"], p.clusters["countries"])])


def _place(p: Projection, me: int, other: int, proximity: float) -> Reason | str:
    if proximity >= 1.0:
        shared = sorted(set(p.clusters["regions"].iat[me]) & set(p.clusters["regions"].iat[other]))
        return reason(N_("same region (%(regions)s)"), regions=[p.labels.get(r, r.rsplit("/", 1)[-1]) for r in shared[:2]])
    if proximity > 0:
        shared = sorted(set(p.clusters["countries"].iat[me]) & set(p.clusters["countries"].iat[other]))
        return reason(N_("same country (%(countries)s)"), countries=shared)
    return ""


def _collaboration(p: Projection, evidence, me: int, other: int) -> dict:
    """The projects members of both clusters took part in, with their years."""
    projects = evidence.org_project
    mine = np.unique(projects[p.members_of(me)].indices)
    theirs = np.unique(projects[p.members_of(other)].indices)
    shared = np.intersect1d(mine, theirs)
    years = evidence.project_years[shared]
    known = years[years >= 0]
    return {"projects": int(len(shared)), "first_year": int(known.min()) if len(known) else None,
            "last_year": int(known.max()) if len(known) else None,
            "strength": round(float(1.0 - np.exp(-len(shared) / COLLABORATION_SCALE)), 6)}


def _related_pairs(p: Projection, evidence, mine: set[int], theirs: set[int]) -> list[tuple[dict, dict]]:
    """Up to two (my industry, their industry) pairs that are related, most related first."""
    if not mine or not theirs or not evidence.industry_related.nnz:
        return []
    block = evidence.industry_related[sorted(mine)][:, sorted(theirs)].tocoo()
    rows, cols = sorted(mine), sorted(theirs)
    pairs = sorted(zip(block.data, block.row, block.col), key=lambda x: (-x[0], rows[x[1]], cols[x[2]]))[:2]
    return [(concept(p, "industry", rows[r]), concept(p, "industry", cols[c])) for _, r, c in pairs]


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


def _why(offer, you_offer, shared_industries, shared_partners, shared_members, existing, together=None,
         related=(), place="") -> Reason:
    parts = []
    if offer:
        parts.append(reason(N_("they have %(competencies)s which you lack"), competencies=_labels(offer)))
    if you_offer:
        parts.append(reason(N_("you have %(competencies)s which they lack"), competencies=_labels(you_offer)))
    if shared_industries:
        parts.append(reason(N_("both in %(industries)s"), industries=_labels(shared_industries[:2])))
    elif related:
        parts.append(reason(N_("related industries (%(pairs)s)"),
                            pairs=join((f"{a['label']} ~ {b['label']}" for a, b in related), "; ")))
    if together:
        years = ""
        if together["first_year"] is not None:
            first, last = together["first_year"], together["last_year"]
            years = reason(N_(" (%(year)s)"), year=str(first)) if first == last \
                else reason(N_(" (%(first)s–%(last)s)"), first=str(first), last=str(last))
        n = together["projects"]
        message = N_("members worked together in %(projects)s H2020 project%(years)s") if n == 1 \
            else N_("members worked together in %(projects)s H2020 projects%(years)s")
        parts.append(reason(message, projects=n, years=years))
    if shared_partners:
        n = len(shared_partners)
        message = N_("%(count)s shared partner (%(partners)s)") if n == 1 else N_("%(count)s shared partners (%(partners)s)")
        parts.append(reason(message, count=n, partners=list(shared_partners[:3]) + (["…"] if n > 3 else [])))
    if shared_members:
        message = N_("%(count)s shared member") if shared_members == 1 else N_("%(count)s shared members")
        parts.append(reason(message, count=shared_members))
    if existing:
        parts.append(reason(N_("already partners via %(partnerships)s"), partnerships=join(existing, "; ")))
    if place:
        parts.append(place)
    return join(parts)


def _labels(items: list[dict]) -> Reason | str:
    return and_list([item["label"] for item in items])
