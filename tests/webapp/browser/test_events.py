"""A cluster manager prepares a blitz session in a real browser: create it, register three
participants, request a meeting, plan, open one participant's agenda."""

from __future__ import annotations

import shutil

import pytest

TOKEN = "browser-test-token"


@pytest.fixture(scope="module")
def writable_server(serve, default_store_template, tmp_path_factory) -> str:
    """A server on a copy of the default dataset that accepts writes with :data:`TOKEN`."""
    return serve(shutil.copytree(default_store_template, tmp_path_factory.mktemp("browser-events") / "store"), TOKEN)


def test_blitz_session_end_to_end(page, writable_server):
    base = writable_server
    page.goto(base + "/events")
    page.locator("#credentials summary").click()
    page.fill("#write-token", TOKEN)
    form = page.locator("#create-event")
    form.locator("select[name=kind]").select_option("blitz_session")
    form.locator("input[name=name]").fill("Browser blitz")
    form.locator("input[name=date]").fill("2026-09-15")
    form.locator("input[name=start_time]").fill("09:00")
    form.locator("select[name=organiser]").select_option("silicon-saxony")
    form.locator("input[name=slots]").fill("3")
    form.get_by_role("button", name="Create").click()
    page.wait_for_url(base + "/events/browser-blitz")
    assert page.get_by_role("heading", level=1).text_content() == "Browser blitz"

    register = page.locator("#register")
    for number, (participant, role) in enumerate(
            [("cluster/silicon-saxony", "presenter"), ("cluster/medicon-valley", "participant"), ("org/biocad", "participant")],
            start=1):
        register.locator("select[name=participant]").select_option(participant)
        register.locator("select[name=role]").select_option(role)
        register.get_by_role("button", name="Register").click()
        page.wait_for_function(f"document.querySelectorAll('#participants tbody tr').length === {number}")
    assert sorted(page.locator("#participants tbody tr td:first-child").all_text_contents()) == [
        "Biocad", "Medicon Valley", "Silicon Saxony"]

    request = page.locator("#request")
    request.locator("select[name=by]").select_option("org/biocad")
    request.locator("select[name=with]").select_option("cluster/silicon-saxony")
    request.locator("input[name=note]").fill("chips for bioreactors")
    request.get_by_role("button", name="Request the meeting").click()
    page.wait_for_selector("#requests li")
    assert "chips for bioreactors" in page.locator("#requests li").first.text_content()

    page.locator("#plan-link").click()
    page.wait_for_selector("#meetings tbody tr")
    requested = page.locator("#meetings tbody tr", has=page.locator(".badge"))
    assert requested.count() == 1
    assert sorted(requested.locator("td").nth(i).text_content() for i in (3, 4)) == ["Biocad", "Silicon Saxony"]
    assert page.locator("#presentations tbody tr td").nth(1).text_content() == "Silicon Saxony"

    page.get_by_role("link", name="Biocad", exact=True).click()
    page.wait_for_url(base + "/events/browser-blitz/agenda/org/biocad")
    items = page.locator("#agenda tbody tr td:nth-child(2)").all_text_contents()
    assert items[0] == "Presentations" and "Meeting with Silicon Saxony" in items
    assert "requested by Biocad" in page.locator("#agenda").text_content()


def test_a_refused_write_shows_the_located_problem(page, writable_server):
    page.goto(writable_server + "/events")
    form = page.locator("#create-event")
    form.locator("input[name=name]").fill("No token")
    form.locator("input[name=date]").fill("2026-09-16")
    form.locator("select[name=organiser]").select_option("silicon-saxony")
    form.get_by_role("button", name="Create").click()
    problem = form.locator(".problems")
    problem.wait_for(state="visible")
    assert "Authorization: Bearer" in problem.text_content()
    assert page.url == writable_server + "/events"
    # Chromium logs the refused request itself; that one message is expected, nothing else
    expected = "Failed to load resource: the server responded with a status of 401 (UNAUTHORIZED)"
    assert page.console_errors == [expected]
    page.console_errors.clear()
