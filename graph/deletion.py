"""Deleting resources: their descriptions go, and what points at them is refused or removed.

A resource's description is its triples as subject, with the blank nodes it owns. Triples of
other resources that point at it would be left dangling, so :func:`delete_resources` refuses
and lists them, or with ``cascade`` removes them too and lists what went, with the sheet rows
that stand on what goes (an organisation's affiliations and competency claims, a cluster's
needs: :data:`~clusterkg.graph.sheets.ROW_ANCHORS`). A row (an affiliation, a claim, …) takes
the shortcuts only it stands behind, as the editor's removal does.

A deletion is checked like an import, on the store as it will be (the nodes next to what goes,
and those it takes links away from): one that would leave the graph invalid (a partnership
with one participant, an organisation's ``org:memberOf`` with no membership behind it) is
refused with those problems. The deletion, the new data version and the history record (with
the exact triples, so it can be reverted) are one write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rdflib import Literal, URIRef

from clusterkg.graph.errors import ClusterKGError, NotFound
from clusterkg.graph.history import Activity, default_agent
from clusterkg.graph.importer import remove_matching
from clusterkg.graph.reasons import N_
from clusterkg.graph.sheets import ROW_ANCHORS, ROW_CLASSES, removal_patterns
from clusterkg.graph.store import KnowledgeStore, sparql_term
from clusterkg.ontology.namespace import DATA, RDF

__all__ = ["DELETION_REFUSED", "DeleteReport", "StillReferenced", "delete_resources", "resource_iri"]

_MAX_LISTED = 50
_CHUNK = 1000  # resources per removal pattern
#: A deletion refused by the checks, summed up (the command line's and the HTTP answer's words).
DELETION_REFUSED = N_("%(count)s problem(s) found in the graph as it would be; nothing was deleted")


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
    rows_removed: tuple[str, ...] = ()  # (cascade) the sheet rows that stood on the resources

    def __str__(self) -> str:
        text = f"deleted {len(self.resources)} resource(s): {self.removed} triples removed"
        if self.references_removed:
            text += f", including {len(self.references_removed)} reference(s) from other resources:\n"
            text += "\n".join(f"  <{s}> <{p}> <{o}>" for s, p, o in self.references_removed)
        if self.rows_removed:
            text += f"\n{len(self.rows_removed)} row(s) that stood on them went with them:\n"
            text += "\n".join(f"  <{row}>" for row in self.rows_removed)
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
    """Delete the resources named by IRI or ``kind/id``; see the module docstring.

    Raises :class:`NotFound`, :class:`StillReferenced`, or
    :class:`~clusterkg.graph.problems.ValidationFailed` (nothing deleted)."""
    iris = sorted({resource_iri(name) for name in names})
    _, found = store.select_values(f"SELECT DISTINCT ?x WHERE {{ {_values(iris)} ?x ?p ?o }}")
    missing = sorted(set(iris) - {row[0] for row in found})
    if missing:
        raise NotFound("resource", ", ".join(missing), _same_id_elsewhere(store, missing))
    named_rows = _row_kinds(store, iris)  # (a target may itself be a row)
    standing = _rows_standing_on(store, iris) if cascade else {}
    going = sorted(set(iris) | set(standing))
    _, pointing = store.select_values(
        f"SELECT ?s ?p ?x WHERE {{ {_values(going)} ?s ?p ?x FILTER(!isBlank(?s)) }} ORDER BY ?s ?p ?x")
    references = [tuple(row) for row in pointing if row[0] not in going]
    if references and not cascade:
        raise StillReferenced(references)
    _, neighbours = store.select_values(f"SELECT DISTINCT ?n WHERE {{ {_values(going)} {{ ?n ?p ?x }} UNION "
                                        f"{{ ?x ?p ?n FILTER(?p != {sparql_term(RDF.type)}) }} FILTER(isIRI(?n)) }}")
    report = remove_matching(store, _removal_patterns(going, named_rows), {n for n, in neighbours} - set(going),
                             Activity("delete", agent=agent or default_agent()))
    return DeleteReport(tuple(iris), report.removed, tuple(references), tuple(sorted(standing)))


def _values(iris: Sequence[str], variable: str = "?x") -> str:
    return f"VALUES {variable} {{ " + " ".join(sparql_term(URIRef(iri)) for iri in iris) + " }"


_ROW_CLASS = "?row a ?class VALUES ?class { " + " ".join(f"<{c}>" for c in sorted(ROW_CLASSES)) + " }"


def _row_kinds(store: KnowledgeStore, iris: list[str]) -> dict[str, str]:
    """Which of ``iris`` are removable sheet rows, by their class: IRI -> kind."""
    _, rows = store.select_values(f"SELECT ?row ?class WHERE {{ {_values(iris, '?row')} {_ROW_CLASS} }}")
    return {row: ROW_CLASSES[kind] for row, kind in rows}


def _rows_standing_on(store: KnowledgeStore, iris: list[str]) -> dict[str, str]:
    """The removable sheet rows linked to ``iris`` by a link they cannot stand without: IRI -> kind."""
    links = [f"{{ ?x <{p}> ?row }}" if inverse else f"{{ ?row <{p}> ?x }}" for p, inverse in ROW_ANCHORS]
    _, rows = store.select_values(f"SELECT DISTINCT ?row ?class WHERE {{ {_values(iris)} {' UNION '.join(links)} "
                                  f"{_ROW_CLASS} }}")
    return {row: ROW_CLASSES[kind] for row, kind in rows if row not in iris}


def _removal_patterns(iris: list[str], named_rows: dict[str, str]) -> list[str]:
    """What deleting ``iris`` removes, as patterns binding ``?s ?p ?o`` in the order they apply.

    A row named for deletion (``named_rows``: IRI -> kind) takes its
    :func:`~clusterkg.graph.sheets.removal_patterns` (the shortcuts only it stands behind, the
    links to it, its description). Any other resource, and a row that goes because it stands on
    one (its shortcuts end at what goes, so they go as that one's description or as references
    to it), takes its owned blank nodes, its description and what points at it, a few patterns
    per :data:`_CHUNK` resources (with each row's own patterns, a cluster of 2,258 memberships
    took more than 5 minutes in a store of 10M triples)."""
    patterns = [pattern for iri in iris if iri in named_rows
                for pattern in removal_patterns(iri, named_rows[iri], together=named_rows)]
    others = [iri for iri in iris if iri not in named_rows]
    for start in range(0, len(others), _CHUNK):
        chunk = others[start:start + _CHUNK]
        values = _values(chunk)
        patterns += [f"{values} ?x ?q ?b FILTER(isBlank(?b)) ?b ?r ?s FILTER(isBlank(?s)) ?s ?p ?o",
                     f"{values} ?x ?q ?s FILTER(isBlank(?s)) ?s ?p ?o",
                     f"{_values(chunk, '?s')} ?s ?p ?o",
                     f"{_values(chunk, '?o')} ?s ?p ?o"]
    return patterns
