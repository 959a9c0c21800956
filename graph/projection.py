"""The analytic projection: the knowledge graph as sparse matrices and a small networkx graph.

Built from the store through SPARQL (so it works the same on the embedded store and a remote
server), once per data version, and cached. Heavy scoring is sparse linear algebra on
matrices taken from it; networkx holds only the small derived cluster graph (partnerships,
shared members) for structural analyses. The organisation side of the bipartite graph is never
projected (see DESIGN.md: 438 s and 2 GB at European scale, against 0.1 s for the matrices).

Rows and columns:

- ``org_competency`` (organisations × competencies): 1 where the organisation claims the
  competency; ``org_competency_up`` also counts every broader competency (having "power
  semiconductors" means having "semiconductor devices").
- ``cluster_org`` (clusters × organisations): the strength of the tie, by affiliation type
  (:data:`AFFILIATION_WEIGHTS`).
- ``cluster_competency`` (clusters × competencies): how many organisations of the cluster have
  the competency (with broader ones), weighted by tie strength.
- ``cluster_needs`` / ``org_needs``: declared needs (the demand side).

>>> from clusterkg.graph.store import OxigraphStore
>>> from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic
>>> import io
>>> buffer = io.BytesIO()
>>> _ = write_synthetic(SyntheticSpec(clusters=6, organisations=80, competencies=40, seed=1), buffer)
>>> store = OxigraphStore(); store.insert_ntriples(buffer.getvalue())
>>> projection = build_projection(store)
>>> projection.org_competency.shape[0] >= 80, len(projection.clusters)
(True, 6)
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import threading
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from clusterkg.graph.errors import AmbiguousName, ClusterNotFound, NotFound
from clusterkg.graph.store import KnowledgeStore

__all__ = [
    "AFFILIATION_WEIGHTS",
    "Projection",
    "ProjectionCache",
    "build_projection",
    "load_or_build",
]

CKG = "https://w3id.org/clusterkg/ns#"
ORG = "http://www.w3.org/ns/org#"
PREFIXES = f"""PREFIX ckg: <{CKG}>
PREFIX org: <{ORG}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <https://schema.org/>
"""

#: How much an affiliation ties an organisation to a cluster's competency profile. Members
#: (of any kind) count fully; a project partner or an organisation merely located in the
#: cluster's region is part of its wider ecosystem and counts half.
AFFILIATION_WEIGHTS = {
    CKG + "Member": 1.0,
    CKG + "FoundingMember": 1.0,
    CKG + "BoardMember": 1.0,
    CKG + "Resident": 1.0,
    CKG + "ProjectPartner": 0.5,
    CKG + "LocatedInRegion": 0.5,
}
ORGANISATION_TYPES = {
    CKG + "SME": "sme",
    CKG + "LargeEnterprise": "large_enterprise",
    CKG + "University": "university",
    CKG + "ResearchInstitute": "research_institute",
    CKG + "Technopark": "technopark",
    CKG + "PublicBody": "public_body",
    CKG + "Association": "association",
    CKG + "Investor": "investor",
    CKG + "ClusterManagementOrganisation": "cluster_organisation",
    CKG + "Hospital": "hospital",
    CKG + "OtherOrganisation": "other",
}
PARTNERSHIP_LEVELS = {
    CKG + "CrossClusterProject": "cross_cluster_project",
    CKG + "SuperRegionalCluster": "super_regional_cluster",
    CKG + "MetaCluster": "meta_cluster",
    CKG + "CooperationAgreement": "cooperation_agreement",
}
LEVEL_WEIGHTS = {CKG + "LevelBasic": 0.75, CKG + "LevelAdvanced": 1.0, CKG + "LevelLeading": 1.25}


def local_name(iri: str) -> str:
    """The id part of a data IRI: ``.../id/cluster/silicon-saxony`` -> ``silicon-saxony``."""
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


@dataclass
class Projection:
    """The graph as tables, sparse matrices and a cluster graph; read-only once built."""

    version: str
    clusters: pd.DataFrame  # iri, id, label, countries, regions, industries, alt_labels
    organisations: pd.DataFrame  # iri, id, label, type, country, region
    competencies: pd.DataFrame  # iri, id, label, broader (index or -1), depth, industries
    industries: pd.DataFrame  # iri, id, label, scheme
    org_competency: sp.csr_matrix
    org_competency_up: sp.csr_matrix
    cluster_org: sp.csr_matrix
    cluster_competency: sp.csr_matrix
    cluster_needs: sp.csr_matrix
    org_needs: sp.csr_matrix
    partnerships: pd.DataFrame  # iri, label, level, clusters (tuple of cluster indices)
    resources: pd.DataFrame  # iri, label, kind, organisation (index), competencies (tuple)
    developments: pd.DataFrame  # iri, label, organisation, competencies, industries
    labels: dict[str, str] = field(default_factory=dict)  # iri -> label of anything
    _index: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)
    _cluster_graph: nx.Graph | None = field(default=None, repr=False)

    # -- lookups -----------------------------------------------------------------------------

    def index(self, kind: str) -> dict[str, int]:
        """IRI -> row number for ``cluster``, ``organisation``, ``competency``, ``industry``."""
        if kind not in self._index:
            frame = {"cluster": self.clusters, "organisation": self.organisations,
                     "competency": self.competencies, "industry": self.industries}[kind]
            self._index[kind] = {iri: i for i, iri in enumerate(frame["iri"])}
        return self._index[kind]

    def resolve_cluster(self, name: str) -> int:
        """A cluster's row from its id, IRI, or an unambiguous part of its name.

        Raises :class:`ClusterNotFound` (with the closest names) or :class:`AmbiguousName`.
        """
        return self._resolve("cluster", self.clusters, name)

    def resolve_organisation(self, name: str) -> int:
        return self._resolve("organisation", self.organisations, name)

    def resolve_competency(self, name: str) -> int:
        return self._resolve("competency", self.competencies, name)

    def resolve_industry(self, name: str) -> int:
        return self._resolve("industry", self.industries, name)

    def _resolve(self, kind: str, frame: pd.DataFrame, name: str) -> int:
        text = name.strip()
        if not text:
            raise NotFound(kind, name)
        by_iri = self.index(kind)
        if text in by_iri:
            return by_iri[text]
        ids = frame["id"].tolist()
        if text in ids:
            return ids.index(text)
        wanted = _fold(text)
        names = [[_fold(label)] + [_fold(a) for a in alts] for label, alts in zip(frame["label"], frame.get("alt_labels", [()] * len(frame)))]
        exact = [i for i, options in enumerate(names) if wanted in options]
        if len(exact) == 1:
            return exact[0]
        partial = exact or [i for i, options in enumerate(names) if any(wanted in option for option in options)]
        partial = partial or [i for i, identifier in enumerate(ids) if wanted in identifier]
        if len(partial) == 1:
            return partial[0]
        if partial:
            raise AmbiguousName(kind, name, sorted(f"{frame['label'].iat[i]} [{ids[i]}]" for i in partial))
        words = set(wanted.split())
        near = sorted(range(len(ids)), key=lambda i: -len(words & set(names[i][0].split())))[:5]
        candidates = [f"{frame['label'].iat[i]} [{ids[i]}]" for i in near if words & set(names[i][0].split())]
        if kind == "cluster":
            raise ClusterNotFound(name, candidates)
        raise NotFound(kind, name, candidates)

    # -- derived quantities ---------------------------------------------------------------------

    @property
    def competency_specificity(self) -> np.ndarray:
        """How rare each competency is among organisations (inverse document frequency)."""
        holders = np.asarray((self.org_competency_up > 0).sum(axis=0)).ravel()
        n = max(self.org_competency.shape[0], 1)
        return np.log((1 + n) / (1 + holders)) + 1.0

    def cluster_graph(self) -> nx.Graph:
        """Clusters as nodes; edges where clusters partner or share members (small: built once)."""
        if self._cluster_graph is None:
            self._cluster_graph = _build_cluster_graph(self)
        return self._cluster_graph

    def members_of(self, cluster: int) -> np.ndarray:
        """Row numbers of the organisations tied to a cluster (any affiliation)."""
        return self.cluster_org.getrow(cluster).indices

    def clusters_of(self, organisation: int) -> np.ndarray:
        return self._org_cluster.getrow(organisation).indices

    @property
    def _org_cluster(self) -> sp.csr_matrix:
        cached = self.__dict__.get("_org_cluster_cache")
        if cached is None:
            cached = self.cluster_org.T.tocsr()
            self.__dict__["_org_cluster_cache"] = cached
        return cached

    def partners_of(self, cluster: int) -> dict[int, list[str]]:
        """Clusters that already partner with ``cluster`` -> labels of the partnerships."""
        graph = self.cluster_graph()
        result = {}
        for other, data in graph[cluster].items():
            if data.get("partnerships"):
                result[other] = list(data["partnerships"])
        return result


def _fold(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", ascii_text).strip()


def _build_cluster_graph(p: Projection) -> nx.Graph:
    graph = nx.Graph()
    for i, row in enumerate(p.clusters.itertuples()):
        graph.add_node(i, iri=row.iri, label=row.label, countries=row.countries, industries=row.industries)
    binary = (p.cluster_org > 0).astype(np.float64)
    shared = (binary @ binary.T).tocoo()
    for a, b, n in zip(shared.row, shared.col, shared.data):
        if a < b:
            graph.add_edge(int(a), int(b), shared_members=int(n), partnerships=[])
    for row in p.partnerships.itertuples():
        members = list(row.clusters)
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                a, b = members[x], members[y]
                if a == b:
                    continue
                if not graph.has_edge(a, b):
                    graph.add_edge(a, b, shared_members=0, partnerships=[])
                graph[a][b]["partnerships"].append(row.label)
    return graph


# ---------------------------------------------------------------------------------------------
# Building from the store


def _rows(store: KnowledgeStore, query: str) -> list[tuple]:
    return store.select_values(PREFIXES + query)[1]


def build_projection(store: KnowledgeStore) -> Projection:
    """Read everything the analyses need from ``store`` with a handful of SPARQL SELECTs."""
    version = store.data_version()
    labels: dict[str, str] = {}

    # clusters
    cluster_rows = _rows(store, "SELECT ?c (SAMPLE(?l) AS ?label) WHERE { ?c a ckg:Cluster OPTIONAL { ?c rdfs:label ?l } } GROUP BY ?c ORDER BY ?c")
    cluster_iris = [c for c, _ in cluster_rows]
    c_index = {iri: i for i, iri in enumerate(cluster_iris)}
    multi = _multi(store, "SELECT ?c ?v WHERE { ?c a ckg:Cluster ; ckg:country ?v }")
    regions = _multi(store, "SELECT ?c ?v WHERE { ?c a ckg:Cluster ; ckg:region ?v }")
    c_industries = _multi(store, "SELECT ?c ?v WHERE { ?c a ckg:Cluster ; ckg:industry ?v }")
    alts = _multi(store, "SELECT ?c ?v WHERE { ?c a ckg:Cluster ; skos:altLabel ?v }")
    clusters = pd.DataFrame({
        "iri": cluster_iris,
        "id": [local_name(c) for c in cluster_iris],
        "label": [label or local_name(c) for c, label in cluster_rows],
        "countries": [tuple(sorted(local_name(v) for v in multi.get(c, ()))) for c in cluster_iris],
        "regions": [tuple(sorted(regions.get(c, ()))) for c in cluster_iris],
        "industries": [tuple(sorted(c_industries.get(c, ()))) for c in cluster_iris],
        "alt_labels": [tuple(alts.get(c, ())) for c in cluster_iris],
    })

    # organisations
    type_values = " ".join(f"<{t}>" for t in ORGANISATION_TYPES)
    org_rows = _rows(store, f"""SELECT ?o (SAMPLE(?l) AS ?label) (SAMPLE(?t) AS ?type) (SAMPLE(?co) AS ?country) (SAMPLE(?r) AS ?region)
        WHERE {{ ?o a org:FormalOrganization
          OPTIONAL {{ ?o rdfs:label ?l }}
          OPTIONAL {{ ?o a ?t VALUES ?t {{ {type_values} }} }}
          OPTIONAL {{ ?o ckg:country ?co }} OPTIONAL {{ ?o ckg:region ?r }} }} GROUP BY ?o ORDER BY ?o""")
    org_iris = [row[0] for row in org_rows]
    o_index = {iri: i for i, iri in enumerate(org_iris)}
    organisations = pd.DataFrame({
        "iri": org_iris,
        "id": [local_name(o) for o in org_iris],
        "label": [label or local_name(o) for _, label, _, _, _ in org_rows],
        "type": [ORGANISATION_TYPES.get(t or "", "other") for _, _, t, _, _ in org_rows],
        "country": [local_name(c) if c else "" for _, _, _, c, _ in org_rows],
        "region": [r or "" for _, _, _, _, r in org_rows],
    })

    # industries
    industry_rows = _rows(store, "SELECT ?i (SAMPLE(?l) AS ?label) (SAMPLE(?s) AS ?scheme) WHERE { ?i a ckg:Industry OPTIONAL { ?i skos:prefLabel ?l } OPTIONAL { ?i skos:inScheme ?s } } GROUP BY ?i ORDER BY ?i")
    industries = pd.DataFrame({
        "iri": [i for i, _, _ in industry_rows],
        "id": [local_name(i) for i, _, _ in industry_rows],
        "label": [label or local_name(i) for i, label, _ in industry_rows],
        "scheme": [local_name(s) if s else "" for _, _, s in industry_rows],
    })

    # competencies and their hierarchy
    comp_rows = _rows(store, "SELECT ?c (SAMPLE(?l) AS ?label) (SAMPLE(?b) AS ?broader) WHERE { ?c a ckg:Competency OPTIONAL { ?c skos:prefLabel ?l } OPTIONAL { ?c skos:broader ?b } } GROUP BY ?c ORDER BY ?c")
    comp_iris = [c for c, _, _ in comp_rows]
    k_index = {iri: i for i, iri in enumerate(comp_iris)}
    broader = np.array([k_index.get(b, -1) if b else -1 for _, _, b in comp_rows], dtype=np.int64)
    applied = _multi(store, "SELECT ?c ?v WHERE { ?c a ckg:Competency ; ckg:appliedIn ?v }")
    comp_alts = _multi(store, "SELECT ?c ?v WHERE { ?c a ckg:Competency ; skos:altLabel ?v }")
    competencies = pd.DataFrame({
        "iri": comp_iris,
        "id": [local_name(c) for c in comp_iris],
        "label": [label or local_name(c) for c, label, _ in comp_rows],
        "broader": broader,
        "depth": _depths(broader),
        "industries": [tuple(sorted(applied.get(c, ()))) for c in comp_iris],
        "alt_labels": [tuple(comp_alts.get(c, ())) for c in comp_iris],
    })

    n_org, n_comp, n_cluster = len(org_iris), len(comp_iris), len(cluster_iris)

    # organisation x competency
    _, pairs = store.select_values(PREFIXES + "SELECT ?o ?c WHERE { ?o ckg:hasCompetency ?c }")
    rows_, cols_ = _pairs(pairs, o_index, k_index)
    org_competency = sp.csr_matrix((np.ones(len(rows_)), (rows_, cols_)), shape=(n_org, n_comp))
    org_competency.data[:] = 1.0
    level_rows = _rows(store, "SELECT ?o ?c ?level WHERE { ?o ckg:qualifiedCompetency ?q . ?q ckg:competency ?c ; ckg:level ?level }")
    if level_rows:
        org_competency = org_competency.tolil()
        for o, c, level in level_rows:
            if o in o_index and c in k_index:
                org_competency[o_index[o], k_index[c]] = LEVEL_WEIGHTS.get(level, 1.0)
        org_competency = org_competency.tocsr()
    up = _ancestor_matrix(broader)
    org_competency_up = (org_competency @ up).tocsr()
    org_competency_up.data = np.minimum(org_competency_up.data, 1.25)

    # cluster x organisation
    _, ties = store.select_values(PREFIXES + "SELECT ?c ?o ?t WHERE { ?a ckg:cluster ?c ; ckg:organisation ?o ; ckg:affiliationType ?t }")
    tie_rows, tie_cols, tie_weights = [], [], []
    for c, o, t in ties:
        if c in c_index and o in o_index:
            tie_rows.append(c_index[c])
            tie_cols.append(o_index[o])
            tie_weights.append(AFFILIATION_WEIGHTS.get(t, 0.5))
    cluster_org = sp.coo_matrix((tie_weights, (tie_rows, tie_cols)), shape=(n_cluster, n_org)).tocsr()
    cluster_org.sum_duplicates()
    cluster_org.data = np.minimum(cluster_org.data, 1.0)  # several ties to one cluster count once
    cluster_competency = (cluster_org @ (org_competency_up > 0).astype(np.float64)).tocsr()

    # needs
    _, needs = store.select_values(PREFIXES + "SELECT ?h ?c WHERE { ?h ckg:needsCompetency ?c }")
    cn_r, cn_c, on_r, on_c = [], [], [], []
    for h, c in needs:
        if c not in k_index:
            continue
        if h in c_index:
            cn_r.append(c_index[h]); cn_c.append(k_index[c])
        elif h in o_index:
            on_r.append(o_index[h]); on_c.append(k_index[c])
    cluster_needs = sp.csr_matrix((np.ones(len(cn_r)), (cn_r, cn_c)), shape=(n_cluster, n_comp))
    org_needs = sp.csr_matrix((np.ones(len(on_r)), (on_r, on_c)), shape=(n_org, n_comp))
    cluster_needs.data[:] = 1.0
    org_needs.data[:] = 1.0

    # partnerships
    level_values = " ".join(f"<{t}>" for t in PARTNERSHIP_LEVELS)
    part_rows = _rows(store, f"SELECT ?p ?label ?level ?c WHERE {{ ?p a ckg:Partnership ; ckg:participant ?c OPTIONAL {{ ?p rdfs:label ?label }} OPTIONAL {{ ?p a ?level VALUES ?level {{ {level_values} }} }} }}")
    grouped: dict[str, dict] = {}
    for p, label, level, c in part_rows:
        entry = grouped.setdefault(p, {"iri": p, "label": label or local_name(p), "level": PARTNERSHIP_LEVELS.get(level or "", ""), "clusters": set()})
        if c in c_index:
            entry["clusters"].add(c_index[c])
    partnerships = pd.DataFrame(
        [{**e, "clusters": tuple(sorted(e["clusters"]))} for _, e in sorted(grouped.items())],
        columns=["iri", "label", "level", "clusters"],
    )

    # shareable resources and developments
    res_rows = _rows(store, "SELECT ?r ?label ?kind ?o ?c WHERE { ?r a ckg:SharedResource ; ckg:offeredBy ?o OPTIONAL { ?r rdfs:label ?label } OPTIONAL { ?r ckg:resourceKind ?kind } OPTIONAL { ?r ckg:relatedCompetency ?c } }")
    resources = _grouped_items(res_rows, o_index, k_index, kind=True)
    dev_rows = _rows(store, "SELECT ?d ?label ?o ?c ?i WHERE { ?d a ckg:Development ; ckg:developedBy ?o OPTIONAL { ?d rdfs:label ?label } OPTIONAL { ?d ckg:relatedCompetency ?c } OPTIONAL { ?d ckg:industry ?i } }")
    developments = _grouped_developments(dev_rows, o_index, k_index)

    for frame in (clusters, organisations, competencies, industries):
        labels.update(zip(frame["iri"], frame["label"]))
    return Projection(
        version=version, clusters=clusters, organisations=organisations, competencies=competencies,
        industries=industries, org_competency=org_competency, org_competency_up=org_competency_up,
        cluster_org=cluster_org, cluster_competency=cluster_competency, cluster_needs=cluster_needs,
        org_needs=org_needs, partnerships=partnerships, resources=resources, developments=developments,
        labels=labels,
    )


def _multi(store: KnowledgeStore, query: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = defaultdict(list)
    for subject, value in _rows(store, query):
        values[subject].append(value)
    return values


def _pairs(pairs, left: dict[str, int], right: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = [], []
    for a, b in pairs:
        i, j = left.get(a), right.get(b)
        if i is not None and j is not None:
            rows.append(i)
            cols.append(j)
    return np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)


def _depths(broader: np.ndarray) -> np.ndarray:
    depth = np.zeros(len(broader), dtype=np.int64)
    for i in range(len(broader)):
        d, j, seen = 0, broader[i], 0
        while j >= 0 and seen < 64:  # bounded: the checks forbid loops, but never hang on one
            d, j, seen = d + 1, broader[j], seen + 1
        depth[i] = d
    return depth


def _ancestor_matrix(broader: np.ndarray) -> sp.csr_matrix:
    """``up[c, a] = 1`` when ``a`` is ``c`` or one of its broader competencies."""
    rows, cols = [], []
    for c in range(len(broader)):
        j, seen = c, 0
        while j >= 0 and seen < 64:
            rows.append(c)
            cols.append(j)
            j, seen = broader[j], seen + 1
    n = len(broader)
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def _grouped_items(rows, o_index, k_index, kind: bool) -> pd.DataFrame:
    grouped: dict[str, dict] = {}
    for r, label, kind_iri, o, c in rows:
        entry = grouped.setdefault(r, {"iri": r, "label": label or local_name(r), "kind": local_name(kind_iri or ""), "organisation": o_index.get(o, -1), "competencies": set()})
        if c in k_index:
            entry["competencies"].add(k_index[c])
    return pd.DataFrame([{**e, "competencies": tuple(sorted(e["competencies"]))} for _, e in sorted(grouped.items())],
                        columns=["iri", "label", "kind", "organisation", "competencies"])


def _grouped_developments(rows, o_index, k_index) -> pd.DataFrame:
    grouped: dict[str, dict] = {}
    for d, label, o, c, i in rows:
        entry = grouped.setdefault(d, {"iri": d, "label": label or local_name(d), "organisation": o_index.get(o, -1), "competencies": set(), "industries": set()})
        if c in k_index:
            entry["competencies"].add(k_index[c])
        if i:
            entry["industries"].add(i)
    return pd.DataFrame([{**e, "competencies": tuple(sorted(e["competencies"])), "industries": tuple(sorted(e["industries"]))} for _, e in sorted(grouped.items())],
                        columns=["iri", "label", "organisation", "competencies", "industries"])


# ---------------------------------------------------------------------------------------------
# Caching: once per data version, in memory and (for the CLI) on disk


class ProjectionCache:
    """Holds the projection of one store and rebuilds it when the data version changes.

    Thread-safe: concurrent requests after an import build it once.
    """

    def __init__(self, store: KnowledgeStore, cache_dir: str | Path | None = None):
        self.store = store
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._projection: Projection | None = None
        self._lock = threading.Lock()

    def get(self) -> Projection:
        version = self.store.data_version()
        current = self._projection
        if current is not None and current.version == version:
            return current
        with self._lock:
            if self._projection is None or self._projection.version != version:
                self._projection = load_or_build(self.store, self.cache_dir)
            return self._projection


def load_or_build(store: KnowledgeStore, cache_dir: str | Path | None) -> Projection:
    """The projection for the store's current data version, from the disk cache if present."""
    if cache_dir is None:
        return build_projection(store)
    version = store.data_version()
    store_key = hashlib.sha256(store.description.encode()).hexdigest()[:12]
    version_key = hashlib.sha256(version.encode()).hexdigest()[:12]
    path = Path(cache_dir) / f"projection-{store_key}-{version_key}.pickle"
    if path.exists():
        try:
            with open(path, "rb") as handle:
                projection = pickle.load(handle)
            if isinstance(projection, Projection) and projection.version == version:
                return projection
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass  # a stale or partial cache file is rebuilt below
    projection = build_projection(store)
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    for old in Path(cache_dir).glob(f"projection-{store_key}-*.pickle"):  # this store's old versions
        if old != path:
            old.unlink(missing_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        pickle.dump(projection, handle, protocol=pickle.HIGHEST_PROTOCOL)
    temporary.replace(path)
    return projection
