"""Every kind of cross-link, clicked in real Chromium: the destination shows what the link names.

Each test clicks a link the way a person does and then reads the page it lands on (its heading,
the explorer's selected node, the editor's query), never the link's ``href``.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest

DATA = "https://w3id.org/clusterkg/id/"
#: a link to a profile or resource page, by the kind of page it opens
PROFILE_LINKS = {
    "cluster": "main a[href^='/clusters/']:not([href*='/recommendations']):not([href*='/applications'])"
               ":not([href$='.json']):not([aria-label])",
    "organisation": "main a[href^='/organisations/']:not([href$='.json']):not([aria-label])",
    "competency": "main a[href^='/competencies/']:not([href$='.json']):not([aria-label])",
    "resource": "main a[href^='/resource?']:not([aria-label])",
}


def heading(page) -> str:
    return page.locator("h1").first.inner_text().strip()


def click(page, link) -> str:
    """Click ``link`` like a person and wait for the page it opens; its text is returned."""
    text = link.inner_text().strip()
    with page.expect_navigation():
        link.click()
    page.wait_for_load_state("domcontentloaded")
    return text


def explorer_selection(page) -> tuple[str, list[str]]:
    """The explorer's details title once it has drawn, and the node ids selected on the canvas."""
    page.wait_for_function("window.__explorerDrawnAt !== undefined", timeout=30_000)
    page.evaluate("window.__explorer.ready")
    page.locator("#details").wait_for(state="visible")
    return page.locator("#details-title").inner_text(), page.evaluate("window.__explorer.network.getSelectedNodes()")


@pytest.mark.parametrize("name, title", [
    ("Partner search", "Partner search"), ("Clusters", "Clusters"), ("Graph explorer", "Cross-cluster partnerships"),
    ("SPARQL editor", "SPARQL"), ("Communities", "Communities of clusters"),
    ("Blitz-meeting planner", "Blitz-meeting planner"), ("Market check", "Market check"),
])
def test_the_home_pages_entry_points_open_what_they_name(page, live_server, name, title):
    page.goto(live_server + "/")
    click(page, page.locator("main").get_by_role("link", name=name, exact=True))
    assert heading(page) == title


@pytest.mark.parametrize("path, node, view_title", [
    ("/clusters/silicon-saxony", "cluster:silicon-saxony", "Ego network of Silicon Saxony"),
    ("/organisations/globalfoundries", "organisation:globalfoundries", "Neighbours of Globalfoundries"),
    ("/competencies/biotechnology", "competency:biotechnology", "Neighbours of "),
    ("/resource?iri=" + quote(DATA + "industry/ecosystem-health"), "industry:ecosystem-health", "Neighbours of "),
    ("/resource?iri=" + quote(DATA + "country/DE"), "iri:" + DATA + "country/DE", "Query result"),
])
def test_open_in_explorer_centres_the_explorer_on_the_entity(page, live_server, path, node, view_title):
    page.goto(live_server + path)
    name = heading(page)
    click(page, page.get_by_role("link", name="Open in explorer", exact=True))
    title, selected = explorer_selection(page)
    assert title == name and selected == [node]
    assert heading(page).startswith(view_title)
    assert page.evaluate(f"window.__explorer.nodes.get({json.dumps(node)}) !== null")


@pytest.mark.parametrize("path, kinds", [
    ("/clusters/silicon-saxony", ("organisation", "competency", "cluster")),
    ("/organisations/hemacore-labs", ("cluster", "competency", "resource")),
    ("/competencies/biotechnology", ("organisation", "cluster", "competency", "resource")),
    ("/resource?iri=" + quote(DATA + "cluster/silicon-saxony"), ("resource", "organisation")),
    ("/partner-search?cluster=medicon-valley", ("organisation", "competency")),
])
def test_profile_links_open_the_page_of_what_they_name(page, live_server, path, kinds):
    for kind in kinds:
        page.goto(live_server + path)
        link = page.locator(PROFILE_LINKS[kind]).first
        assert link.count() == 1, f"{path} has no {kind} link"
        name = click(page, link)
        assert heading(page) == name, f"{path}: the {kind} link {name!r} opened {page.url}"


@pytest.mark.parametrize("path, graph, kind", [("/clusters/silicon-saxony", "graph-cluster", "organisation"),
                                               ("/partner-search?cluster=medicon-valley", "graph-partners", "competency")])
def test_a_click_on_a_node_of_a_pages_graph_opens_its_page(page, live_server, path, graph, kind):
    page.goto(live_server + path)
    page.wait_for_selector(f"#{graph}[data-drawn='1'] canvas", timeout=20_000)
    target = page.evaluate("""([graph, kind]) => {
        const net = window.ClusterkgGraph.networks[graph];
        net.stopSimulation();
        const nodes = net.body.data.nodes;
        document.getElementById(graph).scrollIntoView();
        net.moveTo({position: {x: 0, y: 0}, scale: 1.0});
        net.fit({animation: false});
        // a node of that kind that no other node covers
        const id = nodes.getIds().find(id => nodes.get(id).kind === kind &&
            net.getNodeAt(net.canvasToDOM(net.getPositions([id])[id])) === id);
        const dom = net.canvasToDOM(net.getPositions([id])[id]);
        const box = document.getElementById(graph).getBoundingClientRect();
        return {x: box.left + dom.x, y: box.top + dom.y, label: net.body.data.nodes.get(id).label};
    }""", [graph, kind])
    with page.expect_navigation():
        page.mouse.click(target["x"], target["y"])
    assert heading(page) == target["label"]


def test_cluster_page_actions_open_what_they_say(page, live_server):
    start = live_server + "/clusters/silicon-saxony"
    page.goto(start)
    click(page, page.get_by_role("link", name="Search partners for its gaps", exact=True))
    assert page.locator("#cluster").input_value() == "silicon-saxony"
    assert page.locator("#results h2").inner_text() == "Partners for Silicon Saxony"
    page.goto(start)
    click(page, page.get_by_role("link", name="Recommended clusters", exact=True))
    assert heading(page) == "Clusters to partner with: Silicon Saxony"
    page.goto(start)
    click(page, page.get_by_role("link", name="New applications", exact=True))
    assert heading(page) == "New applications: Silicon Saxony"
    page.goto(start)
    click(page, page.locator("main p.actions").get_by_role("link", name="JSON"))
    assert json.loads(page.locator("body").inner_text())["cluster"]["label"] == "Silicon Saxony"


def test_a_developments_market_check_is_about_that_development(page, live_server):
    page.goto(live_server + "/organisations/hemacore-labs")
    development = page.locator("main section", has_text="Developments").locator("li a").first.inner_text()
    click(page, page.get_by_role("link", name="market check", exact=True).first)
    assert heading(page) == "Market check"
    assert page.locator("main h2").first.inner_text().startswith(f"Tell about {development} (Hemacore")


def test_partner_search_shows_its_sparql_in_the_editor(page, live_server):
    page.goto(live_server + "/partner-search?cluster=medicon-valley")
    gap = page.locator("#gaps a[aria-label]").first  # the arrow beside a gap: the competency's page
    named = gap.get_attribute("aria-label").removeprefix("page of ")
    click(page, gap)
    assert heading(page) == named
    page.goto(live_server + "/partner-search?cluster=medicon-valley")
    click(page, page.get_by_role("link", name="Show the SPARQL", exact=True))
    assert heading(page) == "SPARQL"
    page.wait_for_function("document.querySelector('.CodeMirror') && document.querySelector('.CodeMirror').CodeMirror")
    text = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    assert "VALUES (?gap ?weight)" in text and "medicon-valley" in text


@pytest.mark.parametrize("view, node, expected", [
    ("/explore?view=ego&cluster=silicon-saxony", "cluster:silicon-saxony", "Silicon Saxony"),
    ("/explore?view=ego&cluster=silicon-saxony", "organisation:globalfoundries", "Globalfoundries"),
    ("/explore?view=neighbours&of=organisation:globalfoundries", "competency:{competency}", None),
    ("/explore?view=neighbours&of=competency:biotechnology", "industry:{industry}", None),
    ("/explore?view=neighbours&of=country:DE", "country:DE", "Clusters"),
])
def test_the_explorer_details_link_opens_the_nodes_page(page, live_server, view, node, expected):
    page.goto(live_server + view)
    explorer_ready(page)
    if "{" in node:  # the first neighbour of that kind the view holds
        kind = node.split(":")[0]
        node = page.evaluate(f"window.__explorer.nodes.getIds().filter(id => id.startsWith('{kind}:'))[0]")
    page.evaluate(f"window.__explorer.select({json.dumps(node)}, true)")
    label = page.locator("#details-title").inner_text()
    click(page, page.locator("#details-link"))
    assert heading(page) == (expected or label)
    if node.startswith("country:"):
        assert re.search(r"\d+ clusters? in Germany", page.locator("main").inner_text())  # (its name, not the code DE)


def explorer_ready(page) -> None:
    page.wait_for_function("window.__explorerDrawnAt !== undefined", timeout=30_000)
    page.evaluate("window.__explorer.ready")


@pytest.mark.parametrize("kind, identifier", [("cluster", "silicon-saxony"), ("org", "globalfoundries"),
                                              ("industry", "ecosystem-health")])
def test_a_data_iri_opened_in_a_browser_shows_its_page(page, live_server, kind, identifier):
    turtle = page.request.get(live_server + f"/id/{kind}/{identifier}", headers={"Accept": "text/turtle"}).text()
    labels = re.findall(r'(?:rdfs:label|skos:prefLabel|#label>|#prefLabel>) "([^"]+)"', turtle)
    assert labels, turtle[:500]
    page.goto(live_server + f"/id/{kind}/{identifier}")
    assert heading(page) in labels


def test_the_resource_page_links_to_its_own_page_and_json(page, live_server):
    start = live_server + "/resource?iri=" + quote(DATA + "cluster/silicon-saxony")
    page.goto(start)
    click(page, page.get_by_role("link", name="its page", exact=True))
    assert heading(page) == "Silicon Saxony" and "/clusters/silicon-saxony" in page.url
    page.goto(start)
    click(page, page.get_by_role("link", name="JSON"))
    assert json.loads(page.locator("body").inner_text())["iri"] == DATA + "cluster/silicon-saxony"
