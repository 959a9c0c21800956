"""The analytic projection: the knowledge graph as sparse matrices and a small networkx graph.

Built from the store through SPARQL (so it works the same on the embedded store and a remote
server), once per data version, and cached; after a small write it is refreshed rather than
rebuilt (:func:`refresh`, driven by the history of writes, :func:`changes_between`). Heavy
scoring is sparse linear algebra on matrices taken from it; networkx holds only the small
derived cluster graph (partnerships, shared members) for structural analyses. The organisation
side of the bipartite graph is never projected (measured at European scale: networkx's
bipartite projection onto 3,000 clusters took 438 s and 2 GB, the matrices 0.1 s).

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
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from rdflib import Literal

from clusterkg.graph.errors import AmbiguousName, ClusterNotFound, InvalidInput, NotFound
from clusterkg.graph.store import KnowledgeStore, sparql_term
from clusterkg.graph.history import HISTORY_GRAPH
from clusterkg.graph.iris import iri_error
from clusterkg.graph.names import fold_name
from clusterkg.ontology.namespace import CKG as _CKG_TERMS, ORG as _ORG_TERMS, PROV as _PROV_TERMS, sparql_prefixes

__all__ = [
    "AFFILIATION_WEIGHTS",
    "Projection",
    "ProjectionCache",
    "build_projection",
    "catch_up",
    "changes_between",
    "fold_name",
    "load_or_build",
    "refresh",
]

CKG = str(_CKG_TERMS._NS)
ORG = str(_ORG_TERMS)
PREFIXES = sparql_prefixes("ckg", "org", "skos", "rdfs", "schema")

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
    # one row per affiliation: key (hash of its IRI), cluster, organisation, weight; any order
    ties: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"key": np.array([], dtype=np.uint64), "cluster": np.array([], dtype=np.int64),
         "organisation": np.array([], dtype=np.int64), "weight": np.array([], dtype=np.float64)}))

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
        """Clusters as nodes; edges where clusters partner or share members (small: built once).

        The one cluster graph of the project (communities add similarity to a copy of it).
        Nodes carry ``iri``, ``id``, ``label``, ``countries``, ``industries``; edges
        ``shared_members``, ``membership``, ``partnerships`` and ``partnership`` (see
        :func:`_cluster_edges`). A refresh patches it rather than building it again.
        """
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


def _build_cluster_graph(p: Projection) -> nx.Graph:
    graph = nx.Graph()
    for i in range(len(p.clusters)):
        graph.add_node(i, **_cluster_node(p, i))
    for a, b, data in _cluster_edges(p):
        graph.add_edge(a, b, **data)
    return graph


def _cluster_node(p: Projection, i: int) -> dict:
    row = p.clusters.iloc[i]
    return {"iri": row["iri"], "id": row["id"], "label": row["label"], "countries": row["countries"],
            "industries": row["industries"]}


def _cluster_edges(p: Projection, among: list[int] | None = None) -> list[tuple[int, int, dict]]:
    """Edges of the cluster graph (of those with an end in ``among``, if given), ordered.

    ``shared_members``: organisations tied to both; ``membership``: the cosine of the two
    membership vectors (shared over ``sqrt(members_a * members_b)``); ``partnerships``: labels
    of the partnerships both take part in; ``partnership``: their weight, ``1 / (participants
    - 1)`` each, so every partnership gives each participant a total of 1 and a 20-cluster
    memorandum does not outweigh a bilateral agreement 19 times over.
    """
    binary = (p.cluster_org > 0).astype(np.float64).tocsr()
    sizes = np.diff(binary.indptr)
    origins = np.arange(binary.shape[0]) if among is None else np.asarray(among, dtype=np.int64)
    chosen = None if among is None else set(origins.tolist())
    shared = ((binary if among is None else binary[origins]) @ binary.T).tocoo()
    edges: dict[tuple[int, int], dict] = {}
    for r, b, n in zip(shared.row.tolist(), shared.col.tolist(), shared.data.tolist()):
        a = int(origins[r])
        if a != b:
            edges[(min(a, b), max(a, b))] = {"shared_members": int(n), "membership": n / float(np.sqrt(sizes[a] * sizes[b])),
                                             "partnership": 0.0, "partnerships": []}
    for row in p.partnerships.itertuples():
        members = sorted(set(row.clusters))
        if chosen is not None and chosen.isdisjoint(members):
            continue
        for x, a in enumerate(members):
            for b in members[x + 1:]:
                if chosen is not None and a not in chosen and b not in chosen:
                    continue
                edge = edges.setdefault((a, b), {"shared_members": 0, "membership": 0.0, "partnership": 0.0, "partnerships": []})
                edge["partnership"] += 1.0 / (len(members) - 1)
                edge["partnerships"].append(row.label)
    return [(a, b, edges[(a, b)]) for a, b in sorted(edges)]


# ---------------------------------------------------------------------------------------------
# Building from the store
#
# Every query is a SELECT read as CSV bytes by pandas' C parser, its IRIs mapped to row numbers
# with vectorised index lookups (one Python object per cell was the bottleneck at 300,000
# organisations and 1.2M claims). ``%(values)s`` is where a VALUES block restricts a query to
# some resources: a page of competencies in a full build, the changed resources in a refresh.
#
# At European scale most of the time goes into the store turning its stored terms back into
# strings (about 2 µs per term on pyoxigraph): so each query returns only the columns it needs,
# a term from a short closed list (a competency level, an affiliation type, an organisation
# type) comes back as its position in that list, and the two joins over a million rows
# (claim levels, affiliations) are written as joins of one-pattern subqueries, which pyoxigraph
# evaluates as hash joins (a third of the time of its nested-loop plan). The claim scan, the
# largest result, is fetched in pages of :data:`PAGE_COMPETENCIES` competencies, so no one
# answer holds all claims; pages run in parallel (pyoxigraph releases the GIL; a remote server
# answers in parallel).

#: competencies per page of the claim scan (about 300,000 rows per page at European scale)
PAGE_COMPETENCIES = 2_500
#: queries run at once
FETCH_THREADS = 4

_LEVELS = tuple(LEVEL_WEIGHTS)
_LEVEL_WEIGHT_ARRAY = np.array([LEVEL_WEIGHTS[i] for i in _LEVELS])
_TIE_TYPES = tuple(AFFILIATION_WEIGHTS)
_TIE_WEIGHT_ARRAY = np.array([AFFILIATION_WEIGHTS[i] for i in _TIE_TYPES])
_ORG_TYPES = tuple(ORGANISATION_TYPES)


def _position_of(variable: str, iris: tuple[str, ...]) -> str:
    """A SPARQL expression: where ``variable``'s value is in ``iris`` (0, 1, ...), or -1."""
    expression = "-1"
    for i in reversed(range(len(iris))):
        expression = f"IF(sameTerm({variable}, <{iris[i]}>), {i}, {expression})"
    return expression


_LEVEL = _position_of("?l", _LEVELS)
_TIE_TYPE = _position_of("?t", _TIE_TYPES)
_ORG_TYPE = _position_of("?t", _ORG_TYPES)
_PARTNERSHIP_LEVELS = " ".join(f"<{t}>" for t in PARTNERSHIP_LEVELS)

QUERIES = {
    "clusters": "SELECT ?s WHERE { %(values)s ?s a ckg:Cluster }",
    # attributes of every kind of thing at once: single-pattern scans are several times cheaper
    # than joining each with its type, and rows of other kinds are dropped by the index lookups
    "labels": "SELECT ?s ?v WHERE { %(values)s ?s rdfs:label ?v }",
    "countries": "SELECT ?s ?v WHERE { %(values)s ?s ckg:country ?v }",
    "regions": "SELECT ?s ?v WHERE { %(values)s ?s ckg:region ?v }",
    "cluster_industries": "SELECT ?s ?v WHERE { %(values)s ?s a ckg:Cluster ; ckg:industry ?v }",
    "cluster_alt_labels": "SELECT ?s ?v WHERE { %(values)s ?s a ckg:Cluster ; skos:altLabel ?v }",
    "organisations": "SELECT ?s WHERE { %(values)s ?s a org:FormalOrganization }",
    "organisation_types": "SELECT ?s ?type_code WHERE { %(values)s VALUES ?t { " + " ".join(f"<{t}>" for t in _ORG_TYPES)
                          + " } ?s a ?t BIND(" + _ORG_TYPE + " AS ?type_code) }",
    "industries": "SELECT ?s ?label ?scheme WHERE { %(values)s ?s a ckg:Industry OPTIONAL { ?s skos:prefLabel ?label } OPTIONAL { ?s skos:inScheme ?scheme } }",
    "competencies": "SELECT ?s ?label ?broader WHERE { %(values)s ?s a ckg:Competency OPTIONAL { ?s skos:prefLabel ?label } OPTIONAL { ?s skos:broader ?broader } }",
    "competency_industries": "SELECT ?s ?v WHERE { %(values)s ?s a ckg:Competency ; ckg:appliedIn ?v }",
    "competency_alt_labels": "SELECT ?s ?v WHERE { %(values)s ?s a ckg:Competency ; skos:altLabel ?v }",
    "claims": "SELECT ?o ?c WHERE { %(values)s ?o ckg:hasCompetency ?c }",
    "claim_levels": "SELECT ?o ?c ?level_code WHERE { %(values)s ?o ckg:qualifiedCompetency ?q . ?q ckg:competency ?c ; ckg:level ?l BIND("
                    + _LEVEL + " AS ?level_code) }",
    "ties": "SELECT ?a ?c ?o ?type_code WHERE { %(values)s ?a ckg:affiliationType ?t ; ckg:cluster ?c ; ckg:organisation ?o BIND("
            + _TIE_TYPE + " AS ?type_code) }",
    "needs": "SELECT ?h ?c WHERE { %(values)s ?h ckg:needsCompetency ?c }",
    "partnerships": "SELECT ?p ?label ?level ?c WHERE { %(values)s ?p a ckg:Partnership ; ckg:participant ?c OPTIONAL { ?p rdfs:label ?label } OPTIONAL { ?p a ?level VALUES ?level { "
                    + _PARTNERSHIP_LEVELS + " } } }",
    "resources": "SELECT ?r ?label ?kind ?o ?c WHERE { %(values)s ?r a ckg:SharedResource ; ckg:offeredBy ?o OPTIONAL { ?r rdfs:label ?label } OPTIONAL { ?r ckg:resourceKind ?kind } OPTIONAL { ?r ckg:relatedCompetency ?c } }",
    "developments": "SELECT ?d ?label ?o ?c ?i WHERE { %(values)s ?d a ckg:Development ; ckg:developedBy ?o OPTIONAL { ?d rdfs:label ?label } OPTIONAL { ?d ckg:relatedCompetency ?c } OPTIONAL { ?d ckg:industry ?i } }",
    # for a refresh: what kind of thing each changed resource is now, and whose claim a changed
    # claim is (a claim's level is said of the claim, not of its organisation)
    "kinds": "SELECT ?s ?kind_code WHERE { %(values)s VALUES (?t ?kind_code) { (ckg:Cluster 0) (org:FormalOrganization 1) (ckg:Competency 2) "
             "(ckg:Industry 3) (ckg:Partnership 4) (ckg:SharedResource 5) (ckg:Development 6) } ?s a ?t }",
    "claim_owners": "SELECT ?s ?o WHERE { %(values)s ?o ckg:qualifiedCompetency ?s }",
    "referrers": "SELECT DISTINCT ?s ?kind_code WHERE { %(values)s ?s ckg:participant|ckg:offeredBy|ckg:developedBy|ckg:relatedCompetency ?x . "
                 "VALUES (?t ?kind_code) { (ckg:Partnership 4) (ckg:SharedResource 5) (ckg:Development 6) } ?s a ?t }",
}
"""The projection's queries; ``%(values)s`` takes a VALUES block (see :func:`_fetch`)."""

WHOLE_STORE = {
    "claim_levels": "SELECT ?o ?c ?level_code WHERE { { SELECT ?q ?c WHERE { ?q ckg:competency ?c } } "
                    "{ SELECT ?q ?level_code WHERE { ?q ckg:level ?l BIND(" + _LEVEL + " AS ?level_code) } } "
                    "{ SELECT ?o ?q WHERE { ?o ckg:qualifiedCompetency ?q } } }",
    "ties": "SELECT ?a ?c ?o ?type_code WHERE { { SELECT ?a ?type_code WHERE { ?a ckg:affiliationType ?t BIND(" + _TIE_TYPE + " AS ?type_code) } } "
            "{ SELECT ?a ?c WHERE { ?a ckg:cluster ?c } } { SELECT ?a ?o WHERE { ?a ckg:organisation ?o } } }",
}
"""The same answers as :data:`QUERIES` over the whole store, as hash joins (see above)."""



def _values(variable: str, iris) -> str:
    return f"VALUES ?{variable} {{ {' '.join(f'<{iri}>' for iri in iris)} }}"


def _fetch(store: KnowledgeStore, name: str, variable: str | None = None, iris=(), whole: bool = False) -> pd.DataFrame:
    """One query of :data:`QUERIES` as a DataFrame of strings, restricted to ``?variable`` in ``iris``."""
    text = WHOLE_STORE[name] if whole and name in WHOLE_STORE else QUERIES[name]
    query = PREFIXES + text.replace("%(values)s", _values(variable, iris) if variable else "")
    data = store.query_bytes(query, "text/csv")
    return _read_csv(data)


#: result columns that hold a position in a closed list (see :func:`_position_of`)
_CODE_COLUMNS = ("level_code", "type_code", "kind_code")


def _read_csv(data: bytes) -> pd.DataFrame:
    header = data.split(b"\n", 1)[0].decode("utf-8").strip().split(",")
    types = {column: (np.int64 if column in _CODE_COLUMNS else object) for column in header if column}
    return pd.read_csv(io.BytesIO(data), dtype=types, keep_default_na=False, na_filter=False, encoding="utf-8")


def _fetch_any(store: KnowledgeStore, name: str, restrictions: list[tuple[str, list[str]]]) -> pd.DataFrame:
    """The rows of ``name`` where any ``?variable`` is in its IRIs, each row once.

    One query per restriction; a row found by an earlier restriction is dropped from the later
    answers, so rows the store returns twice (two claim nodes saying the same) stay twice, as
    in a full build.
    """
    frames, earlier = [], []
    for variable, iris in restrictions:
        if not iris:
            continue
        frame = _fetch(store, name, variable, iris)
        for seen_variable, seen in earlier:
            frame = frame[~frame[seen_variable].isin(seen)]
        frames.append(frame)
        earlier.append((variable, set(iris)))
    if not frames:
        return _empty(name)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _empty(name: str) -> pd.DataFrame:
    select = QUERIES[name].split("WHERE", 1)[0]
    return pd.DataFrame({column: pd.Series(dtype=np.int64 if column in _CODE_COLUMNS else object)
                         for column in re.findall(r"\?(\w+)", select)})


def _fetch_all(store: KnowledgeStore) -> dict[str, pd.DataFrame]:
    """Every query of :data:`QUERIES` a build needs, concurrently, as DataFrames of strings."""
    building = [name for name in QUERIES if name not in ("claims", "kinds", "claim_owners", "referrers")]
    first = ("claim_levels", "ties")  # the longest, started first so both cores stay busy
    with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool:
        futures = {name: pool.submit(_fetch, store, name, whole=True)
                   for name in sorted(building, key=lambda n: n not in first)}
        competencies = sorted(set(futures["competencies"].result()["s"]))
        pages = [competencies[i:i + PAGE_COMPETENCIES] for i in range(0, len(competencies), PAGE_COMPETENCIES)]
        claim_pages = [pool.submit(_fetch, store, "claims", "c", page) for page in pages]
        frames = {name: future.result() for name, future in futures.items()}
        frames["claims"] = pd.concat([f.result() for f in claim_pages], ignore_index=True) if pages else _empty("claims")
    return frames


def _ids(iris) -> list[str]:
    return [local_name(iri) for iri in iris]


def _first(frame: pd.DataFrame, index: pd.Index, column: str = "v") -> np.ndarray:
    """One value per entity of ``index`` (the smallest where it has several), "" where none."""
    values = np.full(len(index), "", dtype=object)
    if not len(frame):
        return values
    positions = index.get_indexer(frame["s"])
    found = positions >= 0
    positions, chosen = positions[found], frame[column].to_numpy(dtype=object)[found]
    several = pd.Series(positions).duplicated(keep=False).to_numpy()
    if several.any():  # the same choice whatever order the store answers in
        order = sorted(np.flatnonzero(several).tolist(), key=lambda i: (positions[i], chosen[i]), reverse=True)
        positions = np.concatenate([positions[~several], positions[order]])
        chosen = np.concatenate([chosen[~several], chosen[order]])
    values[positions] = chosen  # the last of equal positions wins: the smallest value
    return values


def _grouped(frame: pd.DataFrame, index: pd.Index, transform=lambda v: v) -> list[tuple]:
    """All values per entity of ``index``, sorted, as tuples."""
    groups: list[list] = [[] for _ in range(len(index))]
    if len(frame):
        positions = index.get_indexer(frame["s"])
        found = positions >= 0
        for position, value in zip(positions[found].tolist(), frame["v"].to_numpy(dtype=object)[found].tolist()):
            groups[position].append(transform(value))
    return [tuple(sorted(set(g))) for g in groups]


def _entity_index(frame: pd.DataFrame) -> pd.Index:
    return pd.Index(sorted(set(frame["s"].tolist())), dtype=object)


def _codes(column: pd.Series) -> np.ndarray:
    """Positions in a closed list as returned by :func:`_position_of` (-1 where unknown)."""
    if pd.api.types.is_integer_dtype(column.dtype):
        return column.to_numpy(dtype=np.int64)
    return pd.to_numeric(column, errors="coerce").fillna(-1).to_numpy(dtype=np.int64)


def _cluster_table(f: dict[str, pd.DataFrame], index: pd.Index) -> pd.DataFrame:
    labels = _first(f["labels"], index)
    return pd.DataFrame({
        "iri": index.tolist(),
        "id": _ids(index.tolist()),
        "label": [label or local_name(iri) for iri, label in zip(index, labels)],
        "countries": _grouped(f["countries"], index, local_name),
        "regions": _grouped(f["regions"], index),
        "industries": _grouped(f["cluster_industries"], index),
        "alt_labels": [tuple(sorted(a)) for a in _grouped(f["cluster_alt_labels"], index)],
    })


def _organisation_table(f: dict[str, pd.DataFrame], index: pd.Index) -> pd.DataFrame:
    codes = np.full(len(index), len(_ORG_TYPES), dtype=np.int64)  # "other" where none is known
    types = f["organisation_types"]
    if len(types):
        positions, found = index.get_indexer(types["s"]), _codes(types["type_code"])
        keep = (positions >= 0) & (found >= 0)
        np.minimum.at(codes, positions[keep], found[keep])  # the first in the list where several
    names = [ORGANISATION_TYPES[t] for t in _ORG_TYPES] + ["other"]
    return pd.DataFrame({
        "iri": index.tolist(),
        "id": _ids(index.tolist()),
        "label": [label or local_name(iri) for iri, label in zip(index, _first(f["labels"], index))],
        "type": [names[c] for c in codes],
        "country": [local_name(c) if c else "" for c in _first(f["countries"], index)],
        "region": list(_first(f["regions"], index)),
    })


def _industry_table(f: dict[str, pd.DataFrame], index: pd.Index) -> pd.DataFrame:
    labels = _first(f["industries"].rename(columns={"label": "v"}), index)
    schemes = _first(f["industries"].rename(columns={"scheme": "v"}), index)
    return pd.DataFrame({
        "iri": index.tolist(),
        "id": _ids(index.tolist()),
        "label": [label or local_name(iri) for iri, label in zip(index, labels)],
        "scheme": [local_name(s) if s else "" for s in schemes],
    })


def _competency_table(f: dict[str, pd.DataFrame], index: pd.Index) -> pd.DataFrame:
    labels = _first(f["competencies"].rename(columns={"label": "v"}), index)
    broader_iris = _first(f["competencies"].rename(columns={"broader": "v"}), index)
    broader = index.get_indexer(pd.Index(broader_iris, dtype=object)).astype(np.int64)  # -1 where none
    return pd.DataFrame({
        "iri": index.tolist(),
        "id": _ids(index.tolist()),
        "label": [label or local_name(iri) for iri, label in zip(index, labels)],
        "broader": broader,
        "depth": _depths(broader),
        "industries": _grouped(f["competency_industries"], index),
        "alt_labels": _grouped(f["competency_alt_labels"], index),
    })


def _claim_matrix(claims: pd.DataFrame, levels: pd.DataFrame, o_index: pd.Index, k_index: pd.Index) -> sp.csr_matrix:
    """Organisations × competencies: 1 per stated claim, times the weight of its level."""
    shape = (len(o_index), len(k_index))
    rows, cols, _ = _pair_positions(claims, "o", o_index, "c", k_index)
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
    matrix.data[:] = 1.0
    rows, cols, keep = _pair_positions(levels, "o", o_index, "c", k_index)
    if len(rows):
        codes = _codes(levels["level_code"])[keep]
        weights = np.where(codes >= 0, _LEVEL_WEIGHT_ARRAY[codes.clip(0)], 1.0)
        adjust = sp.csr_matrix((weights - 1.0, (rows, cols)), shape=shape)
        adjust = adjust.multiply(matrix > 0).tocsr()  # only on stated claims
        matrix = (matrix + adjust).tocsr()
        matrix.eliminate_zeros()
    return matrix


def _upward(org_competency: sp.csr_matrix, up: sp.csr_matrix) -> sp.csr_matrix:
    """``org_competency_up``: every claim also counts for the broader competencies."""
    result = (org_competency @ up).tocsr()
    result.data = np.minimum(result.data, 1.25)
    return result


def _tie_table(ties: pd.DataFrame, c_index: pd.Index, o_index: pd.Index) -> pd.DataFrame:
    """One row per affiliation (type) of a known cluster and organisation.

    ``key`` is a 64-bit hash of the affiliation's IRI: enough for a refresh to find the tie of
    a changed affiliation without keeping 300,000 IRIs.
    """
    rows, cols, keep = _pair_positions(ties, "c", c_index, "o", o_index)
    codes = _codes(ties["type_code"])[keep] if len(ties) else np.array([], dtype=np.int64)
    keys = _hash(ties["a"].to_numpy(dtype=object)[keep]) if len(ties) else np.array([], dtype=np.uint64)
    return pd.DataFrame({
        "key": keys,
        "cluster": rows.astype(np.int64),
        "organisation": cols.astype(np.int64),
        "weight": np.where(codes >= 0, _TIE_WEIGHT_ARRAY[codes.clip(0)], 0.5),
    })


def _hash(iris: np.ndarray) -> np.ndarray:
    return pd.util.hash_array(np.asarray(iris, dtype=object)) if len(iris) else np.array([], dtype=np.uint64)


def _cluster_org(ties: pd.DataFrame, n_cluster: int, n_org: int) -> sp.csr_matrix:
    """Clusters × organisations: the strongest tie, at most 1 (several ties count once)."""
    matrix = sp.coo_matrix((ties["weight"].to_numpy(dtype=np.float64),
                            (ties["cluster"].to_numpy(), ties["organisation"].to_numpy())),
                           shape=(n_cluster, n_org)).tocsr()
    matrix.sum_duplicates()
    matrix.data = np.minimum(matrix.data, 1.0)
    return matrix


def _cluster_competency(cluster_org: sp.csr_matrix, org_competency_up: sp.csr_matrix) -> sp.csr_matrix:
    return (cluster_org @ (org_competency_up > 0).astype(np.float64)).tocsr()


def _need_matrix(needs: pd.DataFrame, index: pd.Index, k_index: pd.Index) -> sp.csr_matrix:
    rows, cols, _ = _pair_positions(needs, "h", index, "c", k_index)
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(index), len(k_index)))
    matrix.data[:] = 1.0
    return matrix


def _partnership_table(frame: pd.DataFrame, c_positions: dict[str, int]) -> pd.DataFrame:
    grouped: dict[str, dict] = {}
    for p, label, level, c in frame.sort_values(["p", "label", "level", "c"]).itertuples(index=False):
        entry = grouped.setdefault(p, {"iri": p, "label": label or local_name(p), "level": "", "clusters": set()})
        entry["level"] = entry["level"] or PARTNERSHIP_LEVELS.get(level, "")
        if c in c_positions:
            entry["clusters"].add(c_positions[c])
    return pd.DataFrame(
        [{**e, "clusters": tuple(sorted(e["clusters"]))} for _, e in sorted(grouped.items())],
        columns=["iri", "label", "level", "clusters"],
    )


def build_projection(store: KnowledgeStore) -> Projection:
    """Read everything the analyses need from ``store`` (see :data:`QUERIES`)."""
    version = store.data_version()
    f = _fetch_all(store)

    c_index, o_index = _entity_index(f["clusters"]), _entity_index(f["organisations"])
    i_index, k_index = _entity_index(f["industries"]), _entity_index(f["competencies"])
    clusters, organisations = _cluster_table(f, c_index), _organisation_table(f, o_index)
    industries, competencies = _industry_table(f, i_index), _competency_table(f, k_index)

    org_competency = _claim_matrix(f["claims"], f["claim_levels"], o_index, k_index)
    org_competency_up = _upward(org_competency, _ancestor_matrix(competencies["broader"].to_numpy()))
    ties = _tie_table(f["ties"], c_index, o_index)
    cluster_org = _cluster_org(ties, len(c_index), len(o_index))

    c_positions, o_positions, k_positions = (_Sorted(index.to_numpy(dtype=object)) for index in (c_index, o_index, k_index))
    return Projection(
        version=version, clusters=clusters, organisations=organisations, competencies=competencies,
        industries=industries, org_competency=org_competency, org_competency_up=org_competency_up,
        cluster_org=cluster_org, cluster_competency=_cluster_competency(cluster_org, org_competency_up),
        cluster_needs=_need_matrix(f["needs"], c_index, k_index), org_needs=_need_matrix(f["needs"], o_index, k_index),
        partnerships=_partnership_table(f["partnerships"], c_positions),
        resources=_grouped_items(f["resources"], o_positions, k_positions),
        developments=_grouped_developments(f["developments"], o_positions, k_positions),
        labels=_labels(clusters, organisations, competencies, industries), ties=ties,
    )


def _labels(*frames: pd.DataFrame) -> dict[str, str]:
    labels: dict[str, str] = {}
    for frame in frames:
        labels.update(zip(frame["iri"].tolist(), frame["label"].tolist()))
    return labels


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


def _grouped_items(frame: pd.DataFrame, o_positions: dict[str, int], k_positions: dict[str, int]) -> pd.DataFrame:
    grouped: dict[str, dict] = {}
    for r, label, kind_iri, o, c in frame.sort_values(list(frame.columns)).itertuples(index=False):
        entry = grouped.setdefault(r, {"iri": r, "label": label or local_name(r), "kind": local_name(kind_iri or ""), "organisation": o_positions.get(o, -1), "competencies": set()})
        if c in k_positions:
            entry["competencies"].add(k_positions[c])
    return pd.DataFrame([{**e, "competencies": tuple(sorted(e["competencies"]))} for _, e in sorted(grouped.items())],
                        columns=["iri", "label", "kind", "organisation", "competencies"])


def _grouped_developments(frame: pd.DataFrame, o_positions: dict[str, int], k_positions: dict[str, int]) -> pd.DataFrame:
    grouped: dict[str, dict] = {}
    for d, label, o, c, i in frame.sort_values(list(frame.columns)).itertuples(index=False):
        entry = grouped.setdefault(d, {"iri": d, "label": label or local_name(d), "organisation": o_positions.get(o, -1), "competencies": set(), "industries": set()})
        if c in k_positions:
            entry["competencies"].add(k_positions[c])
        if i:
            entry["industries"].add(i)
    return pd.DataFrame([{**e, "competencies": tuple(sorted(e["competencies"])), "industries": tuple(sorted(e["industries"]))} for _, e in sorted(grouped.items())],
                        columns=["iri", "label", "organisation", "competencies", "industries"])


# ---------------------------------------------------------------------------------------------
# Refreshing after a small change
#
# A write records which resources it changed (see :func:`changes_between`). A refresh re-asks
# the store only about those: the rows of changed clusters and organisations, the columns of
# changed competencies, the ties of changed affiliations, the partnerships, resources and
# developments that name a changed thing; everything else is carried over, renumbered when
# things were added or removed (rows stay sorted by IRI, as in a full build). The result is
# the projection a full build would give (a test checks it field by field).

_KINDS = ("cluster", "organisation", "competency", "industry", "partnership", "resource", "development")


@dataclass
class _Renumbering:
    """Old rows -> new rows of one kind of thing after a change."""

    old: np.ndarray  # IRIs, sorted
    new: np.ndarray  # IRIs, sorted
    touched: np.ndarray  # new row numbers whose content is fetched again
    identity: bool

    @classmethod
    def of(cls, old: np.ndarray, now: set[str], was: set[str], also: set[str] = frozenset()) -> _Renumbering:
        """``now``/``was``: changed IRIs of this kind now and before; ``also``: others to fetch again."""
        removed, added = was - now, now - was
        new = old
        if removed:
            new = new[~np.isin(new, list(removed))]
        if added:
            ordered = np.array(sorted(added), dtype=object)
            new = np.insert(new, np.searchsorted(new, ordered), ordered)
        renumbering = cls(old, new, np.array([], dtype=np.int64), not removed and not added)
        renumbering.touched = renumbering.positions(sorted(now | (also - removed)))
        return renumbering

    def positions(self, iris) -> np.ndarray:
        """New row numbers of the ``iris`` that exist (the rest are left out)."""
        iris = np.array(list(iris), dtype=object)
        if not len(iris) or not len(self.new):
            return np.array([], dtype=np.int64)
        found = np.searchsorted(self.new, iris).clip(0, len(self.new) - 1)
        return np.unique(found[self.new[found] == iris]).astype(np.int64)

    def take(self) -> np.ndarray:
        """For each new row, the old row it continues (-1 where added or fetched again)."""
        if self.identity:
            take = np.arange(len(self.new), dtype=np.int64)
        elif not len(self.old):
            take = np.full(len(self.new), -1, dtype=np.int64)
        else:
            found = np.searchsorted(self.old, self.new).clip(0, len(self.old) - 1)
            take = np.where(self.old[found] == self.new, found, -1).astype(np.int64)
        take[self.touched] = -1
        return take

    def moved(self) -> np.ndarray:
        """For each old row, its new row number (-1 where removed)."""
        if self.identity:
            return np.arange(len(self.old), dtype=np.int64)
        if not len(self.new):
            return np.full(len(self.old), -1, dtype=np.int64)
        found = np.searchsorted(self.new, self.old).clip(0, len(self.new) - 1)
        return np.where(self.new[found] == self.old, found, -1).astype(np.int64)

    @property
    def index(self) -> pd.Index:
        return pd.Index(self.new, dtype=object)


def _take_rows(matrix: sp.csr_matrix, take: np.ndarray) -> sp.csr_matrix:
    """Row ``j`` of the result is row ``take[j]`` of ``matrix``, empty where ``take[j] < 0``."""
    matrix = matrix.tocsr()
    lengths = np.zeros(len(take), dtype=np.int64)
    starts = np.zeros(len(take), dtype=np.int64)
    valid = take >= 0
    lengths[valid] = np.diff(matrix.indptr)[take[valid]]
    starts[valid] = matrix.indptr[take[valid]]
    indptr = np.zeros(len(take) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    gather = np.arange(indptr[-1], dtype=np.int64) + np.repeat(starts - indptr[:-1], lengths)
    return sp.csr_matrix((matrix.data[gather], matrix.indices[gather], indptr), shape=(len(take), matrix.shape[1]))


def _only_rows(matrix: sp.csr_matrix, rows: np.ndarray) -> sp.csr_matrix:
    """``matrix`` with every row but ``rows`` empty."""
    take = np.full(matrix.shape[0], -1, dtype=np.int64)
    take[rows] = rows
    return _take_rows(matrix, take)


def _replace_rows(matrix: sp.csr_matrix, rows: np.ndarray, block: sp.csr_matrix) -> sp.csr_matrix:
    """``matrix`` with its ``rows`` (sorted) replaced by those of ``block``: copies, no arithmetic."""
    if not len(rows):
        return matrix
    data, indices, start = [], [], 0
    for r in rows.tolist():
        data += [matrix.data[matrix.indptr[start]:matrix.indptr[r]], block.data[block.indptr[r]:block.indptr[r + 1]]]
        indices += [matrix.indices[matrix.indptr[start]:matrix.indptr[r]], block.indices[block.indptr[r]:block.indptr[r + 1]]]
        start = r + 1
    data.append(matrix.data[matrix.indptr[start]:])
    indices.append(matrix.indices[matrix.indptr[start]:])
    lengths = np.diff(matrix.indptr)
    lengths[rows] = np.diff(block.indptr)[rows]
    indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    return sp.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr), shape=matrix.shape)


def _patched(matrix: sp.csr_matrix, rows: _Renumbering, columns: _Renumbering, block: sp.csr_matrix) -> sp.csr_matrix:
    """``matrix`` renumbered, its touched rows and columns made of ``block``'s entries."""
    if rows.identity and columns.identity and not len(columns.touched):
        return _replace_rows(matrix, rows.touched, block)
    return (_carried(matrix, rows, columns) + block).tocsr()


def _cluster_competency_rows(cluster_org: sp.csr_matrix, org_competency_up: sp.csr_matrix, rows: np.ndarray) -> sp.csr_matrix:
    """:func:`_cluster_competency` for ``rows`` only (the rest empty), reading only their members."""
    sub = _only_rows(cluster_org, rows)
    members = np.unique(sub.indices)
    narrow = sp.csr_matrix((sub.data, np.searchsorted(members, sub.indices), sub.indptr), shape=(sub.shape[0], len(members)))
    return (narrow @ (org_competency_up[members] > 0).astype(np.float64)).tocsr()


def _carried(matrix: sp.csr_matrix, rows: _Renumbering, columns: _Renumbering) -> sp.csr_matrix:
    """``matrix`` renumbered, without the rows and columns that are fetched again."""
    result = _take_rows(matrix, rows.take())
    if columns.identity and not len(columns.touched):
        return result
    take = columns.take()
    moved = np.full(matrix.shape[1], -1, dtype=np.int64)
    moved[take[take >= 0]] = np.flatnonzero(take >= 0)
    coo = result.tocoo()
    cols = moved[coo.col]
    keep = cols >= 0
    return sp.csr_matrix((coo.data[keep], (coo.row[keep], cols[keep])), shape=(result.shape[0], len(columns.new)))


def _with_rows(table: pd.DataFrame, rows: _Renumbering, fresh: pd.DataFrame) -> pd.DataFrame:
    """``table`` renumbered, its touched rows replaced by ``fresh`` (one row per touched row, in order)."""
    if rows.identity:
        result = table.copy()
        if len(fresh):
            for j, column in enumerate(table.columns):
                result.iloc[rows.touched, j] = fresh[column].to_numpy(dtype=object)
        return result
    take = rows.take()
    columns = {}
    for column in table.columns:
        values = table[column].to_numpy(dtype=object)
        result = values[take.clip(0)] if len(values) else np.empty(len(take), dtype=object)
        if len(fresh):
            result[rows.touched] = fresh[column].to_numpy(dtype=object)
        columns[column] = result
    return pd.DataFrame(columns, columns=table.columns)


def refresh(projection: Projection, store: KnowledgeStore, changed_iris, version: str | None = None) -> Projection:
    """The projection of ``store`` now, from an earlier ``projection`` and what changed since.

    ``changed_iris`` are the subjects of every triple added or removed since
    ``projection.version`` (as the history records them, see :func:`changes_between`). Only
    those are asked about again; the result equals a full :func:`build_projection` of the store
    (``projection`` itself is left as it was). A changed IRI the projection does not know and
    the store does not hold (a removed source, a removed claim) changes nothing; an IRI that is
    not a well-formed IRI is an :class:`InvalidInput`. ``version`` is the data version the
    changes lead to (read from the store, before anything else, when not given).
    """
    changed = sorted(set(changed_iris))
    for iri in changed:
        reason = iri_error(iri)
        if reason is not None:
            raise InvalidInput(f"not an IRI: {iri!r} (a changed resource must be an absolute IRI: {reason})")
    version = store.data_version() if version is None else version  # read before the data
    p = projection
    if not changed:
        unchanged = replace(p, version=version)
        unchanged._memo.update(p._memo)  # the same data: everything derived still holds
        return unchanged

    with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool:
        first = {name: pool.submit(_fetch, store, name, variable, changed)
                 for name, variable in (("kinds", "s"), ("claim_owners", "s"), ("referrers", "x"))}
        kinds, owners, referrers = (first[name].result() for name in ("kinds", "claim_owners", "referrers"))
    now = {kind: set(kinds["s"][_codes(kinds["kind_code"]) == code]) for code, kind in enumerate(_KINDS)}
    tables = {"cluster": p.clusters, "organisation": p.organisations, "competency": p.competencies,
              "industry": p.industries, "partnership": p.partnerships, "resource": p.resources,
              "development": p.developments}
    old = {kind: table["iri"].to_numpy(dtype=object) for kind, table in tables.items()}
    was = {kind: _present(old[kind], changed) for kind in _KINDS}
    for code, kind in enumerate(_KINDS):
        if code >= 4:
            was[kind] |= set(referrers["s"][_codes(referrers["kind_code"]) == code])

    clusters = _Renumbering.of(old["cluster"], now["cluster"], was["cluster"])
    organisations = _Renumbering.of(old["organisation"], now["organisation"], was["organisation"],
                                    _present(old["organisation"], set(owners["o"])))
    vocabulary_changed = bool(now["competency"] | was["competency"] | now["industry"] | was["industry"])
    c_touched, o_touched = list(clusters.new[clusters.touched]), list(organisations.new[organisations.touched])
    k_touched = sorted(now["competency"])
    others = {kind: sorted(now[kind] | was[kind]) for kind in ("partnership", "resource", "development")}

    jobs = {
        "labels": ("labels", [("s", c_touched + o_touched)]),
        "countries": ("countries", [("s", c_touched + o_touched)]),
        "regions": ("regions", [("s", c_touched + o_touched)]),
        "cluster_industries": ("cluster_industries", [("s", c_touched)]),
        "cluster_alt_labels": ("cluster_alt_labels", [("s", c_touched)]),
        "organisation_types": ("organisation_types", [("s", o_touched)]),
        "claims": ("claims", [("o", o_touched), ("c", k_touched)]),
        "claim_levels": ("claim_levels", [("o", o_touched), ("c", k_touched)]),
        "ties": ("ties", [("c", c_touched), ("o", o_touched), ("a", changed)]),
        "needs": ("needs", [("h", c_touched + o_touched), ("c", k_touched)]),
        "partnerships": ("partnerships", [("p", others["partnership"])]),
        "resources": ("resources", [("r", others["resource"])]),
        "developments": ("developments", [("d", others["development"])]),
    }
    with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool:
        futures = {key: pool.submit(_fetch_any, store, name, restrictions) for key, (name, restrictions) in jobs.items()}
        if vocabulary_changed:  # competencies and industries are few: read them again in full
            for name in ("competencies", "competency_industries", "competency_alt_labels", "industries"):
                futures[name] = pool.submit(_fetch, store, name)
        f = {key: future.result() for key, future in futures.items()}

    if vocabulary_changed:
        competency_index = _entity_index(f["competencies"])
        competency_table = _competency_table(f, competency_index)
        industry_table = _industry_table(f, _entity_index(f["industries"]))
        new_k = competency_index.to_numpy(dtype=object)
        same = len(new_k) == len(old["competency"]) and bool((new_k == old["competency"]).all())
        competencies = _Renumbering(old["competency"], new_k, np.array([], dtype=np.int64), same)
        competencies.touched = competencies.positions(k_touched)
    else:
        competency_table, industry_table = p.competencies, p.industries
        competencies = _Renumbering(old["competency"], old["competency"], np.array([], dtype=np.int64), True)
    c_index, o_index, k_index = clusters.index, organisations.index, competencies.index

    cluster_table = _with_rows(p.clusters, clusters, _cluster_table(f, pd.Index(c_touched, dtype=object)))
    organisation_table = _with_rows(p.organisations, organisations, _organisation_table(f, pd.Index(o_touched, dtype=object)))

    org_competency = _patched(p.org_competency, organisations, competencies,
                              _claim_matrix(f["claims"], f["claim_levels"], _Sorted(o_index), _Sorted(k_index)))
    up = _ancestor_matrix(competency_table["broader"].to_numpy())
    if vocabulary_changed:
        org_competency_up = _upward(org_competency, up)
    else:
        org_competency_up = _patched(p.org_competency_up, organisations, competencies,
                                     _upward(_only_rows(org_competency, organisations.touched), up))

    # ties: drop those of touched clusters, organisations and affiliations; renumber the rest
    ties = p.ties
    gone = (np.isin(ties["cluster"].to_numpy(), _rows_of(clusters, old["cluster"], was["cluster"] | now["cluster"]))
            | np.isin(ties["organisation"].to_numpy(), _rows_of(organisations, old["organisation"], set(o_touched) | was["organisation"]))
            | np.isin(ties["key"].to_numpy(), _hash(np.array(changed, dtype=object))))
    kept = ties[~gone]
    kept = kept.assign(cluster=clusters.moved()[kept["cluster"].to_numpy()],
                       organisation=organisations.moved()[kept["organisation"].to_numpy()])
    fresh_ties = _tie_table(f["ties"], _Sorted(c_index), _Sorted(o_index))
    tie_table = pd.concat([kept, fresh_ties], ignore_index=True)
    cluster_org = _cluster_org(tie_table, len(c_index), len(o_index))

    # clusters whose profile may differ: tied before or after to anything touched
    affected = set(clusters.moved()[ties["cluster"].to_numpy()[gone]].tolist()) | set(fresh_ties["cluster"].tolist())
    affected |= set(clusters.touched.tolist())
    if len(organisations.touched):
        affected |= set(cluster_org[:, organisations.touched].tocoo().row.tolist())
    affected.discard(-1)
    if vocabulary_changed or not clusters.identity:
        cluster_competency = _cluster_competency(cluster_org, org_competency_up)
    else:
        rows = np.array(sorted(affected), dtype=np.int64)
        cluster_competency = _replace_rows(p.cluster_competency, rows, _cluster_competency_rows(cluster_org, org_competency_up, rows))
    cluster_needs = _patched(p.cluster_needs, clusters, competencies, _need_matrix(f["needs"], _Sorted(c_index), _Sorted(k_index)))
    org_needs = _patched(p.org_needs, organisations, competencies, _need_matrix(f["needs"], _Sorted(o_index), _Sorted(k_index)))

    c_positions = _Sorted(clusters.new)
    o_positions = _Sorted(organisations.new)
    k_positions = _Sorted(competencies.new)
    maps = {"clusters": clusters.moved(), "organisation": organisations.moved(), "competencies": competencies.moved()}
    partnerships = _spliced(p.partnerships, others["partnership"], _partnership_table(f["partnerships"], c_positions),
                            {"clusters": maps["clusters"]})
    resources = _spliced(p.resources, others["resource"], _grouped_items(f["resources"], o_positions, k_positions),
                         {"organisation": maps["organisation"], "competencies": maps["competencies"]})
    developments = _spliced(p.developments, others["development"], _grouped_developments(f["developments"], o_positions, k_positions),
                            {"organisation": maps["organisation"], "competencies": maps["competencies"]})

    result = Projection(
        version=version, clusters=cluster_table, organisations=organisation_table, competencies=competency_table,
        industries=industry_table, org_competency=org_competency, org_competency_up=org_competency_up,
        cluster_org=cluster_org, cluster_competency=cluster_competency, cluster_needs=cluster_needs, org_needs=org_needs,
        partnerships=partnerships, resources=resources, developments=developments,
        labels=_patched_labels(p, was, now, vocabulary_changed, cluster_table, organisation_table, competency_table,
                               industry_table, clusters.touched, organisations.touched), ties=tie_table,
    )
    old_graph = p._memo.get("projection.cluster_graph")
    if old_graph is not None and clusters.identity:
        touched_partnerships = set(others["partnership"])
        for table in (p.partnerships, partnerships):
            for row in table.itertuples():
                if row.iri in touched_partnerships:
                    affected |= set(row.clusters)
        result._memo["projection.cluster_graph"] = _patched_cluster_graph(old_graph, result, sorted(affected), clusters.touched)
    return result


def _patched_labels(p: Projection, was: dict, now: dict, vocabulary_changed: bool, clusters: pd.DataFrame,
                    organisations: pd.DataFrame, competencies: pd.DataFrame, industries: pd.DataFrame,
                    touched_clusters: np.ndarray, touched_organisations: np.ndarray) -> dict[str, str]:
    """``p.labels`` without what was removed, with the labels of what was read again."""
    labels = dict(p.labels)
    for kind in ("cluster", "organisation"):
        for iri in was[kind] - now[kind]:
            labels.pop(iri, None)
    if vocabulary_changed:
        for frame in (p.competencies, p.industries):
            for iri in frame["iri"].tolist():
                labels.pop(iri, None)
    labels.update(zip(clusters["iri"].to_numpy()[touched_clusters].tolist(), clusters["label"].to_numpy()[touched_clusters].tolist()))
    labels.update(zip(organisations["iri"].to_numpy()[touched_organisations].tolist(),
                      organisations["label"].to_numpy()[touched_organisations].tolist()))
    if vocabulary_changed:
        labels.update(_labels(competencies, industries))
    return labels


class _Sorted:
    """Row numbers of IRIs in a sorted IRI array, by binary search.

    Answers ``get_indexer`` like a pandas Index, and ``in`` / ``[]`` / ``get`` like a dict:
    for a few IRIs looked up among 300,000, building a hash table would cost more than the
    lookups.
    """

    def __init__(self, iris):
        self.iris = iris.to_numpy(dtype=object) if isinstance(iris, pd.Index) else np.asarray(iris, dtype=object)

    def __len__(self) -> int:
        return len(self.iris)

    def get_indexer(self, values) -> np.ndarray:
        values = np.asarray(values, dtype=object)
        if not len(values) or not len(self.iris):
            return np.full(len(values), -1, dtype=np.int64)
        found = np.searchsorted(self.iris, values).clip(0, len(self.iris) - 1)
        return np.where(self.iris[found] == values, found, -1).astype(np.int64)

    def get(self, iri: str, default: int = -1) -> int:
        i = int(np.searchsorted(self.iris, iri)) if len(self.iris) else 0
        return i if i < len(self.iris) and self.iris[i] == iri else default

    def __contains__(self, iri: object) -> bool:
        return isinstance(iri, str) and self.get(iri) >= 0

    def __getitem__(self, iri: str) -> int:
        i = self.get(iri)
        if i < 0:
            raise KeyError(iri)
        return i


def _present(sorted_iris: np.ndarray, iris) -> set[str]:
    """Those of ``iris`` in ``sorted_iris``."""
    iris = np.array(sorted(iris), dtype=object)
    if not len(iris) or not len(sorted_iris):
        return set()
    found = np.searchsorted(sorted_iris, iris).clip(0, len(sorted_iris) - 1)
    return set(iris[sorted_iris[found] == iris])


def _rows_of(renumbering: _Renumbering, old: np.ndarray, iris: set[str]) -> np.ndarray:
    """Old row numbers of ``iris``."""
    iris_array = np.array(sorted(iris), dtype=object)
    if not len(iris_array) or not len(old):
        return np.array([], dtype=np.int64)
    found = np.searchsorted(old, iris_array).clip(0, len(old) - 1)
    return found[old[found] == iris_array].astype(np.int64)


def _spliced(table: pd.DataFrame, refetched: list[str], fresh: pd.DataFrame, renumber: dict[str, np.ndarray]) -> pd.DataFrame:
    """``table`` without the ``refetched`` rows, its row numbers renumbered, plus ``fresh``; by IRI."""
    kept = table[~table["iri"].isin(refetched)].copy()
    for column, moved in renumber.items():
        if column == "organisation":
            values = kept[column].to_numpy(dtype=np.int64)
            kept[column] = np.where(values >= 0, moved[values.clip(0)] if len(moved) else -1, -1)
        else:
            kept[column] = [tuple(sorted(int(moved[i]) for i in items if moved[i] >= 0)) for items in kept[column]]
    return pd.concat([kept, fresh], ignore_index=True).sort_values("iri", ignore_index=True) if len(fresh) else kept.reset_index(drop=True)


def _patched_cluster_graph(old: nx.Graph, p: Projection, affected: list[int], touched: np.ndarray) -> nx.Graph:
    """``old`` with the nodes of ``touched`` clusters and the edges of ``affected`` ones made anew.

    Copying a graph of 60,000 edges takes longer than the rest of a refresh, so the new graph
    shares the old one's neighbour dictionaries and copies only those it changes (networkx
    keeps them in ``_node`` and ``_adj``; both graphs are read-only once made).
    """
    nodes, adjacency = dict(old._node), dict(old._adj)
    own: set[int] = set()

    def writable(node: int) -> dict:
        if node not in own:
            adjacency[node] = dict(adjacency[node])
            own.add(node)
        return adjacency[node]

    for i in touched.tolist():
        nodes[i] = _cluster_node(p, i)
    for a in affected:
        for b in list(adjacency[a]):
            writable(b).pop(a, None)
        adjacency[a] = {}
        own.add(a)
    for a, b, data in _cluster_edges(p, affected):
        writable(a)[b] = data
        writable(b)[a] = data
    graph = nx.Graph()
    graph.graph.update(old.graph)
    graph._node, graph._adj = nodes, adjacency
    return graph


# ---------------------------------------------------------------------------------------------
# What changed: the history of writes
#
# Every write records itself in the named graph :data:`HISTORY_GRAPH` as a ``prov:Activity``
# with the data version it made (``ckg:dataVersion``), the one it started from
# (``ckg:previousDataVersion``) and, when there are at most 10,000, the IRI of every subject
# whose triples it added or removed (``ckg:changedResource``). Following these links back from
# the store's version to a cached projection's version gives what a refresh must re-read.

#: links of the history followed back before giving up and building afresh
MAX_CHAIN = 100
#: changed resources beyond which a full build is as cheap as a refresh
MAX_CHANGED = 10_000

_PROV_ACTIVITY = str(_PROV_TERMS.Activity)
_LINK_QUERY = f"""SELECT ?activity ?previous ?resource WHERE {{ GRAPH <{HISTORY_GRAPH}> {{
  ?activity a <{_PROV_ACTIVITY}> ; <{CKG}dataVersion> %s ; <{CKG}previousDataVersion> ?previous .
  OPTIONAL {{ ?activity <{CKG}changedResource> ?resource }} }} }}"""


def changes_between(store: KnowledgeStore, old_version: str, new_version: str) -> set[str] | None:
    """The IRIs of the resources changed from ``old_version`` to ``new_version``, by the history.

    ``None`` when the history cannot tell: a link is missing or ambiguous, a write did not list
    its changed resources (it lists none above 10,000), or the chain is longer than
    :data:`MAX_CHAIN` links or :data:`MAX_CHANGED` resources. Then only a full build is safe.
    """
    changed: set[str] = set()
    version = new_version
    for _ in range(MAX_CHAIN):
        if version == old_version:
            return changed
        _, rows = store.select_values(_LINK_QUERY % sparql_term(Literal(version)))
        activities: dict[str, tuple[set, set]] = {}
        for activity, previous, resource in rows:
            previous_versions, resources = activities.setdefault(activity, (set(), set()))
            previous_versions.add(previous)
            if resource is not None:
                resources.add(resource)
        previous = {v for previous_versions, _ in activities.values() for v in previous_versions}
        if len(previous) != 1 or any(not resources for _, resources in activities.values()):
            return None
        for _, resources in activities.values():
            changed |= resources
        if len(changed) > MAX_CHANGED:
            return None
        version = previous.pop()
    return None


def catch_up(projection: Projection, store: KnowledgeStore) -> Projection:
    """The projection of the store's current version: refreshed from ``projection`` when the
    history lists what changed since its version, built afresh otherwise."""
    version = store.data_version()
    if projection.version == version:
        return projection
    changed = changes_between(store, projection.version, version)
    if changed is None:
        return build_projection(store)
    return refresh(projection, store, changed, version=version)


# ---------------------------------------------------------------------------------------------
# Caching: once per data version, in memory and (for the CLI) on disk


class ProjectionCache:
    """Holds the projection of one store and keeps it up to date with the data version.

    After a write it refreshes the projection it holds (:func:`catch_up`), or builds it afresh
    when the history cannot say what changed. Thread-safe: concurrent requests after a write
    wait for one refresh.
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
            if self._projection is None:
                self._projection = load_or_build(self.store, self.cache_dir)
            elif self._projection.version != self.store.data_version():
                self._projection = catch_up(self._projection, self.store)
            return self._projection


def load_or_build(store: KnowledgeStore, cache_dir: str | Path | None) -> Projection:
    """The projection for the store's current data version, from the disk cache if present.

    A cached projection of an earlier version is brought up to date (:func:`catch_up`).
    """
    if cache_dir is None:
        return build_projection(store)
    version = store.data_version()
    store_key = hashlib.sha256(store.description.encode()).hexdigest()[:12]
    path = _cache_path(cache_dir, store_key, version)
    projection = _load(path)
    if projection is not None and projection.version == version:
        return projection
    earlier = [p for p in map(_load, sorted(Path(cache_dir).glob(f"projection-{store_key}-*.pickle"))) if p is not None]
    projection = catch_up(earlier[0], store) if earlier else build_projection(store)
    path = _cache_path(cache_dir, store_key, projection.version)
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    for old in Path(cache_dir).glob(f"projection-{store_key}-*.pickle"):  # this store's old versions
        if old != path:
            old.unlink(missing_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        pickle.dump(projection, handle, protocol=pickle.HIGHEST_PROTOCOL)
    temporary.replace(path)
    return projection


def _cache_path(cache_dir: str | Path, store_key: str, version: str) -> Path:
    return Path(cache_dir) / f"projection-{store_key}-{hashlib.sha256(version.encode()).hexdigest()[:12]}.pickle"


def _load(path: Path) -> Projection | None:
    """The projection pickled at ``path``; None if absent, partial or of an older layout."""
    try:
        with open(path, "rb") as handle:
            projection = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if not isinstance(projection, Projection) or not hasattr(projection, "ties"):
        return None
    return projection
