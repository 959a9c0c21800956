"""The writes behind the editing pages and the editing API: rows, sheets, the profile, reverts.

Every write is the import's: the sheets are checked as one batch against the store as it will
be (formats, references, SHACL shapes, consistency), then committed in one transaction with its
history record (agent: the editor's name) and its delta, or nothing is written. Rights are
checked first (:mod:`clusterkg.webapp.accounts.rights`); a refusal is a 403 that lists every row
concerned and changes nothing.
"""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.history import list_history
from clusterkg.graph.importer import ImportReport, import_files
from clusterkg.graph.importer import remove_rows as remove_from_store
from clusterkg.graph.problems import Problem, ValidationFailed
from clusterkg.graph.reasons import N_, reason
from clusterkg.graph.revert import CannotRevert, RevertReport, read_delta, revert_change
from clusterkg.graph.sheets import SHEETS, build_rows, removal_patterns
from clusterkg.ontology.namespace import CKG, DATA
from clusterkg.webapp.accounts.rights import Actor, foreign_resources, row_problems
from clusterkg.webapp.errors import ApiError
from clusterkg.webapp.extension import state

__all__ = ["Forbidden", "Saved", "cluster_iri", "remove_rows", "revert", "save_profile", "save_sheets", "sheet_text"]


class Forbidden(ValidationFailed):
    """Rows the actor may not write (403), each located; nothing was written."""

    status = 403


@dataclass(frozen=True)
class Saved:
    """What a save did (or, for a dry run, would do)."""

    report: ImportReport
    data_version: str

    def as_dict(self) -> dict:
        r = self.report
        return {"ok": True, "dry_run": r.dry_run, "added": r.added, "removed": r.removed,
                "triples": r.triples_after, "data_version": self.data_version}


def cluster_iri(cluster_id: str) -> str:
    return str(DATA[f"cluster/{cluster_id}"])


def sheet_text(sheet: str, rows: list[dict[str, str]]) -> str:
    """Rows as the CSV text of ``{sheet}.csv`` (unknown columns are left to the import to report)."""
    if sheet not in SHEETS:
        raise InvalidInput(reason(N_("unknown sheet %(sheet)s; expected one of %(sheets)s"), sheet=repr(sheet),
                                  sheets=list(SHEETS)))
    columns = SHEETS[sheet].column_names
    extra = sorted({k for row in rows for k in row} - set(columns))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns + extra, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else str(v) for k, v in row.items()})
    return out.getvalue()


def _import(actor: Actor, files: dict[str, bytes], *, replace: bool, dry_run: bool) -> Saved:
    with tempfile.TemporaryDirectory(prefix="clusterkg-edit-") as folder:
        paths = []
        for name, data in files.items():
            path = Path(folder) / name
            path.write_bytes(data)
            paths.append(path)
        shown = {str(p): p.name for p in paths}
        try:
            report = state().write(lambda store: import_files(
                paths, store, dry_run=dry_run, replace=replace, agent=actor.name, progress=False,
                names=list(files)))
        except ValidationFailed as failure:  # show the names the person gave, not our temporary paths
            raise ValidationFailed([Problem(shown.get(p.file, p.file), p.location, p.field, p.message)
                                    for p in failure.problems]) from None
    return Saved(report, state().store.data_version())


def save_sheets(actor: Actor, files: dict[str, bytes], *, replace: bool = False, dry_run: bool = False) -> Saved:
    """Check the actor's rights on every row of the CSV ``files`` (name -> bytes), then import them."""
    if not files:
        raise InvalidInput(reason(N_("no file to import")))
    texts = {}
    for name, data in files.items():
        if Path(name).name != name or not name.endswith(".csv"):
            if not actor.admin:
                raise Forbidden([Problem(name, "", "", reason(N_("editors upload CSV sheets only (name.csv)")))])
            continue
        try:
            texts[name] = data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # the import reports it, located
    problems = row_problems(actor, texts, state().store)
    if problems:
        raise Forbidden(problems)
    return _import(actor, files, replace=replace, dry_run=dry_run)


def save_profile(actor: Actor, cluster_id: str, row: dict[str, str], *, dry_run: bool = False) -> Saved:
    """Replace the cluster's profile (the cells of its row in clusters.csv), keeping what else it
    says (its needs, its members): a replacement by a sheet replaces only what the sheet describes."""
    row = {**row, "id": cluster_id}
    if not actor.may_edit(cluster_id):
        raise Forbidden([Problem("clusters.csv", "row 2", "id",
                                 reason(N_("you may not edit the cluster %(cluster)s"), cluster=repr(cluster_id)))])
    if not state().store.ask(f"ASK {{ <{cluster_iri(cluster_id)}> a <{CKG.Cluster}> }}"):
        raise ApiError(reason(N_("unknown cluster %(cluster)s"), cluster=repr(cluster_id)), 404)
    _, problems = build_rows("clusters", [row], "clusters.csv")
    if problems:
        raise ValidationFailed(problems)
    return _import(actor, {"clusters.csv": sheet_text("clusters", [row]).encode()}, replace=True, dry_run=dry_run)


def remove_rows(actor: Actor, iris: list[str], *, dry_run: bool = False) -> Saved:
    """Remove rows (members' affiliations, claims, needs, resources, developments) by their IRIs:
    one checked, recorded, revertible change, all or nothing (:func:`~clusterkg.graph.sheets.removal_patterns`)."""
    iris = sorted(set(iris))
    problems = []
    for iri in iris:
        try:
            removal_patterns(iri)
        except ValueError as error:
            said = error.args[0] if error.args and isinstance(error.args[0], str) else str(error)  # (a reason: translates)
            problems.append(Problem("", iri, "", said))
    if problems or not iris:
        raise ValidationFailed(problems or [Problem("", "", "rows", reason(N_("name at least one row to remove")))])
    store = state().store
    missing = [iri for iri in iris if not store.ask(f"ASK {{ {ox.NamedNode(iri)} ?p ?o }}")]
    if missing:
        raise ApiError(reason(N_("no such row: %(rows)s"), rows=missing), 404)
    foreign = foreign_resources(actor, iris, store)
    if foreign:
        raise Forbidden([Problem("", iri, "", reason(N_("%(who)s may not change this row"), who=actor.name)) for iri in foreign])
    report = state().write(lambda store: remove_from_store(store, iris, agent=actor.name, dry_run=dry_run))
    return Saved(report, state().store.data_version())


def revert(actor: Actor, cluster_id: str, activity: str) -> RevertReport:
    """Undo a change that concerns the cluster, if every resource it touched is the actor's to change."""
    store = state().store
    entry = {e.activity: e for e in list_history(store, cluster_iri(cluster_id))}.get(activity)
    if entry is None:
        raise ApiError(reason(N_("no change %(activity)s in the history of %(cluster)s"), activity=repr(activity),
                              cluster=repr(cluster_id)), 404)
    if entry.reverted_by:
        raise CannotRevert(reason(N_("this change was already reverted by %(activity)s"), activity=entry.reverted_by))
    delta = read_delta(store, activity)
    if delta is not None:
        foreign = foreign_resources(actor, delta.subjects(), store, delta.added + delta.removed)
        if foreign:
            raise ApiError(reason(N_("%(who)s may not change: %(resources)s"), who=actor.name, resources=foreign), 403)
    return state().write(lambda s: revert_change(s, activity, agent=actor.name))
