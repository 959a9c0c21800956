"""Brokers: the clusters and organisations that bridge otherwise distant groups of clusters.

Both kinds are scored on the cluster network of :mod:`clusterkg.graph.analysis.communities`
(similar profiles + partnerships + shared members; shortest paths use ``distance = 1 /
weight``), so their scores share one scale: the share of shortest paths between clusters that
run through the broker.

- **Clusters**: ``networkx.betweenness_centrality`` (normalised).
- **Organisations**: the organisation side of the bipartite graph is never projected (see
  ``docs/design.md``). Only an organisation tied to two or more clusters can bridge anything; it
  does so through the cluster pairs it makes share a member. Its score is the sum, over those
  pairs ``(a, b)``, of the pair's edge betweenness (``networkx.edge_betweenness_centrality``,
  normalised) times the organisation's share of the tie: ``MEMBERSHIP_WEIGHT * membership /
  shared_members / weight``. An organisation that is the only thing tying two groups of
  clusters gets the whole betweenness of that tie; one of six shared members of two clusters
  that are also alike and already partners gets a small part. The cost depends on the number of
  clusters, not organisations.

Up to :data:`EXACT_BETWEENNESS_LIMIT` clusters the betweenness is exact; above it networkx
estimates it from :data:`BETWEENNESS_SAMPLES` source clusters drawn with seed
:data:`BETWEENNESS_SEED` (the same answer every run; the sample makes it ``clusters /
samples`` times faster: about 13 s instead of 4 minutes at 3,000 clusters and 28,000 ties on
2 cores). Both scores come from one pass of shortest paths and are cached on the projection,
so a second call is instant. Brokers with a zero score are left out.

:func:`find_brokers` returns :class:`Brokers`; ``to_json()`` is::

    {
      "kind": "both",                      # what was asked: clusters, organisations or both
      "limit": 20,                         # at most this many of each kind
      "betweenness": {"exact": true, "samples": null, "seed": 0, "clusters": 106},
      "brokers": [                         # clusters first, then organisations; best first
        {
          "kind": "cluster",               # or "organisation"
          "iri": ..., "id": ..., "label": ...,
          "score": 0.123,                  # share of shortest cluster-to-cluster paths through it
          "clusters": [cluster, ...],      # the clusters it connects (for an organisation: all
                                           # its clusters; for a cluster: the pair it bridges)
          "countries": ["DE", "FR"],       # of those clusters
          "industries": ["Electronics", ...],
          "type": "large_enterprise",      # organisations only, else null
          "why": "connects Silicon Saxony (DE, Electronics) and Cool Silicon (DE, Digital); ..."
        }
      ]
    }

where ``cluster`` is ``{"iri", "id", "label", "countries"}``.

>>> from clusterkg.graph.sheets import build_rows
>>> from clusterkg.graph.store import OxigraphStore
>>> from clusterkg.graph.projection import build_projection
>>> store = OxigraphStore()
>>> url = "https://example.org"
>>> rows = {
...     "countries": [{"code": "DE", "name": "Germany"}],
...     "clusters": [{"id": f"c{i}", "name": f"C{i}", "countries": "DE", "source_url": url} for i in range(4)],
...     "organisations": [{"id": "bridge", "name": "Bridge AG", "type": "sme", "source_url": url}],
...     "affiliations": [{"cluster": c, "organisation": "bridge", "relation": "member", "source_url": url}
...                      for c in ("c1", "c2")],
...     "partnerships": [{"id": f"p{i}", "name": f"P{i}", "level": "cooperation_agreement",
...                       "participants": pair, "source_url": url} for i, pair in enumerate(["c0;c1", "c2;c3"])],
... }
>>> for sheet, sheet_rows in rows.items():
...     store.insert_graph(build_rows(sheet, sheet_rows)[0])
>>> result = find_brokers(build_projection(store))
>>> [(b.kind, b.label, round(b.score, 3)) for b in result.brokers]
[('cluster', 'C1', 0.667), ('cluster', 'C2', 0.667), ('organisation', 'Bridge AG', 0.667)]
>>> result.brokers[-1].why
'connects C1 (DE) and C2 (DE); the only tie between them'
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from itertools import combinations

import networkx as nx
import numpy as np
import pandas as pd

from clusterkg.graph.analysis.communities import (MEMBERSHIP_WEIGHT, cluster_descriptor, cluster_industries,
                                                  cluster_network, cluster_ref)
from clusterkg.graph.reasons import N_, join, reason
from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.projection import Projection, local_name

__all__ = [
    "EXACT_BETWEENNESS_LIMIT",
    "BETWEENNESS_SAMPLES",
    "BETWEENNESS_SEED",
    "KINDS",
    "Broker",
    "Brokers",
    "find_brokers",
]

#: up to this many clusters, betweenness is computed exactly
EXACT_BETWEENNESS_LIMIT = 300
#: above the limit, the number of source clusters the estimate is drawn from
BETWEENNESS_SAMPLES = 150
BETWEENNESS_SEED = 0
KINDS = ("clusters", "organisations", "both")


@dataclass(frozen=True)
class Broker:
    """A cluster or organisation on many shortest paths between clusters, and why."""

    kind: str
    iri: str
    id: str
    label: str
    score: float
    clusters: tuple[dict, ...]
    countries: tuple[str, ...]
    industries: tuple[str, ...]
    type: str | None
    why: str

    def to_json(self) -> dict:
        return {"kind": self.kind, "iri": self.iri, "id": self.id, "label": self.label, "score": self.score,
                "clusters": [dict(c) for c in self.clusters], "countries": list(self.countries),
                "industries": list(self.industries), "type": self.type, "why": self.why}


@dataclass(frozen=True)
class Brokers:
    """Brokers of the kind asked for, clusters first, best first within each kind."""

    kind: str
    limit: int
    exact: bool
    samples: int | None
    seed: int
    cluster_count: int
    brokers: tuple[Broker, ...]

    def to_json(self) -> dict:
        return {"kind": self.kind, "limit": self.limit,
                "betweenness": {"exact": self.exact, "samples": self.samples, "seed": self.seed,
                                "clusters": self.cluster_count},
                "brokers": [b.to_json() for b in self.brokers]}

    def to_frame(self) -> pd.DataFrame:
        columns = ["kind", "id", "label", "score", "type", "countries", "industries", "clusters", "why"]
        return pd.DataFrame([{"kind": b.kind, "id": b.id, "label": b.label, "score": b.score, "type": b.type or "",
                              "countries": list(b.countries), "industries": list(b.industries),
                              "clusters": [c["label"] for c in b.clusters], "why": b.why} for b in self.brokers],
                            columns=columns)


def find_brokers(projection: Projection, kind: str = "both", limit: int = 20) -> Brokers:
    """Clusters and/or organisations ranked by how much they bridge the cluster network.

    Parameters
    ----------
    projection : Projection
    kind : {"clusters", "organisations", "both"}
    limit : int
        At most this many brokers of each kind (>= 1).

    Raises
    ------
    InvalidInput
        If ``kind`` is not one of :data:`KINDS` or ``limit`` is below 1.
    """
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if limit < 1:
        raise InvalidInput(f"limit must be at least 1, not {limit}")
    graph = cluster_network(projection)
    n = graph.number_of_nodes()
    node_scores, edge_scores, samples = _betweenness(projection, graph)
    brokers: list[Broker] = []
    if kind in ("clusters", "both"):
        ranked = sorted((c for c, s in node_scores.items() if s > 0), key=lambda c: (-node_scores[c], c))[:limit]
        brokers += [_cluster_broker(projection, graph, edge_scores, c, node_scores[c]) for c in ranked]
    if kind in ("organisations", "both"):
        brokers += _organisation_brokers(projection, graph, edge_scores, limit)
    return Brokers(kind, limit, samples is None, samples, BETWEENNESS_SEED, n, tuple(brokers))


def _betweenness(p: Projection, graph: nx.Graph) -> tuple[dict, dict, int | None]:
    """Normalised node and edge betweenness from one pass of shortest paths, cached.

    networkx has one function per kind, each a full pass. Node betweenness follows from the
    edge betweenness of a node's edges: a shortest path through ``v`` uses two of them, one that
    starts or ends at ``v`` uses one, so ``node(v) = (sum of incident edges - endpoint paths) /
    2`` (checked against ``networkx.betweenness_centrality`` in the tests). The sampled sources
    are drawn here, so the endpoint paths are known exactly; both are normalised as networkx
    normalises them (the same numbers as its functions with the same ``k`` and seed).
    """
    return p.cached("brokers.betweenness", lambda: _one_pass_betweenness(graph))


def _one_pass_betweenness(graph: nx.Graph) -> tuple[dict, dict, int | None]:
    """The computation :func:`_betweenness` keeps in the projection's memo."""
    n = graph.number_of_nodes()
    nodes = sorted(graph)
    samples = None if n <= EXACT_BETWEENNESS_LIMIT else BETWEENNESS_SAMPLES
    sources = nodes if samples is None else random.Random(BETWEENNESS_SEED).sample(nodes, samples)
    raw = nx.edge_betweenness_centrality_subset(graph, sources, nodes, normalized=False, weight="distance")
    raw = {(min(a, b), max(a, b)): value for (a, b), value in raw.items()}
    is_source = set(sources)
    component_of, size_of, sources_in = {}, {}, {}
    for number, component in enumerate(nx.connected_components(graph)):
        component_of.update(dict.fromkeys(component, number))
        size_of[number], sources_in[number] = len(component), len(is_source & component)
    k = len(sources)
    node_scores = {}
    for v in nodes:
        incident = 2 * sum(raw.get((min(v, u), max(v, u)), 0.0) for u in graph[v])  # networkx halves
        number = component_of[v]
        # paths from a sampled source ending at v, and (if v is sampled) paths starting at v
        endpoint_paths = sources_in[number] - (v in is_source) + (size_of[number] - 1 if v in is_source else 0)
        dependency = (incident - endpoint_paths) / 2  # sum over sources of the paths through v
        # networkx's normalisation: v's own sampled source cannot count paths through v
        pairs = ((k - 1) if v in is_source else k) * (n - 2)
        node_scores[v] = dependency / pairs if pairs > 0 and dependency > 1e-9 else 0.0
    edge_scores = {e: 2 * value / (k * (n - 1)) if value > 1e-9 else 0.0 for e, value in raw.items()} if n > 1 else {}
    return node_scores, edge_scores, samples


def _cluster_broker(p: Projection, graph: nx.Graph, edge_scores: dict, cluster: int, score: float) -> Broker:
    def through(other: int) -> float:
        return edge_scores.get((min(cluster, other), max(cluster, other)), 0.0)

    neighbours = sorted(graph[cluster], key=lambda o: (-through(o), o))
    top = neighbours[:8]
    pairs = [(u, v) for u, v in combinations(top, 2) if not graph.has_edge(u, v)]
    u, v = max(pairs, key=lambda uv: through(uv[0]) + through(uv[1])) if pairs else (top + [None, None])[:2]
    bridged = [c for c in (u, v) if c is not None]
    row = p.clusters.iloc[cluster]
    countries = sorted({code for c in neighbours for code in p.clusters["countries"].iat[c]})
    industries = _industry_labels(p, neighbours)
    parts = []
    if len(bridged) == 2:
        parts.append(reason(N_("connects %(a)s and %(b)s"), a=cluster_descriptor(p, bridged[0]), b=cluster_descriptor(p, bridged[1])))
    elif bridged:
        parts.append(reason(N_("ties %(cluster)s to the rest"), cluster=cluster_descriptor(p, bridged[0])))
    parts.append(reason(N_("on %(share)s of shortest paths between clusters"), share=f"{score:.1%}"))
    clusters_said = reason(N_("%(count)s cluster") if len(neighbours) == 1 else N_("%(count)s clusters"), count=len(neighbours))
    countries_said = reason(N_("%(count)s country") if len(countries) == 1 else N_("%(count)s countries"), count=len(countries))
    if industries:
        industries_said = reason(N_("%(count)s industry") if len(industries) == 1 else N_("%(count)s industries"),
                                 count=len(industries))
        parts.append(reason(N_("neighbours: %(clusters)s in %(countries)s, %(industries)s"), clusters=clusters_said,
                            countries=countries_said, industries=industries_said))
    else:
        parts.append(reason(N_("neighbours: %(clusters)s in %(countries)s"), clusters=clusters_said, countries=countries_said))
    return Broker("cluster", row["iri"], row["id"], row["label"], round(float(score), 6),
                  tuple(cluster_ref(p, c) for c in bridged),
                  tuple(sorted({code for c in bridged for code in p.clusters['countries'].iat[c]})),
                  tuple(_industry_labels(p, bridged)), None, join(parts))


def _organisation_brokers(p: Projection, graph: nx.Graph, edge_scores: dict, limit: int) -> list[Broker]:
    ties = (p.cluster_org > 0).T.tocsr()
    counts = np.diff(ties.indptr)
    scored = []
    for organisation in np.flatnonzero(counts >= 2):
        clusters = ties.indices[ties.indptr[organisation]:ties.indptr[organisation + 1]]
        contributions = []
        for a, b in combinations(sorted(int(c) for c in clusters), 2):
            if not graph.has_edge(a, b):
                continue
            edge = graph[a][b]
            share = MEMBERSHIP_WEIGHT * edge["membership"] / max(edge["shared_members"], 1) / edge["weight"]
            contributions.append((edge_scores.get((a, b), 0.0) * share, a, b, share))
        score = sum(c[0] for c in contributions)
        if score > 0:
            scored.append((score, int(organisation), sorted(int(c) for c in clusters), contributions))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [_organisation_broker(p, *item) for item in scored[:limit]]


def _organisation_broker(p: Projection, score: float, organisation: int, clusters: list[int], contributions: list) -> Broker:
    row = p.organisations.iloc[organisation]
    _, a, b, share = max(contributions)
    countries = sorted({code for c in clusters for code in p.clusters["countries"].iat[c]})
    parts = [reason(N_("connects %(a)s and %(b)s"), a=cluster_descriptor(p, a), b=cluster_descriptor(p, b))]
    if share >= 1 - 1e-9:
        parts.append(reason(N_("the only tie between them")))
    others = [c for c in clusters if c not in (a, b)]
    if others:
        parts.append(reason(N_("also in %(clusters)s%(more)s"), clusters=[cluster_descriptor(p, c) for c in others[:3]],
                            more=reason(N_(" and %(count)s more"), count=len(others) - 3) if len(others) > 3 else ""))
    if len(countries) > 1:
        parts.append(reason(N_("spans %(count)s countries"), count=len(countries)))
    return Broker("organisation", row["iri"], row["id"], row["label"], round(float(score), 6),
                  tuple(cluster_ref(p, c) for c in clusters), tuple(countries), tuple(_industry_labels(p, clusters)),
                  row["type"], join(parts))


def _industry_labels(p: Projection, clusters) -> list[str]:
    counts = Counter(iri for c in clusters for iri in cluster_industries(p, c)[:1])
    return [p.labels.get(iri, local_name(iri)) for iri, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
