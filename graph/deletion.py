"""Deleting resources: their descriptions go, and what points at them is refused or removed.

A resource's description is its triples as subject, with the blank nodes it owns. Triples of
other resources that point at it would be left dangling, so :func:`delete_resources` refuses
and lists them, or with ``cascade`` removes them too and lists what went. The deletion, the new
data version and the history record are one write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rdflib import Literal, URIRef

from clusterkg.graph.errors import ClusterKGError, NotFound
from clusterkg.graph.history import Activity, default_agent
from clusterkg.graph.staging import description_deletes
from clusterkg.graph.store import KnowledgeStore, sparql_term
from clusterkg.ontology.namespace import DATA

__all__ = ["DeleteReport", "StillReferenced", "delete_resources", "resource_iri"]

_MAX_LISTED = 50


class StillReferenced(ClusterKGError):
    """Other resources point at what was to be deleted; nothing was deleted."""

    status = 409

    def __init__(self, references: list[tuple[str, str, str]]):
        self.references = references
        shown = "\n".join(f"  <{s}> <{p}> <{o}>" for s, p, o in references[:_MAX_LISTED])
        more = f"\n  ... and {len(references) - _MAX_LISTED} more" if len(references) > _MAX_LISTED else ""
        super().__init__(f"{len(references)} triple(s) of other resources point at what you asked to delete; "
                         f"nothing was deleted (remove them first, or use --cascade):\n{shown}{more}")


@dataclass(frozen=True)
class DeleteReport:
    resources: tuple[str, ...]
    removed: int
    references_removed: tuple[tuple[str, str, str], ...]

    def __str__(self) -> str:
        text = f"deleted {len(self.resources)} resource(s): {self.removed} triples removed"
        if self.references_removed:
            text += f", including {len(self.references_removed)} reference(s) from other resources:\n"
            text += "\n".join(f"  <{s}> <{p}> <{o}>" for s, p, o in self.references_removed)
        return text


def resource_iri(name: str) -> str:
    """An IRI as given, or ``kind/id`` (``cluster/silicon-saxony``) in the data namespace."""
    return name if "://" in name or name.startswith("urn:") else str(DATA[name.strip("/")])


def _same_id_elsewhere(store: KnowledgeStore, missing: list[str]) -> list[str]:
    """Typed resources whose ``kind/id`` ends in a missing one's id (``org/x`` for a mistyped
    ``organisation/x`` or a bare ``x``), as ``kind/id``: the one scan is on the error path only."""
    ends = {iri.rsplit("/", 1)[-1] for iri in missing if iri.startswith(str(DATA))}
    if not ends:
        return []
    tests = " || ".join(f"STRENDS(STR(?x), {sparql_term(Literal('/' + end))})" for end in sorted(ends))
    _, rows = store.select_values(f"SELECT DISTINCT ?x WHERE {{ ?x a ?type FILTER(STRSTARTS(STR(?x), "
                                  f"{sparql_term(Literal(str(DATA)))}) && ({tests})) }} ORDER BY ?x LIMIT 10")
    return [row[0].removeprefix(str(DATA)) for row in rows]


def delete_resources(store: KnowledgeStore, names: Sequence[str], *, cascade: bool = False,
                     agent: str | None = None) -> DeleteReport:
    """Delete the resources named by IRI or ``kind/id``; see the module docstring."""
    iris = sorted({resource_iri(name) for name in names})
    values = "VALUES ?x { " + " ".join(sparql_term(URIRef(iri)) for iri in iris) + " }"
    _, rows = store.select_values(f"SELECT DISTINCT ?x WHERE {{ {values} ?x ?p ?o }}")
    missing = sorted(set(iris) - {row[0] for row in rows})
    if missing:
        raise NotFound("resource", ", ".join(missing), _same_id_elsewhere(store, missing))
    _, rows = store.select_values(
        f"SELECT ?s ?p ?x WHERE {{ {values} ?s ?p ?x FILTER(!isBlank(?s)) }} ORDER BY ?s ?p ?x")
    references = [tuple(row) for row in rows if row[0] not in iris]
    if references and not cascade:
        raise StillReferenced(references)
    removed = len(references)
    for pattern in ("?x ?p ?o", "?x ?p ?b FILTER(isBlank(?b)) ?b ?q ?o"):
        _, counted = store.select_values(f"SELECT (COUNT(*) AS ?n) WHERE {{ {values} {pattern} }}")
        removed += int(counted[0][0])
    update = description_deletes(iris)
    if references:
        update += f" ;\nDELETE {{ ?s ?p ?x }} WHERE {{ {values} ?s ?p ?x }}"
    changed = sorted(set(iris) | {s for s, _, _ in references})
    store.commit_update(update, Activity("delete", agent=agent or default_agent(), removed=removed, added=0,
                                         changed=changed))
    return DeleteReport(tuple(iris), removed, tuple(references))
