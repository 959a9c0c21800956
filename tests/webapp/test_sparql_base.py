"""Relative IRIs in a query resolve against the URL the request reached (``sparql.base_url``,
remembered per scheme, host and path): one host's base never answers for another's."""

from __future__ import annotations

import pytest

from clusterkg.graph.store import OxigraphStore
from clusterkg.webapp import create_app

QUERY = "SELECT ?u WHERE { BIND(<relative> AS ?u) }"


@pytest.fixture(scope="module")
def client():
    app = create_app({"KNOWLEDGE_STORE": OxigraphStore(), "STORE": ":memory:", "ADMIN_TOKEN": None})
    yield app.test_client()
    app.extensions["clusterkg"].close()


def _resolved(client, host: str, script_root: str = "", scheme: str = "http") -> str:
    answer = client.get("/sparql", query_string={"query": QUERY}, headers={
        "Host": host, "Accept": "application/sparql-results+json"},
        environ_overrides={"SCRIPT_NAME": script_root, "wsgi.url_scheme": scheme})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["results"]["bindings"][0]["u"]["value"]


@pytest.mark.parametrize("round_", [1, 2])  # the second round answers from what was remembered
def test_each_host_scheme_and_root_resolves_against_its_own_url(client, round_):
    assert _resolved(client, "a.example") == "http://a.example/relative"
    assert _resolved(client, "b.example:8080") == "http://b.example:8080/relative"
    assert _resolved(client, "a.example", "/kg") == "http://a.example/kg/relative"
    assert _resolved(client, "a.example", scheme="https") == "https://a.example/relative"
    assert _resolved(client, "xn--bcher-kva.example") == "http://bücher.example/relative"  # as werkzeug decodes it
