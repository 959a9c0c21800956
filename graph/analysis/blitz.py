"""Blitz sessions as events: presentations first, then 1:1 meetings in time slots and tables.

A blitz session (:mod:`clusterkg.graph.events`) has registered participants — clusters or
organisations, each with a role, a short profile (what it offers, what it looks for, in words
and as competencies) and the meeting slots it is free — and meeting requests. The planner:

1. **presentations block first**: each presenter speaks for ``presentation_minutes`` (default
   5), in the order of their names, from the event's start time (default 09:00);
2. then ``slots`` meeting slots (default 6) of ``slot_minutes`` (default 20), each with
   ``tables`` tables (default: enough for everybody);
3. **requests first**: an integer program (``scipy.optimize.milp``, HiGHS) places the most
   requests possible — each participant at most once a slot and only in its free slots, at most
   ``tables`` meetings a slot, each request once — ties going to the more complementary and the
   earlier; **then complementarity**, slot by slot: a maximum-cardinality, maximum-weight
   matching (``networkx``, as :mod:`~clusterkg.graph.analysis.matchmaking` does for rounds) of
   the participants still free, on pairs that have not met (each one's 12 most complementary),
   weighted by
   :func:`~clusterkg.graph.analysis.matchmaking.complementarity` with the competencies declared
   in the profiles added to what the graph knows; when it has more pairs than free tables the
   most complementary ones get them. Moderators are not scheduled. Each meeting gets a table
   (requested meetings the lowest numbers) and its "why meet".

A request is left out only when no placement of the requests could hold it as well as the
others (the plan lists it, with what fills each slot both are free). On very big events the
integer program stops after ``time_limit`` seconds with the best placement found.

:func:`plan_blitz` returns :class:`BlitzPlan`; ``to_json()`` is::

    {
      "event": {...},                                   # EventRecord.to_json()
      "participants": [{"key": "org/biocad", "kind", "iri", "id", "label", "role", "offers",
                        "looks_for", "available_slots": [1, 2] (empty: all)}],
      "presentations": [{"participant": key, "start": "2026-03-12T09:00", "end": ...}],
      "slots": [{"slot": 1, "start": ..., "end": ...}],
      "meetings": [{"slot", "table", "start", "end", "a": key, "b": key,
                    "requested": "" | "a" | "b" | "both", "score", "a_offers", "b_offers", "why"}],
      "unscheduled_requests": [{"by": key, "with": key, "reason": "..."}]
    }

Exports: :meth:`BlitzPlan.to_frame` (the schedule as one row per presentation and meeting, the
CSV), :meth:`BlitzPlan.agenda` (one participant's items in time order) and
:meth:`BlitzPlan.ics` (that agenda as an iCalendar file, floating local times).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from clusterkg.graph.analysis.matchmaking import complementarity, describe_meeting, participant_profiles
from clusterkg.graph.reasons import N_, Reason, join, reason
from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.events import EventRecord, participant_key
from clusterkg.graph.projection import Projection

__all__ = ["DEFAULTS", "BlitzPlan", "Slotting", "plan_blitz", "schedule_meetings"]

#: what an event that does not say uses
DEFAULTS = {"start_time": datetime.time(9, 0), "slots": 6, "slot_minutes": 20, "presentation_minutes": 5}
#: partners each participant keeps in a slot's matching (its most complementary ones not met yet)
_PARTNERS_KEPT = 12


@dataclass(frozen=True)
class Slotting:
    """A schedule: ``(slot, table, i, j)`` meetings (1-based slot and table, ``i < j``), and
    the requests that could not be placed."""

    meetings: tuple[tuple[int, int, int, int], ...]
    unscheduled: tuple[tuple[int, int], ...]


def schedule_meetings(available: list[set[int]], requests: list[tuple[int, int]], weights: np.ndarray,
                      slots: int, tables: int, time_limit: float = 20.0) -> Slotting:
    """Place 1:1 meetings of participants ``0..n-1`` into ``slots`` × ``tables``.

    ``available[i]`` holds the slots (1-based) participant ``i`` is free; ``requests`` are pairs
    to place first (in either order; asked twice counts once); ``weights[i, j]`` the value of
    meeting otherwise (symmetric, >= 0). See the module docstring for the rules.
    """
    n = len(available)
    if slots < 1 or tables < 1:
        raise InvalidInput(f"a blitz session needs at least one slot and one table, not {slots} slot(s) and {tables} table(s)")
    free = [set(a) & set(range(1, slots + 1)) for a in available]
    wanted = sorted({(min(i, j), max(i, j)) for i, j in requests if i != j})
    placed = _place_requests(free, wanted, weights, slots, tables, time_limit)
    busy = {(person, s) for p, s in placed for person in p}
    met = {p for p, _ in placed}
    per_slot = {s: sum(1 for _, t in placed if t == s) for s in range(1, slots + 1)}
    chosen = list(placed)
    for s in range(1, slots + 1):  # then complementarity, slot by slot, on the pairs not met yet
        present = [i for i in range(n) if s in free[i] and (i, s) not in busy]
        room = tables - per_slot[s]
        if room <= 0 or len(present) < 2:
            continue
        graph = nx.Graph()
        for i in present:  # each one's best partners not met yet: the matching stays fast on big events
            partners = [j for j in present if j != i and (min(i, j), max(i, j)) not in met]
            partners.sort(key=lambda j: (-weights[i, j], j))
            for j in partners[:_PARTNERS_KEPT]:  # integer weights keep the matching exact; +1: no value still meets
                graph.add_edge(i, j, weight=int(round(weights[i, j] * 1e6)) + 1)
        matching = sorted(((min(i, j), max(i, j)) for i, j in nx.max_weight_matching(graph, maxcardinality=True)),
                          key=lambda ij: (-weights[ij], ij))[:room]
        chosen.extend((pair, s) for pair in matching)
        met.update(matching)
    scheduled = _tables(chosen, set(wanted), weights)
    return Slotting(tuple(scheduled), tuple(p for p in wanted if p not in {pair for pair, _ in placed}))


def _place_requests(free, wanted, weights, slots, tables, time_limit) -> list[tuple[tuple[int, int], int]]:
    """The most requests that fit (an integer program), the most valuable and earliest first."""
    variables = [(p, s) for p, (i, j) in enumerate(wanted) for s in sorted(free[i] & free[j])]
    if not variables:
        return []
    top = float(weights.max()) if weights.size and weights.max() > 0 else 1.0
    # each placed request is worth 1; value and earliness only break ties between equal counts
    cost = np.array([-(1.0 + 0.5 * weights[wanted[p]] / top / (len(wanted) + 1) - 0.1 * s / slots / (len(wanted) + 1))
                     for p, s in variables])
    rows, columns = [], []
    person_slot: dict[tuple[int, int], int] = {}
    for column, (p, s) in enumerate(variables):
        for person in wanted[p]:  # nobody twice in a slot
            rows.append(person_slot.setdefault((person, s), len(person_slot)))
            columns.append(column)
    count = len(person_slot)
    for column, (p, s) in enumerate(variables):
        rows += [count + s - 1, count + slots + p]  # at most `tables` a slot; each request once
        columns += [column, column]
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(count + slots + len(wanted), len(variables)))
    upper = np.concatenate([np.ones(count), np.full(slots, tables), np.ones(len(wanted))])
    result = milp(cost, integrality=np.ones(len(variables)), bounds=Bounds(0, 1),
                  constraints=LinearConstraint(matrix, -np.inf, upper),
                  options={"time_limit": float(time_limit), "disp": False})
    if result.x is None:  # nothing found in the time: place greedily, most valuable first
        return _greedy(variables, wanted, cost, tables)
    return [(wanted[p], s) for p, s in (variables[c] for c in np.flatnonzero(result.x > 0.5))]


def _greedy(variables, pairs, cost, tables) -> list[tuple[tuple[int, int], int]]:
    """Cheapest first, each where nobody is busy and a table is free."""
    busy, per_slot, met, chosen = set(), {}, set(), []
    for column in np.argsort(cost, kind="stable"):
        p, s = variables[column]
        i, j = pairs[p]
        if p in met or (i, s) in busy or (j, s) in busy or per_slot.get(s, 0) >= tables:
            continue
        chosen.append((pairs[p], s))
        met.add(p)
        busy.update({(i, s), (j, s)})
        per_slot[s] = per_slot.get(s, 0) + 1
    return chosen


def _tables(chosen, wanted, weights) -> list[tuple[int, int, int, int]]:
    """Number the tables of each slot: requested meetings first, then the most valuable."""
    by_slot: dict[int, list[tuple[int, int]]] = {}
    for pair, s in chosen:
        by_slot.setdefault(s, []).append(pair)
    placed = []
    for s in sorted(by_slot):
        ordered = sorted(by_slot[s], key=lambda ij: (ij not in wanted, -weights[ij], ij))
        placed.extend((s, table, i, j) for table, (i, j) in enumerate(ordered, start=1))
    return placed


# ----------------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class BlitzPlan:
    """The timetable of a blitz session: presentations, then meetings at tables."""

    event: dict
    participants: tuple[dict, ...]
    presentations: tuple[dict, ...]
    slots: tuple[dict, ...]
    meetings: tuple[dict, ...]
    unscheduled_requests: tuple[dict, ...]

    def to_json(self) -> dict:
        return {"event": dict(self.event), "participants": [dict(p) for p in self.participants],
                "presentations": [dict(p) for p in self.presentations], "slots": [dict(s) for s in self.slots],
                "meetings": [dict(m) for m in self.meetings],
                "unscheduled_requests": [dict(r) for r in self.unscheduled_requests]}

    def label(self, key: str) -> str:
        return next((p["label"] for p in self.participants if p["key"] == key), key)

    def to_frame(self) -> pd.DataFrame:
        """The schedule, one row per presentation and meeting (the CSV export)."""
        rows = [{"slot": "", "start": p["start"], "end": p["end"], "table": "", "a": self.label(p["participant"]),
                 "b": "", "requested": "", "score": None, "why": "presentation"} for p in self.presentations]
        rows += [{"slot": m["slot"], "start": m["start"], "end": m["end"], "table": m["table"], "a": self.label(m["a"]),
                  "b": self.label(m["b"]), "requested": m["requested"], "score": m["score"], "why": m["why"]}
                 for m in self.meetings]
        return pd.DataFrame(rows, columns=["slot", "start", "end", "table", "a", "b", "requested", "score", "why"])

    def participant(self, key: str) -> dict:
        for person in self.participants:
            if person["key"] == key:
                return person
        raise InvalidInput(f"{key!r} is not registered for {self.event['label']!r}; registered: "
                           + ", ".join(p["key"] for p in self.participants))

    def agenda(self, key: str) -> list[dict]:
        """One participant's items in time order: ``{"start", "end", "what", "with", "table", "why"}``."""
        self.participant(key)
        items = []
        if self.presentations:
            speakers = [self.label(p["participant"]) for p in self.presentations]
            mine = [p for p in self.presentations if p["participant"] == key]
            items.append({"start": self.presentations[0]["start"], "end": self.presentations[-1]["end"],
                          "what": "Presentations", "with": "", "table": "",
                          "why": join([reason(N_("you present at %(time)s"), time=mine[0]['start'][11:]) if mine else "",
                                       reason(N_("speakers: %(speakers)s"), speakers=speakers)])})
        for m in self.meetings:
            if key in (m["a"], m["b"]):
                other = m["b"] if m["a"] == key else m["a"]
                items.append({"start": m["start"], "end": m["end"], "what": f"Meeting with {self.label(other)}",
                              "with": other, "table": m["table"], "why": m["why"]})
        return sorted(items, key=lambda item: item["start"])

    def ics(self, key: str) -> bytes:
        """The participant's agenda as an iCalendar file (RFC 5545), one VEVENT per item."""
        from icalendar import Calendar, Event

        person = self.participant(key)
        calendar = Calendar()
        calendar.add("prodid", "-//clusterkg//blitz planner//EN")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", f"{self.event['label']} — {person['label']}")
        stamp = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        for number, item in enumerate(self.agenda(key), start=1):
            entry = Event()
            entry.add("uid", f"{self.event['id']}-{key.replace('/', '-')}-{number}@clusterkg")
            entry.add("dtstamp", stamp)
            entry.add("dtstart", datetime.datetime.fromisoformat(item["start"]))
            entry.add("dtend", datetime.datetime.fromisoformat(item["end"]))
            entry.add("summary", item["what"] + (f" (table {item['table']})" if item["table"] else ""))
            entry.add("description", item["why"])
            place = self.event.get("place") or ""
            entry.add("location", f"{place}, table {item['table']}".strip(", ") if item["table"] else place)
            calendar.add_component(entry)
        return calendar.to_ical()


def plan_blitz(projection: Projection, event: EventRecord, time_limit: float = 20.0) -> BlitzPlan:
    """The timetable of the blitz session ``event`` (see the module docstring).

    Raises
    ------
    InvalidInput
        The event is not a blitz session, fewer than two participants can meet, or an
        attendee is not in the graph's projection.
    """
    if event.kind != "blitz_session":
        raise InvalidInput(f"{event.label!r} is a {event.kind.replace('_', ' ')}, not a blitz session")
    slots = event.slots or DEFAULTS["slots"]
    minutes = event.slot_minutes or DEFAULTS["slot_minutes"]
    talk = DEFAULTS["presentation_minutes"] if event.presentation_minutes is None else event.presentation_minutes
    start = datetime.datetime.combine(event.date, event.start_time or DEFAULTS["start_time"])
    people, entities, attendances = [], [], []
    for attendance in event.attendances:
        entity = _entity(projection, attendance.attendee)
        person = {"key": participant_key(attendance.attendee), "kind": entity[0], "iri": attendance.attendee,
                  "id": attendance.attendee.rsplit("/", 1)[-1], "label": _label(projection, entity),
                  "role": attendance.role, "offers": attendance.offers, "looks_for": attendance.looks_for,
                  "available_slots": list(attendance.available_slots)}
        people.append(person)
        entities.append(entity)
        attendances.append(attendance)
    order = sorted(range(len(people)), key=lambda i: (people[i]["label"].lower(), people[i]["key"]))
    people = [people[i] for i in order]
    entities = [entities[i] for i in order]
    attendances = [attendances[i] for i in order]

    presentations = []
    moment = start
    for person in people:
        if person["role"] == "presenter" and talk > 0:
            end = moment + datetime.timedelta(minutes=talk)
            presentations.append({"participant": person["key"], "start": _iso(moment), "end": _iso(end)})
            moment = end
    first = moment
    slot_rows = tuple({"slot": s, "start": _iso(first + datetime.timedelta(minutes=minutes * (s - 1))),
                       "end": _iso(first + datetime.timedelta(minutes=minutes * s))} for s in range(1, slots + 1))

    meeting_people = [i for i, person in enumerate(people) if person["role"] != "moderator"]
    tables = event.tables or max(1, len(meeting_people) // 2)
    keys = [people[i]["key"] for i in meeting_people]
    position = {key: x for x, key in enumerate(keys)}
    chosen_entities = [entities[i] for i in meeting_people]
    has, needs = _declared_profiles(projection, chosen_entities, [attendances[i] for i in meeting_people])
    weights = complementarity(projection, chosen_entities, (has, needs)) if chosen_entities else np.zeros((0, 0))
    available = [set(attendances[i].available_slots or range(1, slots + 1)) & set(range(1, slots + 1))
                 for i in meeting_people]

    requests, unscheduled, asked_by = [], [], {}
    for request in event.requests:
        by, with_ = participant_key(request.by), participant_key(request.with_)
        missing = [key for key in (by, with_) if key not in position]
        if missing:
            unscheduled.append({"by": by, "with": with_, "reason": reason(N_("%(who)s not registered to meet at this event"),
                                                                          who=join(missing, " and "))})
            continue
        i, j = position[by], position[with_]
        requests.append((i, j))
        asked_by.setdefault((min(i, j), max(i, j)), set()).add(i)
    slotting = schedule_meetings(available, requests, weights, slots, tables, time_limit)
    for i, j in slotting.unscheduled:
        by = i if i in asked_by[(i, j)] else j
        why_not = _why_not(i, j, available, slotting, [people[x]["label"] for x in meeting_people], tables)
        unscheduled.append({"by": keys[by], "with": keys[j if by == i else i], "reason": why_not})

    meeting_rows = []
    meeting_people_rows = [people[i] for i in meeting_people]
    for s, table, i, j in slotting.meetings:
        described = describe_meeting(projection, meeting_people_rows, chosen_entities, weights, has, needs, i, j)
        askers = asked_by.get((i, j), set())
        requested = "both" if len(askers) == 2 else ("a" if i in askers else "b" if j in askers else "")
        notes = [reason(N_("requested by %(who)s"), who=meeting_people_rows[k]['label']) for k in sorted(askers)]
        notes += [reason(N_("note: %(note)s"), note=r.note) for r in event.requests
                  if r.note and {participant_key(r.by), participant_key(r.with_)} == {keys[i], keys[j]}]
        slot_row = slot_rows[s - 1]
        meeting_rows.append({"slot": s, "table": table, "start": slot_row["start"], "end": slot_row["end"],
                             "a": keys[i], "b": keys[j], "requested": requested, "score": described.score,
                             "a_offers": list(described.a_offers), "b_offers": list(described.b_offers),
                             "why": join(notes + [described.why])})
    return BlitzPlan(event.to_json(), tuple(people), tuple(presentations), slot_rows, tuple(meeting_rows), tuple(unscheduled))


def _why_not(i: int, j: int, available, slotting: Slotting, labels: list[str], tables: int) -> Reason:
    """Why a request has no place: for each slot both are free, what fills it."""
    common = sorted(available[i] & available[j])
    if not common:
        return reason(N_("no slot in which both are free"))
    partner = {(person, s): other for s, _, a, b in slotting.meetings for person, other in ((a, b), (b, a))}
    used = {s: sum(1 for m in slotting.meetings if m[0] == s) for s in common}
    reasons = []
    for s in common:
        if used[s] >= tables:
            reasons.append(reason(N_("slot %(slot)s: all %(tables)s table(s) taken"), slot=s, tables=tables))
        else:
            taken = [reason(N_("%(a)s meets %(b)s"), a=labels[x], b=labels[partner[(x, s)]]) for x in (i, j) if (x, s) in partner]
            reasons.append(reason(N_("slot %(slot)s: %(taken)s"), slot=s, taken=taken))
    return reason(N_("every slot both are free is taken (%(slots)s)"), slots=join(reasons))


def _entity(p: Projection, iri: str) -> tuple[str, int]:
    for kind in ("cluster", "organisation"):
        row = p.index(kind).get(iri)
        if row is not None:
            return kind, row
    raise InvalidInput(f"attendee {iri} is neither a cluster nor an organisation of the graph")


def _label(p: Projection, entity: tuple[str, int]) -> str:
    kind, row = entity
    return (p.clusters if kind == "cluster" else p.organisations)["label"].iat[row]


def _declared_profiles(p: Projection, entities, attendances) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """What the graph knows each participant has and needs, plus what its profile declares."""
    if not entities:
        empty = sp.csr_matrix((0, len(p.competencies)))
        return empty, empty
    has, needs = participant_profiles(p, entities)
    index = p.index("competency")
    offered = sp.lil_matrix(has.shape)
    sought = sp.lil_matrix(needs.shape)
    for row, attendance in enumerate(attendances):
        for iri in attendance.offers_competencies:
            if iri in index:
                offered[row, index[iri]] = 1.0
        for iri in attendance.looks_for_competencies:
            if iri in index:
                sought[row, index[iri]] = 1.0
    return ((has + offered.tocsr()) > 0).astype(np.float64).tocsr(), ((needs + sought.tocsr()) > 0).astype(np.float64).tocsr()


def _iso(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")
