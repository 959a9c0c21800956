"""``clusterkg gaps`` and ``clusterkg partners``: what a cluster lacks, and who has it.

Thin wrappers: open the store, get the cached projection, call
:func:`clusterkg.graph.analysis.gaps.find_gaps` / :func:`clusterkg.graph.analysis.partners.search_partners`
and print the result with :func:`clusterkg.output.emit`. JSON output is documented in those modules.
"""

from __future__ import annotations

from pathlib import Path

import click

from clusterkg.commands.base import UserError, load_projection, opened_store, said
from clusterkg.commands.language import N_, current_language
from clusterkg.output import FORMAT_OPTION, emit

__all__ = ["gaps_command", "partners_command"]

_LENS = click.Choice(["target", "peers", "demand", "all"])


def _template(name: str | None, path: str | None):
    """The template the options name: a bundled one, a file, or a named one inside a file."""
    if path:
        return (Path(path), name)
    if name:
        return (name, None)
    return None


def _template_options(function):
    function = click.option("--template-file", "template_file", type=click.Path(dir_okay=False),
                            help="A template CSV of your own (columns: template, template_label, step, competency, weight, source_url, source_quote).")(function)
    function = click.option("--template", "template_name", metavar="NAME",
                            help="A bundled value-chain template (e.g. semiconductors), for the target lens; with --template-file, the template in that file.")(function)
    return function


@click.command(name="gaps")
@click.argument("cluster")
@click.option("--lens", type=_LENS, default="all", show_default=True,
              help="target: against a value-chain template; peers: what similar clusters have; demand: declared needs; all: combined.")
@_template_options
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="Gaps to list (per lens and combined).")
@FORMAT_OPTION
@click.pass_context
def gaps_command(ctx: click.Context, cluster: str, lens: str, template_name: str | None, template_file: str | None,
                 limit: int, fmt: str) -> None:
    """The competencies CLUSTER lacks, scored, with the evidence for each."""
    from clusterkg.graph.analysis.gaps import LENS_WORDS, find_gaps
    from clusterkg.graph.reasons import reason
    from clusterkg.graph.analysis.templates import load_template
    from clusterkg.graph.errors import ClusterKGError

    with opened_store(ctx, read_only=True) as store:
        try:
            spec = _template(template_name, template_file)
            template = load_template(*spec) if spec else None
            result = find_gaps(load_projection(store), cluster, lens=lens, template=template, limit=limit)
        except ClusterKGError as error:
            raise UserError(said(error)) from error
    emit(result, fmt)
    if fmt == "table":
        say = current_language()
        if result.template:
            t = result.template
            click.echo("\n" + say.gettext(N_("template %(template)s: %(covered)s of %(required)s required competencies covered "
                                             "(%(share)s of the weight)"), template=t["label"], covered=say.number(t["covered"]),
                                          required=say.number(t["required"]), share=f"{t['covered_weight_share']:.0%}"))
        if result.peer_clusters:
            click.echo(say.gettext(N_("peers: %(clusters)s"), clusters=", ".join(p["label"] for p in result.peer_clusters)))
        for lens_name, note in result.notes.items():
            click.echo(say.gettext(N_("note (%(lens)s): %(note)s"), lens=say.say(reason(LENS_WORDS[lens_name])), note=say.say(note)))


@click.command(name="partners")
@click.argument("cluster")
@click.option("--competency", "competencies", multiple=True, metavar="C",
              help="Search for this competency (id, label or part of it; repeatable) instead of the cluster's gaps.")
@click.option("--lens", type=_LENS, default="all", show_default=True, help="Which gaps to search partners for.")
@_template_options
@click.option("--country", "countries", multiple=True, metavar="CC", help="Only organisations in this country (ISO code; repeatable).")
@click.option("--domestic", is_flag=True, help="Only organisations in the cluster's own countries (import substitution).")
@click.option("--region", "regions", multiple=True, metavar="R", help="Only organisations in this region (region id; repeatable).")
@click.option("--org-type", "org_types", multiple=True, metavar="T",
              help="Only this organisation type (sme, university, research_institute, ...; repeatable).")
@click.option("--industry", "industries", multiple=True, metavar="I", help="Only organisations of clusters in this industry (repeatable).")
@click.option("--exclude-cluster", "exclude_clusters", multiple=True, metavar="C", help="Leave out organisations tied to this cluster (repeatable).")
@click.option("--prefer-domestic", type=click.FloatRange(0), default=0.0, show_default=True,
              help="Score bonus for organisations in the cluster's own countries.")
@click.option("--prefer-partnering", type=click.FloatRange(0), default=0.25, show_default=True,
              help="Score bonus for organisations of clusters that already partner or share members with this one.")
@click.option("--prefer-track-record", type=click.FloatRange(0), default=0.25, show_default=True,
              help="Score bonus (times its strength) for organisations that took part in H2020 projects with this cluster's members.")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="Partners (and resources) to list.")
@FORMAT_OPTION
@click.pass_context
def partners_command(ctx: click.Context, cluster: str, competencies: tuple[str, ...], lens: str,
                     template_name: str | None, template_file: str | None, countries: tuple[str, ...],
                     domestic: bool, regions: tuple[str, ...], org_types: tuple[str, ...],
                     industries: tuple[str, ...], exclude_clusters: tuple[str, ...],
                     prefer_domestic: float, prefer_partnering: float, prefer_track_record: float, limit: int,
                     fmt: str) -> None:
    """Organisations outside CLUSTER that have what it lacks, ranked, each with why and its evidence."""
    from clusterkg.graph.analysis.partners import PartnerFilters, PartnerPreferences, search_partners
    from clusterkg.graph.analysis.templates import load_template
    from clusterkg.graph.errors import ClusterKGError

    with opened_store(ctx, read_only=True) as store:
        try:
            spec = _template(template_name, template_file)
            template = load_template(*spec) if spec else None
            result = search_partners(
                load_projection(store), cluster, competencies=list(competencies) if competencies else None,
                filters=PartnerFilters(countries=countries, domestic=domestic, regions=regions, org_types=org_types,
                                       industries=industries, exclude_clusters=exclude_clusters),
                preferences=PartnerPreferences(prefer_domestic=prefer_domestic, prefer_partnering_clusters=prefer_partnering,
                                               prefer_track_record=prefer_track_record),
                limit=limit, lens=lens, template=template,
            )
        except ClusterKGError as error:
            raise UserError(said(error)) from error
    emit(result, fmt)
    if fmt == "table":
        _summary(result)


def _summary(result) -> None:
    """What the table cannot show: the smallest covering set, shareable resources, notes."""
    say = current_language()
    cover = result.cover
    if cover.partners:
        names = ", ".join(entry["organisation"]["label"] for entry in cover.partners)
        click.echo("\n" + say.gettext(N_("smallest covering set (%(share)s of the gap weight): %(organisations)s"),
                                      share=f"{cover.covered_share:.0%}", organisations=names))
    if cover.uncovered:
        click.echo(say.gettext(N_("nobody found for: %(competencies)s"), competencies=", ".join(c["label"] for c in cover.uncovered)))
    for match in result.resources:
        click.echo(say.gettext(N_("resource: %(resource)s — %(why)s"), resource=match.resource["label"], why=say.say(match.why)))
    for note in result.notes:
        click.echo(say.gettext(N_("note: %(note)s"), note=say.say(note)))
