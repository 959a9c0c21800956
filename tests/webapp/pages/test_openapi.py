"""The OpenAPI description documents every JSON route of the app, and only routes that exist."""

from __future__ import annotations

import re

from clusterkg.webapp.openapi import PATHS
from clusterkg.webapp.pages import BLUEPRINTS


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule)


def json_routes(app) -> set[str]:
    """Routes answering JSON: every page route (JSON twin by Accept), ``.json`` twins, ``/api/...``."""
    routes = set()
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if blueprint in BLUEPRINTS + ("explorer",) or rule.rule.endswith(".json") or rule.rule.startswith("/api/"):
            routes.add(openapi_path(rule.rule))
    return routes


def test_every_json_route_is_documented_and_every_documented_path_exists(app):
    routes = json_routes(app)
    assert len(routes) > 25
    assert sorted(routes - set(PATHS)) == [], "JSON routes missing from webapp/openapi.py"
    all_routes = {openapi_path(rule.rule) for rule in app.url_map.iter_rules()}
    assert sorted(set(PATHS) - all_routes) == [], "documented paths the app does not serve"


def test_served_document_is_openapi_3_with_the_error_shape(client):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert set(document["components"]["schemas"]["Error"]["required"]) == {"ok", "error", "status"}
    for path, item in document["paths"].items():
        operation = item.get("get") or item["post"]  # POST: the admin's /api/import
        assert operation["responses"]["200"], path
        declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
        assert declared == set(re.findall(r"{([a-z_]+)}", path)), path
