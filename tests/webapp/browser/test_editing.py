"""A cluster manager keeps their cluster current, in real Chromium against a real server.

Screenshots of each step go to the test's temporary directory (``editing-*.png``).
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests.webapp.editing.conftest import PASSWORD

PAYLOAD = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">"


@pytest.fixture
def editing_site(serve, default_store_template, tmp_path, _started_servers):
    """A server of its own (the flow writes), and the app behind it."""
    copy = shutil.copytree(default_store_template, tmp_path / "store")
    base = serve(copy)
    app = next(app for *_, app, url in _started_servers if url == base)
    return base, app


def _data(app) -> bytes:
    return b"\n".join(sorted(app.extensions["clusterkg"].store.dump().splitlines()))


def _lenses_of(page, base: str, competency_label: str) -> str:
    page.goto(base + "/partner-search?cluster=silicon-saxony")
    row = page.locator("tr", has=page.get_by_text(competency_label, exact=True))
    return " ".join(row.all_inner_texts())


def _submit(page, button) -> None:
    """Click a button that posts its form, and return once the answer has loaded.

    ``wait_for_url`` returns at once when the page is already at the answer's address (a form
    posted twice, a revert on the history page), and locators such as ``all_inner_texts`` do not
    wait, so without this a test can read the page before the post was answered.
    """
    with page.expect_navigation():
        button.click()


def _revert_newest(page, base: str, count: int) -> None:
    """On the history page: revert Anna's ``count`` newest changes, one by one, newest first."""
    for _ in range(count):
        revert = (page.locator("#history tbody tr").filter(has=page.get_by_role("button", name="Revert")).filter(
            has_text="Anna Editor").filter(has_not_text="undoes").first.get_by_role("button", name="Revert"))
        _submit(page, revert)
        page.wait_for_url(base + "/clusters/silicon-saxony/history")
        assert "Reverted:" in page.locator(".notice").inner_text()


def test_an_editor_adds_a_member_declares_a_need_sees_partners_and_reverts(page, editing_site, tmp_path):
    base, app = editing_site
    before = _data(app)
    token = app.extensions["clusterkg_accounts"].invite("anna@example.org", clusters=["silicon-saxony"],
                                                       name="Anna Editor")
    assert "demand" not in _lenses_of(page, base, "Chip design & EDA")

    # the invitation: set a password, logged in
    page.goto(f"{base}/account/invitation/{token}")
    page.screenshot(path=tmp_path / "editing-1-invitation.png", full_page=True)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=repeat]", PASSWORD)
    page.get_by_role("button", name="Set password and log in").click()
    page.wait_for_url(base + "/account")
    assert page.get_by_role("link", name="Anna Editor").count() == 1  # the header shows who is logged in
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(base + "/")
    page.get_by_role("link", name="Log in").click()
    page.fill("input[name=email]", "anna@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/account")

    # the cluster's page offers the editing page to its editor
    page.goto(base + "/clusters/silicon-saxony")
    page.get_by_role("link", name="Edit this cluster").click()
    page.wait_for_url(base + "/clusters/silicon-saxony/edit")

    # add a member, new to the graph, with its source
    form = page.locator("#form-member")
    form.locator("[name='affiliations.organisation']").fill("dresden-chip-lab")
    form.locator("[name='organisations.name']").fill("Dresden Chip Lab " + PAYLOAD)
    form.locator("[name='organisations.type']").select_option("sme")
    form.locator("[name='organisations.country']").fill("DE")
    form.locator("[name='affiliations.relation']").select_option("member")
    form.locator("[name='affiliations.start']").fill("2024")
    form.locator("[name='affiliations.source_url']").fill("https://example.org/dresden-chip-lab")
    form.locator("[name='affiliations.source_quote']").fill("Dresden Chip Lab joined Silicon Saxony in 2024")
    form.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/edit#member$"))
    assert "Saved:" in page.locator(".notice").inner_text()
    assert page.locator("#members").get_by_text("Dresden Chip Lab " + PAYLOAD).count() == 1  # shown as text
    page.screenshot(path=tmp_path / "editing-2-member-saved.png")

    # declare a need: the demand side
    form = page.locator("#form-need")
    form.locator("[name='needs.competency']").fill("chip-design")
    form.locator("[name='needs.description']").fill("our members need chip design partners")
    form.locator("[name='needs.valid_until']").fill("2099-12-31")  # a date picker: until when
    form.locator("[name='needs.source_url']").fill("https://example.org/silicon-saxony-strategy")
    form.locator("[name='needs.source_quote']").fill("chip design is the gap we must close")
    form.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/edit#need$"))

    # the demand lens and partners for it
    assert "demand" in _lenses_of(page, base, "Chip design & EDA")
    page.goto(base + "/partner-search?cluster=silicon-saxony&gap=chip-design")
    partners = page.locator("#partners tbody tr, table tbody tr").all_inner_texts()
    assert any("Chip design" in row for row in partners)
    page.screenshot(path=tmp_path / "editing-3-partners-for-the-need.png", full_page=True)
    assert page.evaluate("window.__xss") is None

    # the history lists both changes with the editor's name; revert them, newest first
    page.goto(base + "/clusters/silicon-saxony/history")
    rows = page.locator("#history tbody tr")
    assert "Anna Editor" in rows.nth(0).inner_text() and "Anna Editor" in rows.nth(1).inner_text()
    page.screenshot(path=tmp_path / "editing-4-history.png", full_page=True)
    _revert_newest(page, base, 2)
    page.screenshot(path=tmp_path / "editing-5-reverted.png", full_page=True)
    assert _data(app) == before  # the graph as before
    assert "demand" not in _lenses_of(page, base, "Chip design & EDA")
    page.goto(base + "/clusters/silicon-saxony/edit")
    assert page.locator("#members").get_by_text("Dresden Chip Lab").count() == 0


def test_a_rejected_upload_shows_every_problem_and_changes_nothing(page, editing_site, tmp_path):
    base, app = editing_site
    token = app.extensions["clusterkg_accounts"].invite("anna@example.org", clusters=["silicon-saxony"])
    page.goto(f"{base}/account/invitation/{token}")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=repeat]", PASSWORD)
    page.get_by_role("button", name="Set password and log in").click()
    page.wait_for_url(base + "/account")
    before = _data(app)
    sheet = tmp_path / "needs.csv"
    sheet.write_text("cluster,organisation,competency,description,source_url,source_quote\n"
                     "silicon-saxony,,no-such-competency,why,https://example.org/a,q\n"
                     "medicon-valley,,chip-design,why,https://example.org/b,q\n"
                     f"silicon-saxony,,chip-design,{PAYLOAD.replace(',', ' ')},not a url,q\n", encoding="utf-8")
    page.goto(base + "/clusters/silicon-saxony/edit")
    page.set_input_files("#form-upload input[type=file]", str(sheet))
    _submit(page, page.locator("#form-upload").get_by_role("button", name="Check"))
    problems = page.locator("#problems li").all_inner_texts()
    page.screenshot(path=tmp_path / "editing-6-rejected-upload.png", full_page=True)
    # the rights come first: the other cluster's row is named, and nothing else is read
    assert problems == ["needs.csv: row 3: cluster: you may edit only the clusters silicon-saxony"]
    sheet.write_text("\n".join(line for line in sheet.read_text(encoding="utf-8").splitlines()
                               if not line.startswith("medicon-valley")) + "\n", encoding="utf-8")
    page.set_input_files("#form-upload input[type=file]", str(sheet))
    _submit(page, page.locator("#form-upload").get_by_role("button", name="Check"))
    problems = page.locator("#problems li").all_inner_texts()
    page.locator("#upload").screenshot(path=tmp_path / "editing-7-rejected-upload-section.png")
    assert any("row 2" in p and "no-such-competency" in p for p in problems), problems
    assert any("row 3" in p and "source_url" in p for p in problems), problems
    assert page.locator("#preview").count() == 0
    assert page.evaluate("window.__xss") is None
    assert _data(app) == before
    # the refusals were answered 403 (rights) and 400 (invalid), which Chromium logs; nothing else
    expected = [f"Failed to load resource: the server responded with a status of {s}" for s in
                ("403 (FORBIDDEN)", "400 (BAD REQUEST)")]
    assert page.console_errors == expected
    page.console_errors.clear()


def _log_in(page, base: str, app) -> None:
    token = app.extensions["clusterkg_accounts"].invite("anna@example.org", clusters=["silicon-saxony"],
                                                       name="Anna Editor")
    page.goto(f"{base}/account/invitation/{token}")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=repeat]", PASSWORD)
    page.get_by_role("button", name="Set password and log in").click()
    page.wait_for_url(base + "/account")


def test_an_editor_removes_a_row_replaces_a_sheet_after_its_preview_and_reverts(page, editing_site, tmp_path):
    base, app = editing_site
    _log_in(page, base, app)
    before = _data(app)
    page.goto(base + "/clusters/silicon-saxony/edit")
    for competency, until in (("chip-design", "2099-12-31"), ("cleanroom-technology", "")):
        form = page.locator("#form-need")
        form.locator("[name='needs.competency']").fill(competency)
        if until:
            form.locator("[name='needs.valid_until']").fill(until)
        form.locator("[name='needs.source_url']").fill("https://example.org/silicon-saxony-strategy")
        form.locator("[name='needs.source_quote']").fill(f"we need {competency}")
        _submit(page, form.get_by_role("button", name="Save"))
        page.wait_for_url(re.compile(r"/edit#need$"))
    needs = page.locator("#rows-needs tbody tr")
    assert needs.count() == 2 and "2099-12-31" in needs.filter(has_text="chip-design").inner_text()
    assert "demand" in _lenses_of(page, base, "Cleanroom facilities")

    # remove one row: its button, one recorded change
    page.goto(base + "/clusters/silicon-saxony/edit")
    page.locator("#rows-needs tbody tr").filter(has_text="cleanroom-technology").get_by_role("button", name="Remove").click()
    page.wait_for_url(re.compile(r"/edit#rows$"))
    assert "Removed:" in page.locator(".notice").inner_text()
    assert page.locator("#rows-needs tbody tr").all_inner_texts() == [
        page.locator("#rows-needs tbody tr").filter(has_text="chip-design").inner_text()]
    page.locator("#rows").screenshot(path=tmp_path / "editing-8-row-removed.png")
    assert "demand" not in _lenses_of(page, base, "Cleanroom facilities")

    # replace the cluster's needs by a sheet: the preview first, then the commit
    sheet = tmp_path / "needs.csv"
    sheet.write_text("cluster,organisation,competency,description,valid_until,source_url,source_quote\n"
                     "silicon-saxony,,specialty-chemicals,process chemicals,2099-06-30,https://example.org/s,we need "
                     "chemicals\n", encoding="utf-8")
    page.goto(base + "/clusters/silicon-saxony/edit")
    page.set_input_files("#form-upload input[type=file]", str(sheet))
    page.locator("#form-upload").get_by_label("replace what these rows describe").check()
    page.locator("#form-upload").get_by_role("button", name="Check").click()
    preview = page.locator("#preview").inner_text()
    page.locator("#upload").screenshot(path=tmp_path / "editing-9-replacement-preview.png")
    assert "Valid." in preview and "Nothing is written until you commit." in preview
    # the need that was left goes: its 5 triples (no "why" given), its link and its shortcut
    assert "8 would be added, 7 removed (replace)" in preview
    assert page.locator("#rows-needs tbody tr").count() == 1  # nothing written yet
    page.locator("#preview").get_by_role("button", name="Commit").click()
    page.wait_for_url(re.compile(r"/edit#upload$"))
    assert "Imported:" in page.locator(".notice").inner_text()
    rows = page.locator("#rows-needs tbody tr").all_inner_texts()
    assert len(rows) == 1 and "specialty-chemicals" in rows[0] and "2099-06-30" in rows[0]
    assert page.locator("#members tbody tr").count() == 22  # the rest of the cluster is intact
    page.locator("#rows").screenshot(path=tmp_path / "editing-10-replaced.png")

    # the history lists the four changes; reverted newest first, the graph is as before
    page.goto(base + "/clusters/silicon-saxony/history")
    assert [page.locator("#history tbody tr").nth(i).locator("td").nth(1).inner_text() for i in range(4)] == [
        "replace", "remove", "import", "import"]
    _revert_newest(page, base, 4)
    page.screenshot(path=tmp_path / "editing-11-history-reverted.png", full_page=True)
    assert _data(app) == before
