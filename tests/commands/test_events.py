"""The events verbs end to end on an embedded store: record a blitz session with
``clusterkg import`` (the validated path), plan it, write the calendars; round tables and
project groups on a planted world."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner

from clusterkg.cli import cli
from clusterkg.graph.sheets import SHEETS

EVENTS_DATA = Path(__file__).parents[1] / "data" / "events"


def write_sheets(folder: Path, rows: dict) -> list[str]:
    paths = []
    for name, sheet_rows in rows.items():
        path = folder / f"{name}.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=SHEETS[name].column_names)
            writer.writeheader()
            writer.writerows(sheet_rows)
        paths.append(str(path))
    return paths


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("events-cli")
    path = str(folder / "store")
    run = CliRunner()
    assert run.invoke(cli, ["--store", path, "init", "--no-default-data"]).exit_code == 0
    for part in ("world", "blitz"):
        result = run.invoke(cli, ["--store", path, "import", *map(str, sorted((EVENTS_DATA / part).glob("*.csv")))])
        assert result.exit_code == 0, result.output
    return path


def invoke(store: str, *args: str):
    return CliRunner().invoke(cli, ["--store", store, *args])


def test_events_lists_the_recorded_event(store):
    result = invoke(store, "events", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [(e["id"], e["kind"]) for e in json.loads(result.output)["events"]] == [("optics-meets-chips", "blitz_session")]


def test_blitz_plans_and_writes_calendars(store, tmp_path):
    result = invoke(store, "blitz", "optics-meets-chips", "--format", "json", "--ics-dir", str(tmp_path / "ics"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {(m["a"], m["b"]) for m in data["meetings"] if m["slot"] == 1} == {("org/biolab", "org/lumen")}
    files = sorted(p.name for p in (tmp_path / "ics").iterdir())
    assert files == ["org-biolab.ics", "org-lumen.ics", "org-moder.ics", "org-silico.ics"]
    calendar = icalendar.Calendar.from_ical((tmp_path / "ics" / "org-biolab.ics").read_bytes())
    assert [str(e["summary"]) for e in calendar.walk("VEVENT")][:2] == ["Presentations", "Meeting with Lumen (table 1)"]
    table = invoke(store, "blitz", "optics-meets-chips", "--format", "csv")
    rows = list(csv.DictReader(table.stdout.splitlines()))
    assert rows[0]["why"] == "presentation" and rows[1]["requested"] == "a"


def test_blitz_unknown_event_is_a_user_error(store):
    result = invoke(store, "blitz", "no-such-event")
    assert result.exit_code == 1 and "unknown event 'no-such-event'" in result.output


def test_import_refuses_a_request_with_an_unknown_participant(store, tmp_path):
    bad = write_sheets(tmp_path, {"meeting_requests": [{"event": "optics-meets-chips", "by_organisation": "ghost",
                                                        "with_organisation": "lumen"}]})
    result = invoke(store, "import", *bad)
    assert result.exit_code == 1
    assert "meeting_requests.csv" in result.output and "row 2" in result.output and "ghost" in result.output


def test_roundtable_and_project_group(store):
    result = invoke(store, "roundtable", "--theme", "optics", "--theme", "chips", "--size", "4", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [i["id"] for i in data["invitees"] if i["kind"] == "cluster"] == ["photon-valley", "chip-coast"]
    group = invoke(store, "project-group", "optics", "--format", "json")
    assert group.exit_code == 0, group.output
    assert [m["id"] for m in json.loads(group.output)["members"]] == ["lumen"]
    one = invoke(store, "roundtable", "--theme", "optics")
    assert one.exit_code == 1 and "at least 2 theme(s)" in one.output
