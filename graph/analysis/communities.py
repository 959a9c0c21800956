"""Meta-clusters: communities of clusters that already cooperate or could.

The literature names three levels that cross-cluster cooperation leads to (``domain.md``): a
*cross-cluster project*, a *super-regional cluster* (clusters of one country joined across its
regions) and a *meta-cluster* (clusters of several countries). This module finds candidate
groups with Louvain on one small derived graph of clusters, :func:`cluster_network`, which
combines three kinds of tie between two clusters ``a`` and ``b``:

- ``similarity``: cosine of their tf-idf profiles, kept only for each cluster's
  :data:`SIMILARITY_NEIGHBOURS` nearest neighbours (a k-nearest-neighbour graph; the union of
  both directions) and only at or above :data:`MIN_SIMILARITY`. A profile is the cluster ×
  competency matrix (``log1p`` of the tie-weighted member counts, times the competency's
  specificity) with the cluster's declared industries appended at :data:`INDUSTRY_SHARE` of the
  weight (industry idf over clusters). The industries are there because half the real clusters
  have no recorded members: without them those clusters would have no profile at all. The
  similarities are computed in row blocks, so memory stays at ``block × clusters``.
- ``partnership``: for every existing partnership both take part in, ``1 / (participants - 1)``
  (each partnership gives each participant a total weight of 1, so a 20-cluster memorandum
  does not outweigh a bilateral agreement 19 times over).
- ``membership``: shared organisations over ``sqrt(members_a × members_b)`` (the cosine of the
  two membership vectors).

The last two come with the projection's own cluster graph (:meth:`Projection.cluster_graph`,
the one builder of it, which a refresh patches after a change); this module adds similarity.

The edge ``weight`` is ``SIMILARITY_WEIGHT * similarity + PARTNERSHIP_WEIGHT * partnership +
MEMBERSHIP_WEIGHT * membership``; every component is in [0, 1] per source.

:func:`find_communities` returns :class:`Communities`; ``to_json()`` is::

    {
      "resolution": 1.0, "min_size": 2, "seed": 0,
      "modularity": 0.61,                      # of the whole partition, on "weight"
      "unassigned": [cluster, ...],            # clusters in communities smaller than min_size
      "communities": [
        {
          "id": "community-1",                 # numbered by size, largest first
          "label": "Health / Biopharmaceuticals — FR, DE",
          "level": "meta_cluster",             # or "super_regional_cluster" or "regional"
          "cross_industry": true,              # no industry is shared by all its clusters
          "score": 0.83,                       # cohesion: internal weight / incident weight
          "size": 5,
          "clusters": [cluster, ...],
          "countries": [{"code": "FR", "count": 4}, ...],              # most frequent first
          "regions": [{"id": "occitanie", "count": 2}, ...],
          "industries": [{"iri": ..., "id": ..., "label": ..., "count": 3}, ...],
          "partnerships": [{"iri": ..., "label": ..., "level": ..., "clusters": [id, ...]}],
          "ties": {"similar": 6, "partners": 2, "shared_members": 1},  # internal pairs by kind
          "why": "5 clusters in FR, DE (candidate meta-cluster); Health ×4; ..."
        }
      ]
    }

where ``cluster`` is ``{"iri", "id", "label", "countries": [code, ...]}``. Industries counted
are those of the EU industrial-ecosystem and emerging-industry schemes; NACE sections are too
coarse to tell communities apart ("Manufacturing" everywhere).

>>> from clusterkg.graph.sheets import build_rows
>>> from clusterkg.graph.store import OxigraphStore
>>> from clusterkg.graph.projection import build_projection
>>> store = OxigraphStore()
>>> rows = {
...     "countries": [{"code": "DE", "name": "Germany"}, {"code": "FR", "name": "France"}],
...     "clusters": [{"id": f"c{i}", "name": f"C{i}", "countries": "DE" if i < 3 else "FR",
...                   "source_url": "https://example.org"} for i in range(6)],
...     "partnerships": [{"id": f"p{g}", "name": f"P{g}", "level": "cooperation_agreement",
...                       "participants": ";".join(f"c{i}" for i in range(3 * g, 3 * g + 3)),
...                       "source_url": "https://example.org"} for g in (0, 1)],
... }
>>> for sheet, sheet_rows in rows.items():
...     store.insert_graph(build_rows(sheet, sheet_rows)[0])
>>> result = find_communities(build_projection(store))
>>> [[c["id"] for c in community.clusters] for community in result.communities]
[['c0', 'c1', 'c2'], ['c3', 'c4', 'c5']]
>>> result.communities[0].level, result.communities[0].partnerships[0]["label"]
('regional', 'P0')
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from clusterkg.graph.analysis.profiles import cluster_industry_matrix, industry_weights, unit_rows
from clusterkg.graph.reasons import N_, join, reason
from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.projection import Projection, local_name

__all__ = [
    "SIMILARITY_NEIGHBOURS",
    "MIN_SIMILARITY",
    "INDUSTRY_SHARE",
    "SIMILARITY_WEIGHT",
    "PARTNERSHIP_WEIGHT",
    "MEMBERSHIP_WEIGHT",
    "Community",
    "Communities",
    "cluster_network",
    "cluster_profiles",
    "cluster_descriptor",
    "cluster_industries",
    "cluster_ref",
    "find_communities",
]

#: how many most similar clusters each cluster is tied to in the similarity graph
SIMILARITY_NEIGHBOURS = 5
#: cosine below which two profiles are not called similar
MIN_SIMILARITY = 0.05
#: share of a profile's weight given to the cluster's declared industries
INDUSTRY_SHARE = 0.5
SIMILARITY_WEIGHT = 1.0
PARTNERSHIP_WEIGHT = 1.0
MEMBERSHIP_WEIGHT = 1.0
#: industry schemes that label communities and clusters (NACE sections are too coarse)
LABEL_SCHEMES = ("eu-industrial-ecosystems", "eu-emerging-industries")
_BLOCK = 512


# ---------------------------------------------------------------------------------------------
# The cluster network


def cluster_profiles(projection: Projection) -> sp.csr_matrix:
    """Row-normalised tf-idf profiles: clusters × (competencies, then industries)."""
    p = projection
    counts = p.cluster_competency.tocsr().astype(np.float64)
    counts.data = np.log1p(counts.data)
    competency_part = unit_rows(counts @ sp.diags(p.competency_specificity))
    industry_part = unit_rows(cluster_industry_matrix(p) @ sp.diags(industry_weights(p)))
    return unit_rows(sp.hstack([competency_part, INDUSTRY_SHARE * industry_part]).tocsr())


def _nearest_neighbours(profiles: sp.csr_matrix, k: int, threshold: float) -> dict[tuple[int, int], float]:
    """Cosine of each cluster's ``k`` most similar clusters, block by block (never n × n)."""
    n = profiles.shape[0]
    k = min(k, n - 1)
    pairs: dict[tuple[int, int], float] = {}
    if k <= 0:
        return pairs
    transposed = profiles.T.tocsc()
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        block = (profiles[start:stop] @ transposed).toarray()
        block[np.arange(stop - start), np.arange(start, stop)] = 0.0
        best = np.argpartition(-block, k - 1, axis=1)[:, :k]
        for offset, row in enumerate(best):
            a = start + offset
            for b in row:
                value = float(block[offset, b])
                if value >= threshold:
                    pairs[(min(a, int(b)), max(a, int(b)))] = value
    return pairs


def cluster_network(projection: Projection) -> nx.Graph:
    """The combined cluster graph (similarity + partnerships + shared members), built once.

    Nodes are cluster rows; each edge has ``similarity``, ``partnership``, ``membership``
    (the weighted components), ``partnerships`` (labels), ``shared_members`` (count),
    ``weight`` (see the module docstring) and ``distance`` = ``1 / weight`` for shortest paths.
    Kept in the projection's memo, which is read-only once built.
    """
    return projection.cached("communities.cluster_network", lambda: _build_network(projection))


def _build_network(p: Projection) -> nx.Graph:
    """The projection's cluster graph (:meth:`Projection.cluster_graph`: shared members and
    partnerships, with their weights) plus the similarity edges, nodes and edges in order."""
    base = p.cluster_graph()
    similar = _nearest_neighbours(cluster_profiles(p), SIMILARITY_NEIGHBOURS, MIN_SIMILARITY)
    graph = nx.Graph()
    for i in sorted(base.nodes):
        graph.add_node(i, **{key: base.nodes[i][key] for key in ("iri", "id", "label")})
    pairs = set(similar) | {(min(a, b), max(a, b)) for a, b in base.edges}
    for a, b in sorted(pairs):
        tie = base.get_edge_data(a, b, default={})
        edge = {"similarity": similar.get((a, b), 0.0), "partnership": tie.get("partnership", 0.0),
                "membership": tie.get("membership", 0.0), "shared_members": tie.get("shared_members", 0),
                "partnerships": list(tie.get("partnerships", []))}
        edge["weight"] = (SIMILARITY_WEIGHT * edge["similarity"] + PARTNERSHIP_WEIGHT * edge["partnership"]
                          + MEMBERSHIP_WEIGHT * edge["membership"])
        if edge["weight"] > 0:
            graph.add_edge(a, b, **edge, distance=1.0 / edge["weight"])
    return graph


# ---------------------------------------------------------------------------------------------
# Labels shared by the network analyses


def cluster_industries(projection: Projection, cluster: int) -> list[str]:
    """IRIs of the cluster's industries in the labelling schemes (ecosystems first)."""
    schemes = dict(zip(projection.industries["iri"], projection.industries["scheme"]))
    industries = projection.clusters["industries"].iat[cluster]
    return [iri for scheme in LABEL_SCHEMES for iri in industries if schemes.get(iri) == scheme]


def cluster_descriptor(projection: Projection, cluster: int) -> str:
    """``"Silicon Saxony (DE, Electronics)"``: name, countries and main industry of a cluster."""
    labels = [projection.labels.get(iri, local_name(iri)) for iri in cluster_industries(projection, cluster)[:1]]
    countries = "/".join(projection.clusters["countries"].iat[cluster])
    detail = ", ".join(part for part in (countries, *labels) if part)
    name = projection.clusters["label"].iat[cluster]
    return f"{name} ({detail})" if detail else name


def cluster_ref(projection: Projection, cluster: int) -> dict:
    row = projection.clusters.iloc[cluster]
    return {"iri": row["iri"], "id": row["id"], "label": row["label"], "countries": list(row["countries"])}


# ---------------------------------------------------------------------------------------------
# Communities


@dataclass(frozen=True)
class Community:
    """One candidate group of clusters, with what it spans and what already ties it."""

    id: str
    label: str
    level: str
    cross_industry: bool
    score: float
    clusters: tuple[dict, ...]
    countries: tuple[dict, ...]
    regions: tuple[dict, ...]
    industries: tuple[dict, ...]
    partnerships: tuple[dict, ...]
    ties: dict
    why: str

    def to_json(self) -> dict:
        return {
            "id": self.id, "label": self.label, "level": self.level, "cross_industry": self.cross_industry,
            "score": self.score, "size": len(self.clusters), "clusters": [dict(c) for c in self.clusters],
            "countries": [dict(c) for c in self.countries], "regions": [dict(r) for r in self.regions],
            "industries": [dict(i) for i in self.industries], "partnerships": [dict(p) for p in self.partnerships],
            "ties": dict(self.ties), "why": self.why,
        }


@dataclass(frozen=True)
class Communities:
    """The communities found, largest first, and the clusters left in too-small ones."""

    resolution: float
    min_size: int
    seed: int
    modularity: float
    communities: tuple[Community, ...]
    unassigned: tuple[dict, ...]

    def to_json(self) -> dict:
        return {
            "resolution": self.resolution, "min_size": self.min_size, "seed": self.seed,
            "modularity": self.modularity, "unassigned": [dict(c) for c in self.unassigned],
            "communities": [c.to_json() for c in self.communities],
        }

    def to_frame(self) -> pd.DataFrame:
        columns = ["id", "label", "level", "size", "score", "countries", "industries", "clusters", "partnerships", "why"]
        return pd.DataFrame([{
            "id": c.id, "label": c.label, "level": c.level, "size": len(c.clusters), "score": c.score,
            "countries": [f"{x['code']}:{x['count']}" for x in c.countries],
            "industries": [f"{x['label']}:{x['count']}" for x in c.industries],
            "clusters": [x["label"] for x in c.clusters],
            "partnerships": [x["label"] for x in c.partnerships],
            "why": c.why,
        } for c in self.communities], columns=columns)


def find_communities(projection: Projection, resolution: float = 1.0, min_size: int = 2, seed: int = 0) -> Communities:
    """Louvain communities of the cluster network (:func:`cluster_network`), labelled.

    Parameters
    ----------
    projection : Projection
    resolution : float
        Louvain resolution (> 0): above 1 favours smaller communities, below 1 larger ones.
    min_size : int
        Communities with fewer clusters are not reported; their clusters are ``unassigned``.
    seed : int
        Seed of Louvain's random node order: the same seed gives the same communities.

    Raises
    ------
    InvalidInput
        If ``resolution`` is not positive or ``min_size`` is below 1.
    """
    if not resolution > 0:
        raise InvalidInput(f"resolution must be positive, not {resolution}")
    if min_size < 1:
        raise InvalidInput(f"min_size must be at least 1, not {min_size}")
    graph = cluster_network(projection)
    if graph.number_of_nodes() == 0:
        return Communities(resolution, min_size, seed, 0.0, (), ())
    found = nx.community.louvain_communities(graph, weight="weight", resolution=resolution, seed=seed)
    modularity = nx.community.modularity(graph, found, weight="weight", resolution=resolution) if graph.number_of_edges() else 0.0
    groups = sorted((sorted(group) for group in found), key=lambda g: (-len(g), g))
    kept = [g for g in groups if len(g) >= min_size]
    unassigned = sorted(c for g in groups if len(g) < min_size for c in g)
    communities = tuple(_describe(projection, graph, members, number) for number, members in enumerate(kept, start=1))
    return Communities(resolution, min_size, seed, round(float(modularity), 6), communities,
                       tuple(cluster_ref(projection, c) for c in unassigned))


def _describe(p: Projection, graph: nx.Graph, members: list[int], number: int) -> Community:
    member_set = set(members)
    countries = Counter(code for c in members for code in p.clusters["countries"].iat[c])
    regions = Counter(local_name(r) for c in members for r in p.clusters["regions"].iat[c])
    per_cluster = [cluster_industries(p, c) for c in members]
    industries = Counter(iri for iris in per_cluster for iri in iris)
    shared_by_all = set.intersection(*(set(i) for i in per_cluster)) if per_cluster else set()
    cross_industry = len(members) > 1 and not shared_by_all and bool(industries)
    if len(countries) > 1:
        level, level_text = "meta_cluster", reason(N_("candidate meta-cluster"))
    elif len(regions) > 1:
        level, level_text = "super_regional_cluster", reason(N_("candidate super-regional cluster"))
    else:
        level, level_text = "regional", reason(N_("one region"))

    internal = inside = 0.0
    ties = Counter()
    for a in members:
        for b, edge in graph[a].items():
            inside += edge["weight"]
            if b in member_set:
                internal += edge["weight"]
                if a < b:
                    ties["similar"] += edge["similarity"] > 0
                    ties["partners"] += bool(edge["partnerships"])
                    ties["shared_members"] += edge["shared_members"] > 0
    cohesion = internal / inside if inside else 0.0

    partnerships = []
    for row in p.partnerships.itertuples():
        inner = [c for c in row.clusters if c in member_set]
        if len(inner) >= 2:
            partnerships.append({"iri": row.iri, "label": row.label, "level": row.level,
                                 "clusters": [p.clusters["id"].iat[c] for c in inner]})

    ordered_industries = sorted(industries.items(), key=lambda kv: (-kv[1], p.labels.get(kv[0], kv[0])))
    industry_items = tuple({"iri": iri, "id": local_name(iri), "label": p.labels.get(iri, local_name(iri)), "count": n}
                           for iri, n in ordered_industries)
    country_items = tuple({"code": code, "count": n} for code, n in sorted(countries.items(), key=lambda kv: (-kv[1], kv[0])))
    region_items = tuple({"id": r, "count": n} for r, n in sorted(regions.items(), key=lambda kv: (-kv[1], kv[0])))

    top_industries = [i["label"] for i in industry_items[:2]]
    top_countries = [c["code"] for c in country_items[:3]] + (["…"] if len(country_items) > 3 else [])
    label = " / ".join(top_industries) or "clusters"
    if top_countries:
        label += " — " + ", ".join(top_countries)

    where = [c["code"] for c in country_items] or reason(N_("unknown countries"))
    if level == "super_regional_cluster":
        where = reason(N_("%(countries)s (%(count)s regions)"), countries=where, count=len(region_items))
    parts = [reason(N_("%(count)s clusters in %(where)s (%(level)s)"), count=len(members), where=where, level=level_text)]
    if industry_items:
        shown = [f"{i['label']} ×{i['count']}" for i in industry_items[:3]]
        parts.append(reason(N_("%(industries)s (cross-industry)"), industries=shown) if cross_industry
                     else join(shown, ", "))
    if partnerships:
        more = reason(N_(" and %(count)s more"), count=len(partnerships) - 3) if len(partnerships) > 3 else ""
        parts.append(reason(N_("already partners via %(partnerships)s%(more)s"),
                            partnerships=[x["label"] for x in partnerships[:3]], more=more))
    evidence = []
    if ties["similar"]:
        evidence.append(reason(N_("%(count)s similar-profile pair") if ties["similar"] == 1 else N_("%(count)s similar-profile pairs"),
                               count=int(ties["similar"])))
    if ties["shared_members"]:
        evidence.append(reason(N_("%(count)s pair sharing members") if ties["shared_members"] == 1
                               else N_("%(count)s pairs sharing members"), count=int(ties["shared_members"])))
    if evidence:
        parts.append(reason(N_("tied by %(ties)s"), ties=join(evidence, " and ")))
    return Community(
        id=f"community-{number}", label=label, level=level, cross_industry=cross_industry,
        score=round(cohesion, 6), clusters=tuple(cluster_ref(p, c) for c in members),
        countries=country_items, regions=region_items, industries=industry_items,
        partnerships=tuple(partnerships), ties={k: int(ties[k]) for k in ("similar", "partners", "shared_members")},
        why=join(parts),
    )
