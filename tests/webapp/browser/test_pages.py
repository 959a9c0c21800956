"""The pages in a real browser: they load cleanly, sort by keyboard, search partners, and never run data."""

from __future__ import annotations

import re
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest

from clusterkg.graph.sheets import build_rows
from clusterkg.graph.store import OxigraphStore

PAYLOAD = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">"
SOURCE = "https://example.org/escaping-test"


def test_home_loads_and_searches(page, live_server):
    page.goto(live_server + "/")
    assert page.get_by_role("heading", level=1).text_content() == "clusterkg"
    page.fill("#q", "medicon")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"\?q=medicon"))
    page.get_by_role("link", name="Medicon Valley").first.click()
    page.wait_for_url(live_server + "/clusters/medicon-valley")
    assert page.get_by_role("heading", level=1).text_content() == "Medicon Valley"


def test_cluster_profile_draws_its_graph_and_sorts_by_keyboard(page, live_server):
    page.goto(live_server + "/clusters/silicon-saxony")
    page.wait_for_selector("#graph-cluster[data-drawn='1'] canvas", timeout=20000)
    header = page.locator("#competencies thead th").nth(1)
    header.locator("button").focus()
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "ascending"
    counts = [int(x) for x in page.locator("#competencies tbody td.num").all_text_contents()]
    assert counts == sorted(counts)
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "descending"
    assert "sort.competencies=1.desc" in page.url
    page.reload()  # the sort state comes back from the URL
    assert page.locator("#competencies thead th").nth(1).get_attribute("aria-sort") == "descending"


def test_cluster_list_sorts_and_keeps_the_order_in_the_url(page, live_server):
    page.goto(live_server + "/clusters?country=DE")

    def members() -> list[int]:  # the Organisations column, top to bottom, as shown
        return [int(row.locator("td").nth(3).inner_text()) for row in page.locator("#clusters tbody tr").all()]

    assert len(members()) > 3 and members() != sorted(members())  # the list starts by name, not by size
    page.get_by_role("button", name="Organisations").click()
    assert members() == sorted(members())
    assert parse_qs(urlsplit(page.url).query)["sort"] == ["members"]
    page.get_by_role("button", name="Organisations").click()
    shown = members()
    assert shown == sorted(shown, reverse=True)
    assert parse_qs(urlsplit(page.url).query)["order"] == ["desc"]
    page.reload()  # the server sorts by the URL's order: the same rows in the same order
    assert members() == shown


def test_partner_search_end_to_end(page, live_server):
    page.goto(live_server + "/partner-search")
    page.select_option("#cluster", "silicon-saxony")
    page.get_by_role("button", name="Show its gaps").click()
    page.wait_for_selector("#gaps input[name=gap]")
    boxes = page.locator("#gaps input[name=gap]")
    assert boxes.count() > 3
    page.get_by_role("button", name="untick all").click()
    boxes.nth(0).check()
    boxes.nth(1).check()
    chosen = [boxes.nth(0).get_attribute("value"), boxes.nth(1).get_attribute("value")]
    page.get_by_role("button", name="Search partners").click()
    page.wait_for_selector("#partners tbody tr")
    assert parse_qs(urlsplit(page.url).query)["gap"] == chosen
    ranks = page.locator("#partners tbody tr td:first-child").all_text_contents()
    assert ranks[:3] == ["1", "2", "3"][:len(ranks)]
    assert page.locator("#partners td.why").first.text_content().strip()
    page.wait_for_selector("#graph-partners[data-drawn='1'] canvas", timeout=20000)
    # the state comes back from the URL
    page.reload()
    ticked = [b.get_attribute("value") for b in page.locator("#gaps input[name=gap]:checked").all()]
    assert ticked == chosen
    # "Show the SPARQL" opens the editor with the query of this search: the ticked gaps
    with page.expect_navigation():
        page.locator("#show-sparql").click()
    page.wait_for_function("document.querySelector('.CodeMirror') && document.querySelector('.CodeMirror').CodeMirror")
    query = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    assert all(f"competency/{gap}>" in query for gap in chosen), query[:600]


@pytest.fixture(scope="module")
def evil_server(serve, default_store_template, tmp_path_factory):
    copy = shutil.copytree(default_store_template, tmp_path_factory.mktemp("browser-evil") / "store")
    rows = {
        "clusters": [{"id": "evil-cluster", "name": PAYLOAD, "countries": "DE", "industries": "ecosystem-electronics",
                      "source_url": SOURCE, "source_quote": PAYLOAD}],
        "affiliations": [{"cluster": "evil-cluster", "organisation": "fraunhofer-ikts", "relation": "member",
                          "role": PAYLOAD, "source_url": SOURCE}],
    }
    with OxigraphStore(copy) as store:
        for sheet, sheet_rows in rows.items():
            graph, problems = build_rows(sheet, sheet_rows, sheet + ".csv")
            assert not problems
            store.insert_graph(graph)
    return serve(copy)


@pytest.mark.parametrize("path", ["/clusters/evil-cluster", "/clusters?country=DE", "/?q=script",
                                  "/organisations/fraunhofer-ikts", "/partner-search?cluster=evil-cluster"])
def test_markup_in_a_label_shows_as_text_and_runs_nothing(browser, evil_server, path):
    context = browser.new_context()
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(evil_server + path)
    tab.wait_for_load_state("networkidle")
    assert tab.evaluate("typeof window.__xss") == "undefined"
    assert tab.locator("img[src=x]").count() == 0
    assert tab.get_by_text(PAYLOAD, exact=False).count() >= 1 or PAYLOAD in tab.locator("body").inner_text()
    if path == "/clusters/evil-cluster":
        assert tab.get_by_role("heading", level=1).text_content() == PAYLOAD
        tab.wait_for_selector("#graph-cluster[data-drawn='1'] canvas", timeout=20000)
        assert tab.evaluate("typeof window.__xss") == "undefined"
    context.close()
    assert not errors
