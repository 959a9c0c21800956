"""Cross-cluster cooperation verbs: ``recommend``, ``applications``, ``disseminate``.

Thin wrappers: open the store, get the (cached) projection, call the analysis in
``clusterkg.graph.analysis``, print the result. The scores are documented in the analysis
modules; the JSON printed with ``--format json`` is their ``to_json()``.
"""

from __future__ import annotations

import click

from clusterkg.commands.base import UserError, load_projection, opened_store, said
from clusterkg.graph.reasons import N_, reason
from clusterkg.output import FORMAT_OPTION, emit

__all__ = ["recommend", "applications", "disseminate"]

LIMIT_OPTION = click.option("--limit", "-n", type=click.IntRange(min=1), default=10, show_default=True,
                            help="How many results to show.")


def _run(ctx: click.Context, analysis, fmt: str) -> None:
    """Open the store, run ``analysis(projection)`` and print it; user errors exit with 1."""
    from clusterkg.graph.errors import ClusterKGError

    with opened_store(ctx, read_only=True) as store:
        projection = load_projection(store)
    try:
        result = analysis(projection)
    except ClusterKGError as error:
        raise UserError(said(error)) from error
    emit(result, fmt)


@click.command()
@click.argument("cluster")
@LIMIT_OPTION
@click.option("--include-existing/--exclude-existing", default=True, show_default=True,
              help="Keep (marked) or drop clusters that already partner with CLUSTER.")
@FORMAT_OPTION
@click.pass_context
def recommend(ctx: click.Context, cluster: str, limit: int, include_existing: bool, fmt: str) -> None:
    """Clusters CLUSTER should partner with: complementary competencies, common ground, close in the graph."""
    from clusterkg.graph.analysis.recommend import recommend_clusters

    _run(ctx, lambda p: recommend_clusters(p, cluster, limit=limit, include_existing=include_existing), fmt)


@click.command()
@click.argument("cluster")
@LIMIT_OPTION
@click.option("--scheme", type=click.Choice(["eu-industrial-ecosystems", "eu-emerging-industries", "nace-sections"]),
              help="Only industries of this scheme (default: all).")
@FORMAT_OPTION
@click.pass_context
def applications(ctx: click.Context, cluster: str, limit: int, scheme: str | None, fmt: str) -> None:
    """Industries outside CLUSTER's own where its competencies are applied or demanded, and whom to approach."""
    from clusterkg.graph.analysis.applications import find_applications

    _run(ctx, lambda p: find_applications(p, cluster, limit=limit, scheme=scheme), fmt)


@click.command()
@click.argument("development", required=False)
@click.option("--competency", "-c", "competencies", multiple=True, metavar="C",
              help="Instead of a development: a competency (id or name) to disseminate; repeat for more.")
@click.option("--industry", "-i", "industries", multiple=True, metavar="I",
              help="With --competency: the industry the competencies come from; repeat for more.")
@LIMIT_OPTION
@FORMAT_OPTION
@click.pass_context
def disseminate(ctx: click.Context, development: str | None, competencies: tuple[str, ...],
                industries: tuple[str, ...], limit: int, fmt: str) -> None:
    """Market check: clusters of other industries to tell about DEVELOPMENT (or --competency ... --industry ...)."""
    from clusterkg.graph.analysis.dissemination import disseminate as run_dissemination

    if development is None and not competencies and not industries:
        raise UserError(said(reason(N_("give a DEVELOPMENT (id or part of its name) or --competency C ... --industry I"))))
    _run(ctx, lambda p: run_dissemination(p, development=development, competencies=list(competencies),
                                          industry=list(industries), limit=limit), fmt)
