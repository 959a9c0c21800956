"""What the writing verbs print (``import``, ``validate``, ``delete``, ``ingest``), in the command's language.

The reports and errors of the graph (``ImportReport``, ``DeleteReport``, ``StillReferenced``)
write themselves in English; here each is rebuilt from its fields as a reason
(:mod:`clusterkg.graph.reasons`) whose English is exactly that text (``tests/commands/test_reports.py``
holds them equal), so ``--lang ru`` prints it from the catalogue and ``--lang en`` as before.
"""

from __future__ import annotations

import click

from clusterkg.commands.base import UserError, said
from clusterkg.graph.problems import NOTHING_WRITTEN
from clusterkg.graph.reasons import N_, Reason, join, reason

__all__ = ["deleted", "imported", "ingested", "report_problems", "still_referenced", "validated"]

#: what an ingest counted (``clusterkg.graph.ingest.sources``' ``counts`` keys) as words
INGEST_COUNTS = {
    "projects": N_("projects"), "organisations": N_("organisations"), "participations": N_("participations"),
    "participations without a named organisation": N_("participations without a named organisation"),
    "linked curated organisations": N_("linked curated organisations"),
    "cluster organisations": N_("cluster organisations"), "categories": N_("categories"),
    "category pairs": N_("category pairs"),
    "linked curated organisations and clusters": N_("linked curated organisations and clusters"),
}


def report_problems(failure, summary: str = NOTHING_WRITTEN) -> None:
    """Every located problem (its place and message said in the command's language), then the summary."""
    from dataclasses import replace

    for problem in failure.problems:
        click.echo(str(replace(problem, location=said(problem.where), message=said(problem.message))), err=True)
    raise UserError(said(reason(summary, count=str(len(failure.problems)))))


def imported(report) -> Reason:
    """An ``ImportReport`` (``str(report)``) as a reason."""
    if report.dry_run:
        return reason(N_("valid: %(files)s file(s), %(triples)s triples (dry run, nothing written)"),
                      files=report.files, triples=report.batch_triples)
    replaced = reason(N_(", %(removed)s replaced triples removed"), removed=report.removed) if report.removed else ""
    return reason(N_("imported %(files)s file(s): %(triples)s triples in the batch, %(added)s new%(replaced)s; "
                     "the store now holds %(after)s triples"), files=report.files, triples=report.batch_triples,
                  added=report.added, replaced=replaced, after=report.triples_after)


def validated(report) -> Reason:
    """What ``validate`` prints of a valid batch."""
    return reason(N_("valid: %(files)s file(s), %(triples)s triples"), files=report.files, triples=report.batch_triples)


def _triples(triples) -> str:
    return "\n".join(f"  <{s}> <{p}> <{o}>" for s, p, o in triples)


def deleted(report) -> Reason:
    """A ``DeleteReport`` as a reason."""
    parts = [reason(N_("deleted %(count)s resource(s): %(removed)s triples removed"), count=len(report.resources),
                    removed=report.removed)]
    if report.references_removed:
        parts += [reason(N_(", including %(count)s reference(s) from other resources:"),
                         count=len(report.references_removed)), "\n" + _triples(report.references_removed)]
    if report.rows_removed:
        parts += ["\n", reason(N_("%(count)s row(s) that stood on them went with them:"), count=len(report.rows_removed)),
                  "\n" + "\n".join(f"  <{row}>" for row in report.rows_removed)]
    return join(parts, "")


def still_referenced(error, listed: int) -> Reason:
    """A ``StillReferenced`` refusal (``listed``: how many references it shows) as a reason."""
    references = error.references
    parts = [reason(N_("%(count)s triple(s) of other resources point at what you asked to delete; nothing was "
                       "deleted (remove them first, or use --cascade):"), count=len(references)),
             "\n" + _triples(references[:listed])]
    if len(references) > listed:
        parts.append(reason(N_("\n  ... and %(count)s more"), count=len(references) - listed))
    return join(parts, "")


def ingested(source: str, counts: dict[str, int], triples: int) -> Reason:
    """An ingest's first line: what the conversion found, and its triples."""
    found = join([reason(N_("%(count)s %(what)s"), count=n, what=reason(INGEST_COUNTS[what]) if what in INGEST_COUNTS else what)
                  for what, n in counts.items()], ", ")
    return reason(N_("%(source)s: %(counts)s; %(triples)s triples"), source=source, counts=found, triples=triples)
