"""Blitz sessions: the scheduling rules checked exhaustively on small cases against brute force,
a planted event recorded through the validated import, its agenda and iCalendar files."""

from __future__ import annotations

import datetime
import itertools
import random
from pathlib import Path

import icalendar
import numpy as np
import pytest

from clusterkg.graph.analysis.blitz import plan_blitz, schedule_meetings
from clusterkg.graph.errors import InvalidInput, NotFound
from clusterkg.graph.events import read_event, record_rows
from clusterkg.graph.importer import import_files
from clusterkg.graph.problems import ValidationFailed
from clusterkg.graph.projection import build_projection
from clusterkg.graph.store import OxigraphStore

URL = "https://example.org/test"


# -- the scheduling rules, exhaustively on small random cases -------------------------------


def random_case(rng: random.Random):
    n = rng.randint(2, 6)
    slots, tables = rng.randint(1, 3), rng.randint(1, 3)
    available = [set(s for s in range(1, slots + 1) if rng.random() < 0.75) for _ in range(n)]
    pairs = list(itertools.combinations(range(n), 2))
    requests = [tuple(rng.sample(p, 2)) for p in rng.sample(pairs, min(len(pairs), rng.randint(0, 4)))]
    weights = np.zeros((n, n))
    for i, j in pairs:
        weights[i, j] = weights[j, i] = rng.choice([0.0, rng.random()])
    return n, slots, tables, available, requests, weights


def most_requests_possible(available, requests, slots, tables) -> int:
    """Brute force: the most requests any schedule holds."""
    wanted = sorted({(min(i, j), max(i, j)) for i, j in requests})
    best = 0
    for choice in itertools.product(range(slots + 1), repeat=len(wanted)):  # 0: not placed
        busy, per_slot, ok = set(), {}, True
        for (i, j), s in zip(wanted, choice):
            if s == 0:
                continue
            if s not in available[i] or s not in available[j] or (i, s) in busy or (j, s) in busy:
                ok = False
                break
            busy |= {(i, s), (j, s)}
            per_slot[s] = per_slot.get(s, 0) + 1
        if ok and all(c <= tables for c in per_slot.values()):
            best = max(best, sum(1 for s in choice if s))
    return best


def test_small_cases_exhaustively():
    rng = random.Random(14)
    for _ in range(300):
        n, slots, tables, available, requests, weights = random_case(rng)
        result = schedule_meetings(available, requests, weights, slots, tables)
        seen_people, seen_tables, pairs = set(), set(), set()
        for s, table, i, j in result.meetings:
            assert 1 <= s <= slots and 1 <= table <= tables and i < j
            assert s in available[i] and s in available[j], "a meeting outside someone's free slots"
            assert (i, s) not in seen_people and (j, s) not in seen_people, "a participant double-booked"
            assert (table, s) not in seen_tables, "a table double-booked"
            assert (i, j) not in pairs, "a pair met twice"
            seen_people |= {(i, s), (j, s)}
            seen_tables.add((table, s))
            pairs.add((i, j))
        wanted = {(min(i, j), max(i, j)) for i, j in requests}
        placed = wanted & pairs
        assert len(placed) == most_requests_possible(available, requests, slots, tables)
        assert set(result.unscheduled) == wanted - placed
        # maximal: an unplaced request has no slot in which both are free and a table is free
        for i, j in result.unscheduled:
            for s in available[i] & available[j]:
                used = sum(1 for m in result.meetings if m[0] == s)
                assert (i, s) in seen_people or (j, s) in seen_people or used == tables
        # nobody idles while a free table and a free, unmet partner wait in the same slot
        for s in range(1, slots + 1):
            used = sum(1 for m in result.meetings if m[0] == s)
            idle = [i for i in range(n) if s in available[i] and (i, s) not in seen_people]
            if used < tables:
                assert not [(a, b) for a, b in itertools.combinations(idle, 2) if (a, b) not in pairs]


def test_a_requested_meeting_is_placed_when_both_are_free():
    # four people, one slot, one table: without the request 2-3 would meet (the best pair)
    weights = np.array([[0, 0.1, 0.1, 0.1], [0.1, 0, 0.1, 0.1], [0.1, 0.1, 0, 9], [0.1, 0.1, 9, 0]])
    every = [{1}] * 4
    assert schedule_meetings(every, [], weights, 1, 1).meetings == ((1, 1, 2, 3),)
    assert schedule_meetings(every, [(1, 0)], weights, 1, 1).meetings == ((1, 1, 0, 1),)
    # not free together: the request cannot be met, and says so
    result = schedule_meetings([{1}, {2}, {1, 2}, {1, 2}], [(0, 1)], weights, 2, 1)
    assert result.unscheduled == ((0, 1),)


def test_then_the_most_complementary_pairs():
    weights = np.zeros((4, 4))
    weights[0, 3] = weights[3, 0] = 5.0
    weights[1, 2] = weights[2, 1] = 4.0
    result = schedule_meetings([{1}] * 4, [], weights, 1, 2)
    assert {(i, j) for _, _, i, j in result.meetings} == {(0, 3), (1, 2)}
    one_table = schedule_meetings([{1}] * 4, [], weights, 1, 1)
    assert [(i, j) for _, _, i, j in one_table.meetings] == [(0, 3)]


def test_no_slot_or_table_is_refused():
    with pytest.raises(InvalidInput, match="at least one slot and one table"):
        schedule_meetings([{1}, {1}], [], np.zeros((2, 2)), 0, 1)


# -- a planted event, recorded through the import -------------------------------------------
# tests/data/events: optics people (Lumen, presenting) and chip people (Silico, free in slots 2
# and 3 only); Biolab looks for sensors and asked to meet Lumen; a moderator who never meets.


WORLD = sorted((Path(__file__).parents[2] / "data" / "events" / "world").glob("*.csv"))
BLITZ = sorted((Path(__file__).parents[2] / "data" / "events" / "blitz").glob("*.csv"))


@pytest.fixture()
def planted():
    store = OxigraphStore()
    import_files(WORLD, store, progress=False)
    import_files(BLITZ, store, progress=False)
    yield store
    store.close()


def test_planted_event_plan(planted):
    event = read_event(planted.select, "optics-meets-chips")
    assert event.kind == "blitz_session" and event.start_time == datetime.time(9, 30) and len(event.attendances) == 4
    plan = plan_blitz(build_projection(planted), event)
    # presentations block first: Lumen speaks 09:30-09:40, the meeting slots follow
    assert [(p["participant"], p["start"], p["end"]) for p in plan.presentations] == [
        ("org/lumen", "2026-03-12T09:30", "2026-03-12T09:40")]
    assert [s["start"] for s in plan.slots] == ["2026-03-12T09:40", "2026-03-12T09:55", "2026-03-12T10:10"]
    meetings = {(m["slot"], m["a"], m["b"]) for m in plan.meetings}
    # the request first (slot 1: Silico is not free then), then Silico meets both others
    assert (1, "org/biolab", "org/lumen") in meetings
    assert {m["slot"] for m in plan.meetings if "org/silico" in (m["a"], m["b"])} <= {2, 3}
    assert all("org/moder" not in (m["a"], m["b"]) for m in plan.meetings), "a moderator was scheduled"
    requested = next(m for m in plan.meetings if {m["a"], m["b"]} == {"org/biolab", "org/lumen"})
    assert requested["requested"] == "a" and "requested by Biolab" in requested["why"]
    assert "note: light sources for assays" in requested["why"]
    silico_biolab = next(m for m in plan.meetings if {m["a"], m["b"]} == {"org/biolab", "org/silico"})
    assert "Sensors" in silico_biolab["why"]  # what Biolab declared it looks for comes first
    assert plan.unscheduled_requests == ()
    frame = plan.to_frame()
    assert list(frame["why"])[0] == "presentation" and len(frame) == 1 + len(plan.meetings)


def test_agenda_and_ics_parse(planted):
    plan = plan_blitz(build_projection(planted), read_event(planted.select, "optics-meets-chips"))
    agenda = plan.agenda("org/lumen")
    assert agenda[0]["what"] == "Presentations" and "you present at 09:30" in agenda[0]["why"]
    assert [item["start"] for item in agenda] == sorted(item["start"] for item in agenda)
    calendar = icalendar.Calendar.from_ical(plan.ics("org/lumen"))
    events = calendar.walk("VEVENT")
    assert len(events) == len(agenda)
    first_meeting = events[1]
    assert first_meeting.decoded("dtstart") == datetime.datetime(2026, 3, 12, 9, 40)
    assert str(first_meeting["summary"]) == "Meeting with Biolab (table 1)"
    assert str(first_meeting["location"]) == "Dresden, table 1"
    assert len({str(e["uid"]) for e in events}) == len(events)
    with pytest.raises(InvalidInput, match="not registered"):
        plan.agenda("org/nobody")


def test_unknown_event_and_round_table_refused(planted):
    with pytest.raises(NotFound, match="unknown event 'nope'"):
        read_event(planted.select, "nope")
    with pytest.raises(InvalidInput, match="event id"):
        read_event(planted.select, "Bad Id")
    record_rows(planted, {"events": [{"id": "rt", "kind": "round_table", "name": "RT", "date": "2026-01-01",
                                      "organiser": "chip-coast"}]}, agent="test")
    with pytest.raises(InvalidInput, match="is a round table, not a blitz session"):
        plan_blitz(build_projection(planted), read_event(planted.select, "rt"))


def test_bad_rows_write_nothing(planted):
    before = planted.triple_count()
    bad = {"event_participants": [{"event": "optics-meets-chips", "organisation": "nobody", "role": "participant"},
                                  {"event": "optics-meets-chips", "cluster": "chip-coast", "role": "host"}]}
    with pytest.raises(ValidationFailed) as failure:
        record_rows(planted, bad, agent="test")
    messages = [(p.location, p.field, p.message) for p in failure.value.problems]
    assert {p.file for p in failure.value.problems} == {"event_participants.csv"}
    assert any(loc == "row 3" and field == "role" and "presenter, participant" in msg for loc, field, msg in messages)
    assert any(loc == "row 2" and "nobody" in msg for loc, field, msg in messages), messages
    assert planted.triple_count() == before
