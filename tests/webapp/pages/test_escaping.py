"""A label full of markup is shown as text everywhere: Jinja escapes it, nothing reaches the page raw."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from flask import Flask

from clusterkg.graph.sheets import build_rows
from clusterkg.webapp.extension import state

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"
SOURCE = "https://example.org/escaping-test"


@pytest.fixture(scope="module")
def evil_app(app_factory, default_store_template, tmp_path_factory) -> Iterator[Flask]:
    app = app_factory(default_store_template, tmp_path_factory.mktemp("evil"))
    rows = {
        "clusters": [{"id": "evil-cluster", "name": PAYLOAD, "countries": "DE", "industries": "ecosystem-electronics",
                      "source_url": SOURCE, "source_quote": PAYLOAD}],
        "affiliations": [{"cluster": "evil-cluster", "organisation": "fraunhofer-ikts", "relation": "member",
                          "role": PAYLOAD, "source_url": SOURCE, "source_quote": PAYLOAD}],
    }
    with app.app_context():
        for sheet, sheet_rows in rows.items():
            graph, problems = build_rows(sheet, sheet_rows, sheet + ".csv")
            assert not problems
            state().write(lambda store, graph=graph: store.insert_graph(graph))
    yield app
    app.extensions["clusterkg"].close()


def assert_escaped(html: str) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<script>alert" not in html
    assert not re.search(r"<img[^>]*onerror", html)


@pytest.mark.parametrize("url", [
    "/clusters/evil-cluster",
    "/clusters",
    "/?q=script",
    "/organisations/fraunhofer-ikts",
    "/partner-search?cluster=evil-cluster",
    "/clusters/evil-cluster/recommendations",
    "/clusters/evil-cluster/applications",
    "/resource?iri=https%3A%2F%2Fw3id.org%2Fclusterkg%2Fid%2Fcluster%2Fevil-cluster",
    "/blitz?participant=evil-cluster&participant=silicon-saxony&rounds=1",
])
def test_label_is_escaped(evil_app, url):
    response = evil_app.test_client().get(url)
    assert response.status_code == 200, response.data[:300]
    assert_escaped(response.get_data(as_text=True))


def test_graph_data_cannot_close_its_script_tag(evil_app):
    html = evil_app.test_client().get("/clusters/evil-cluster").get_data(as_text=True)
    block = re.search(r'<script type="application/json" id="graph-data-cluster">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and ">" not in block  # tojson writes them as \u003c / \u003e
    labels = [node["label"] for node in json.loads(block)["nodes"]]
    assert PAYLOAD in labels  # the drawing shows the label as text (graph.js uses textContent)


def test_json_twin_keeps_the_label_as_data(evil_app):
    data = evil_app.test_client().get("/clusters/evil-cluster.json").get_json()
    assert data["cluster"]["label"] == PAYLOAD and data["cluster"]["quotes"] == [PAYLOAD]
