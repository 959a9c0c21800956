"""Every page and its JSON twin on the real default dataset: same view, same data, sensible answers."""

from __future__ import annotations

import re

import pytest

from clusterkg.graph.analysis.applications import find_applications
from clusterkg.graph.analysis.communities import find_communities
from clusterkg.graph.analysis.dissemination import disseminate
from clusterkg.graph.analysis.gaps import find_gaps
from clusterkg.graph.analysis.matchmaking import plan_meetings
from clusterkg.graph.analysis.recommend import recommend_clusters
from clusterkg.graph.stats import graph_stats

JSON = {"Accept": "application/json"}

PAGES = [
    "/",
    "/?q=semiconductor",
    "/clusters",
    "/clusters?country=DE&sort=members&order=desc",
    "/clusters/silicon-saxony",
    "/clusters/silicon-saxony/recommendations",
    "/clusters/silicon-saxony/applications",
    "/organisations/fraunhofer-ikts",
    "/competencies/semiconductor-devices",
    "/resource?iri=https%3A%2F%2Fw3id.org%2Fclusterkg%2Fid%2Fcountry%2FDE",
    "/partner-search?cluster=silicon-saxony",
    "/market-check?competency=mems&industry=ecosystem-electronics",
    "/communities",
    "/blitz?participant=silicon-saxony&participant=medicon-valley&participant=biorn&participant=minalogic&rounds=2",
]


def json_twin(url: str) -> str:
    path, _, query = url.partition("?")
    path = "/index.json" if path == "/" else path + ".json"
    return path + ("?" + query if query else "")


@pytest.mark.parametrize("url", PAGES)
def test_page_html_and_both_json_twins_agree(client, url):
    html = client.get(url)
    assert html.status_code == 200, html.data[:300]
    assert html.content_type.startswith("text/html")
    assert b'href="/partner-search"' in html.data and b'href="/explore"' in html.data
    by_suffix = client.get(json_twin(url))
    by_accept = client.get(url, headers=JSON)
    assert by_suffix.status_code == by_accept.status_code == 200
    assert by_suffix.content_type == by_accept.content_type == "application/json"
    assert by_suffix.get_json() == by_accept.get_json()
    assert "Accept" in html.headers["Vary"]


def test_home_counts_and_search(app, client):
    data = client.get("/index.json?q=medicon").get_json()
    assert data["stats"]["clusters"] > 100 and data["stats"]["organisations"] > 400
    assert data["stats"] == graph_stats(app.extensions["clusterkg"].store)  # what `clusterkg stats` says
    assert [c["id"] for c in data["results"]["clusters"]][0] == "medicon-valley"
    page = client.get("/?q=medicon").get_data(as_text=True)
    assert 'href="/clusters/medicon-valley"' in page
    for entry in ("/partner-search", "/explore", "/sparql", "/communities", "/blitz"):
        assert f'href="{entry}"' in page
    empty = client.get("/?q=zzzqqq").get_data(as_text=True)
    assert "Nothing matches" in empty


def test_search_folds_accents_and_finds_competencies(client):
    data = client.get("/index.json?q=Rhone").get_json()
    assert "pole-optique-rhone-alpes" in [c["id"] for c in data["results"]["clusters"]]
    data = client.get("/index.json?q=cleanroom").get_json()
    assert data["results"]["competencies"], "a competency about cleanrooms exists in the data"


def test_search_in_russian_finds_competencies_by_their_russian_names(client):
    """The taxonomy's Russian alternative labels are searchable as typed, in any case."""
    data = client.get("/index.json?q=ФАРМАЦЕВТИЧЕСКОЕ").get_json()
    assert "pharmaceutical-manufacturing" in [c["id"] for c in data["results"]["competencies"]]
    data = client.get("/index.json?q=микроэлектроника").get_json()
    assert [c["id"] for c in data["results"]["competencies"]][0] == "microelectronics-semiconductors"


def test_search_meets_latin_and_cyrillic_spellings_of_one_name(client):
    """"Технополис" and its transliteration "Tekhnopolis" find the Latin-named Technopolis Moscow;
    a transliterated Russian label ("mikroelektronika") finds the competency it names."""
    for text in ("Технополис", "Tekhnopolis", "technopolis"):
        found = [c["id"] for c in client.get("/index.json", query_string={"q": text}).get_json()["results"]["clusters"]]
        assert "technopolis-moscow" in found, (text, found)
    data = client.get("/index.json?q=mikroelektronika").get_json()
    assert "microelectronics-semiconductors" in [c["id"] for c in data["results"]["competencies"]]
    exact = client.get("/index.json?q=Academpark").get_json()["results"]["clusters"]
    assert exact and exact[0]["id"] == "novosibirsk-academpark"


def test_cluster_list_filters_and_sorts(client, projection):
    everything = client.get("/clusters.json").get_json()
    assert everything["count"] == len(projection.clusters)
    german = client.get("/clusters.json?country=de&sort=members&order=desc").get_json()
    assert german["count"] > 3 and all("DE" in c["countries"] for c in german["clusters"])
    members = [c["members"] for c in german["clusters"]]
    assert members == sorted(members, reverse=True)
    health = client.get("/clusters.json?industry=ecosystem-health").get_json()
    assert health["count"] > 3
    assert all("https://w3id.org/clusterkg/id/industry/ecosystem-health" in [i["iri"] for i in c["industries"]] for c in health["clusters"])
    html = client.get("/clusters?sort=label").get_data(as_text=True)
    assert 'data-key="label" aria-sort="none"><button type="button" class="sort">' in html


def test_cluster_profile_has_members_with_sources_and_analyses(client, projection):
    data = client.get("/clusters/silicon-saxony.json").get_json()
    assert data["cluster"]["label"] == "Silicon Saxony"
    assert [c["label"] for c in data["cluster"]["countries"]] == ["Germany"]
    assert data["cluster"]["sources"] and data["cluster"]["website"] == "https://www.silicon-saxony.de"
    members = {m["organisation"]["id"]: m for g in data["members"] for m in g["organisations"]}
    assert "fraunhofer-ikts" in members
    assert all(m["sources"] for m in members.values()), "every affiliation has a source"
    assert data["member_total"] == len(projection.members_of(projection.resolve_cluster("silicon-saxony")))
    assert data["competencies"] and data["competencies"][0]["organisations"] >= data["competencies"][-1]["organisations"]
    assert data["gaps"] == find_gaps(projection, "silicon-saxony", lens="all", limit=10).to_json()
    assert data["recommendations"] == recommend_clusters(projection, "silicon-saxony", limit=5).to_json()
    html = client.get("/clusters/silicon-saxony").get_data(as_text=True)
    assert "vendor/vis-network/vis-network.min.js" in html and 'id="graph-data-cluster"' in html
    assert "Fraunhofer" in html and "Missing competencies" in html


def test_cluster_profile_without_members_says_so(client, projection):
    empty = [i for i in range(len(projection.clusters)) if len(projection.members_of(i)) == 0]
    assert empty, "the bundled data has clusters whose members are not sourced yet"
    cluster_id = projection.clusters["id"].iat[empty[0]]
    html = client.get(f"/clusters/{cluster_id}").get_data(as_text=True)
    assert "No organisation is recorded as tied to" in html


def test_organisation_page(client):
    data = client.get("/organisations/fraunhofer-ikts.json").get_json()
    assert "silicon-saxony" in [c["cluster"]["id"] for c in data["clusters"]]
    assert data["competencies"] and all(k["sources"] for k in data["competencies"])
    assert data["organisation"]["type"] == "research_institute"


def test_competency_page_counts_narrower_holders(client, projection):
    data = client.get("/competencies/semiconductor-devices.json").get_json()
    assert data["narrower"], "semiconductor devices has narrower competencies"
    via = {k["id"] for h in data["holders"] for k in h["via"]}
    assert via - {"semiconductor-devices"}, "some holders have it only through a narrower competency"
    column = projection.resolve_competency("semiconductor-devices")
    assert len(data["holders"]) == int((projection.org_competency_up[:, column] > 0).sum())
    assert data["industries"]
    narrow = data["narrower"][0]["id"]
    child = client.get(f"/competencies/{narrow}.json").get_json()
    assert child["broader"][-1]["id"] == "semiconductor-devices"


def test_analysis_pages_answer_the_analysis_json(client, projection):
    assert client.get("/clusters/silicon-saxony/recommendations.json?limit=3").get_json() == \
        recommend_clusters(projection, "silicon-saxony", limit=3).to_json()
    assert client.get("/clusters/silicon-saxony/recommendations.json?include_existing=0").get_json() == \
        recommend_clusters(projection, "silicon-saxony", limit=10, include_existing=False).to_json()
    assert client.get("/clusters/silicon-saxony/applications.json?scheme=eu-industrial-ecosystems").get_json() == \
        find_applications(projection, "silicon-saxony", scheme="eu-industrial-ecosystems").to_json()
    assert client.get("/communities.json?resolution=1.5").get_json() == find_communities(projection, resolution=1.5).to_json()
    development = projection.developments["iri"].iat[0]
    answer = client.get("/market-check.json", query_string={"development": development}).get_json()
    assert answer == disseminate(projection, development=development).to_json()
    plan = client.get("/blitz.json?participant=silicon-saxony&participant=medicon-valley&rounds=1").get_json()
    assert plan == plan_meetings(projection, ["silicon-saxony", "medicon-valley"], 1).to_json()


def test_blitz_schedule_is_shown(client):
    html = client.get("/blitz?participant=silicon-saxony&participant=medicon-valley&participant=biorn"
                      "&participant=minalogic&rounds=3").get_data(as_text=True)
    assert html.count("<h3>Round ") == 3
    assert re.search(r'<option value="biorn"\s+selected', html)


def test_forms_without_input_show_an_honest_empty_state(client):
    assert "Choose at least two participants" in client.get("/blitz").get_data(as_text=True)
    assert "Choose a development" in client.get("/market-check").get_data(as_text=True)
    assert "choose a cluster to see its gaps" in client.get("/partner-search").get_data(as_text=True)


def test_resource_page_lists_triples_both_ways(client):
    data = client.get("/resource.json", query_string={"iri": "https://w3id.org/clusterkg/id/country/DE"}).get_json()
    assert data["label"] == "Germany" and data["page"] is None
    assert any(t["predicate"]["label"] == "skos:notation" and t["object"]["value"] == "DE" for t in data["triples"])
    assert any(t["subject"]["iri"].endswith("/cluster/silicon-saxony") for t in data["incoming"])
    cluster = client.get("/resource.json", query_string={"iri": "https://w3id.org/clusterkg/id/cluster/silicon-saxony"}).get_json()
    assert cluster["page"] == "/clusters/silicon-saxony"


@pytest.mark.parametrize("url, node", [
    ("/clusters/silicon-saxony", "cluster:silicon-saxony"),
    ("/organisations/globalfoundries", "organisation:globalfoundries"),
    ("/competencies/chip-design", "competency:chip-design"),
    ("/resource?iri=https://w3id.org/clusterkg/id/industry/ecosystem-health", "industry:ecosystem-health"),
])
def test_open_in_explorer_lands_on_a_view_centred_on_the_entity(client, url, node):
    html = client.get(url).get_data(as_text=True)
    href = re.search(r'<a href="([^"]+)">Open in explorer</a>', html).group(1).replace("&amp;", "&")
    landed = client.get(href, headers=JSON, follow_redirects=True)
    assert landed.status_code == 200 and landed.request.path == "/explore"
    body = landed.get_json()
    assert body["focus"] == node and landed.request.args["node"] == node
    assert len(body["nodes"]) > 1 and body["nodes"][0]["id"] == node


def test_open_in_explorer_for_any_other_resource_draws_its_triples(client):
    iri = "https://w3id.org/clusterkg/id/country/DE"
    html = client.get("/resource", query_string={"iri": iri}).get_data(as_text=True)
    href = re.search(r'<a href="([^"]+)">Open in explorer</a>', html).group(1).replace("&amp;", "&")
    landed = client.get(href, headers=JSON, follow_redirects=True)
    assert landed.status_code == 200 and landed.request.path == "/explore/query"
    assert landed.request.args["node"] == "iri:" + iri
    assert "iri:" + iri in {n["id"] for n in landed.get_json()["nodes"]}
    missing = client.get("/explore?focus=https://w3id.org/clusterkg/id/cluster/atlantis", headers=JSON)
    assert missing.status_code == 404


@pytest.mark.parametrize("kind, text, expected", [
    # the Russian names of the sheets' name_ru and label_ru, in Cyrillic and in a Latin transliteration
    ("clusters", "Калужский фармацевтический", "kaluga-pharmaceutical-cluster"),
    ("clusters", "Kaluzhskiy farmatsevticheskiy", "kaluga-pharmaceutical-cluster"),
    ("organisations", "Полесский государственный", "polessky-state-university"),
    ("organisations", "Polesskiy gosudarstvennyy", "polessky-state-university"),
    ("competencies", "телекоммуникации", "telecommunications"),
    ("competencies", "telekommunikatsii", "telecommunications"),
    ("competencies", "датчики", "sensor-technology"),
    ("competencies", "datchiki", "sensor-technology"),
])
def test_search_finds_russian_names_in_cyrillic_and_in_latin_letters(client, kind, text, expected):
    """Russian clusters, organisations and competencies are found by their Russian names, and by a
    transliteration of them that their English names do not contain."""
    found = [r["id"] for r in client.get("/index.json", query_string={"q": text}).get_json()["results"][kind]]
    assert expected in found, (text, found)
