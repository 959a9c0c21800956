"""``clusterkg ingest SOURCE DIR``: public bulk data into the graph, through the validated import.

The connector reads the folder in its published format (``graph/ingest/``), turns it into
N-Triples whose every node names its record page, licence and dataset, links its organisations
to the curated ones they are (never merging them), and imports the result as one batch: every
check of ``clusterkg import`` runs, and on any problem nothing is written.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from clusterkg.commands.base import opened_store, said
from clusterkg.commands.language import LANG_OPTION
from clusterkg.commands.reports import imported, ingested, report_problems
from clusterkg.graph.reasons import N_, reason
from clusterkg.graph.ingest import SOURCES

__all__ = ["ingest"]



@click.command()
@click.argument("source", type=click.Choice(SOURCES))
@click.argument("directory", metavar="DIR", type=click.Path(exists=True, file_okay=False))
@click.option("--scope", type=click.Choice(["all", "linked"]), default="all", show_default=True,
              help="CORDIS: everything, or only the projects of organisations linked to curated ones (with all their participants).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Also write the facts as N-Triples (gzip-compressed if FILE ends in .gz).")
@click.option("--review", type=click.Path(dir_okay=False), help="Write the organisation-match review sheet (CSV) to this file.")
@click.option("--dry-run", is_flag=True, help="Convert and validate only; write nothing to the store.")
@LANG_OPTION
@click.pass_context
def ingest(ctx: click.Context, source: str, directory: str, scope: str, output: str | None, review: str | None, dry_run: bool) -> None:
    """Import public bulk data: SOURCE is cordis-h2020 or us-cluster-mapping, DIR its files.

    cordis-h2020 reads today's CORDIS download (project.csv + organization.csv) or the bundled
    Horizon 2020 copy (participations.csv.gz, programme_parts.csv.gz, organisations-2017.csv.gz);
    us-cluster-mapping reads CurrentOrganizationsAndClusters.csv and relatedClusters.json.
    """
    from clusterkg.graph.importer import import_files
    from clusterkg.graph.ingest.resolve import write_review_sheet
    from clusterkg.graph.ingest.sources import convert
    from clusterkg.graph.problems import ValidationFailed

    try:
        conversion = convert(source, directory, scope=scope)
    except ValidationFailed as failure:
        report_problems(failure)
    click.echo(said(ingested(source, conversion.counts, len(conversion.triples))), err=True)
    if output:
        conversion.triples.write(output)
        click.echo(said(reason(N_("wrote %(file)s"), file=output)), err=True)
    if review:
        write_review_sheet(conversion.candidates, review)
        click.echo(said(reason(N_("wrote the review sheet %(file)s (%(count)s candidate matches)"), file=review,
                               count=len(conversion.candidates))), err=True)
    with tempfile.TemporaryDirectory(prefix="clusterkg-ingest-") as scratch:
        path = conversion.triples.write(Path(scratch) / f"{source}.nt")
        with opened_store(ctx) as store:
            try:
                report = import_files([path], store, dry_run=dry_run, names=[f"{source}:{Path(directory).resolve()}"])
            except ValidationFailed as failure:
                report_problems(failure)
    click.echo(said(imported(report)))
