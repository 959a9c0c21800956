"""Events in the store: reading blitz sessions and round tables, and recording them.

Events are ordinary data (the sheets ``events``, ``event_participants``, ``meeting_requests``,
``event_outcomes``, ``working_groups`` of :mod:`clusterkg.graph.sheets`), so they are written
the one way every write goes: rows become CSV sheets and pass the validated, all-or-nothing,
recorded import (:func:`record_rows`). They are read with a few SPARQL SELECTs through a
``select(query, bindings)`` callable — the store's own :meth:`select` on the command line, the
web app's bounded reader on pages — so the same code serves both.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef

from clusterkg.graph.errors import InvalidInput, NotFound
from clusterkg.graph.problems import ValidationFailed
from clusterkg.graph.sheets import EVENT_KINDS, EVENT_ROLES, OUTCOME_KINDS, SHEETS, check_id
from clusterkg.ontology.namespace import DATA, sparql_prefixes

__all__ = [
    "Attendance",
    "EventRecord",
    "Outcome",
    "Request",
    "Select",
    "event_iri",
    "list_events",
    "list_working_groups",
    "participant_key",
    "read_event",
    "record_rows",
]

#: ``select(query, bindings)`` -> rows of rdflib terms with ``.variables`` (a store or the web reader)
Select = Callable[[str, Mapping[str, URIRef] | None], Iterable[tuple]]

_KIND_WORDS = {str(iri): word for word, iri in EVENT_KINDS.items()}
_ROLE_WORDS = {str(iri): word for word, iri in EVENT_ROLES.items()}
_OUTCOME_WORDS = {str(iri): word for word, iri in OUTCOME_KINDS.items()}
_PREFIXES = sparql_prefixes("ckg", "rdfs", "schema", "dct", "rdf")


def event_iri(event_id: str) -> URIRef:
    """The IRI of an event id, after checking the id (a bad id is a located InvalidInput)."""
    try:
        return DATA[f"event/{check_id(event_id)}"]
    except ValueError as error:
        raise InvalidInput(f"event id: {error}") from None


def participant_key(iri: str) -> str:
    """``cluster/{id}`` or ``org/{id}``: a participant's short key, the tail of its data IRI."""
    return str(iri).removeprefix(str(DATA))


@dataclass(frozen=True)
class Attendance:
    """One attendee of an event: who (IRI), role, short profile, free slots (empty: all)."""

    attendee: str
    role: str
    offers: str = ""
    looks_for: str = ""
    offers_competencies: tuple[str, ...] = ()
    looks_for_competencies: tuple[str, ...] = ()
    available_slots: tuple[int, ...] = ()


@dataclass(frozen=True)
class Request:
    """``by`` asks to meet ``with_`` (IRIs), with an optional note."""

    by: str
    with_: str
    note: str = ""


@dataclass(frozen=True)
class Outcome:
    iri: str
    kind: str
    label: str
    description: str
    competencies: tuple[str, ...]
    partnerships: tuple[str, ...]


@dataclass(frozen=True)
class EventRecord:
    """An event as stored, with its attendances, meeting requests and outcomes."""

    iri: str
    id: str
    kind: str  # blitz_session | round_table
    label: str
    date: datetime.date
    organiser: str
    start_time: datetime.time | None = None
    end_date: datetime.date | None = None
    place: str = ""
    description: str = ""
    tables: int | None = None
    slots: int | None = None
    slot_minutes: int | None = None
    presentation_minutes: int | None = None
    competencies: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    attendances: tuple[Attendance, ...] = ()
    requests: tuple[Request, ...] = ()
    outcomes: tuple[Outcome, ...] = field(default=())

    def to_json(self) -> dict:
        return {"iri": self.iri, "id": self.id, "kind": self.kind, "label": self.label,
                "date": self.date.isoformat(), "start_time": self.start_time.strftime("%H:%M") if self.start_time else None,
                "end_date": self.end_date.isoformat() if self.end_date else None, "place": self.place,
                "description": self.description, "organiser": self.organiser, "tables": self.tables,
                "slots": self.slots, "slot_minutes": self.slot_minutes, "presentation_minutes": self.presentation_minutes,
                "competencies": list(self.competencies), "industries": list(self.industries)}


_LIST = _PREFIXES + """
SELECT ?event ?label ?kind ?date ?organiser WHERE {
  ?event a ckg:Event ; rdfs:label ?label ; schema:startDate ?date ; schema:organizer ?organiser ; a ?kind .
  FILTER(?kind IN (ckg:BlitzSession, ckg:RoundTable))
} ORDER BY DESC(?date) ?label"""

_EVENT = _PREFIXES + """
SELECT ?p ?o WHERE { ?event ?p ?o .
  FILTER(?p IN (rdf:type, rdfs:label, schema:startDate, schema:endDate, ckg:startTime, schema:location,
                schema:organizer, ckg:relatedCompetency, ckg:industry, ckg:tableCount, ckg:slotCount,
                ckg:slotMinutes, ckg:presentationMinutes, dct:description)) }"""

_ATTENDANCES = _PREFIXES + """
SELECT ?a ?p ?o WHERE { ?a a ckg:EventAttendance ; ckg:event ?event ; ?p ?o .
  FILTER(?p IN (ckg:attendee, ckg:eventRole, ckg:offersText, ckg:seeksText, ckg:offersCompetency,
                ckg:seeksCompetency, ckg:availableSlot)) }"""

_REQUESTS = _PREFIXES + """
SELECT ?r ?by ?with ?note WHERE { ?r a ckg:MeetingRequest ; ckg:event ?event ;
  ckg:requestedBy ?by ; ckg:requestedWith ?with . OPTIONAL { ?r dct:description ?note } } ORDER BY ?r"""

_OUTCOMES = _PREFIXES + """
SELECT ?o ?p ?v WHERE { ?o a ckg:EventOutcome ; ckg:event ?event ; ?p ?v .
  FILTER(?p IN (ckg:outcomeKind, rdfs:label, dct:description, ckg:relatedCompetency, ckg:ledTo)) }"""


def list_events(select: Select) -> list[dict]:
    """Every event, newest first: ``{"iri", "id", "label", "kind", "date", "organiser"}``."""
    events = []
    for event, label, kind, date, organiser in select(_LIST, None):
        events.append({"iri": str(event), "id": str(event).rsplit("/", 1)[-1], "label": str(label),
                       "kind": _KIND_WORDS[str(kind)], "date": str(date), "organiser": str(organiser)})
    return events


_GROUPS = _PREFIXES + """
PREFIX org: <http://www.w3.org/ns/org#>
SELECT ?group ?label (COUNT(DISTINCT ?member) AS ?members) (SAMPLE(?paid) AS ?isPaid) (SAMPLE(?project) AS ?ledTo) WHERE {
  ?group a ckg:ProjectWorkingGroup ; rdfs:label ?label ; org:hasMember ?member .
  OPTIONAL { ?group ckg:paidMembership ?paid } OPTIONAL { ?group ckg:ledTo ?project }
} GROUP BY ?group ?label ORDER BY ?label"""


def list_working_groups(select: Select) -> list[dict]:
    """Every project working group: ``{"iri", "id", "label", "members", "paid", "project"}``."""
    return [{"iri": str(group), "id": str(group).rsplit("/", 1)[-1], "label": str(label), "members": int(members),
             "paid": bool(paid.toPython()) if paid is not None else None, "project": str(project) if project else None}
            for group, label, members, paid, project in select(_GROUPS, None)]


def read_event(select: Select, event_id: str) -> EventRecord:
    """The event ``event_id`` with everything recorded about it; :class:`NotFound` if none."""
    iri = event_iri(event_id)
    bindings = {"event": iri}
    values: dict[str, list] = {}
    for p, o in select(_EVENT, bindings):
        values.setdefault(_local(p), []).append(o)
    kinds = [_KIND_WORDS[str(t)] for t in values.get("type", []) if str(t) in _KIND_WORDS]
    if not kinds or "label" not in values or "startDate" not in values:
        raise NotFound("event", event_id)

    def one(name, convert=str, default=None):
        found = values.get(name)
        return convert(found[0]) if found else default

    attendances: dict[str, dict] = {}
    for a, p, o in select(_ATTENDANCES, bindings):
        attendances.setdefault(str(a), {}).setdefault(_local(p), []).append(o)
    outcomes: dict[str, dict] = {}
    for o, p, v in select(_OUTCOMES, bindings):
        outcomes.setdefault(str(o), {}).setdefault(_local(p), []).append(v)
    return EventRecord(
        iri=str(iri), id=event_id, kind=kinds[0], label=one("label"),
        date=one("startDate", lambda v: datetime.date.fromisoformat(str(v))),
        organiser=one("organizer", str, ""),
        start_time=one("startTime", lambda v: datetime.time.fromisoformat(str(v))),
        end_date=one("endDate", lambda v: datetime.date.fromisoformat(str(v))),
        place=one("location", str, ""), description=one("description", str, ""),
        tables=one("tableCount", lambda v: int(v.toPython())), slots=one("slotCount", lambda v: int(v.toPython())),
        slot_minutes=one("slotMinutes", lambda v: int(v.toPython())),
        presentation_minutes=one("presentationMinutes", lambda v: int(v.toPython())),
        competencies=tuple(sorted(str(v) for v in values.get("relatedCompetency", []))),
        industries=tuple(sorted(str(v) for v in values.get("industry", []))),
        attendances=tuple(sorted((_attendance(a) for a in attendances.values() if a.get("attendee")),
                                 key=lambda a: a.attendee)),
        requests=tuple(Request(str(by), str(with_), str(note or "")) for _, by, with_, note in select(_REQUESTS, bindings)),
        outcomes=tuple(sorted((_outcome(iri_, v) for iri_, v in outcomes.items()), key=lambda o: o.iri)),
    )


def _local(predicate) -> str:
    """The local name of a predicate IRI: ``startDate`` of ``https://schema.org/startDate``."""
    return str(predicate).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _attendance(values: dict[str, list]) -> Attendance:
    def text(name: str) -> str:
        return str(values[name][0]) if values.get(name) else ""

    return Attendance(
        attendee=str(values["attendee"][0]),
        role=_ROLE_WORDS.get(str(values.get("eventRole", [""])[0]), "participant"),
        offers=text("offersText"), looks_for=text("seeksText"),
        offers_competencies=tuple(sorted(str(v) for v in values.get("offersCompetency", []))),
        looks_for_competencies=tuple(sorted(str(v) for v in values.get("seeksCompetency", []))),
        available_slots=tuple(sorted(int(v.toPython()) for v in values.get("availableSlot", []))),
    )


def _outcome(iri: str, values: dict[str, list]) -> Outcome:
    return Outcome(iri, _OUTCOME_WORDS.get(str(values.get("outcomeKind", [""])[0]), ""),
                   str(values.get("label", [""])[0]), str(values.get("description", [""])[0]),
                   tuple(sorted(str(v) for v in values.get("relatedCompetency", []))),
                   tuple(sorted(str(v) for v in values.get("ledTo", []))))


def record_rows(store, rows: Mapping[str, list[dict[str, str]]], *, agent: str, replace: bool = False):
    """Write sheet rows (``{"events": [row, ...], ...}``) through the validated import.

    The rows become CSV sheets in a scratch folder and are imported as one batch: checked
    against the shapes and the store, written all or nothing, recorded in the history with
    ``agent``. Raises :class:`~clusterkg.graph.problems.ValidationFailed` with every problem.
    """
    from clusterkg.graph.importer import import_files

    with tempfile.TemporaryDirectory(prefix="clusterkg-event-") as folder:
        paths = []
        for name, sheet_rows in rows.items():
            if not sheet_rows:
                continue
            sheet = SHEETS[name]
            path = Path(folder) / f"{name}.csv"
            with open(path, "w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=sheet.column_names, lineterminator="\n")
                writer.writeheader()
                writer.writerows({column: row.get(column, "") for column in sheet.column_names} for row in sheet_rows)
            paths.append(path)
        if not paths:
            raise InvalidInput("nothing to record")
        try:
            return import_files(paths, store, replace=replace, agent=agent, progress=False,
                                names=[path.name for path in paths])
        except ValidationFailed as failure:  # name the sheets, not the scratch folder
            shown = {str(path): path.name for path in paths}
            raise ValidationFailed([dataclasses.replace(p, file=shown.get(p.file, p.file)) for p in failure.problems]) from None
