"""Replacement uploads, removing one row and needs with an until-when, over HTTP on a real server.

What a replacement of each sheet kind does to the graph is pinned in
``tests/graph/test_sheets_replace.py``; here: the upload page and the API do the same, with the
rights (one cluster's editor cannot remove another cluster's links), the history and revert.
"""

from __future__ import annotations

import datetime
import json

from tests.webapp.editing.conftest import Client, multipart

ID = "https://w3id.org/clusterkg/id/"
CKG = "https://w3id.org/clusterkg/ns#"
SOURCE = "https://example.org/source"
NEEDS = ("cluster,organisation,competency,description,valid_until,source_url,source_quote\n"
         f"silicon-saxony,,chip-design,design partners,2099-12-31,{SOURCE},we need chip design\n"
         f"silicon-saxony,,cleanroom-technology,cleanrooms,,{SOURCE},we need cleanrooms\n")


def _needs(server, cluster: str = "silicon-saxony") -> set[str]:
    _, rows = server.store.select_values(f"SELECT ?c WHERE {{ <{ID}cluster/{cluster}> <{CKG}needsCompetency> ?c }}")
    return {r[0].rsplit("/", 1)[-1] for r in rows}


def _members(server, cluster: str) -> set[str]:
    _, rows = server.store.select_values(f"SELECT ?o WHERE {{ ?o <{CKG}affiliatedWith> <{ID}cluster/{cluster}> }}")
    return {r[0].rsplit("/", 1)[-1] for r in rows}


def _demand_gaps(server, cluster: str = "silicon-saxony") -> set[str]:
    gaps = Client(server.base).get(f"/clusters/{cluster}.json").json()["gaps"]["gaps"]
    return {g["competency"]["id"] for g in gaps.get("demand", [])}


def _upload(editor: Client, page, name: str, text: str, mode: str):
    body, kind = multipart({"csrf_token": page.csrf(), "step": "preview", "mode": mode}, [("files", name, text.encode())])
    preview = editor.post("/clusters/silicon-saxony/upload", body, headers={"Content-Type": kind})
    commit = editor.post("/clusters/silicon-saxony/upload", {"csrf_token": page.csrf(), "step": "commit", "mode": mode,
                                                             f"file.{name}": text})
    return preview, commit


def test_a_replacement_upload_makes_the_cluster_s_needs_the_rows_and_keeps_the_rest(editing_server):
    server = editing_server()
    editor = server.editor("anna@example.org", clusters=["silicon-saxony"], name="Anna Editor")
    page = editor.get("/clusters/silicon-saxony/edit")
    assert _upload(editor, page, "needs.csv", NEEDS, "add")[1].status == 302
    assert _needs(server) == {"chip-design", "cleanroom-technology"}
    before = server.data()
    members = _members(server, "silicon-saxony")
    replacement = ("cluster,organisation,competency,description,valid_until,source_url,source_quote\n"
                   f"silicon-saxony,,specialty-chemicals,chemicals,2099-06-30,{SOURCE},we need chemicals\n")
    preview, commit = _upload(editor, page, "needs.csv", replacement, "replace")
    assert preview.status == 200 and "Valid." in preview.text and "(replace)" in preview.text
    # what it would do: the new need's 8 triples (its 6, its link, its shortcut), the earlier two needs' 15
    assert "8 would be added, 15 removed (replace)" in " ".join(preview.text.split())
    assert commit.status == 302
    assert _needs(server) == {"specialty-chemicals"}  # the earlier rows are gone
    assert _members(server, "silicon-saxony") == members  # the rest of the cluster is intact
    assert server.store.ask(f'ASK {{ <{ID}cluster/silicon-saxony> <http://www.w3.org/2000/01/rdf-schema#label> '
                            f'"Silicon Saxony" ; <{CKG}industry> ?i }}')
    assert _demand_gaps(server) >= {"specialty-chemicals"} and "chip-design" not in _demand_gaps(server)
    history = editor.get("/api/clusters/silicon-saxony/history", headers={
        "Authorization": f"Bearer {server.api_token(editor)}"}).json()["changes"]
    latest = history[0]
    assert latest["operation"] == "replace" and latest["agent"] == "Anna Editor"
    assert latest["added"] > 0 and latest["removed"] > 0 and latest["revertible"]
    page = editor.get("/clusters/silicon-saxony/history")
    assert editor.post("/clusters/silicon-saxony/history/revert",
                       {"csrf_token": page.csrf(), "activity": latest["activity"]}).status == 302
    assert server.data() == before


def test_a_replacement_by_one_cluster_s_editor_cannot_remove_another_cluster_s_links(editing_server):
    server = editing_server()
    editor = server.editor("anna@example.org", clusters=["silicon-saxony"])
    api = Client(server.base)
    headers = {"Authorization": f"Bearer {server.api_token(editor)}"}
    cool = _members(server, "cool-silicon")
    assert {"globalfoundries", "infineon-technologies-dresden"} <= cool
    before = server.data()
    # another cluster's affiliations, or an organisation that is not a member: 403, nothing written
    for name, text in [
        ("affiliations.csv", "cluster,organisation,relation,source_url,source_quote\n"
                             f"cool-silicon,globalfoundries,member,{SOURCE},q\n"),
        ("organisation_competencies.csv", "organisation,competency,source_url,source_quote\n"
                                          f"novo-nordisk,chip-design,{SOURCE},q\n"),
    ]:
        body, kind = multipart({"replace": "true"}, [("files", name, text.encode())])
        refused = api.post("/api/clusters/silicon-saxony/upload", body, headers={**headers, "Content-Type": kind})
        assert refused.status == 403, refused.text
    assert server.data() == before
    # its own affiliations, replaced: globalfoundries and infineon stay members of Cool Silicon
    text = ("cluster,organisation,relation,role,start,end,source_url,source_quote\n"
            f"silicon-saxony,globalfoundries,member,,2009,,{SOURCE},member since 2009\n")
    body, kind = multipart({"replace": "true"}, [("files", "affiliations.csv", text.encode())])
    saved = api.post("/api/clusters/silicon-saxony/upload", body, headers={**headers, "Content-Type": kind})
    assert saved.status == 200, saved.text
    assert saved.json()["removed"] > 0
    assert _members(server, "silicon-saxony") == {"globalfoundries"}
    assert _members(server, "cool-silicon") == cool
    assert server.store.ask(f"ASK {{ <{ID}org/infineon-technologies-dresden> <http://www.w3.org/ns/org#memberOf> "
                            f"<{ID}cluster/cool-silicon> ; <{CKG}qualifiedCompetency> ?claim }}")


def test_a_row_is_removed_on_the_page_and_by_the_api_and_the_removal_reverts(editing_server):
    server = editing_server()
    editor = server.editor("anna@example.org", clusters=["silicon-saxony"])
    page = editor.get("/clusters/silicon-saxony/edit")
    assert _upload(editor, page, "needs.csv", NEEDS, "add")[1].status == 302
    page = editor.get("/clusters/silicon-saxony/edit")
    need = f"{ID}need/cluster-silicon-saxony--chip-design"
    assert f'name="row" value="{need}"' in page.text and "2099-12-31" in page.text
    affiliation = f"{ID}affiliation/silicon-saxony--globalfoundries--member"
    assert f'name="row" value="{affiliation}"' in page.text
    before = server.data()
    # without its CSRF token, or by another cluster's editor: refused, nothing changes
    assert editor.post("/clusters/silicon-saxony/remove", {"row": need}).status == 400
    other = server.editor("bo@example.org", clusters=["medicon-valley"])
    csrf = other.get("/clusters/medicon-valley/edit").csrf()
    assert other.post("/clusters/silicon-saxony/remove", {"csrf_token": csrf, "row": need}).status == 403
    refused = other.post("/clusters/medicon-valley/remove", {"csrf_token": csrf, "row": need})
    assert refused.status == 403 and "may not change this row" in refused.text
    assert server.data() == before
    # the editor removes the need: the shortcut goes with it, one recorded change
    removed = editor.post("/clusters/silicon-saxony/remove", {"csrf_token": page.csrf(), "row": need})
    assert removed.status == 302
    assert _needs(server) == {"cleanroom-technology"}
    assert not server.store.ask(f"ASK {{ {{ <{need}> ?p ?o }} UNION {{ ?s ?p <{need}> }} }}")
    headers = {"Authorization": f"Bearer {server.api_token(editor)}", "Content-Type": "application/json"}
    api = Client(server.base)
    latest = api.get("/api/clusters/silicon-saxony/history", headers=headers).json()["changes"][0]
    # its 6 triples (type, competency, why, until when, source, quote), its link and its shortcut
    assert latest["operation"] == "remove" and latest["removed"] == 8 and latest["added"] == 0
    # a member: its affiliation and the shortcuts no other row stands behind go; Cool Silicon's stay
    dry = api.post("/api/clusters/silicon-saxony/remove", json.dumps({"rows": [affiliation], "dry_run": True}).encode(),
                   headers=headers)
    assert dry.status == 200 and dry.json()["dry_run"] and dry.json()["removed"] > 0
    assert "globalfoundries" in _members(server, "silicon-saxony")
    gone = api.post("/api/clusters/silicon-saxony/remove", json.dumps({"rows": [affiliation]}).encode(), headers=headers)
    assert gone.status == 200, gone.text
    assert "globalfoundries" not in _members(server, "silicon-saxony")
    assert "globalfoundries" in _members(server, "cool-silicon")
    assert api.post("/api/clusters/silicon-saxony/remove", json.dumps({"rows": [f"{ID}cluster/cool-silicon"]}).encode(),
                    headers=headers).status == 400  # not a row
    # both removals revert, newest first: the data as before
    for change in api.get("/api/clusters/silicon-saxony/history", headers=headers).json()["changes"][:2]:
        reply = api.post("/api/clusters/silicon-saxony/revert", json.dumps({"activity": change["activity"]}).encode(),
                         headers=headers)
        assert reply.status == 200, reply.text
    assert server.data() == before


def test_a_need_past_its_until_when_day_is_not_a_current_gap(editing_server):
    server = editing_server()
    editor = server.editor("anna@example.org", clusters=["silicon-saxony"])
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    csrf = editor.get("/clusters/silicon-saxony/edit").csrf()
    need = {"csrf_token": csrf, "needs.competency": "chip-design", "needs.description": "design partners",
            "needs.source_url": SOURCE, "needs.source_quote": "we need chip design"}
    refused = editor.post("/clusters/silicon-saxony/edit/need", {**need, "needs.valid_until": "31.12.2027"})
    assert refused.status == 400 and "valid_until" in refused.text and "YYYY-MM-DD" in refused.text
    assert editor.post("/clusters/silicon-saxony/edit/need", {**need, "needs.valid_until": yesterday}).status == 302
    assert "chip-design" in _needs(server)  # declared, and kept ...
    assert "chip-design" not in _demand_gaps(server)  # ... but no longer a current gap
    today = datetime.date.today().isoformat()
    assert editor.post("/clusters/silicon-saxony/edit/need", {**need, "needs.competency": "cleanroom-technology",
                                                               "needs.valid_until": today}).status == 302
    assert "cleanroom-technology" in _demand_gaps(server)  # the last day still counts
