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
import io
import os
import pickle
import re
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

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
    "fold_name",
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

_T = TypeVar("_T")


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

    def __post_init__(self) -> None:
        self._start_memo()

    # -- the memo of derived quantities ------------------------------------------------------

    def cached(self, key: Hashable, make: Callable[[], _T]) -> _T:
        """``make()``, computed once per projection and kept under ``key``.

        The projection is read-only once built, so anything derived from it (a transposed
        matrix, the cluster network, shared profiles) can be kept beside it and is dropped with
        it when the data changes. Thread-safe: concurrent callers asking for one key wait for a
        single ``make()``; different keys are computed in parallel. Keys start with the module's
        name by convention (``"partners.org_competency_csc"``, ``("profiles.names", kind)``).
        The memo is not pickled.

        >>> from clusterkg.graph.store import OxigraphStore
        >>> projection = build_projection(OxigraphStore())
        >>> calls = []
        >>> projection.cached("example.answer", lambda: calls.append(1) or 42)
        42
        >>> projection.cached("example.answer", lambda: calls.append(1) or 43), len(calls)
        (42, 1)
        >>> import pickle  # the memo and its locks stay behind
        >>> pickle.loads(pickle.dumps(projection)).cached("example.answer", lambda: 43)
        43
        """
        try:
            return self._memo[key]
        except KeyError:
            pass
        with self._memo_lock:
            key_lock = self._key_locks.setdefault(key, threading.RLock())
        with key_lock:
            if key not in self._memo:
                self._memo[key] = make()
            return self._memo[key]

    def _start_memo(self) -> None:
        self._memo: dict = {}
        self._memo_lock = threading.Lock()  # guards _key_locks only; make() runs under a key's lock
        self._key_locks: dict = {}

    def __getstate__(self) -> dict:
        """The data without the memo and its locks (locks cannot be pickled; the memo is rebuilt)."""
        return {name: value for name, value in self.__dict__.items()
                if name not in ("_memo", "_memo_lock", "_key_locks")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._start_memo()

    # -- lookups -----------------------------------------------------------------------------

    def index(self, kind: str) -> dict[str, int]:
        """IRI -> row number for ``cluster``, ``organisation``, ``competency``, ``industry``."""
        def make() -> dict[str, int]:
            frame = {"cluster": self.clusters, "organisation": self.organisations,
                     "competency": self.competencies, "industry": self.industries}[kind]
            return {iri: i for i, iri in enumerate(frame["iri"])}
        return self.cached(("projection.index", kind), make)

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
        wanted = fold_name(text)
        names = [[fold_name(label)] + [fold_name(a) for a in alts] for label, alts in zip(frame["label"], frame.get("alt_labels", [()] * len(frame)))]
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
        """How rare each competency is among organisations (inverse document frequency).

        Computed once and shared by every analysis, so the array is read-only.
        """
        def make() -> np.ndarray:
            holders = np.asarray((self.org_competency_up > 0).sum(axis=0)).ravel()
            n = max(self.org_competency.shape[0], 1)
            specificity = np.log((1 + n) / (1 + holders)) + 1.0
            specificity.flags.writeable = False
            return specificity
        return self.cached("projection.competency_specificity", make)

    def cluster_graph(self) -> nx.Graph:
        """Clusters as nodes; edges where clusters partner or share members (small: built once)."""
        return self.cached("projection.cluster_graph", lambda: _build_cluster_graph(self))

    def members_of(self, cluster: int) -> np.ndarray:
        """Row numbers of the organisations tied to a cluster (any affiliation)."""
        return self.cluster_org.getrow(cluster).indices

    def clusters_of(self, organisation: int) -> np.ndarray:
        """Row numbers of the clusters an organisation is tied to (any affiliation)."""
        return self.org_cluster.getrow(organisation).indices

    @property
    def org_cluster(self) -> sp.csr_matrix:
        """``cluster_org`` transposed (organisations × clusters), for lookups by organisation."""
        return self.cached("projection.org_cluster", lambda: self.cluster_org.T.tocsr())

    def partners_of(self, cluster: int) -> dict[int, list[str]]:
        """Clusters that already partner with ``cluster`` -> labels of the partnerships."""
        graph = self.cluster_graph()
        result = {}
        for other, data in graph[cluster].items():
            if data.get("partnerships"):
                result[other] = list(data["partnerships"])
        return result


def fold_name(text: str) -> str:
    """A name reduced for matching: ASCII, lower case, words separated by single spaces.

    >>> fold_name("  Pôle Mer-Méditerranée ")
    'pole mer mediterranee'
    """
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
#
# A dozen SELECTs, run concurrently (pyoxigraph releases the GIL while it evaluates; a remote
# server answers in parallel), each result read as CSV bytes by pandas' C parser and mapped to
# row numbers with vectorised index lookups: at 300,000 organisations and 1.2M competency
# claims the Python-object route (one term object per cell) was the bottleneck.

QUERIES = {
    "clusters": "SELECT ?s WHERE { ?s a ckg:Cluster }",
    # attributes of every kind of thing at once: single-pattern scans are several times cheaper
    # than joining each with its type, and rows of other kinds are dropped by the index lookups
    "labels": "SELECT ?s ?v WHERE { ?s rdfs:label ?v }",
    "countries": "SELECT ?s ?v WHERE { ?s ckg:country ?v }",
    "regions": "SELECT ?s ?v WHERE { ?s ckg:region ?v }",
    "cluster_industries": "SELECT ?s ?v WHERE { ?s a ckg:Cluster ; ckg:industry ?v }",
    "cluster_alt_labels": "SELECT ?s ?v WHERE { ?s a ckg:Cluster ; skos:altLabel ?v }",
    "organisations": "SELECT ?s WHERE { ?s a org:FormalOrganization }",
    "organisation_types": "SELECT ?s ?v WHERE { VALUES ?v { %(types)s } ?s a ?v }",
    "industries": "SELECT ?s ?label ?scheme WHERE { ?s a ckg:Industry OPTIONAL { ?s skos:prefLabel ?label } OPTIONAL { ?s skos:inScheme ?scheme } }",
    "competencies": "SELECT ?s ?label ?broader WHERE { ?s a ckg:Competency OPTIONAL { ?s skos:prefLabel ?label } OPTIONAL { ?s skos:broader ?broader } }",
    "competency_industries": "SELECT ?s ?v WHERE { ?s a ckg:Competency ; ckg:appliedIn ?v }",
    "competency_alt_labels": "SELECT ?s ?v WHERE { ?s a ckg:Competency ; skos:altLabel ?v }",
    "claims": "SELECT ?o ?c WHERE { ?o ckg:hasCompetency ?c }",
    "claim_levels": "SELECT ?o ?c ?level WHERE { ?q ckg:level ?level ; ckg:competency ?c . ?o ckg:qualifiedCompetency ?q }",
    "ties": "SELECT ?c ?o ?t WHERE { ?a ckg:affiliationType ?t ; ckg:cluster ?c ; ckg:organisation ?o }",
    "needs": "SELECT ?h ?c WHERE { ?h ckg:needsCompetency ?c }",
    "partnerships": "SELECT ?p ?label ?level ?c WHERE { ?p a ckg:Partnership ; ckg:participant ?c OPTIONAL { ?p rdfs:label ?label } OPTIONAL { ?p a ?level VALUES ?level { %(levels)s } } }",
    "resources": "SELECT ?r ?label ?kind ?o ?c WHERE { ?r a ckg:SharedResource ; ckg:offeredBy ?o OPTIONAL { ?r rdfs:label ?label } OPTIONAL { ?r ckg:resourceKind ?kind } OPTIONAL { ?r ckg:relatedCompetency ?c } }",
    "developments": "SELECT ?d ?label ?o ?c ?i WHERE { ?d a ckg:Development ; ckg:developedBy ?o OPTIONAL { ?d rdfs:label ?label } OPTIONAL { ?d ckg:relatedCompetency ?c } OPTIONAL { ?d ckg:industry ?i } }",
}


def _fetch_all(store: KnowledgeStore) -> dict[str, pd.DataFrame]:
    """Every query of :data:`QUERIES`, concurrently, as DataFrames of strings."""
    fill = {"types": " ".join(f"<{t}>" for t in ORGANISATION_TYPES),
            "levels": " ".join(f"<{t}>" for t in PARTNERSHIP_LEVELS)}

    def fetch(query: str) -> pd.DataFrame:
        data = store.query_bytes(PREFIXES + (query % fill if "%(" in query else query), "text/csv")
        return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(fetch, query) for name, query in QUERIES.items()}
        return {name: future.result() for name, future in futures.items()}


def _ids(iris: pd.Series) -> list[str]:
    return [local_name(iri) for iri in iris]


def _first(frame: pd.DataFrame, index: pd.Index, column: str = "v") -> np.ndarray:
    """One value per entity of ``index`` (the first the store gave), "" where none."""
    values = np.full(len(index), "", dtype=object)
    once = frame.drop_duplicates("s")
    positions = index.get_indexer(once["s"])
    keep = positions >= 0
    values[positions[keep]] = once[column].to_numpy()[keep]
    return values


def _grouped(frame: pd.DataFrame, index: pd.Index, transform=lambda v: v) -> list[tuple]:
    """All values per entity of ``index``, sorted, as tuples."""
    groups: list[list] = [[] for _ in range(len(index))]
    positions = index.get_indexer(frame["s"])
    for position, value in zip(positions, frame["v"]):
        if position >= 0:
            groups[position].append(transform(value))
    return [tuple(sorted(set(g))) for g in groups]


def _entity_index(frame: pd.DataFrame) -> pd.Index:
    return pd.Index(sorted(set(frame["s"])))


def build_projection(store: KnowledgeStore) -> Projection:
    """Read everything the analyses need from ``store`` (see :data:`QUERIES`)."""
    version = store.data_version()
    f = _fetch_all(store)

    c_index = _entity_index(f["clusters"])
    cluster_labels = _first(f["labels"], c_index)
    clusters = pd.DataFrame({
        "iri": list(c_index),
        "id": _ids(c_index),
        "label": [label or local_name(iri) for iri, label in zip(c_index, cluster_labels)],
        "countries": _grouped(f["countries"], c_index, local_name),
        "regions": _grouped(f["regions"], c_index),
        "industries": _grouped(f["cluster_industries"], c_index),
        "alt_labels": [tuple(sorted(a)) for a in _grouped(f["cluster_alt_labels"], c_index)],
    })

    o_index = _entity_index(f["organisations"])
    org_types = _first(f["organisation_types"], o_index)
    organisations = pd.DataFrame({
        "iri": list(o_index),
        "id": _ids(o_index),
        "label": [label or local_name(iri) for iri, label in zip(o_index, _first(f["labels"], o_index))],
        "type": [ORGANISATION_TYPES.get(t, "other") for t in org_types],
        "country": [local_name(c) if c else "" for c in _first(f["countries"], o_index)],
        "region": list(_first(f["regions"], o_index)),
    })

    i_index = _entity_index(f["industries"])
    industry_labels = _first(f["industries"].rename(columns={"label": "v"}), i_index)
    industry_schemes = _first(f["industries"].rename(columns={"scheme": "v"}), i_index)
    industries = pd.DataFrame({
        "iri": list(i_index),
        "id": _ids(i_index),
        "label": [label or local_name(iri) for iri, label in zip(i_index, industry_labels)],
        "scheme": [local_name(s) if s else "" for s in industry_schemes],
    })

    k_index = _entity_index(f["competencies"])
    comp_labels = _first(f["competencies"].rename(columns={"label": "v"}), k_index)
    broader_iris = _first(f["competencies"].rename(columns={"broader": "v"}), k_index)
    broader = k_index.get_indexer(pd.Index(broader_iris)).astype(np.int64)  # -1 where none
    competencies = pd.DataFrame({
        "iri": list(k_index),
        "id": _ids(k_index),
        "label": [label or local_name(iri) for iri, label in zip(k_index, comp_labels)],
        "broader": broader,
        "depth": _depths(broader),
        "industries": _grouped(f["competency_industries"], k_index),
        "alt_labels": _grouped(f["competency_alt_labels"], k_index),
    })

    n_org, n_comp, n_cluster = len(o_index), len(k_index), len(c_index)

    rows, cols, _ = _pair_positions(f["claims"], "o", o_index, "c", k_index)
    org_competency = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_org, n_comp))
    org_competency.data[:] = 1.0
    rows, cols, keep = _pair_positions(f["claim_levels"], "o", o_index, "c", k_index)
    if len(rows):
        weights = f["claim_levels"]["level"].map(LEVEL_WEIGHTS).fillna(1.0).to_numpy(dtype=np.float64)[keep]
        adjust = sp.csr_matrix((weights - 1.0, (rows, cols)), shape=(n_org, n_comp))
        adjust = adjust.multiply(org_competency > 0).tocsr()  # only on stated claims
        org_competency = (org_competency + adjust).tocsr()
        org_competency.eliminate_zeros()
    up = _ancestor_matrix(broader)
    org_competency_up = (org_competency @ up).tocsr()
    org_competency_up.data = np.minimum(org_competency_up.data, 1.25)

    rows, cols, keep = _pair_positions(f["ties"], "c", c_index, "o", o_index)
    weights = f["ties"]["t"].map(AFFILIATION_WEIGHTS).fillna(0.5).to_numpy(dtype=np.float64)[keep]
    cluster_org = sp.coo_matrix((weights, (rows, cols)), shape=(n_cluster, n_org)).tocsr()
    cluster_org.sum_duplicates()
    cluster_org.data = np.minimum(cluster_org.data, 1.0)  # several ties to one cluster count once
    cluster_competency = (cluster_org @ (org_competency_up > 0).astype(np.float64)).tocsr()

    rows, cols, _ = _pair_positions(f["needs"], "h", c_index, "c", k_index)
    cluster_needs = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_cluster, n_comp))
    rows, cols, _ = _pair_positions(f["needs"], "h", o_index, "c", k_index)
    org_needs = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_org, n_comp))
    cluster_needs.data[:] = 1.0
    org_needs.data[:] = 1.0

    c_positions = {iri: i for i, iri in enumerate(c_index)}
    o_positions = {iri: i for i, iri in enumerate(o_index)}
    k_positions = {iri: i for i, iri in enumerate(k_index)}
    grouped: dict[str, dict] = {}
    for p, label, level, c in f["partnerships"].itertuples(index=False):
        entry = grouped.setdefault(p, {"iri": p, "label": label or local_name(p), "level": "", "clusters": set()})
        entry["level"] = entry["level"] or PARTNERSHIP_LEVELS.get(level, "")
        if c in c_positions:
            entry["clusters"].add(c_positions[c])
    partnerships = pd.DataFrame(
        [{**e, "clusters": tuple(sorted(e["clusters"]))} for _, e in sorted(grouped.items())],
        columns=["iri", "label", "level", "clusters"],
    )
    resources = _grouped_items(f["resources"].itertuples(index=False), o_positions, k_positions, kind=True)
    developments = _grouped_developments(f["developments"].itertuples(index=False), o_positions, k_positions)

    labels: dict[str, str] = {}
    for frame in (clusters, organisations, competencies, industries):
        labels.update(zip(frame["iri"], frame["label"]))
    return Projection(
        version=version, clusters=clusters, organisations=organisations, competencies=competencies,
        industries=industries, org_competency=org_competency, org_competency_up=org_competency_up,
        cluster_org=cluster_org, cluster_competency=cluster_competency, cluster_needs=cluster_needs,
        org_needs=org_needs, partnerships=partnerships, resources=resources, developments=developments,
        labels=labels,
    )


def _pair_positions(frame: pd.DataFrame, left: str, left_index: pd.Index, right: str, right_index: pd.Index):
    """Row numbers of the (left, right) pairs whose both ends are known; and which rows those are."""
    rows = left_index.get_indexer(frame[left]) if len(frame) else np.array([], dtype=np.int64)
    cols = right_index.get_indexer(frame[right]) if len(frame) else np.array([], dtype=np.int64)
    keep = (rows >= 0) & (cols >= 0)
    return rows[keep], cols[keep], keep


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
