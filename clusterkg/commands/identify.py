"""``clusterkg identify``: strong clusters from a region × industry employment table."""

from __future__ import annotations

import click

from clusterkg.commands.base import UserError
from clusterkg.output import FORMAT_OPTION, emit

__all__ = ["identify"]


@click.command()
@click.argument("employment_csv", metavar="EMPLOYMENT.csv", type=click.Path(exists=True, dir_okay=False))
@FORMAT_OPTION
@click.option("--strong-only", is_flag=True, help="Show only the strong clusters, highest LQ first.")
def identify(employment_csv: str, fmt: str, strong_only: bool) -> None:
    """Location quotients and strong clusters (US Cluster Mapping rule) from EMPLOYMENT.csv.

    The CSV is in long form, one row per region and industry, with the columns region,
    industry, employment and optionally establishments and traded (true/false).
    """
    from clusterkg.graph.analysis.identify import IdentificationInputError, identify_clusters

    try:
        result = identify_clusters(employment_csv)
    except IdentificationInputError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise UserError(f"{len(error.problems)} problem(s) in {employment_csv}; nothing was computed") from error
    emit(result.strong_only() if strong_only else result, fmt)
