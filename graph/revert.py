"""Undoing a recorded change: the exact triples it added go, those it removed come back.

A change can be undone when it kept its delta (see :mod:`clusterkg.graph.history`: small
changes of IRIs and literals do). The revert is one write like any other: the data, the new
data version and its own activity (``ckg:operation "revert"``, ``prov:wasInformedBy`` the
change, with its own delta) in one transaction, so a revert can be reverted too.

A revert is refused, with nothing written, when

- the change kept no delta, or was already reverted;
- a later change (not itself reverted) touched one of the same resources: undoing the earlier
  one would silently undo part of the later one too, so revert the later one first;
- it would leave a resource that other triples point at without any description.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from clusterkg.graph.errors import ClusterKGError, NotFound
from clusterkg.graph.history import (HISTORY_GRAPH, MAX_DELTA_TRIPLES, Activity, Delta, default_agent,
                                     delta_graphs)
from clusterkg.graph.store import KnowledgeStore
from clusterkg.ontology.namespace import CKG, PROV

__all__ = ["CannotRevert", "RevertReport", "import_delta", "read_delta", "revert_change"]

_CHUNK = 500


class CannotRevert(ClusterKGError):
    """The change cannot be reverted (now); the message says why. Nothing was written."""

    status = 409


@dataclass(frozen=True)
class RevertReport:
    activity: str  # the change undone
    removed: int
    added: int

    def __str__(self) -> str:
        return f"reverted {self.activity}: {self.removed} triple(s) removed, {self.added} restored"


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _triples(data: bytes) -> list[ox.Triple]:
    return [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]


def _present(store: KnowledgeStore, triples: list[ox.Triple]) -> set[ox.Triple]:
    """Those of ``triples`` that the store's default graph holds.

    Asks for the descriptions of their subjects (an index lookup each, on any engine) and
    compares here: a ``VALUES (?s ?p ?o)`` join was evaluated as a scan by a remote Oxigraph.
    """
    wanted = set(triples)
    subjects = sorted({t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)})
    found: set[ox.Triple] = set()
    for chunk in _chunks(subjects):
        values = " ".join(str(ox.NamedNode(iri)) for iri in chunk)
        data = store.query_bytes(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}",
                                 "application/n-triples")
        found.update(t for t in _triples(data) if t in wanted)
    return found


def _has_blank(triples: Iterable[ox.Triple]) -> bool:
    return any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples)


def import_delta(store: KnowledgeStore, batch_files: Iterable[Path], replaced: list[str], *,
                 expected: int) -> Delta | None:
    """The exact triples an import is about to add and remove, or ``None``.

    ``replaced`` are the SPARQL patterns (binding ``?s ?p ?o``) of what a replacement removes
    (:attr:`clusterkg.graph.staging.Staging.replaced`; none for an addition).

    Called by the importer after every check passed and before the commit, so the store is
    still as it was. ``expected`` is the staged count of triples added plus removed: above
    :data:`~clusterkg.graph.history.MAX_DELTA_TRIPLES`, or with blank nodes (which have no
    name to remove them by later), no delta is kept and the change cannot be reverted.
    """
    if expected > MAX_DELTA_TRIPLES:
        return None
    batch: set[ox.Triple] = set()
    for path in batch_files:
        batch.update(_triples(Path(path).read_bytes()))
        if len(batch) > 4 * MAX_DELTA_TRIPLES:  # mostly triples the store already has: not worth it
            return None
    if _has_blank(batch):
        return None
    removed: set[ox.Triple] = set()
    for pattern in replaced:
        old = _triples(store.query_bytes(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}", "application/n-triples"))
        if _has_blank(old):
            return None
        removed.update(t for t in old if t not in batch)
    ordered = sorted(batch, key=str)
    added = set(ordered) - _present(store, ordered)
    return Delta(tuple(sorted(added, key=str)), tuple(sorted(removed, key=str)))


def read_delta(store: KnowledgeStore, activity: str) -> Delta | None:
    """The delta a recorded change kept, or ``None`` if it kept none."""
    iri = ox.NamedNode(activity)
    if not store.ask(f"ASK {{ GRAPH <{HISTORY_GRAPH}> {{ {iri} <{PROV.generated}> ?g }} }}"):
        return None
    added, removed = (ox.NamedNode(g) for g in delta_graphs(activity))
    parts = []
    for graph in (added, removed):
        data = store.query_bytes(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}",
                                 "application/n-triples")
        parts.append(tuple(sorted(_triples(data), key=str)))
    return Delta(*parts)


def _activity_facts(store: KnowledgeStore, activity: str) -> dict:
    iri = ox.NamedNode(activity)
    _, rows = store.select_values(f"""SELECT ?ended ?undoer ?operation WHERE {{ GRAPH <{HISTORY_GRAPH}> {{
        {iri} a <{PROV.Activity}> ; <{PROV.endedAtTime}> ?ended ; <{CKG.operation}> ?operation .
        OPTIONAL {{ ?undoer <{PROV.wasInformedBy}> {iri} ; <{CKG.operation}> "revert" }} }} }}""")
    if not rows:
        raise NotFound("change", activity)
    return {"ended": rows[0][0], "reverted_by": next((r[1] for r in rows if r[1]), None), "operation": rows[0][2]}


def _later_conflicts(store: KnowledgeStore, activity: str, ended: str, resources: list[str]) -> list[str]:
    """Later changes, not themselves reverted, that touched one of ``resources`` (or did not say what)."""
    values = " ".join(str(ox.NamedNode(r)) for r in resources)
    _, rows = store.select_values(f"""PREFIX prov: <{PROV}> PREFIX ckg: <{CKG._NS}>
    SELECT DISTINCT ?later ?operation ?undid WHERE {{ GRAPH <{HISTORY_GRAPH}> {{
        ?later a prov:Activity ; prov:endedAtTime ?when ; ckg:operation ?operation .
        FILTER(?when > "{ended}"^^<http://www.w3.org/2001/XMLSchema#dateTime>)
        FILTER(?later != {ox.NamedNode(activity)})
        FILTER(EXISTS {{ VALUES ?r {{ {values} }} ?later ckg:changedResource ?r }}
               || NOT EXISTS {{ ?later ckg:changedResource ?any }})
        OPTIONAL {{ ?later prov:wasInformedBy ?undid }}
    }} }}""")
    later = {row[0]: row for row in rows}
    undone = {row[2] for row in rows if row[1] == "revert" and row[2]}
    # a later change and the revert that undid it cancel out
    return sorted(iri for iri, row in later.items()
                  if iri not in undone and not (row[1] == "revert" and row[2] in later))


def _orphans(store: KnowledgeStore, removing: list[ox.Triple]) -> list[str]:
    """Triples that would point at a resource left without any triple of its own."""
    gone = set(removing)
    problems = []
    for iri in sorted({t.subject.value for t in removing if isinstance(t.subject, ox.NamedNode)}):
        node = ox.NamedNode(iri)
        description = _triples(store.query_bytes(f"CONSTRUCT {{ {node} ?p ?o }} WHERE {{ {node} ?p ?o }}",
                                                 "application/n-triples"))
        if any(t not in gone for t in description):
            continue
        pointing = _triples(store.query_bytes(f"CONSTRUCT {{ ?s ?p {node} }} WHERE {{ ?s ?p {node} }}",
                                              "application/n-triples"))
        problems += [f"<{t.subject.value}> <{t.predicate.value}> <{iri}>" for t in pointing if t not in gone]
    return problems


def revert_change(store: KnowledgeStore, activity: str, *, agent: str | None = None) -> RevertReport:
    """Undo the recorded change ``activity`` (its IRI); see the module docstring for refusals."""
    facts = _activity_facts(store, activity)
    if facts["reverted_by"]:
        raise CannotRevert(f"this change was already reverted by {facts['reverted_by']}")
    delta = read_delta(store, activity)
    if delta is None:
        raise CannotRevert("this change kept no record of its triples (too large, blank nodes, or made "
                           "before changes kept them), so it cannot be reverted")
    resources = delta.subjects()
    conflicts = _later_conflicts(store, activity, facts["ended"], resources)
    if conflicts:
        raise CannotRevert("later changes touched the same resources; revert them first: " + ", ".join(conflicts))
    removing = sorted(_present(store, list(delta.added)), key=str)
    restoring = sorted(set(delta.removed) - _present(store, list(delta.removed)), key=str)
    orphans = _orphans(store, removing)
    if orphans:
        raise CannotRevert("reverting would leave resources that others point at without a description; "
                           "nothing was changed:\n  " + "\n  ".join(orphans[:50]))
    parts = []
    if removing:
        parts.append("DELETE DATA {\n" + "\n".join(f"{t} ." for t in removing) + "\n}")
    if restoring:
        parts.append("INSERT DATA {\n" + "\n".join(f"{t} ." for t in restoring) + "\n}")
    undo = Delta(tuple(restoring), tuple(removing))
    store.commit_update(" ;\n".join(parts), Activity(
        "revert", agent=agent or default_agent(), added=len(restoring), removed=len(removing),
        changed=undo.subjects(), delta=undo, reverts=activity), exact=True)
    return RevertReport(activity, len(removing), len(restoring))
