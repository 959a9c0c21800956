"""``clusterkg communities``, ``brokers`` and ``matchmake``: the cluster network's structure.

The JSON of each verb is documented in its analysis module:
:mod:`clusterkg.graph.analysis.communities`, :mod:`~clusterkg.graph.analysis.brokers` and
:mod:`~clusterkg.graph.analysis.matchmaking`.
"""

from __future__ import annotations

import click

from clusterkg.commands.base import load_projection, opened_store, run_analysis
from clusterkg.output import FORMAT_OPTION, emit

__all__ = ["communities", "brokers", "matchmake"]


def _projection(ctx: click.Context):
    with opened_store(ctx, read_only=True) as store:
        return load_projection(store)


_run = run_analysis


@click.command()
@click.option("--resolution", type=float, default=1.0, show_default=True,
              help="Louvain resolution: above 1 gives smaller communities, below 1 larger ones.")
@click.option("--min-size", type=int, default=2, show_default=True, help="Leave out communities with fewer clusters.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of Louvain (same seed, same answer).")
@FORMAT_OPTION
@click.pass_context
def communities(ctx: click.Context, resolution: float, min_size: int, seed: int, fmt: str) -> None:
    """Communities of clusters: candidate meta-clusters and super-regional clusters.

    Louvain on a graph of clusters tied by similar competency profiles, existing partnerships
    and shared members; each community is labelled by its industries and countries.
    """
    from clusterkg.graph.analysis.communities import find_communities

    emit(_run(find_communities, _projection(ctx), resolution=resolution, min_size=min_size, seed=seed), fmt)


@click.command()
@click.option("--kind", type=click.Choice(["clusters", "organisations", "both"]), default="both", show_default=True,
              help="Which brokers to list.")
@click.option("--limit", type=int, default=20, show_default=True, help="At most this many of each kind.")
@FORMAT_OPTION
@click.pass_context
def brokers(ctx: click.Context, kind: str, limit: int, fmt: str) -> None:
    """Clusters and organisations that bridge groups of clusters (betweenness), with why."""
    from clusterkg.graph.analysis.brokers import find_brokers

    emit(_run(find_brokers, _projection(ctx), kind=kind, limit=limit), fmt)


@click.command()
@click.option("--participants", "-p", "named", multiple=True, metavar="P [P ...]",
              help="Participants: cluster or organisation names, ids or IRIs (clusters are tried first).")
@click.argument("more", nargs=-1, metavar="")
@click.option("--rounds", type=int, required=True, help="Number of meeting rounds.")
@FORMAT_OPTION
@click.pass_context
def matchmake(ctx: click.Context, named: tuple[str, ...], more: tuple[str, ...], rounds: int, fmt: str) -> None:
    """Blitz meetings: 1:1 talks over N rounds between the most complementary participants.

    \b
    Example:
      clusterkg matchmake --participants "Silicon Saxony" BioRN Airbus --rounds 2
    Nobody is double-booked, no pair meets twice, and each meeting says what each side offers.
    """
    from clusterkg.graph.analysis.matchmaking import plan_meetings

    emit(_run(plan_meetings, _projection(ctx), list(named) + list(more), rounds), fmt)
