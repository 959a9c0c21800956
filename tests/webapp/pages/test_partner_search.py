"""Partner search: ticked gaps restore from the URL, filters apply, CSV and SPARQL agree with the ranking."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from clusterkg.graph.analysis.gaps import find_gaps

CLUSTER = "silicon-saxony"


@pytest.fixture(scope="module")
def offered(projection):
    return [g.competency_id for g in find_gaps(projection, CLUSTER, lens="all", limit=20).combined]


def test_first_visit_ticks_every_gap_and_searches_them(client, offered):
    data = client.get(f"/partner-search.json?cluster={CLUSTER}").get_json()
    assert data["selected"] == offered and len(offered) > 3
    assert [c["id"] for c in data["gap"]["competencies"]] == offered
    assert data["partners"] and all(p["why"] for p in data["partners"])
    html = client.get(f"/partner-search?cluster={CLUSTER}").get_data(as_text=True)
    assert html.count('name="gap"') == len(offered) and html.count("checked>") >= len(offered)


def test_ticked_gaps_are_the_ones_searched_and_restored(client, offered):
    chosen = offered[:2]
    url = f"/partner-search?cluster={CLUSTER}&searched=1&" + "&".join(f"gap={g}" for g in chosen)
    data = client.get(url, headers={"Accept": "application/json"}).get_json()
    assert [c["id"] for c in data["gap"]["competencies"]] == chosen
    for partner in data["partners"]:
        assert {c["competency"]["id"] for c in partner["covers"]} <= set(chosen)
    html = client.get(url).get_data(as_text=True)
    ticked = re.findall(r'name="gap" value="([^"]+)" id="gap-\d+" checked', html)
    assert ticked == chosen


def test_nothing_ticked_is_an_honest_empty_state(client):
    html = client.get(f"/partner-search?cluster={CLUSTER}&searched=1").get_data(as_text=True)
    assert "no gap ticked" in html and 'id="partners"' not in html


def test_filters_restrict_the_partners(client):
    base = f"/partner-search.json?cluster={CLUSTER}"
    domestic = client.get(base + "&domestic=1").get_json()
    assert domestic["partners"] and all(p["organisation"]["country"] == "DE" for p in domestic["partners"])
    universities = client.get(base + "&org_type=university").get_json()
    assert all(p["organisation"]["type"] == "university" for p in universities["partners"])
    everyone = client.get(base).get_json()
    top_cluster = everyone["partners"][0]["clusters"][0]["id"]
    without = client.get(base + f"&exclude={top_cluster}").get_json()
    assert all(top_cluster not in [c["id"] for c in p["clusters"]] for p in without["partners"])


def test_csv_download_matches_the_ranking(client):
    response = client.get(f"/partner-search.csv?cluster={CLUSTER}&limit=5")
    assert response.content_type.startswith("text/csv")
    assert f'partners-{CLUSTER}.csv' in response.headers["Content-Disposition"]
    frame = pd.read_csv(io.BytesIO(response.data))
    data = client.get(f"/partner-search.json?cluster={CLUSTER}&limit=5").get_json()
    assert frame["organisation_id"].tolist() == [p["organisation"]["id"] for p in data["partners"]]


@pytest.mark.parametrize("query", ["", "&domestic=1", "&org_type=large_enterprise&org_type=sme", "&exclude=cool-silicon"])
def test_the_sparql_query_finds_the_same_partners_with_the_same_coverage(app, client, query):
    data = client.get(f"/partner-search.json?cluster={CLUSTER}&limit=100{query}").get_json()
    with app.app_context():
        _, rows = app.extensions["clusterkg"].store.select_values(data["sparql"])
    coverage = {iri: float(value) for iri, _, value, _, _ in rows}
    assert len(coverage) == data["candidates"]
    for partner in data["partners"]:
        assert coverage[partner["organisation"]["iri"]] == pytest.approx(partner["coverage"], abs=1e-5)


def test_show_the_sparql_opens_the_editor_with_the_query(client):
    html = client.get(f"/partner-search?cluster={CLUSTER}").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" id="show-sparql"', html).group(1).replace("&amp;", "&")
    assert link.startswith("/sparql?query=")
    query = parse_qs(urlsplit(link).query)["query"][0]
    editor = client.get(link, headers={"Accept": "text/html"})
    assert editor.status_code == 200 and editor.content_type.startswith("text/html")
    config = re.search(r'<script type="application/json" id="clusterkg-sparql-config">(.*?)</script>',
                       editor.get_data(as_text=True), re.S).group(1)
    assert json.loads(config)["query"] == query
    assert "VALUES (?gap ?weight)" in query


def test_result_graph_and_cover_are_shown(client):
    html = client.get(f"/partner-search?cluster={CLUSTER}").get_data(as_text=True)
    assert 'id="graph-data-partners"' in html and "Smallest covering set" in html
    assert "Download CSV" in html


def test_value_chain_template_adds_target_gaps_and_is_restored(client):
    data = client.get("/partner-search.json?cluster=silicon-saxony&template=semiconductors").get_json()
    target = [g for g in data["offered"]["combined"] if "target" in g["evidence"]["lenses"]]
    assert target, data["offered"]["notes"]
    assert data["offered"]["template"]["id"] == "semiconductors"
    html = client.get("/partner-search?cluster=silicon-saxony&template=semiconductors").get_data(as_text=True)
    assert '<option value="semiconductors" selected>' in html


def test_unknown_template_is_a_bad_parameter(client):
    response = client.get("/partner-search.json?cluster=silicon-saxony&template=no-such-chain")
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("parameter 'template'")
