"""Events pages: blitz sessions and round tables end to end, round-table invitations, project groups.

Pages (each with a JSON twin: ``.json`` or ``Accept: application/json``):

- ``/events``: the recorded events (``{"events": [...]}``) and a form to create one;
- ``/events/<id>``: an event, its participants with their profiles, meeting requests, outcomes
  (``{"event", "participants", "requests", "outcomes"}``) and the forms to add to them;
- ``/events/<id>/plan``: a blitz session's timetable (``BlitzPlan.to_json()``), also
  ``/events/<id>/plan.csv``;
- ``/events/<id>/agenda/<kind>/<pid>``: one participant's printable agenda
  (``{"participant", "items"}``), and ``.../<pid>.ics`` its iCalendar file;
- ``/roundtable?theme=A&theme=B&size=N``: ``RoundTablePlan.to_json()``;
- ``/project-group?theme=T&size=N``: ``ProjectGroup.to_json()``.

Writes are ``POST`` to ``/api/events`` (create; ``invite`` fields ``role|cluster/ID`` register
a round table's invitation list in the same batch), ``/api/events/<id>/participants``,
``/api/events/<id>/requests``, ``/api/events/<id>/outcomes`` and ``/api/working-groups`` with
form fields named as the sheet columns (``data/README.md``); each goes through :func:`authorise_write` and the validated,
all-or-nothing, recorded import (:func:`clusterkg.graph.events.record_rows`). The answer is
``{"ok": true, "url": page to show}`` or 400 with every located problem (``problems``).
The pages' forms post with ``static/pages/events.js``, which adds the credentials.
"""

from __future__ import annotations

import io

from flask import Response, jsonify, request, url_for

from clusterkg.graph.analysis.blitz import plan_blitz
from clusterkg.graph.analysis.project_groups import find_project_group
from clusterkg.graph.analysis.roundtable import plan_round_table
from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.reasons import N_, reason
from clusterkg.graph.events import (EventRecord, event_iri, list_events, list_working_groups, participant_key,
                                    read_event, record_rows)
from clusterkg.graph.problems import ValidationFailed
from clusterkg.graph.sheets import EVENT_KINDS, EVENT_ROLES, OUTCOME_KINDS, SHEETS, slugify
from clusterkg.webapp.accounts.rights import current_actor, row_problems
from clusterkg.webapp.auth import require_admin
from clusterkg.webapp.editing.writes import sheet_text
from clusterkg.webapp.errors import ApiError, problems_response
from clusterkg.webapp.extension import state
from clusterkg.webapp.pages import reads
from clusterkg.webapp.pages.common import arg_int, page_blueprint, parameter, projection, ref, respond, twin_route

__all__ = ["bp", "authorise_write"]

bp = page_blueprint("events", __name__)


def authorise_write(organiser: str, rows: dict[str, list[dict]]) -> str:
    """Allow a write from the events pages, or raise (401/403); returns the history's agent.

    A write carries a bearer token, never only the session cookie (so no other site can make a
    logged-in browser send one): the admin token, or a person's API token (from ``/account``).
    An editor writes the events and working groups their clusters organise (``organiser``, a
    cluster id); the needs and developments an outcome adds follow the editing rules, row by row.
    """
    if not request.headers.get("Authorization", "").strip():
        raise ApiError(reason(N_("writing needs 'Authorization: Bearer <the admin token, or your API token from /account>'")),
                       401, {"WWW-Authenticate": 'Bearer realm="clusterkg"'})
    actor = current_actor()
    if actor is None or actor.admin:
        return require_admin() if actor is None else actor.name
    if not organiser or not actor.may_edit(organiser):
        mine = ", ".join(sorted(actor.clusters)) or reason(N_("none"))
        raise ApiError(reason(N_("%(actor)s may write only events and groups organised by their clusters (%(mine)s), not by %(organiser)s"),
                              actor=actor.name, mine=mine, organiser=repr(organiser) if organiser else reason(N_("no cluster"))), 403)
    sheets = {f"{sheet}.csv": sheet_text(sheet, rows[sheet]) for sheet in ("needs", "developments") if sheet in rows}
    problems = row_problems(actor, sheets, state().store) if sheets else []
    if problems:
        raise ApiError("; ".join(f"{p.file}: {p.location}: {p.field}: {p.message}" for p in problems), 403)
    return actor.name


def _organiser(event_id: str) -> str:
    """The id of the cluster that organises a recorded event ("" if none)."""
    return _event(event_id).organiser.rsplit("/", 1)[-1]


def _select(query, bindings):
    return reads.select(query, bindings)


def _event(event_id: str) -> EventRecord:
    return read_event(_select, event_id)


def _choices(p) -> dict:
    def rows(frame):
        return sorted((ref(frame, i) for i in range(len(frame))), key=lambda r: r["label"].lower())
    return {"clusters": rows(p.clusters), "organisations": rows(p.organisations),
            "competencies": rows(p.competencies), "industries": rows(p.industries),
            "kinds": list(EVENT_KINDS), "roles": list(EVENT_ROLES), "outcome_kinds": list(OUTCOME_KINDS),
            "partnerships": sorted(({"iri": r.iri, "id": r.iri.rsplit("/", 1)[-1], "label": r.label}
                                    for r in p.partnerships.itertuples()), key=lambda r: r["label"].lower())}


def _labelled(p, iri: str) -> dict:
    return {"iri": iri, "key": participant_key(iri), "id": iri.rsplit("/", 1)[-1], "label": p.labels.get(iri, iri.rsplit("/", 1)[-1])}


# -- reading pages ---------------------------------------------------------------------------


@twin_route(bp, "/events", "list")
def events_list():
    p = projection()
    events = list_events(_select)
    for event in events:
        event["organiser"] = _labelled(p, event["organiser"])
    groups = list_working_groups(_select)
    for group in groups:
        group["project"] = _labelled(p, group["project"]) if group["project"] else None
    return respond("pages/events.html", {"events": events, "working_groups": groups}, choices=_choices(p))


@twin_route(bp, "/events/<event_id>", "event")
def event_page(event_id: str):
    p = projection()
    event = _event(event_id)
    data = {"event": {**event.to_json(), "organiser": _labelled(p, event.organiser),
                      "competencies": [_labelled(p, k) for k in event.competencies],
                      "industries": [_labelled(p, i) for i in event.industries]},
            "participants": [{**_labelled(p, a.attendee), "role": a.role, "offers": a.offers, "looks_for": a.looks_for,
                              "offers_competencies": [_labelled(p, k) for k in a.offers_competencies],
                              "looks_for_competencies": [_labelled(p, k) for k in a.looks_for_competencies],
                              "available_slots": list(a.available_slots)} for a in event.attendances],
            "requests": [{"by": _labelled(p, r.by), "with": _labelled(p, r.with_), "note": r.note} for r in event.requests],
            "outcomes": [{"iri": o.iri, "kind": o.kind, "label": o.label, "description": o.description,
                          "competencies": [_labelled(p, k) for k in o.competencies],
                          "partnerships": [_labelled(p, x) for x in o.partnerships]} for o in event.outcomes]}
    return respond("pages/event.html", data, choices=_choices(p))


def _plan(event_id: str):
    return plan_blitz(projection(), _event(event_id))


@twin_route(bp, "/events/<event_id>/plan", "plan")
def plan_page(event_id: str):
    data = _plan(event_id).to_json()
    return respond("pages/event_plan.html", data, labels={p["key"]: p["label"] for p in data["participants"]})


@bp.route("/events/<event_id>/plan.csv")
def plan_csv(event_id: str):
    text = io.StringIO()
    _plan(event_id).to_frame().to_csv(text, index=False)
    return Response(text.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{event_id}-schedule.csv"'})


@twin_route(bp, "/events/<event_id>/agenda/<kind>/<pid>", "agenda")
def agenda_page(event_id: str, kind: str, pid: str):
    plan = _plan(event_id)
    key = f"{kind}/{pid}"
    data = {"event": plan.event, "participant": plan.participant(key), "items": plan.agenda(key)}
    return respond("pages/agenda.html", data, ics_url=url_for("events.agenda_ics", event_id=event_id, kind=kind, pid=pid),
                   labels={p["key"]: p["label"] for p in plan.participants})


@bp.route("/events/<event_id>/agenda/<kind>/<pid>.ics")
def agenda_ics(event_id: str, kind: str, pid: str):
    body = _plan(event_id).ics(f"{kind}/{pid}")
    return Response(body, content_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{event_id}-{kind}-{pid}.ics"'})


@twin_route(bp, "/roundtable", "roundtable")
def roundtable_page():
    p = projection()
    themes = [v.strip() for v in request.args.getlist("theme") if v.strip()]
    size = arg_int("size", 12, 2, 100)
    asked = {"themes": themes, "size": size}
    if len(themes) < 2 and not request.path.endswith(".json") and "theme" not in request.args:
        return respond("pages/roundtable.html", {}, asked=asked, choices=_choices(p))
    with parameter("theme"):
        data = plan_round_table(p, themes, size=size).to_json()
    for invitee in data["invitees"]:
        invitee["key"] = participant_key(invitee["iri"])
    return respond("pages/roundtable.html", data, asked=asked, choices=_choices(p))


@twin_route(bp, "/project-group", "project_group")
def project_group_page():
    p = projection()
    theme = request.args.get("theme", "").strip()
    size = arg_int("size", 8, 2, 100)
    asked = {"theme": theme, "size": size}
    if not theme:
        if request.path.endswith(".json"):
            raise InvalidInput(reason(N_("give a theme (parameter 'theme'): a competency or an industry")))
        return respond("pages/project_group.html", {}, asked=asked, choices=_choices(p))
    with parameter("theme"):
        data = find_project_group(p, theme, size=size, select=_select).to_json()
    return respond("pages/project_group.html", data, asked=asked, choices=_choices(p))


# -- writes ----------------------------------------------------------------------------------


def _form(sheet: str, **fixed: str) -> dict[str, str]:
    """The posted fields named as the sheet's columns (repeated fields joined), plus ``fixed``."""
    row = {}
    for column in SHEETS[sheet].column_names:
        values = [v.strip() for v in request.form.getlist(column) if v.strip()]
        if values:
            row[column] = "; ".join(values)
    row.update(fixed)
    return row


def _participant_fields(row: dict[str, str], field: str, cluster: str, organisation: str) -> None:
    """``cluster/x`` or ``org/y`` from a participant picker into the sheet's two columns."""
    value = request.form.get(field, "").strip()
    if not value:
        return
    kind, _, identifier = value.partition("/")
    if kind not in ("cluster", "org") or not identifier:
        raise InvalidInput(reason(N_("field %(field)s: expected cluster/ID or org/ID, got %(value)s"), field=repr(field), value=repr(value)))
    row[cluster if kind == "cluster" else organisation] = identifier


def _record(rows: dict[str, list[dict]], url: str, organiser: str):
    agent = authorise_write(organiser, rows)
    try:
        state().write(lambda store: record_rows(store, rows, agent=agent))
    except ValidationFailed as failure:
        return problems_response(failure.problems)
    return jsonify({"ok": True, "url": url})


@bp.route("/api/events", methods=["POST"])
def create_event():
    row = _form("events")
    if not row.get("id") and row.get("name"):
        row["id"] = slugify(row["name"])[:60].strip("-")
    event_iri(row.get("id", ""))  # a bad id is refused before anything else
    invited = []
    for value in request.form.getlist("invite"):  # "role|cluster/ID" or "role|org/ID": the invitation list
        role, _, who = value.partition("|")
        kind, _, identifier = who.partition("/")
        if kind not in ("cluster", "org") or not identifier:
            raise InvalidInput(reason(N_("field 'invite': expected role|cluster/ID or role|org/ID, got %(value)s"), value=repr(value)))
        invited.append({"event": row["id"], "role": role, ("cluster" if kind == "cluster" else "organisation"): identifier})
    return _record({"events": [row], "event_participants": invited}, url_for("events.event", event_id=row["id"]),
                   row.get("organiser", ""))


@bp.route("/api/working-groups", methods=["POST"])
def create_working_group():
    row = _form("working_groups")
    if not row.get("id") and row.get("name"):
        row["id"] = slugify(row["name"])[:60].strip("-")
    return _record({"working_groups": [row]}, url_for("events.list"), row.get("organiser", ""))


@bp.route("/api/events/<event_id>/participants", methods=["POST"])
def register(event_id: str):
    event_iri(event_id)
    row = _form("event_participants", event=event_id)
    _participant_fields(row, "participant", "cluster", "organisation")
    return _record({"event_participants": [row]}, url_for("events.event", event_id=event_id), _organiser(event_id))


@bp.route("/api/events/<event_id>/requests", methods=["POST"])
def request_meeting(event_id: str):
    event_iri(event_id)
    row = _form("meeting_requests", event=event_id)
    _participant_fields(row, "by", "by_cluster", "by_organisation")
    _participant_fields(row, "with", "with_cluster", "with_organisation")
    return _record({"meeting_requests": [row]}, url_for("events.event", event_id=event_id), _organiser(event_id))


@bp.route("/api/events/<event_id>/outcomes", methods=["POST"])
def record_outcome(event_id: str):
    """An outcome; an opportunity can also become a participant's declared need or an organisation's
    development (for the market check), with the event as its source."""
    iri = str(event_iri(event_id))
    row = _form("event_outcomes", event=event_id)
    if not row.get("id") and row.get("label"):
        row["id"] = f"{event_id}-{slugify(row['label'])}"[:90].strip("-")
    rows: dict[str, list[dict]] = {"event_outcomes": [row]}
    need: dict[str, str] = {}
    _participant_fields(need, "need_of", "cluster", "organisation")
    developer: dict[str, str] = {}
    _participant_fields(developer, "development_of", "cluster", "organisation")
    if (need or developer) and row.get("kind") != "opportunity":
        raise InvalidInput(reason(N_("only an opportunity becomes a declared need or a development")))
    competencies = [c.strip() for c in row.get("competencies", "").split(";") if c.strip()]
    if need:
        rows["needs"] = [{**need, "competency": k, "description": row.get("label", ""), "source_url": iri}
                         for k in competencies]
    if developer:
        if "organisation" not in developer:
            raise InvalidInput(reason(N_("field 'development_of': a development is made by an organisation, not a cluster")))
        rows["developments"] = [{"id": row.get("id", ""), "organisation": developer["organisation"],
                                 "label": row.get("label", ""), "description": row.get("description", ""),
                                 "competencies": row.get("competencies", ""), "source_url": iri}]
    return _record(rows, url_for("events.event", event_id=event_id), _organiser(event_id))
