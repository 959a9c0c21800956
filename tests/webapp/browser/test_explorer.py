"""The graph explorer in real Chromium: drawing, details, expansion and undo, URLs, escaping."""

from __future__ import annotations

import shutil
import urllib.parse

import pytest

from clusterkg.graph.store import OxigraphStore

EGO = "/explore?view=ego&cluster=silicon-saxony"
EVIL_SCRIPT = "<script>window.__xss = 1</script>"
EVIL_IMG = '<img src=x onerror="window.__xss = 2">'
EVIL_UPDATE = """PREFIX ckg: <https://w3id.org/clusterkg/ns#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
INSERT DATA {
  <https://w3id.org/clusterkg/id/cluster/evil> a ckg:Cluster ;
    rdfs:label "<script>window.__xss = 1</script>" ; ckg:country <https://w3id.org/clusterkg/id/country/DE> .
  <https://w3id.org/clusterkg/id/org/evil-org> a org:FormalOrganization, ckg:SME ;
    rdfs:label "<img src=x onerror=\\"window.__xss = 2\\">" ; ckg:affiliatedWith <https://w3id.org/clusterkg/id/cluster/evil> .
  <https://w3id.org/clusterkg/id/affiliation/evil> a ckg:Affiliation ; ckg:cluster <https://w3id.org/clusterkg/id/cluster/evil> ;
    ckg:organisation <https://w3id.org/clusterkg/id/org/evil-org> ; ckg:affiliationType ckg:Member .
}"""


def open_explorer(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.__explorerDrawnAt !== undefined", timeout=30_000)
    page.evaluate("window.__explorer.ready")
    page.evaluate("window.__explorer.network.stopSimulation()")


def node_count(page) -> int:
    return page.evaluate("window.__explorer.nodes.length")


def click_node(page, node_id: str) -> None:
    """A real mouse click at the node's place on the canvas."""
    point = page.evaluate("""(id) => {
        const net = window.__explorer.network;
        const dom = net.canvasToDOM(net.getPositions([id])[id]);
        const box = document.getElementById('graph').getBoundingClientRect();
        return {x: box.left + dom.x, y: box.top + dom.y};
    }""", node_id)
    page.mouse.click(point["x"], point["y"])


def test_the_explorer_draws_nodes_on_a_canvas(page, live_server):
    open_explorer(page, live_server + EGO)
    assert page.locator("#graph canvas").count() == 1
    assert node_count(page) > 20
    assert page.evaluate("window.__explorer.view.length") == node_count(page)
    assert page.locator("#node-table tbody tr").count() == node_count(page)
    assert "Ego network of Silicon Saxony" in page.locator("h1").inner_text()


def test_clicking_a_node_opens_its_details_with_a_working_link(page, live_server):
    open_explorer(page, live_server + EGO)
    page.evaluate("window.__explorer.network.moveTo({position: window.__explorer.network.getPositions(['cluster:silicon-saxony'])['cluster:silicon-saxony'], scale: 1.5})")
    click_node(page, "cluster:silicon-saxony")
    panel = page.locator("#details")
    panel.wait_for(state="visible")
    assert page.locator("#details-title").inner_text() == "Silicon Saxony"
    assert "node=cluster%3Asilicon-saxony" in page.url
    # the hook selects just the same as a click
    page.evaluate("window.__explorer.select('organisation:globalfoundries', true)")
    assert page.locator("#details-title").inner_text() == "Globalfoundries"
    with page.expect_navigation():
        page.locator("#details-link").click()
    assert page.locator("h1").inner_text() == "Globalfoundries" and page.url.endswith("/organisations/globalfoundries")


def test_expand_by_relation_and_undo_restores_the_graph(page, live_server):
    open_explorer(page, live_server + EGO + "&limit=5")
    before = node_count(page)
    more = page.get_by_role("button", name="+17 more members")
    more.click()
    page.wait_for_function(f"window.__explorer.nodes.length === {before + 17}")
    page.get_by_role("button", name="Undo expansion").click()
    assert node_count(page) == before
    # counts per relation first, then one relation
    member = page.evaluate("window.__explorer.nodes.get({filter: n => n.kind === 'organisation'})[0].id")
    assert page.evaluate(f"window.__explorer.select('{member}', false)")
    page.get_by_role("button", name="Expand neighbours…").click()
    page.locator("#details-relations button[data-relation='clusters']").wait_for()
    labels = page.locator("#details-relations button").all_inner_texts()
    assert labels[0].startswith("clusters ") and labels[1].startswith("competencies ")
    page.locator("#details-relations button[data-relation='competencies']").click()
    page.wait_for_function(f"window.__explorer.nodes.length > {before}")
    assert page.locator("#undo").is_enabled()
    page.locator("#undo").click()
    assert node_count(page) == before and page.locator("#undo").is_disabled()


def test_the_url_restores_the_view(page, live_server):
    open_explorer(page, live_server + EGO + "&limit=5")
    page.get_by_role("button", name="+17 more members").click()
    page.wait_for_function("window.__explorer.state.expansions.length === 1")
    page.evaluate("window.__explorer.select('organisation:globalfoundries', true)")
    page.select_option("#filter-country", "DE")
    page.locator("#filter-kinds input[value='competency']").uncheck()
    shown, total = page.evaluate("[window.__explorer.view.length, window.__explorer.nodes.length]")
    assert shown < total
    shared = page.url
    assert "exp=" in shared and "country=DE" in shared and "hide=competency" in shared
    fresh = page.context.new_page()
    try:
        open_explorer(fresh, shared)
        assert fresh.evaluate("[window.__explorer.view.length, window.__explorer.nodes.length]") == [shown, total]
        assert fresh.locator("#details-title").inner_text() == "Globalfoundries"
        assert fresh.locator("#filter-country").input_value() == "DE"
        assert not fresh.locator("#filter-kinds input[value='competency']").is_checked()
        assert fresh.locator("#node-table tbody tr").count() == shown
    finally:
        fresh.close()


def test_search_focuses_a_node_and_the_table_sorts_and_works_by_keyboard(page, live_server):
    open_explorer(page, live_server + EGO)
    page.fill("#search", "globalfound")
    page.press("#search", "Enter")
    assert page.locator("#details-title").inner_text() == "Globalfoundries"
    page.locator("#node-table th[data-key='label'] button").click()
    assert page.locator("#node-table th[data-key='label']").get_attribute("aria-sort") == "ascending"
    labels = page.locator("#node-table tbody tr td:nth-child(2)").all_inner_texts()
    assert labels == sorted(labels, key=str.casefold) or labels == sorted(labels)
    first = page.locator("#node-table tbody tr").first
    first.focus()
    page.keyboard.press("Enter")
    assert page.locator("#details-title").inner_text() == labels[0]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.locator("#details-title").inner_text() == labels[1]


def test_big_views_come_with_positions_and_no_physics(page, live_server):
    open_explorer(page, live_server + "/explore?view=competencies")
    assert node_count(page) >= 300
    assert page.evaluate("window.__explorer.network.physics.physicsEnabled") is False


def test_a_query_result_is_drawn(page, live_server):
    query = "PREFIX ckg: <https://w3id.org/clusterkg/ns#> SELECT ?org ?cluster WHERE { ?org ckg:affiliatedWith ?cluster } LIMIT 40"
    open_explorer(page, live_server + "/explore/query?query=" + urllib.parse.quote(query))
    assert node_count(page) > 10
    assert page.locator("#query-text").input_value() == query


@pytest.fixture(scope="module")
def evil_server(serve, default_store_template, tmp_path_factory) -> str:
    copy = shutil.copytree(default_store_template, tmp_path_factory.mktemp("browser-evil") / "store")
    with OxigraphStore(copy) as store:
        store.update(EVIL_UPDATE)
    return serve(copy)


def test_labels_with_markup_show_as_text_and_run_nothing(page, evil_server):
    open_explorer(page, evil_server + "/explore?view=ego&cluster=evil")
    assert page.evaluate("window.__xss") is None
    assert page.locator("h1").inner_text() == f"Ego network of {EVIL_SCRIPT}"
    page.evaluate("window.__explorer.select('organisation:evil-org', true)")
    assert page.locator("#details-title").inner_text() == EVIL_IMG
    assert page.locator("#node-table tbody").inner_text().count("window.__xss") == 2
    assert page.locator("img").count() == 0
    # the tooltip vis-network shows is a DOM element holding text
    tooltip = page.evaluate("window.__explorer.nodes.get('organisation:evil-org').title.textContent")
    assert tooltip.startswith(EVIL_IMG)
    page.mouse.move(0, 0)
    assert page.evaluate("window.__xss") is None
