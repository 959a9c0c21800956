"""``clusterkg roundtable``, ``project-group``, ``events`` and ``blitz``: the organisational tools.

Events themselves are recorded like any data, with ``clusterkg import`` of the sheets
``events.csv``, ``event_participants.csv``, ``meeting_requests.csv``, ``event_outcomes.csv`` and
``working_groups.csv`` (validated, all or nothing, in the history). The JSON of each verb is
documented in its analysis module: :mod:`clusterkg.graph.analysis.roundtable`,
:mod:`~clusterkg.graph.analysis.project_groups` and :mod:`~clusterkg.graph.analysis.blitz`.
"""

from __future__ import annotations

from pathlib import Path

import click

from clusterkg.commands.base import load_projection, opened_store, run_analysis
from clusterkg.output import FORMAT_OPTION, emit

__all__ = ["roundtable", "project_group", "events", "blitz"]


@click.command()
@click.option("--theme", "-t", "themes", multiple=True, required=True, metavar="THEME",
              help="A technology area: a competency (with its narrower ones) or an industry; give two or more.")
@click.option("--size", type=int, default=12, show_default=True, help="Seats at the table.")
@click.option("--stakeholders", type=int, default=None, help="Seats for stakeholders (default: a third).")
@FORMAT_OPTION
@click.pass_context
def roundtable(ctx: click.Context, themes: tuple[str, ...], size: int, stakeholders: int | None, fmt: str) -> None:
    """A technology round table: whom to invite where the themes meet, each with the reason.

    \b
    Example:
      clusterkg roundtable --theme "Semiconductor devices" --theme ecosystem-health --size 10
    Clusters of different industries holding each theme, stakeholders (universities, research
    institutes, public bodies, investors) balanced across countries and industries, and the
    industries where the themes already meet as talking points.
    """
    from clusterkg.graph.analysis.roundtable import plan_round_table

    with opened_store(ctx, read_only=True) as store:
        projection = load_projection(store)
    emit(run_analysis(plan_round_table, projection, list(themes), size=size, stakeholder_seats=stakeholders), fmt)


@click.command("project-group")
@click.argument("theme")
@click.option("--size", type=int, default=8, show_default=True, help="At most this many members.")
@FORMAT_OPTION
@click.pass_context
def project_group(ctx: click.Context, theme: str, size: int, fmt: str) -> None:
    """Candidate members of a project working group on THEME, from several clusters, with the gap each fills."""
    from clusterkg.graph.analysis.project_groups import find_project_group

    with opened_store(ctx, read_only=True) as store:
        projection = load_projection(store)
        group = run_analysis(find_project_group, projection, theme, size=size, select=store.select)
    emit(group, fmt)


class _Table:
    """A list of dicts as a result for :func:`clusterkg.output.emit`."""

    def __init__(self, key: str, rows: list[dict]):
        self.key, self.rows = key, rows

    def to_json(self) -> dict:
        return {self.key: self.rows}

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.rows)


@click.command()
@FORMAT_OPTION
@click.pass_context
def events(ctx: click.Context, fmt: str) -> None:
    """The recorded blitz sessions and round tables, newest first."""
    from clusterkg.graph.events import list_events

    with opened_store(ctx, read_only=True) as store:
        rows = list_events(store.select)
    emit(_Table("events", rows), fmt)


@click.command()
@click.argument("event")
@click.option("--ics-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write one iCalendar file per participant into this folder.")
@click.option("--time-limit", type=float, default=20.0, show_default=True,
              help="Seconds the request placement may search on a big event.")
@FORMAT_OPTION
@click.pass_context
def blitz(ctx: click.Context, event: str, ics_dir: Path | None, time_limit: float, fmt: str) -> None:
    """The timetable of the blitz session EVENT (its id): presentations, then 1:1 meetings.

    \b
    Record the event first:
      clusterkg import events.csv event_participants.csv meeting_requests.csv
      clusterkg blitz optics-meets-chips --format csv > schedule.csv
    Requests first, then the most complementary pairs; nobody and no table double-booked.
    """
    from clusterkg.graph.analysis.blitz import plan_blitz
    from clusterkg.graph.events import read_event

    with opened_store(ctx, read_only=True) as store:
        record = run_analysis(read_event, store.select, event)
        projection = load_projection(store)
    plan = run_analysis(plan_blitz, projection, record, time_limit=time_limit)
    if ics_dir is not None:
        ics_dir.mkdir(parents=True, exist_ok=True)
        for person in plan.participants:
            (ics_dir / f"{person['key'].replace('/', '-')}.ics").write_bytes(plan.ics(person["key"]))
        click.echo(f"wrote {len(plan.participants)} calendar file(s) to {ics_dir}", err=True)
    emit(plan, fmt)
