"""Changing what is in the store besides importing: ``delete`` and ``history``.

(``import`` itself, with ``--replace``, lives beside ``validate`` in ``clusterkg.cli``.)
"""

from __future__ import annotations

import json

import click

from clusterkg.commands.base import UserError, opened_store, said
from clusterkg.commands.language import LANG_OPTION, current_language
from clusterkg.graph.reasons import N_

__all__ = ["delete", "history"]


@click.command()
@click.argument("resources", nargs=-1, required=True, metavar="ID|IRI...")
@click.option("--cascade", is_flag=True, help="Also remove the triples of other resources that point at them, and "
              "the rows that stand on them (affiliations, claims, needs, resources, developments).")
@click.option("--agent", metavar="NAME", help="Who makes the change, for the history [default: the OS user].")
@LANG_OPTION
@click.pass_context
def delete(ctx: click.Context, resources: tuple[str, ...], cascade: bool, agent: str | None) -> None:
    """Delete resources (``cluster/silicon-saxony`` or a full IRI), all or nothing.

    Refuses, listing them, when other resources still point at them; ``--cascade`` removes
    those references too, and the sheet rows that stand on what goes, and lists what went. A
    deletion is checked like an import: one that would leave the graph invalid is refused with
    the problems.
    """
    from clusterkg.commands.reports import deleted, report_problems, still_referenced
    from clusterkg.graph.deletion import _MAX_LISTED, DELETION_REFUSED, StillReferenced, delete_resources
    from clusterkg.graph.errors import ClusterKGError
    from clusterkg.graph.problems import ValidationFailed

    with opened_store(ctx) as store:
        try:
            report = delete_resources(store, resources, cascade=cascade, agent=agent)
        except ValidationFailed as failure:
            report_problems(failure, DELETION_REFUSED)
        except StillReferenced as error:
            raise UserError(said(still_referenced(error, _MAX_LISTED))) from error
        except ClusterKGError as error:
            raise UserError(said(error)) from error
        click.echo(said(deleted(report)))


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True, help="Show the latest N changes.")
@LANG_OPTION
@click.pass_context
def history(ctx: click.Context, fmt: str, limit: int) -> None:
    """List the recorded changes (imports, replacements, deletions, updates), oldest first.

    The same record is queryable with SPARQL in the named graph
    <https://w3id.org/clusterkg/graph/history>.
    """
    from dataclasses import asdict

    from clusterkg.graph.history import list_history

    with opened_store(ctx, read_only=True) as store:
        entries = list_history(store)[-limit:]
    if fmt == "json":
        click.echo(json.dumps([asdict(e) for e in entries], indent=2))
        return
    language = current_language()
    for entry in entries:
        counts = "" if entry.added is None else f" +{entry.added}"
        counts += "" if entry.removed is None else f" -{entry.removed}"
        files = f" {', '.join(entry.files)}" if entry.files else ""
        operation = language.gettext(OPERATIONS[entry.operation]) if entry.operation in OPERATIONS else entry.operation
        click.echo(f"{entry.ended}  {operation:<8} {entry.agent}{counts}{files}  [{entry.version}]")


#: the history's operations (``clusterkg.graph.history``) as words, said in the command's language
OPERATIONS = {"import": N_("import"), "replace": N_("replace"), "revert": N_("revert"), "delete": N_("delete"),
              "update": N_("update"), "load": N_("load"), "clear": N_("clear"), "remove": N_("remove")}
