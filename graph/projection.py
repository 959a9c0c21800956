"""The analytic projection: the knowledge graph as sparse matrices and a small networkx graph.

Built from the store through SPARQL (so it works the same on the embedded store and a remote
server), once per data version. This module holds the projection and its full build; after a
small write it is refreshed rather than rebuilt (:mod:`clusterkg.graph.projection_refresh`,
driven by the history of writes), and it is cached per data version in memory and on disk
(:mod:`clusterkg.graph.projection_cache`). Both are importable from here too. Heavy
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

import io
import importlib
import re
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from rdflib import Literal

from clusterkg.graph.errors import AmbiguousName, ClusterNotFound, InvalidInput, NotFound
from clusterkg.graph.names import fold_name
from clusterkg.graph.store import KnowledgeStore, SparqlProtocolStore, sparql_term
from clusterkg.ontology.namespace import CKG as _CKG_TERMS, ORG as _ORG_TERMS, sparql_prefixes

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
    return iri.rpartition("/")[2].rpartition("#")[2]  # partition, not split: no list (600,000 calls per build)


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
    evidence: object = None  # analysis.evidence.Evidence of the same data version (collaboration, claim bases)
    # what the content is, apart from the data version: a refresh after a write that touched
    # nothing projected keeps it (see :attr:`content`)
    content: str = ""
    # the refreshes that led here, newest first: (version before, version after, changed subjects)
    # (see :meth:`changed_since`)
    history: tuple = ()

    def __post_init__(self) -> None:
        self.content = self.content or self.version
        self._start_memo()

    # -- identity ----------------------------------------------------------------------------
    #
    # ``version`` is the store's data version: it changes with every write. ``content`` names
    # what the projection holds: a refresh after a write that changed no subject the projection
    # (or its evidence) reads keeps the earlier ``content``, and the derived values with it. An
    # answer computed from the projection alone is keyed by ``content``; one that also reads
    # the store asks :meth:`changed_since` whether the subjects it read were written since.

    def changed_since(self, version: str) -> frozenset[str] | None:
        """The subjects written from data version ``version`` to this one, and the clusters that
        gained or lost a member, as the refreshes that led here recorded them; None when the
        record does not reach back that far (a full build keeps none).

        >>> from clusterkg.graph.store import OxigraphStore
        >>> p = build_projection(OxigraphStore())
        >>> p.changed_since(p.version), p.changed_since("an older version")
        (frozenset(), None)
        """
        changed: set[str] = set()
        at = self.version
        for before, after, subjects in self.history:
            if at == version or after != at:
                break
            changed |= subjects
            at = before
        return frozenset(changed) if at == version else None

    # -- the memo of derived quantities ------------------------------------------------------

    def cached(self, key: Hashable, make: Callable[[], _T]) -> _T:
        """``make()``, computed once per projection and kept under ``key``.

        The projection is read-only once built, so anything derived from it (a transposed
        matrix, the cluster network, shared profiles) can be kept beside it and is dropped with
        it when the data changes. Thread-safe: concurrent callers asking for one key wait for a
        single ``make()``; different keys are computed in parallel. Keys start with the module's
        name by convention (``"partners.credit_csc"``, ``("profiles.names", kind)``).
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
        self.__dict__.setdefault("content", self.version)  # (pickled before it had one)
        self.__dict__.setdefault("history", ())
        self._start_memo()

    def _share_memo(self, other: Projection) -> None:
        """Use ``other``'s memo: the same content, so everything derived from it holds."""
        self._memo, self._memo_lock, self._key_locks = other._memo, other._memo_lock, other._key_locks

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

    @property
    def competency_ancestors(self) -> sp.csr_matrix:
        """Competencies × competencies: 1 where the column is the row's competency or a broader one."""
        return self.cached("projection.competency_ancestors", lambda: ancestor_matrix(self.competencies["broader"].to_numpy()))

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
    columns = [p.clusters[name].tolist() for name in _CLUSTER_NODE_COLUMNS]
    graph.add_nodes_from((i, dict(zip(_CLUSTER_NODE_COLUMNS, values))) for i, values in enumerate(zip(*columns)))
    graph.add_edges_from(_cluster_edges(p))
    return graph


#: what a node of the cluster graph carries, from the cluster table
_CLUSTER_NODE_COLUMNS = ("iri", "id", "label", "countries", "industries")


def _cluster_node(p: Projection, i: int) -> dict:
    row = p.clusters.iloc[i]
    return {name: row[name] for name in _CLUSTER_NODE_COLUMNS}


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
    ends = origins[shared.row], shared.col.astype(np.int64)
    low, high = np.minimum(*ends), np.maximum(*ends)
    keep = low != high
    low, high, counts = low[keep], high[keep], shared.data[keep]
    pair = low * binary.shape[0] + high  # each pair once (both directions come when both ends are asked for)
    _, first = np.unique(pair, return_index=True)  # (sorted by pair, so by low then high)
    low, high, counts = low[first], high[first], counts[first]
    cosine = counts / np.sqrt(sizes[low] * sizes[high])
    edges: dict[tuple[int, int], dict] = {
        (a, b): {"shared_members": int(n), "membership": m, "partnership": 0.0, "partnerships": []}
        for a, b, n, m in zip(low.tolist(), high.tolist(), counts.tolist(), cosine.tolist())}
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
# some resources: a page of subjects in a paged build, the changed resources in a refresh.
#
# At European scale most of the time goes into the store finding and turning its stored terms
# back into strings (2-4 µs per IRI on pyoxigraph on a fast machine, 7.5 µs at European and
# 11 µs at world scale on a slower one, measured): so each query returns only the
# columns it needs, a term from a short closed list (a competency level, an affiliation type,
# an organisation type) comes back as its position in that list, the three largest answers (the
# claims and their levels, the affiliations) name competencies or clusters by row number
# (``?c_row``, from a VALUES block that pairs each IRI with its row), claim levels that weigh 1
# are not read at all, and the two joins over a million rows (claim levels, affiliations) are
# written as joins of one-pattern subqueries, which pyoxigraph evaluates as hash joins (a third
# of the time of its nested-loop plan). The claims and their levels come one row per
# organisation, their competency rows joined by spaces (``GROUP_CONCAT``), so each
# organisation's IRI is turned into a string once, not once per claim (the claim scan at
# European scale: 4.4 s of CPU against 10.7 s, measured; :func:`_spread` splits them again).
# Queries run in parallel (pyoxigraph releases the GIL).
#
# Against a remote server (or whenever ``page_size`` is given) every answer is paged instead
# (:func:`_fetch_paged`): each query is read in OFFSET/LIMIT slices of rows, checked against the
# server's count, so no response is larger than a page of rows; a query whose slices do not add
# up is asked again for one page of subjects at a time (the subjects of each kind are listed
# by :func:`_list_subjects`).

#: queries run at once: more than the cores, so that the short answers the build starts on come
#: in beside the long ones (world scale, 2 cores: 6 threads 123 s, 4 threads 134-137 s, when the
#: four longest were read beside the rest; a full build now starts the three longest once the
#: labels or the places are in, in threads of their own: see :func:`_answers`)
FETCH_THREADS = 6
#: IRIs in one VALUES block at most: Virtuoso 7 cannot compile a block of 4,096 terms or more
#: (error SP030), so pages and restrictions stay under it on every server
VALUES_LIMIT = 4_000
#: rows per answer at most when the projection is built from a remote server (see :func:`_fetch_paged`)
REMOTE_PAGE_SIZE = 100_000
#: subjects per VALUES block when a paged answer is read by subjects instead (see :func:`_fetch_paged`):
#: Virtuoso compiles a block in time that grows faster than its size (per organisation 0.1-0.2 ms
#: at 250-1,000 terms, 0.45 ms at 2,000, measured)
VALUES_PAGE = 500

_LEVELS = tuple(LEVEL_WEIGHTS)
_LEVEL_WEIGHT_ARRAY = np.array([LEVEL_WEIGHTS[i] for i in _LEVELS])
_TIE_TYPES = tuple(AFFILIATION_WEIGHTS)
_TIE_WEIGHT_ARRAY = np.array([AFFILIATION_WEIGHTS[i] for i in _TIE_TYPES])
_ORG_TYPES = tuple(ORGANISATION_TYPES)


def _position_of(variable: str, iris: tuple[str, ...]) -> str:
    """A SPARQL expression: where ``variable``'s value is in ``iris`` (0, 1, ...), or -1.

    ``=``, not ``sameTerm``: Virtuoso 7.2 finds no stored IRI ``sameTerm`` a constant (every
    organisation was "other" and every level and tie weighed 1 there); for IRIs they agree.
    """
    expression = "-1"
    for i in reversed(range(len(iris))):
        expression = f"IF({variable} = <{iris[i]}>, {i}, {expression})"
    return expression


_LEVEL = _position_of("?l", _LEVELS)
#: a claim level's code and its competency's row travel as one integer, ``row * _LEVEL_SLOTS + code``
_LEVEL_SLOTS = 4
assert len(_LEVELS) <= _LEVEL_SLOTS
#: the levels that change a claim's weight, with their positions (a level weighing 1 changes nothing)
_WEIGHTY_LEVELS = "VALUES (?l ?level_code) { " + " ".join(
    f"(<{level}> {i})" for i, level in enumerate(_LEVELS) if LEVEL_WEIGHTS[level] != 1.0) + " }"
_TIE_TYPE = _position_of("?t", _TIE_TYPES)
_ORG_TYPE = _position_of("?t", _ORG_TYPES)
_PARTNERSHIP_LEVELS = " ".join(f"<{t}>" for t in PARTNERSHIP_LEVELS)

#: a concept's skos:prefLabel in English (untagged or @en), else the one label there is: one row
#: per concept where it has preferred labels in several languages (``"…"@ru``, ``@de``, ``@fr``)
_ENGLISH_PREF = ('FILTER(LANG(?label) = "" || LANGMATCHES(LANG(?label), "en") '
                 '|| NOT EXISTS { ?s skos:prefLabel ?e FILTER(LANG(?e) = "" || LANGMATCHES(LANG(?e), "en")) })')

QUERIES = {
    "clusters": "SELECT ?s WHERE { %(values)s ?s a ckg:Cluster }",
    # attributes of every kind of thing at once: single-pattern scans are several times cheaper
    # than joining each with its type, and rows of other kinds are dropped by the index lookups
    # the English name (untagged, or @en), else the one name there is; names in other languages
    # beside an English one ("…"@ru) are read by the pages
    "labels": "SELECT ?s ?v WHERE { %(values)s ?s rdfs:label ?v FILTER(LANG(?v) = \"\" || LANGMATCHES(LANG(?v), \"en\") "
              "|| NOT EXISTS { ?s rdfs:label ?e FILTER(LANG(?e) = \"\" || LANGMATCHES(LANG(?e), \"en\")) }) }",
    "countries": "SELECT ?s ?v WHERE { %(values)s ?s ckg:country ?v }",
    "regions": "SELECT ?s ?v WHERE { %(values)s ?s ckg:region ?v }",
    "cluster_industries": "SELECT ?s ?v WHERE { %(values)s ?s a ckg:Cluster ; ckg:industry ?v }",
    "cluster_alt_labels": "SELECT ?s ?v WHERE { %(values)s ?s a ckg:Cluster ; skos:altLabel ?v }",
    "organisations": "SELECT ?s WHERE { %(values)s ?s a org:FormalOrganization }",
    "organisation_types": "SELECT ?s ?type_code WHERE { %(values)s ?s a ?t FILTER(?t IN (" + ", ".join(f"<{t}>" for t in _ORG_TYPES)
                          + ")) BIND(" + _ORG_TYPE + " AS ?type_code) }",
    "industries": "SELECT ?s ?label ?scheme WHERE { %(values)s ?s a ckg:Industry OPTIONAL { ?s skos:prefLabel ?label " + _ENGLISH_PREF + " } OPTIONAL { ?s skos:inScheme ?scheme } }",
    "competencies": "SELECT ?s ?label ?broader WHERE { %(values)s ?s a ckg:Competency OPTIONAL { ?s skos:prefLabel ?label " + _ENGLISH_PREF + " } OPTIONAL { ?s skos:broader ?broader } }",
    "competency_industries": "SELECT ?s ?v WHERE { %(values)s ?s a ckg:Competency ; ckg:appliedIn ?v }",
    "competency_alt_labels": "SELECT ?s ?v WHERE { %(values)s ?s a ckg:Competency { ?s skos:altLabel ?v } UNION { ?s skos:prefLabel ?v "
                             "FILTER(!(LANG(?v) = \"\" || LANGMATCHES(LANG(?v), \"en\"))) } }",
    "claims": "SELECT ?o ?c WHERE { %(values)s ?o ckg:hasCompetency ?c }",
    # (a second VALUES block here, for the levels, made pyoxigraph scan every claim per page)
    "claim_levels": "SELECT ?o ?c ?level_code WHERE { %(values)s ?o ckg:qualifiedCompetency ?q . ?q ckg:competency ?c ; ckg:level ?l BIND("
                    + _LEVEL + " AS ?level_code) }",
    "ties": "SELECT ?a ?c ?o ?type_code WHERE { %(values)s ?a ckg:affiliationType ?t ; ckg:cluster ?c ; ckg:organisation ?o BIND("
            + _TIE_TYPE + " AS ?type_code) }",
    # a need past its last day (schema:validThrough, compared as YYYY-MM-DD text) is no longer a need
    "needs": "SELECT ?h ?c WHERE { %(values)s ?h ckg:needsCompetency ?c FILTER NOT EXISTS { ?h ckg:qualifiedNeed ?n . "
             "?n ckg:competency ?c ; schema:validThrough ?until FILTER(STR(?until) < SUBSTR(STR(NOW()), 1, 10)) } }",
    "partnerships": "SELECT ?p ?label ?level ?c WHERE { %(values)s ?p a ckg:Partnership ; ckg:participant ?c OPTIONAL { ?p rdfs:label ?label } OPTIONAL { ?p a ?level VALUES ?level { "
                    + _PARTNERSHIP_LEVELS + " } } }",
    "resources": "SELECT ?r ?label ?kind ?o ?c WHERE { %(values)s ?r a ckg:SharedResource ; ckg:offeredBy ?o OPTIONAL { ?r rdfs:label ?label } OPTIONAL { ?r ckg:resourceKind ?kind } OPTIONAL { ?r ckg:relatedCompetency ?c } }",
    "developments": "SELECT ?d ?label ?o ?c ?i WHERE { %(values)s ?d a ckg:Development ; ckg:developedBy ?o OPTIONAL { ?d rdfs:label ?label } OPTIONAL { ?d ckg:relatedCompetency ?c } OPTIONAL { ?d ckg:industry ?i } }",
    # for a refresh: what kind of thing each changed resource is now, and whose claim a changed
    # claim is (a claim's level is said of the claim, not of its organisation)
    "kinds": "SELECT ?s ?kind_code WHERE { %(values)s VALUES (?t ?kind_code) { (ckg:Cluster 0) (org:FormalOrganization 1) (ckg:Competency 2) "
             "(ckg:Industry 3) (ckg:Partnership 4) (ckg:SharedResource 5) (ckg:Development 6) } ?s a ?t }",
    # (and whose need a changed need is: its until-date decides whether the holder needs it)
    "claim_owners": "SELECT ?s ?o WHERE { %(values)s ?o ckg:qualifiedCompetency|ckg:qualifiedNeed ?s }",
    # (its kinds as a position, not a second VALUES block: with one, pyoxigraph took 0.4 s at European scale, now 3 ms)
    "referrers": "SELECT DISTINCT ?s ?kind_code WHERE { { SELECT DISTINCT ?s WHERE { %(values)s "
                 "?s ckg:participant|ckg:offeredBy|ckg:developedBy|ckg:relatedCompetency ?x } } "
                 "?s a ?t FILTER(?t IN (ckg:Partnership, ckg:SharedResource, ckg:Development)) "
                 "BIND(IF(?t = ckg:Partnership, 4, IF(?t = ckg:SharedResource, 5, 6)) AS ?kind_code) }",
}
"""The projection's queries; ``%(values)s`` takes a VALUES block (see :func:`_fetch`)."""

WHOLE_STORE = {
    # the organisations with their types, countries and regions in one answer (hash joins of
    # one-pattern subqueries): each organisation's IRI written once, not four times (European
    # scale: 5.6 s of CPU against 8.7 s for places as three queries; with the types 6.6 s against
    # 5.7 + 2.35 s); :func:`_places` splits it again. ``?org_type`` is the type's position, or
    # empty where the organisation has none of :data:`_ORG_TYPES`
    "organisation_places": "SELECT ?s ?org_type ?country ?region WHERE { { SELECT ?s WHERE { ?s a org:FormalOrganization } } "
                           "OPTIONAL { SELECT ?s ?org_type WHERE { VALUES ?t { " + " ".join(f"<{t}>" for t in _ORG_TYPES)
                           + " } ?s a ?t BIND(" + _ORG_TYPE + " AS ?org_type) } } "
                           "OPTIONAL { SELECT ?s ?country WHERE { ?s ckg:country ?country } } "
                           "OPTIONAL { SELECT ?s ?region WHERE { ?s ckg:region ?region } } }",
    "cluster_countries": "SELECT ?s ?v WHERE { ?s a ckg:Cluster ; ckg:country ?v }",
    "cluster_regions": "SELECT ?s ?v WHERE { ?s a ckg:Cluster ; ckg:region ?v }",
    # ``%(rows)s``: VALUES (?c ?c_row) pairing every competency with its row; one row per
    # organisation, its claims' rows (and levels: row * _LEVEL_SLOTS + level) joined by spaces
    "claims": "SELECT ?o (GROUP_CONCAT(STR(?c_row); SEPARATOR=\" \") AS ?c_row_list) WHERE { %(rows)s ?o ckg:hasCompetency ?c } GROUP BY ?o",
    "claim_levels": "SELECT ?o (GROUP_CONCAT(STR(?c_row * " + str(_LEVEL_SLOTS) + " + ?level_code); SEPARATOR=\" \") AS ?c_row_level_list) WHERE { "
                    "{ SELECT ?q ?c_row WHERE { %(rows)s ?q ckg:competency ?c } } "
                    "{ SELECT ?q ?level_code WHERE { " + _WEIGHTY_LEVELS + " ?q ckg:level ?l } } "
                    "{ SELECT ?o ?q WHERE { ?o ckg:qualifiedCompetency ?q } } } GROUP BY ?o",
    # ``%(rows)s``: VALUES (?c ?c_row) pairing every cluster with its row (8% less CPU than the
    # clusters' IRIs: 7.95 s against 8.69 s at European scale, measured)
    "ties": "SELECT ?a ?c_row ?o ?type_code WHERE { { SELECT ?a ?type_code WHERE { ?a ckg:affiliationType ?t BIND(" + _TIE_TYPE + " AS ?type_code) } } "
            "{ SELECT ?a ?c_row WHERE { %(rows)s ?a ckg:cluster ?c } } { SELECT ?a ?o WHERE { ?a ckg:organisation ?o } } }",
}
"""The same answers as :data:`QUERIES` over the whole store, in the forms pyoxigraph evaluates
fastest over everything: hash joins of one-pattern subqueries, lookups by type, competencies by
row, claims grouped by organisation (see above; :func:`_fetch` spreads them out again). A paged build or a refresh uses :data:`QUERIES`, which start from the subjects
of its VALUES block (one VALUES block per query: with two, pyoxigraph loops over every pair)."""



def _values(variable: str, iris) -> str:
    return f"VALUES ?{variable} {{ {' '.join(f'<{iri}>' for iri in iris)} }}"


def _row_values(variable: str, iris, first: int = 0) -> str:
    """``VALUES (?variable ?variable_row) { (<iri> first) ... }``: each IRI with its row number."""
    return f"VALUES (?{variable} ?{variable}_row) {{ {' '.join(f'(<{iri}> {first + i})' for i, iri in enumerate(iris))} }}"


def _fetch(store: KnowledgeStore, name: str, variable: str | None = None, iris=(), whole: bool = False,
           row_values: str = "", queries: dict[str, str] | None = None) -> pd.DataFrame:
    """One query of :data:`QUERIES` (or of ``queries``) as a DataFrame of strings, restricted to
    ``?variable`` in ``iris``; ``row_values`` (see :func:`_row_values`) fills a whole-store query's
    ``%(rows)s``."""
    if variable and len(iris) > VALUES_LIMIT:  # (each row names one IRI of the restriction: no row twice)
        iris = list(iris)
        return pd.concat([_fetch(store, name, variable, iris[start:start + VALUES_LIMIT], whole, row_values, queries)
                          for start in range(0, len(iris), VALUES_LIMIT)], ignore_index=True)
    text = queries[name] if queries is not None else WHOLE_STORE[name] if whole and name in WHOLE_STORE else QUERIES[name]
    text = text.replace("%(values)s", _values(variable, iris) if variable else "")
    frame = _read_csv(_select_csv(store, PREFIXES + text.replace("%(rows)s", row_values)))
    if "c_row_list" in frame:
        organisations, rows = _spread(frame, "o", "c_row_list")
        return pd.DataFrame({"o": organisations, "c_row": rows})
    if "c_row_level_list" in frame:
        organisations, values = _spread(frame, "o", "c_row_level_list")
        return pd.DataFrame({"o": organisations, "c_row": values // _LEVEL_SLOTS, "level_code": values % _LEVEL_SLOTS})
    return frame


def _spread(frame: pd.DataFrame, key: str, column: str) -> tuple[np.ndarray, np.ndarray]:
    """The (key, value) pairs of an answer grouped by ``key``, whose integer values ``column``
    joins by spaces: each key repeated (the same string object: hashed once when looked up)."""
    lists = frame[column].to_numpy(dtype=object)
    counts = np.fromiter((len(values.split(" ")) for values in lists), dtype=np.int64, count=len(lists))
    values = np.array(" ".join(lists).split(" "), dtype=np.int64) if len(lists) else np.array([], dtype=np.int64)
    return np.repeat(frame[key].to_numpy(dtype=object), counts), values


def _select_csv(store: KnowledgeStore, query: str) -> bytes:
    """A SELECT's answer as CSV; from a SPARQL server as it writes it (Virtuoso writes CSV
    several times faster than the JSON the store otherwise asks it for and rewrites)."""
    if isinstance(store, SparqlProtocolStore):
        return store.select_csv(query)
    return store.query_bytes(query, "text/csv")


#: result columns that hold a position in a closed list (see :func:`_position_of`)
_CODE_COLUMNS = ("level_code", "type_code", "kind_code")


def _integer_column(column: str) -> bool:
    """Codes and row numbers (``?c_row``: the row of ``?c``) are integers; everything else strings."""
    return column in _CODE_COLUMNS or column.endswith("_row")


def _read_csv(data: bytes) -> pd.DataFrame:
    header = [name.strip('"') for name in data.split(b"\n", 1)[0].decode("utf-8").strip().split(",")]  # (Virtuoso quotes it)
    types = {column: (np.int64 if _integer_column(column) else object) for column in header if column}
    return pd.read_csv(io.BytesIO(data), dtype=types, keep_default_na=False, na_filter=False, encoding="utf-8")


def _fetch_any(store: KnowledgeStore, name: str, restrictions: list[tuple[str, list[str]]],
               queries: dict[str, str] | None = None) -> pd.DataFrame:
    """The rows of ``name`` where any ``?variable`` is in its IRIs, each row once.

    One query per restriction; a row found by an earlier restriction is dropped from the later
    answers, so rows the store returns twice (two claim nodes saying the same) stay twice, as
    in a full build.
    """
    frames, earlier = [], []
    for variable, iris in restrictions:
        if not iris:
            continue
        frame = _fetch(store, name, variable, iris, queries=queries)
        for seen_variable, seen in earlier:
            frame = frame[~frame[seen_variable].isin(seen)]
        frames.append(frame)
        earlier.append((variable, set(iris)))
    if not frames:
        return _empty(name, queries)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _empty(name: str, queries: dict[str, str] | None = None) -> pd.DataFrame:
    select = (QUERIES if queries is None else queries)[name].split("WHERE", 1)[0]
    return pd.DataFrame({column: pd.Series(dtype=np.int64 if _integer_column(column) else object)
                         for column in re.findall(r"\?(\w+)", select)})


@contextmanager
def _answers(store: KnowledgeStore, page_size: int | None = None) -> Iterator[Mapping[str, pd.DataFrame]]:
    """Every query of :data:`QUERIES` a build needs, as DataFrames by name: whole-store queries
    run concurrently, each answer waited for when it is first read (so a build works on the
    first answers while the store is still reading the claims), or, with a ``page_size``, paged
    (:func:`_fetch_paged`)."""
    if page_size is not None:
        yield _fetch_paged(store, page_size)
        return
    building = [name for name in QUERIES if name not in (*_LAST, "kinds", "claim_owners", "referrers", *_PLACES)]
    with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool, ThreadPoolExecutor(max_workers=len(_LAST)) as last:
        # first what the tables of clusters, organisations and competencies are made of, the
        # labels and the organisations' places the largest, so that the build makes those tables
        # while the three longest answers are read (the claims, their levels and the
        # affiliations: at European scale 7.7, 10.4 and 10 s of CPU of ~48 s); those name
        # competencies and clusters by row (one VALUES block each, the rows of the index the
        # build makes of the same answer), and start once the labels or the places are in: the
        # store then has a core to spare (the other is read, and both answers are parsed, which
        # holds the GIL)
        futures = {name: pool.submit(_fetch, store, name, whole=True) for name in ("clusters", "competencies", "labels")}
        places = pool.submit(_places, store)
        futures.update({name: pool.submit(_fetch, store, name, whole=True) for name in building if name not in futures})
        first = [futures["labels"], places]
        # (the build waits for the clusters and competencies first too: no time lost here)
        rows = {kind: _row_values("c", _entity_index(futures[kind].result())) for kind in set(_LAST.values())}

        def after_the_first(name: str, kind: str) -> pd.DataFrame:
            wait(first, return_when=FIRST_COMPLETED)  # (done, or failed: a failure is raised where that answer is read)
            return _fetch(store, name, whole=True, row_values=rows[kind])

        futures.update({name: last.submit(after_the_first, name, kind) for name, kind in _LAST.items()})
        yield _Arriving(futures, places)


#: the three longest answers, read last, and the kind their ``%(rows)s`` numbers
_LAST = {"claim_levels": "competencies", "ties": "clusters", "claims": "competencies"}


#: the answers :func:`_places` gives, from one query for the organisations and two small ones for the clusters
_PLACES = ("organisations", "organisation_types", "countries", "regions")


def _places(store: KnowledgeStore) -> dict[str, pd.DataFrame]:
    """The answers of :data:`QUERIES` named in :data:`_PLACES`, read as the organisations with
    their types and places and the clusters' places (their rows may come more than once: the
    tables take each value once)."""
    organisations = _fetch(store, "organisation_places", whole=True)
    typed = organisations.loc[organisations["org_type"] != "", ["s", "org_type"]]
    answers = {"organisations": pd.DataFrame({"s": organisations["s"].drop_duplicates(ignore_index=True)}),
               "organisation_types": pd.DataFrame({"s": typed["s"], "type_code": _codes(typed["org_type"])})}
    for name, column in (("countries", "country"), ("regions", "region")):
        of_organisations = organisations.loc[organisations[column] != "", ["s", column]].rename(columns={column: "v"})
        answers[name] = pd.concat([_fetch(store, "cluster_" + name, whole=True), of_organisations], ignore_index=True)
    return answers


class _Arriving(Mapping):
    """Answers by name, each waited for when it is first read."""

    def __init__(self, futures: dict[str, Future], places: Future):
        self.futures, self.places = futures, places

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.places.result()[name] if name in _PLACES else self.futures[name].result()

    def as_they_come(self, names: tuple[str, ...]) -> Iterator[str]:
        """``names`` (not of :data:`_PLACES`) as their answers arrive."""
        waiting = {self.futures[name]: name for name in names}
        for future in as_completed(waiting):
            yield waiting[future]

    def __iter__(self):
        return iter([*self.futures, *_PLACES])

    def __len__(self) -> int:
        return len(self.futures) + len(_PLACES)


#: the type of each kind of subject a paged build lists first
_LISTED = {"clusters": "ckg:Cluster", "organisations": "org:FormalOrganization", "competencies": "ckg:Competency",
           "industries": "ckg:Industry", "partnerships": "ckg:Partnership", "resources": "ckg:SharedResource",
           "developments": "ckg:Development"}
#: the joins over a million rows, which a server cannot skip along an index: an OFFSET slice of
#: them costs as much as all the rows before it (through Virtuoso at 100,000 organisations: the
#: claim levels 21 s in slices, 8 s in pages of 500 competencies), so a paged build reads them by
#: pages of their smaller side (competencies, clusters) from the start
_JOINED = ("claim_levels", "ties")
#: each query of a paged build: the variable a page restricts, and the kinds whose subjects fill the pages
_PAGED_BY = {
    "labels": ("s", ("clusters", "organisations")), "countries": ("s", ("clusters", "organisations")),
    "regions": ("s", ("clusters", "organisations")), "cluster_industries": ("s", ("clusters",)),
    "cluster_alt_labels": ("s", ("clusters",)), "organisation_types": ("s", ("organisations",)),
    "industries": ("s", ("industries",)), "competencies": ("s", ("competencies",)),
    "competency_industries": ("s", ("competencies",)), "competency_alt_labels": ("s", ("competencies",)),
    "claims": ("o", ("organisations",)), "claim_levels": ("c", ("competencies",)), "ties": ("c", ("clusters",)),
    "needs": ("h", ("clusters", "organisations")), "partnerships": ("p", ("partnerships",)),
    "resources": ("r", ("resources",)), "developments": ("d", ("developments",)),
}


def _list_subjects(store: KnowledgeStore, type_name: str, page_size: int) -> list[str]:
    """Every IRI of a type, sorted, read in pages of ``page_size``.

    Pages are ``OFFSET``/``LIMIT`` slices of the unsorted answer (at 30,000 organisations 0.09 s
    of CPU, against 3.1 s for keyset pages, which sort the whole answer for every page). An
    unsorted answer need not come in the same order twice, so the pages are checked against
    the count of subjects, and read again in keyset order if they missed any.
    """
    pattern = f"?s a {type_name} FILTER(isIRI(?s))"
    subjects: set[str] = set()
    offset = 0
    while True:
        page = _read_csv(_select_csv(store, f"{PREFIXES}SELECT ?s WHERE {{ {pattern} }} OFFSET {offset} LIMIT {page_size}"))["s"].tolist()
        subjects.update(page)
        offset += len(page)
        if len(page) < page_size:
            break
    counted = _read_csv(_select_csv(store, f"{PREFIXES}SELECT (COUNT(DISTINCT ?s) AS ?n_row) WHERE {{ {pattern} }}"))
    if len(subjects) == int(counted["n_row"].iat[0]):  # all of them: each page holds only subjects of the type
        return sorted(subjects)
    return _list_subjects_in_order(store, pattern, page_size)


def _list_subjects_in_order(store: KnowledgeStore, pattern: str, page_size: int) -> list[str]:
    """The subjects ``?s`` of ``pattern`` in keyset pages: sorted, each after the last of the page before."""
    subjects: list[str] = []
    after = ""
    while True:
        query = (f"{PREFIXES}SELECT ?s WHERE {{ {pattern} FILTER(STR(?s) > {sparql_term(Literal(after))}) }} "
                 f"ORDER BY STR(?s) LIMIT {page_size}")
        page = _read_csv(_select_csv(store, query))["s"].tolist()
        subjects += page
        if len(page) < page_size:
            return sorted(set(subjects))
        after = page[-1]


def _fetch_paged(store: KnowledgeStore, page_size: int) -> dict[str, pd.DataFrame]:
    """The same frames as a whole-store fetch, read so that no answer is large.

    Each query is read in slices of at most ``page_size`` rows (:func:`_fetch_sliced`): one
    query text per slice with ``OFFSET``/``LIMIT``, which a server compiles fast and answers by
    skipping along its indexes. A query whose slices do not add up (an unsorted answer need not
    come in the same order twice), and the large joins (:data:`_JOINED`), are read by
    subjects: the subjects of each kind are listed (:func:`_list_subjects`) and the query asked
    for :data:`VALUES_PAGE` of them at a time. Through Virtuoso the VALUES pages cost 0.2-0.5 ms per subject, mostly compiling the
    block, the slices about 0.01 ms per row (measured at 100,000 organisations).
    """
    if page_size < 1:
        raise InvalidInput(f"page size must be a positive number of rows (or 0: no pages), not {page_size}")
    with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool:
        listed = {kind: pool.submit(_list_subjects, store, type_name, page_size) for kind, type_name in _LISTED.items()}
        sliced = {name: pool.submit(_fetch_sliced, store, name, page_size) for name in _PAGED_BY if name not in _JOINED}
        subjects = {kind: future.result() for kind, future in listed.items()}
        frames = {name: sliced[name].result() if name in sliced else None for name in _PAGED_BY}
        by_subjects = {}
        for name in [name for name, frame in frames.items() if frame is None]:
            variable, kinds = _PAGED_BY[name]
            iris = [iri for kind in kinds for iri in subjects[kind]]
            step = min(page_size, VALUES_PAGE)
            by_subjects[name] = [pool.submit(_fetch, store, name, variable, iris[i:i + step]) for i in range(0, len(iris), step)]
        frames.update({name: pd.concat([f.result() for f in pages], ignore_index=True) if pages else _empty(name)
                       for name, pages in by_subjects.items()})
    frames["clusters"] = pd.DataFrame({"s": pd.Series(subjects["clusters"], dtype=object)})
    frames["organisations"] = pd.DataFrame({"s": pd.Series(subjects["organisations"], dtype=object)})
    return frames


def _fetch_sliced(store: KnowledgeStore, name: str, rows: int) -> pd.DataFrame | None:
    """A query of :data:`QUERIES` read in ``OFFSET``/``LIMIT`` slices of ``rows``; ``None`` if they
    do not add up.

    The slices ask for every variable of the pattern (``SELECT *``), so no two rows of the whole
    answer are alike: the slices hold the whole answer exactly when their rows, all different,
    are as many as the server counts. Only a 64-bit hash of each whole row is kept for that
    check; the frame keeps the query's own columns, duplicates and all.
    """
    select, where = QUERIES[name].replace("%(values)s", "").split(" WHERE ", 1)
    columns = re.findall(r"\?(\w+)", select)
    frames, hashes, offset = [], [], 0
    while True:
        page = _read_csv(_select_csv(store, f"{PREFIXES}SELECT * WHERE {where} OFFSET {offset} LIMIT {rows}"))
        hashes.append(pd.util.hash_pandas_object(page[sorted(page.columns)], index=False).to_numpy())
        frames.append(page[columns])
        offset += len(page)
        if len(page) < rows:
            break
    counted = _read_csv(_select_csv(store, f"{PREFIXES}SELECT (COUNT(*) AS ?n_row) WHERE {where}"))
    seen = np.concatenate(hashes)
    if len(seen) != int(counted["n_row"].iat[0]) or len(np.unique(seen)) != len(seen):
        return None
    return pd.concat(frames, ignore_index=True)


def _ids(iris) -> list[str]:
    return [local_name(iri) for iri in iris]


def _named(labels, ids: list[str]) -> list[str]:
    """Each label, or the id where there is none."""
    return [label or identifier for label, identifier in zip(labels, ids)]


def _local_names(values) -> list[str]:
    """:func:`local_name` of each value ("" stays ""), each distinct value once (a few dozen countries)."""
    names = {value: local_name(value) if value else "" for value in set(values)}
    return [names[value] for value in values]


def _first(frame: pd.DataFrame, index: pd.Index, column: str = "v") -> np.ndarray:
    """One value per entity of ``index`` (the smallest where it has several), "" where none."""
    values = np.full(len(index), "", dtype=object)
    if not len(frame):
        return values
    positions = index.get_indexer(_iris(frame, "s"))
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
        positions = index.get_indexer(_iris(frame, "s"))
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
    iris = index.tolist()
    ids = _ids(iris)
    return pd.DataFrame({
        "iri": iris,
        "id": ids,
        "label": _named(_first(f["labels"], index), ids),
        "countries": _grouped(f["countries"], index, local_name),
        "regions": _grouped(f["regions"], index),
        "industries": _grouped(f["cluster_industries"], index),
        "alt_labels": [tuple(sorted(a)) for a in _grouped(f["cluster_alt_labels"], index)],
    })


def _organisation_table(f: dict[str, pd.DataFrame], index: pd.Index) -> pd.DataFrame:
    codes = np.full(len(index), len(_ORG_TYPES), dtype=np.int64)  # "other" where none is known
    types = f["organisation_types"]
    if len(types):
        positions, found = index.get_indexer(_iris(types, "s")), _codes(types["type_code"])
        keep = (positions >= 0) & (found >= 0)
        np.minimum.at(codes, positions[keep], found[keep])  # the first in the list where several
    names = [ORGANISATION_TYPES[t] for t in _ORG_TYPES] + ["other"]
    iris = index.tolist()
    ids = _ids(iris)
    return pd.DataFrame({
        "iri": iris,
        "id": ids,
        "label": _named(_first(f["labels"], index), ids),
        "type": [names[c] for c in codes.tolist()],
        "country": _local_names(_first(f["countries"], index).tolist()),
        "region": list(_first(f["regions"], index)),
    })


def _industry_table(f: dict[str, pd.DataFrame], index: pd.Index) -> pd.DataFrame:
    labels = _first(f["industries"].rename(columns={"label": "v"}), index)
    schemes = _first(f["industries"].rename(columns={"scheme": "v"}), index)
    iris = index.tolist()
    ids = _ids(iris)
    return pd.DataFrame({
        "iri": iris,
        "id": ids,
        "label": _named(labels, ids),
        "scheme": [local_name(s) if s else "" for s in schemes],
    })


def _competency_table(f: dict[str, pd.DataFrame], index: pd.Index) -> pd.DataFrame:
    labels = _first(f["competencies"].rename(columns={"label": "v"}), index)
    broader_iris = _first(f["competencies"].rename(columns={"broader": "v"}), index)
    broader = index.get_indexer(pd.Index(broader_iris, dtype=object)).astype(np.int64)  # -1 where none
    iris = index.tolist()
    ids = _ids(iris)
    return pd.DataFrame({
        "iri": iris,
        "id": ids,
        "label": _named(labels, ids),
        "broader": broader,
        "depth": _depths(broader),
        "industries": _grouped(f["competency_industries"], index),
        "alt_labels": _grouped(f["competency_alt_labels"], index),
    })


def _claim_matrix(claims: pd.DataFrame, levels: pd.DataFrame, o_index: pd.Index, k_index: pd.Index) -> sp.csr_matrix:
    """Organisations × competencies: 1 per stated claim, times the weight of its level."""
    return _weighed(_stated_claims(claims, o_index, k_index), _level_changes(levels, o_index, k_index))


def _stated_claims(claims: pd.DataFrame, o_index: pd.Index, k_index: pd.Index) -> sp.csr_matrix:
    """Organisations × competencies: 1 per stated claim."""
    rows, cols, _ = _pair_positions(claims, "o", o_index, "c", k_index)
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(o_index), len(k_index)))
    matrix.data[:] = 1.0
    return matrix


def _level_changes(levels: pd.DataFrame, o_index: pd.Index, k_index: pd.Index) -> sp.csr_matrix:
    """Organisations × competencies: how much a claim's level changes its weight (the weight - 1)."""
    rows, cols, keep = _pair_positions(levels, "o", o_index, "c", k_index)
    codes = _codes(levels["level_code"])[keep] if len(rows) else np.array([], dtype=np.int64)
    weights = np.where(codes >= 0, _LEVEL_WEIGHT_ARRAY[codes.clip(0)], 1.0)
    return sp.csr_matrix((weights - 1.0, (rows, cols)), shape=(len(o_index), len(k_index)))


def _weighed(stated: sp.csr_matrix, changes: sp.csr_matrix) -> sp.csr_matrix:
    """The stated claims with their levels' changes (a level said of no stated claim changes nothing)."""
    if not changes.nnz:
        return stated
    matrix = (stated + changes.multiply(stated > 0).tocsr()).tocsr()
    matrix.eliminate_zeros()
    return matrix


@dataclass
class _Claimed:
    """What a build makes of the three longest answers (see :func:`_claims_and_ties`)."""

    org_competency: sp.csr_matrix
    org_competency_up: sp.csr_matrix
    ties: pd.DataFrame
    cluster_org: sp.csr_matrix
    cluster_competency: sp.csr_matrix


def _claims_and_ties(f: Mapping[str, pd.DataFrame], c_index: pd.Index, o_index: pd.Index, k_index: pd.Index,
                     up: sp.csr_matrix) -> _Claimed:
    """The claim and tie matrices, each part made as soon as its answer is in.

    The three longest answers (:data:`_LAST`) end seconds apart: made after the last of them,
    these were the build's last 2.7 s, on one core (European scale, measured). Which
    competencies an organisation has does not depend on its claims' levels, so the clusters'
    competencies are counted once the claims and the ties are in, whenever the levels come.
    """
    parts: dict[str, object] = {}
    for name in _as_they_come(f, tuple(_LAST)):
        if name == "claims":
            parts["stated"] = _stated_claims(f["claims"], o_index, k_index)
        elif name == "claim_levels":
            parts["changes"] = _level_changes(f["claim_levels"], o_index, k_index)
        else:
            parts["ties"] = _tie_table(f["ties"], c_index, o_index)
            parts["cluster_org"] = _cluster_org(parts["ties"], len(c_index), len(o_index))
        if "stated" in parts and "changes" in parts and "org_competency" not in parts:
            parts["org_competency"] = _weighed(parts["stated"], parts["changes"])
            parts["org_competency_up"] = _upward(parts["org_competency"], up)
        if "stated" in parts and "cluster_org" in parts and "cluster_competency" not in parts:
            held = parts["org_competency_up"] if "org_competency_up" in parts else _upward(parts["stated"], up)
            parts["cluster_competency"] = _cluster_competency(parts["cluster_org"], held)
    return _Claimed(**{name: parts[name] for name in _Claimed.__dataclass_fields__})


def _as_they_come(answers: Mapping[str, pd.DataFrame], names: tuple[str, ...]) -> Iterator[str]:
    """``names`` in the order their answers arrive (as given, when all are in already)."""
    if isinstance(answers, _Arriving):
        yield from answers.as_they_come(names)
    else:
        yield from names


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


def build_projection(store: KnowledgeStore, page_size: int | None = None) -> Projection:
    """Read everything the analyses need from ``store`` (see :data:`QUERIES`).

    ``page_size``: read every answer in pages of at most that many rows (see :func:`_fetch_paged`);
    0 reads each answer whole; by default a remote server is read in pages of
    :data:`REMOTE_PAGE_SIZE` and the embedded store whole. Either way the projection is the same.
    """
    version = store.data_version()
    if page_size is None:
        page_size = REMOTE_PAGE_SIZE if isinstance(store, SparqlProtocolStore) else 0
    with _answers(store, page_size if page_size != 0 else None) as f:  # each answer used in the order it comes
        c_index, i_index, k_index = (_entity_index(f[name]) for name in ("clusters", "industries", "competencies"))
        industries, competencies = _industry_table(f, i_index), _competency_table(f, k_index)
        o_index = _entity_index(f["organisations"])
        clusters, organisations = _cluster_table(f, c_index), _organisation_table(f, o_index)
        labels = _labels(clusters, organisations, competencies, industries)
        c_positions, o_positions, k_positions = (_Sorted(index.to_numpy(dtype=object)) for index in (c_index, o_index, k_index))
        partnerships = _partnership_table(f["partnerships"], c_positions)
        resources = _grouped_items(f["resources"], o_positions, k_positions)
        developments = _grouped_developments(f["developments"], o_positions, k_positions)
        cluster_needs, org_needs = _need_matrix(f["needs"], c_index, k_index), _need_matrix(f["needs"], o_index, k_index)
        claimed = _claims_and_ties(f, c_index, o_index, k_index, ancestor_matrix(competencies["broader"].to_numpy()))
    return _with_evidence(store, Projection(
        version=version, clusters=clusters, organisations=organisations, competencies=competencies,
        industries=industries, org_competency=claimed.org_competency, org_competency_up=claimed.org_competency_up,
        cluster_org=claimed.cluster_org, cluster_competency=claimed.cluster_competency,
        cluster_needs=cluster_needs, org_needs=org_needs, partnerships=partnerships, resources=resources,
        developments=developments, labels=labels, ties=claimed.ties,
    ))


def _with_evidence(store: KnowledgeStore, projection: Projection) -> Projection:
    """``projection`` with the evidence the analyses cite, read at the same data version."""
    from clusterkg.graph.analysis.evidence import load_evidence  # the analyses import this module

    projection.evidence = load_evidence(store, projection)
    return projection


def _labels(*frames: pd.DataFrame) -> dict[str, str]:
    labels: dict[str, str] = {}
    for frame in frames:
        labels.update(zip(frame["iri"].tolist(), frame["label"].tolist()))
    return labels


def _pair_positions(frame: pd.DataFrame, left: str, left_index: pd.Index, right: str, right_index: pd.Index):
    """Row numbers of the (left, right) pairs whose both ends are known; and which rows those are."""
    rows, cols = _positions(frame, left, left_index), _positions(frame, right, right_index)
    keep = (rows >= 0) & (cols >= 0)
    return rows[keep], cols[keep], keep


def _positions(frame: pd.DataFrame, column: str, index: pd.Index) -> np.ndarray:
    """Row numbers of the IRIs in ``column`` (-1 where unknown), or the ``column_row`` the store gave."""
    if column + "_row" in frame:
        return frame[column + "_row"].to_numpy(dtype=np.int64)
    return index.get_indexer(_iris(frame, column)) if len(frame) else np.array([], dtype=np.int64)


def _iris(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column of IRIs as an object array: pandas looks an array up in an index a third
    faster than a Series (0.45 s against 0.7 s for 1.2M IRIs among 300,000, measured)."""
    return frame[column].to_numpy(dtype=object)


def _depths(broader: np.ndarray) -> np.ndarray:
    depth = np.zeros(len(broader), dtype=np.int64)
    for i in range(len(broader)):
        d, j, seen = 0, broader[i], 0
        while j >= 0 and seen < 64:  # bounded: the checks forbid loops, but never hang on one
            d, j, seen = d + 1, broader[j], seen + 1
        depth[i] = d
    return depth


def ancestor_matrix(broader: np.ndarray) -> sp.csr_matrix:
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


#: names that live in the refresh and cache modules, importable from here as before
_ELSEWHERE = {
    "refresh": "projection_refresh", "changes_between": "projection_refresh", "catch_up": "projection_refresh",
    "MAX_CHAIN": "projection_refresh", "MAX_CHANGED": "projection_refresh", "HISTORY_GRAPH": "projection_refresh",
    "ProjectionCache": "projection_cache", "load_or_build": "projection_cache",
}


def __getattr__(name: str):
    """``from clusterkg.graph.projection import refresh`` etc.: loaded on first use (they import this module)."""
    if name in _ELSEWHERE:
        return getattr(importlib.import_module(f"clusterkg.graph.{_ELSEWHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
