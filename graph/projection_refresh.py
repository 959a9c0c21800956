"""Keeping the analytic projection up to date after a small write, without a full build.

A write records which resources it changed (:func:`changes_between` reads that history);
:func:`refresh` re-asks the store only about those and carries the rest of the projection
over; :func:`catch_up` chooses between a refresh and a full build. The result always equals a
full :func:`~clusterkg.graph.projection.build_projection` of the store (tests check it field by
field). When no changed subject is projected (nor read by the evidence) the refresh keeps the
projection's content identity and everything derived from it (``Projection.content``), and it
records the changed subjects (``Projection.changed_since``) for answers that read the store.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from rdflib import Literal

from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.history import HISTORY_GRAPH
from clusterkg.graph.iris import iri_error
from clusterkg.graph.projection import (
    CKG, FETCH_THREADS, Projection, _Sorted, ancestor_matrix, _claim_matrix, _cluster_competency, _cluster_edges,
    _cluster_node, _cluster_org, _cluster_table, _codes, _competency_table, _entity_index, _fetch, _fetch_any,
    _grouped_developments, _grouped_items, _hash, _industry_table, _labels, _need_matrix, _organisation_table,
    _partnership_table, _tie_table, _upward, build_projection,
)
from clusterkg.graph.store import KnowledgeStore, sparql_term
from clusterkg.ontology.namespace import PROV as _PROV_TERMS

__all__ = ["HISTORY_GRAPH", "HISTORY_LINKS", "MAX_CHAIN", "MAX_CHANGED", "catch_up", "changes_between", "refresh"]

# ---------------------------------------------------------------------------------------------
# Refreshing after a small change
#
# A write records which resources it changed (see :func:`changes_between`). A refresh re-asks
# the store only about those: the rows of changed clusters and organisations, the columns of
# changed competencies, the ties of changed affiliations, the partnerships, resources and
# developments that name a changed thing; everything else is carried over, renumbered when
# things were added or removed (rows stay sorted by IRI, as in a full build). The evidence is
# refreshed the same way, from the same renumberings (``analysis/evidence.py``,
# ``refresh_evidence``). The result is the projection a full build would give (a test checks
# it field by field, evidence included).

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
    history = _history(p, version, changed)
    if not changed:
        return _kept(p, version, history)

    with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool:
        first = {name: pool.submit(_fetch, store, name, variable, changed)
                 for name, variable in (("kinds", "s"), ("claim_owners", "s"), ("referrers", "x"))}
        new_ties = pool.submit(_fetch_any, store, "ties", [("a", changed)])
        kinds, owners, referrers = (first[name].result() for name in ("kinds", "claim_owners", "referrers"))
        new_ties = new_ties.result()
    now = {kind: set(kinds["s"][_codes(kinds["kind_code"]) == code]) for code, kind in enumerate(_KINDS)}
    tables = {"cluster": p.clusters, "organisation": p.organisations, "competency": p.competencies,
              "industry": p.industries, "partnership": p.partnerships, "resource": p.resources,
              "development": p.developments}
    old = {kind: table["iri"].to_numpy(dtype=object) for kind, table in tables.items()}
    was = {kind: _present(old[kind], changed) for kind in _KINDS}
    for code, kind in enumerate(_KINDS):
        if code >= 4:
            was[kind] |= set(referrers["s"][_codes(referrers["kind_code"]) == code])
    untouched = (not len(kinds) and not len(owners) and not len(referrers) and not len(new_ties)
                 and not any(was.values()) and not np.isin(p.ties["key"].to_numpy(), _hash(np.array(changed, dtype=object))).any())
    if untouched and p.evidence is not None:  # no changed subject is projected: the evidence may still be
        from clusterkg.graph.analysis.evidence import refresh_evidence  # it imports this module

        same = {kind: _Renumbering.of(old[kind], set(), set()) for kind in ("organisation", "competency")}
        evidence = refresh_evidence(store, p.evidence, p, changed, same["organisation"], same["competency"], False)
        if _same_evidence(evidence, p.evidence):
            return _kept(p, version, history)

    clusters = _Renumbering.of(old["cluster"], now["cluster"], was["cluster"], _present(old["cluster"], set(owners["o"])))
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
    up = ancestor_matrix(competency_table["broader"].to_numpy())
    if vocabulary_changed:
        org_competency_up = _upward(org_competency, up)
    else:
        org_competency_up = _patched(p.org_competency_up, organisations, competencies,
                                     _upward(_only_rows(org_competency, organisations.touched), up))

    # ties: drop those of touched clusters, organisations and affiliations; renumber the rest
    ties = p.ties
    gone = (np.isin(ties["cluster"].to_numpy(), _rows_of(clusters, old["cluster"], set(c_touched) | was["cluster"]))
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
    from clusterkg.graph.analysis.evidence import refresh_evidence  # it imports this module

    result.evidence = refresh_evidence(store, p.evidence, result, changed, organisations, competencies, vocabulary_changed)
    old_graph = p._memo.get("projection.cluster_graph")
    if old_graph is not None and clusters.identity:
        touched_partnerships = set(others["partnership"])
        for table in (p.partnerships, partnerships):
            for row in table.itertuples():
                if row.iri in touched_partnerships:
                    affected |= set(row.clusters)
        result._memo["projection.cluster_graph"] = _patched_cluster_graph(old_graph, result, sorted(affected), clusters.touched)
    # clusters that gained or lost a member count as changed too (a new affiliation is a subject
    # of its own): what reads a cluster's members checks its IRI (Projection.changed_since)
    read_again = f["ties"]  # (ties of any organisation, projected or not)
    regrouped = set(read_again["c"][read_again["a"].isin(set(changed))].tolist())
    was_tied = np.isin(ties["key"].to_numpy(), _hash(np.array(changed, dtype=object)))
    regrouped |= set(old["cluster"][ties["cluster"].to_numpy(dtype=np.int64)[was_tied]].tolist())
    result.history = ((p.version, version, history[0][2] | regrouped),) + history[1:] if history else ()
    return result


#: refreshes a projection remembers (:meth:`Projection.changed_since`), at most this many
#: changed subjects in all
HISTORY_LINKS = 64


def _history(p: Projection, version: str, changed: list[str]) -> tuple:
    """``p``'s history with the step to ``version`` first, cut to :data:`HISTORY_LINKS` links
    and :data:`MAX_CHANGED` subjects."""
    links, total = [(p.version, version, frozenset(changed))], len(changed)
    for link in p.history[:HISTORY_LINKS - 1]:
        total += len(link[2])
        if total > MAX_CHANGED:
            break
        links.append(link)
    return tuple(links) if len(changed) <= MAX_CHANGED else ()


def _kept(p: Projection, version: str, history: tuple) -> Projection:
    """``p`` at ``version``: the same content (its identity and derived values shared)."""
    kept = replace(p, version=version, history=history)
    kept._share_memo(p)
    return kept


def _same_evidence(a, b) -> bool:
    """Whether two evidences hold the same, field by field (matrices, arrays and tables)."""
    for item in fields(a):
        x, y = getattr(a, item.name), getattr(b, item.name)
        if x is y:
            continue
        if x is None or y is None:
            return False
        if sp.issparse(x):
            if not sp.issparse(y) or x.shape != y.shape or (x != y).nnz:
                return False
        elif isinstance(x, pd.DataFrame):
            if not isinstance(y, pd.DataFrame) or not x.equals(y):
                return False
        elif not np.array_equal(np.asarray(x), np.asarray(y)):
            return False
    return True


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
