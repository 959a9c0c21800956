"""One error shape for JSON clients (unknown -> 404 with candidates, bad parameter -> 400), a page for browsers."""

from __future__ import annotations

import pytest

JSON = {"Accept": "application/json"}


def assert_error(response, status: int) -> str:
    assert response.status_code == status
    assert response.content_type == "application/json"
    body = response.get_json()
    assert set(body) == {"ok", "error", "status", "code", "message"}
    assert body["ok"] is False and body["status"] == status and body["error"]
    return body["error"]


def test_unknown_cluster_is_404_with_the_closest_names(client):
    message = assert_error(client.get("/clusters/silicon-saxonia.json"), 404)
    assert "unknown cluster" in message and "Silicon Saxony [silicon-saxony]" in message
    message = assert_error(client.get("/clusters/silicon%20saxonia/recommendations", headers=JSON), 404)
    assert "Silicon Saxony" in message
    assert_error(client.get("/partner-search.json?cluster=silicon-saxonia"), 404)


@pytest.mark.parametrize("url", [
    "/clusters.json?sort=size",
    "/clusters.json?order=up",
    "/clusters.json?country=XX",
    "/clusters.json?industry=no-such-industry",
    "/clusters/silicon-saxony/recommendations.json?limit=many",
    "/clusters/silicon-saxony/recommendations.json?limit=0",
    "/clusters/silicon-saxony/recommendations.json?include_existing=maybe",
    "/clusters/silicon-saxony/applications.json?scheme=nope",
    "/communities.json?resolution=nan",
    "/blitz.json?participant=silicon-saxony",
    "/blitz.json?participant=silicon-saxony&participant=biorn&rounds=0",
    "/blitz.json?participant=silicon-saxony&participant=no-such-participant-anywhere",
    "/market-check.json",
    "/market-check.json?development=no-such-development",
    "/partner-search.json",
    "/partner-search.json?cluster=silicon-saxony&searched=1",
    "/partner-search.json?cluster=silicon-saxony&gap=not-a-gap",
    "/partner-search.json?cluster=silicon-saxony&org_type=spaceship",
    "/partner-search.json?cluster=silicon-saxony&country=ZZ",
    "/partner-search.json?cluster=silicon-saxony&prefer_domestic=-1",
    "/partner-search.csv?cluster=silicon-saxony&limit=1000",
    "/resource.json",
    "/resource.json?iri=not%20an%20iri",
])
def test_bad_parameter_is_400(client, url):
    assert_error(client.get(url, headers=JSON), 400)


def test_unknown_page_things_are_404(client):
    assert_error(client.get("/organisations/nobody-at-all.json"), 404)
    assert_error(client.get("/competencies/nothing-like-this.json"), 404)
    assert_error(client.get("/resource.json?iri=https%3A%2F%2Fexample.org%2Fnothing"), 404)


def test_a_browser_gets_an_error_page(client):
    response = client.get("/clusters/silicon-saxonia", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.content_type.startswith("text/html")
    page = response.get_data(as_text=True)
    assert "Silicon Saxony [silicon-saxony]" in page and 'role="alert"' in page
    response = client.get("/clusters?sort=size", headers={"Accept": "text/html"})
    assert response.status_code == 400 and "parameter &#39;sort&#39;" in response.get_data(as_text=True)


@pytest.fixture()
def unreachable_client():
    """The app on a remote store whose server is down (a loopback port nobody listens on)."""
    import socket

    from clusterkg.graph.store import SparqlProtocolStore
    from clusterkg.webapp import create_app
    from clusterkg.webapp.pages import register

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app({"KNOWLEDGE_STORE": SparqlProtocolStore(f"http://127.0.0.1:{port}/query", timeout=5),
                      "TESTING": True})
    register(app)
    yield app.test_client(), port
    app.extensions["clusterkg"].close()


@pytest.mark.parametrize("url", ["/clusters/silicon-saxony", "/resource?iri=https://w3id.org/clusterkg/id/cluster/x",
                                 "/explore?view=partnerships"])
def test_a_store_failure_during_a_page_is_a_formatted_503(unreachable_client, url):
    client, port = unreachable_client
    message = assert_error(client.get(url, headers=JSON), 503)
    assert "try again later" in message and str(port) not in message  # the server's address stays in the log
    page = client.get(url, headers={"Accept": "text/html"})
    assert page.status_code == 503 and page.content_type.startswith("text/html")
    text = page.get_data(as_text=True)
    assert "Cannot answer (503)" in text and "try again later" in text and str(port) not in text
