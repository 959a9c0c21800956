"""The Flask web application: the SPARQL endpoint, the Graph Store and (later) the pages.

``create_app(test_config=None)`` builds it; the opened store, its projection cache and the
query runner live in ``app.extensions["clusterkg"]`` (:class:`~clusterkg.webapp.extension.ClusterKG`).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from clusterkg.graph.store import OxigraphStore, StoreError, open_store
from clusterkg.settings import default_store_path, get_setting

__all__ = ["create_app"]


def _open_configured_store(config) -> object:
    location = config.get("STORE")
    if location == ":memory:":
        return OxigraphStore()
    endpoint = config.get("ENDPOINT")
    if endpoint:  # update and Graph Store URLs: the settings, else derived (graph/endpoints.py)
        return open_store(endpoint=endpoint, update_endpoint=get_setting("update_endpoint"),
                          graph_store_endpoint=get_setting("graph_store_endpoint"),
                          token=get_setting("endpoint_token"))
    path = Path(location or default_store_path())
    if not path.exists():
        raise StoreError(f"no store at {path}: run `clusterkg init` first (or set CLUSTERKG_STORE)")
    return OxigraphStore(path)


def create_app(test_config: dict | None = None) -> Flask:
    """The web app. ``test_config`` overrides the settings; keys:

    ``STORE`` (a directory, or ``":memory:"``), ``KNOWLEDGE_STORE`` (an opened store to serve),
    ``ENDPOINT``, ``QUERY_TIMEOUT``, ``MAX_ROWS``, ``ADMIN_TOKEN``, ``QUERY_WORKERS``.
    """
    from clusterkg.webapp import explorer, graph_store, pages, sparql
    from clusterkg.webapp import importing
    from clusterkg.webapp.errors import register_error_handlers
    from clusterkg.webapp.extension import ClusterKG

    app = Flask(__name__)
    app.config.from_mapping(
        STORE=get_setting("store"),
        ENDPOINT=get_setting("endpoint"),
        QUERY_TIMEOUT=get_setting("query_timeout"),  # typed and checked by the settings table
        MAX_ROWS=get_setting("max_rows"),
        ADMIN_TOKEN=get_setting("admin_token"),
        QUERY_WORKERS=get_setting("query_workers"),
        QUERY_CACHE=get_setting("query_cache"),
        JSON_SORT_KEYS=False,
    )
    if test_config:
        app.config.from_mapping(test_config)
    store = app.config.get("KNOWLEDGE_STORE") or _open_configured_store(app.config)
    ClusterKG(
        store,
        query_timeout=float(app.config["QUERY_TIMEOUT"]),
        max_rows=int(app.config["MAX_ROWS"]),
        admin_token=app.config["ADMIN_TOKEN"],
        query_workers=int(app.config["QUERY_WORKERS"]),
        query_cache=int(app.config.get("QUERY_CACHE", 0)),
    ).init_app(app)
    register_error_handlers(app)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(graph_store.bp)
    app.register_blueprint(importing.bp)
    pages.register(app)
    explorer.register(app)
    return app
