"""The events pages and their JSON API on a planted world: writes need the credentials, go
through the validated import (all or nothing) and show up in the plan, agendas and calendars."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import icalendar
import pytest

from clusterkg.graph.importer import import_files
from clusterkg.graph.store import OxigraphStore
from clusterkg.webapp import create_app

WORLD = sorted((Path(__file__).parents[2] / "data" / "events" / "world").glob("*.csv"))
TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    path = tmp_path_factory.mktemp("events-pages") / "store"
    with OxigraphStore(path) as store:
        import_files(WORLD, store, progress=False)
    application = create_app({"STORE": str(path), "ADMIN_TOKEN": TOKEN, "QUERY_WORKERS": 1, "TESTING": True})
    yield application
    application.extensions["clusterkg"].close()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def triples(app) -> int:
    return app.extensions["clusterkg"].store.triple_count()


def test_writes_need_the_credentials(app, client):
    before = triples(app)
    answer = client.post("/api/events", data={"kind": "blitz_session", "name": "X", "date": "2026-05-01", "organiser": "photon-valley"})
    assert answer.status_code == 401 and answer.get_json()["ok"] is False
    wrong = client.post("/api/events", data={"name": "X"}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert triples(app) == before


def test_an_editor_writes_the_events_of_their_own_clusters_with_their_api_token(app, client):
    """A cluster manager is not the admin: their personal API token writes the events their
    cluster organises, and nothing else; a token is needed (the session cookie alone is not)."""
    accounts = app.extensions["clusterkg_accounts"]
    account = accounts.accept(accounts.invite("manager@photon.example", clusters=["photon-valley"]), "long enough password")
    editor = {"Authorization": f"Bearer {accounts.new_api_token(account.id)}", "Accept": "application/json"}
    event = {"kind": "round_table", "name": "Editors table", "date": "2026-06-01"}
    before = triples(app)
    refused = client.post("/api/events", headers=editor, data={**event, "organiser": "chip-coast"})
    assert refused.status_code == 403 and "photon-valley" in refused.get_json()["error"]
    assert triples(app) == before
    created = client.post("/api/events", headers=editor, data={**event, "organiser": "photon-valley"})
    assert created.status_code == 200, created.get_json()
    joined = client.post("/api/events/editors-table/participants", headers=editor,
                         data={"participant": "org/lumen", "role": "participant"})
    assert joined.status_code == 200, joined.get_json()
    history = app.extensions["clusterkg"].store.select(
        "SELECT ?agent WHERE { GRAPH <https://w3id.org/clusterkg/graph/history> { ?a "
        "<http://www.w3.org/ns/prov#wasAssociatedWith> [ <http://www.w3.org/2000/01/rdf-schema#label> ?agent ] } }")
    assert "manager" in {str(row[0]) for row in history.rows}


def test_blitz_end_to_end_through_the_api(app, client):
    created = client.post("/api/events", headers=AUTH, data={
        "kind": "blitz_session", "name": "Light and silicon", "date": "2026-05-04", "start_time": "10:00",
        "place": "Lyon", "organiser": "photon-valley", "slots": "2", "tables": "2", "presentation_minutes": "0"})
    assert created.status_code == 200, created.get_json()
    assert created.get_json() == {"ok": True, "url": "/events/light-and-silicon"}
    for participant, extra in (("org/lumen", {}), ("org/silico", {"available_slots": "2"}),
                               ("org/biolab", {"looks_for_competencies": "sensors"})):
        answer = client.post("/api/events/light-and-silicon/participants", headers=AUTH,
                             data={"participant": participant, "role": "participant", **extra})
        assert answer.status_code == 200, answer.get_json()
    asked = client.post("/api/events/light-and-silicon/requests", headers=AUTH,
                        data={"by": "org/lumen", "with": "org/silico", "note": "lidar"})
    assert asked.status_code == 200, asked.get_json()
    event = client.get("/events/light-and-silicon.json").get_json()
    assert [p["key"] for p in event["participants"]] == ["org/biolab", "org/lumen", "org/silico"]
    assert event["requests"] == [{"by": {"iri": "https://w3id.org/clusterkg/id/org/lumen", "key": "org/lumen", "id": "lumen", "label": "Lumen"},
                                  "with": {"iri": "https://w3id.org/clusterkg/id/org/silico", "key": "org/silico", "id": "silico", "label": "Silico"},
                                  "note": "lidar"}]
    plan = client.get("/events/light-and-silicon/plan.json").get_json()
    # Silico is free in slot 2 only: the request takes it there
    assert {(m["slot"], m["a"], m["b"], m["requested"]) for m in plan["meetings"] if m["requested"]} == {(2, "org/lumen", "org/silico", "a")}
    assert plan["slots"][0]["start"] == "2026-05-04T10:00" and plan["presentations"] == []
    agenda = client.get("/events/light-and-silicon/agenda/org/silico.json").get_json()
    assert [item["what"] for item in agenda["items"]] == ["Meeting with Lumen"]
    ics = client.get("/events/light-and-silicon/agenda/org/silico.ics")
    assert ics.content_type.startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(ics.data)
    assert [str(e["location"]) for e in calendar.walk("VEVENT")] == ["Lyon, table 1"]
    rows = list(csv.DictReader(io.StringIO(client.get("/events/light-and-silicon/plan.csv").get_data(as_text=True))))
    assert {(r["a"], r["b"]) for r in rows if r["requested"]} == {("Lumen", "Silico")}
    html = client.get("/events/light-and-silicon/agenda/org/silico").get_data(as_text=True)
    assert "Meeting with Lumen" in html and "requested by Lumen" in html


def test_bad_rows_are_located_and_write_nothing(app, client):
    client.post("/api/events", headers=AUTH, data={"kind": "round_table", "name": "Optics table", "date": "2026-06-01",
                                                  "organiser": "chip-coast"})
    before = triples(app)
    answer = client.post("/api/events/optics-table/participants", headers=AUTH,
                         data={"participant": "org/lumen", "role": "boss", "available_slots": "0"})
    assert answer.status_code == 400
    problems = {(p["location"], p["field"]) for p in answer.get_json()["problems"]}
    assert ("row 2", "role") in problems and ("row 2", "available_slots") in problems
    unknown = client.post("/api/events/optics-table/participants", headers=AUTH, data={"participant": "org/ghost", "role": "stakeholder"})
    assert unknown.status_code == 400 and "ghost" in str(unknown.get_json()["problems"])
    # the answer of every refused write: a code for programs, the summary and each problem said in Russian
    russian = client.post("/api/events/optics-table/participants", headers={**AUTH, "Accept-Language": "ru"},
                          data={"participant": "org/lumen", "role": "boss"}).get_json()
    assert (russian["code"], russian["message"]) == ("invalid_input", f"найдено проблем: {len(russian['problems'])}; ничего не записано"), russian
    assert russian["problems"][0]["error"] != russian["problems"][0]["message"], russian
    assert triples(app) == before
    assert client.get("/events/optics-table/plan.json").status_code == 400  # a round table has no timetable
    assert client.get("/events/no-such-event.json").status_code == 404


def test_an_opportunity_becomes_a_declared_need_with_the_event_as_source(app, client):
    client.post("/api/events", headers=AUTH, data={"kind": "round_table", "name": "Assays", "date": "2026-06-02",
                                                  "organiser": "chip-coast"})
    answer = client.post("/api/events/assays/outcomes", headers=AUTH, data={
        "kind": "opportunity", "label": "Optical assays", "competencies": ["optics", "lasers"], "need_of": "org/biolab"})
    assert answer.status_code == 200, answer.get_json()
    event = client.get("/events/assays.json").get_json()
    assert [(o["kind"], o["label"], sorted(k["id"] for k in o["competencies"])) for o in event["outcomes"]] == [
        ("opportunity", "Optical assays", ["lasers", "optics"])]
    store = app.extensions["clusterkg"].store
    rows = store.select("""PREFIX ckg: <https://w3id.org/clusterkg/ns#> PREFIX dct: <http://purl.org/dc/terms/>
        SELECT ?k ?source WHERE { <https://w3id.org/clusterkg/id/org/biolab> ckg:qualifiedNeed ?n .
        ?n ckg:competency ?k ; dct:source ?source }""")
    assert sorted((str(k).rsplit("/", 1)[-1], str(s)) for k, s in rows) == [
        ("lasers", "https://w3id.org/clusterkg/id/event/assays"), ("optics", "https://w3id.org/clusterkg/id/event/assays")]
    challenge = client.post("/api/events/assays/outcomes", headers=AUTH, data={
        "kind": "challenge", "label": "Cost", "competencies": "optics", "need_of": "org/biolab"})
    assert challenge.status_code == 400 and "only an opportunity" in challenge.get_json()["error"]
    developed = client.post("/api/events/assays/outcomes", headers=AUTH, data={
        "kind": "opportunity", "label": "Laser assay reader", "competencies": "lasers", "development_of": "org/lumen"})
    assert developed.status_code == 200, developed.get_json()
    rows = store.select("""PREFIX ckg: <https://w3id.org/clusterkg/ns#> PREFIX dct: <http://purl.org/dc/terms/>
        SELECT ?by ?source WHERE { <https://w3id.org/clusterkg/id/development/assays-laser-assay-reader>
        a ckg:Development ; ckg:developedBy ?by ; dct:source ?source }""")
    assert [(str(by), str(source)) for by, source in rows] == [
        ("https://w3id.org/clusterkg/id/org/lumen", "https://w3id.org/clusterkg/id/event/assays")]


def test_roundtable_and_project_group_pages(client):
    table = client.get("/roundtable.json?theme=optics&theme=chips&size=4").get_json()
    assert [i["id"] for i in table["invitees"]] == ["photon-valley", "chip-coast"]
    assert client.get("/roundtable.json?theme=optics").status_code == 400
    group = client.get("/project-group.json?theme=optics").get_json()
    assert [m["id"] for m in group["members"]] == ["lumen"]
    page = client.get("/roundtable?theme=optics&theme=chips").get_data(as_text=True)
    assert "seated for Optics" in page
    assert client.get("/project-group?theme=nothing-like-it").status_code == 400


def test_pages_render_with_their_forms(client):
    listing = client.get("/events").get_data(as_text=True)
    assert 'id="create-event"' in listing and "Light and silicon" in listing
    page = client.get("/events/light-and-silicon").get_data(as_text=True)
    assert 'id="register"' in page and 'id="request"' in page and 'id="plan-link"' in page
    plan = client.get("/events/light-and-silicon/plan").get_data(as_text=True)
    assert "/events/light-and-silicon/agenda/org/lumen" in plan and "requested" in plan
    assert 'id="theme"' in client.get("/project-group").get_data(as_text=True)
    assert 'id="themes"' in client.get("/roundtable").get_data(as_text=True)


def test_a_round_table_is_recorded_with_its_invitation_list(app, client):
    page = client.get("/roundtable?theme=optics&theme=chips&size=4").get_data(as_text=True)
    assert 'value="participant|cluster/photon-valley"' in page and 'id="record-round-table"' in page
    answer = client.post("/api/events", headers=AUTH, data={
        "kind": "round_table", "name": "Optics x chips", "date": "2026-07-01", "organiser": "photon-valley", "tables": "4",
        "competencies": ["optics", "chips"],
        "invite": ["participant|cluster/photon-valley", "participant|cluster/chip-coast"]})
    assert answer.status_code == 200, answer.get_json()
    event = client.get("/events/optics-x-chips.json").get_json()
    assert [(p["key"], p["role"]) for p in event["participants"]] == [("cluster/chip-coast", "participant"),
                                                                     ("cluster/photon-valley", "participant")]
    before = triples(app)
    bad = client.post("/api/events", headers=AUTH, data={"kind": "round_table", "name": "Bad invite", "date": "2026-07-02",
                                                         "organiser": "photon-valley", "invite": ["host|cluster/chip-coast"]})
    assert bad.status_code == 400 and any(p["field"] == "role" for p in bad.get_json()["problems"])
    assert triples(app) == before  # the event row was fine, but the batch is all or nothing


def test_a_project_working_group_is_recorded(client):
    page = client.get("/project-group?theme=optics").get_data(as_text=True)
    assert 'id="record-group"' in page and 'name="members" value="lumen"' in page
    answer = client.post("/api/working-groups", headers=AUTH, data={
        "name": "Optics group", "competencies": "optics", "members": ["lumen", "silico"], "paid_membership": "true"})
    assert answer.status_code == 200, answer.get_json()
    groups = client.get("/events.json").get_json()["working_groups"]
    assert [(g["id"], g["members"], g["paid"]) for g in groups] == [("optics-group", 2, True)]
    lonely = client.post("/api/working-groups", headers=AUTH, data={"name": "Solo", "competencies": "optics", "members": "lumen"})
    assert lonely.status_code == 400
    assert "at least two members" in str(lonely.get_json()["problems"])


def test_an_event_iri_leads_a_browser_to_the_event_page(client):
    answer = client.get("/id/event/light-and-silicon", headers={"Accept": "text/html"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/events/light-and-silicon")
