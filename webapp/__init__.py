"""The Flask web application: the SPARQL endpoint, the Graph Store and (later) the pages.

``create_app(test_config=None)`` builds it; the opened store, its projection cache and the
query runner live in ``app.extensions["clusterkg"]`` (:class:`~clusterkg.webapp.extension.ClusterKG`).
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from clusterkg.settings import default_store_path, get_setting

if TYPE_CHECKING:
    from flask import Flask
# (Flask and the store load inside create_app: query workers import this package and start faster)

__all__ = ["create_app"]


def _open_configured_store(config) -> object:
    from clusterkg.graph.store import OxigraphStore, StoreError, open_store

    location = config.get("STORE")
    if location == ":memory:":
        return OxigraphStore()
    endpoint = config.get("ENDPOINT")
    if endpoint:  # update and Graph Store URLs: the settings, else derived (graph/endpoints.py)
        return open_store(
            endpoint=endpoint,
            update_endpoint=config.get("UPDATE_ENDPOINT"),
            graph_store_endpoint=config.get("GRAPH_STORE_ENDPOINT"),
            token=config.get("ENDPOINT_TOKEN"),
        )
    path = Path(location or default_store_path())
    if not path.exists():
        raise StoreError(f"no store at {path}: run `clusterkg init` first (or set CLUSTERKG_STORE)")
    return OxigraphStore(path)


def create_app(test_config: dict | None = None) -> Flask:
    """The web app. ``test_config`` overrides the settings; keys:

    ``STORE`` (a directory, or ``":memory:"``), ``KNOWLEDGE_STORE`` (an opened store to serve),
    ``ENDPOINT``, ``UPDATE_ENDPOINT``, ``GRAPH_STORE_ENDPOINT``, ``ENDPOINT_TOKEN`` (a remote
    server), ``QUERY_TIMEOUT``, ``MAX_ROWS``, ``ADMIN_TOKEN``, ``QUERY_WORKERS``, ``QUERY_CACHE``,
    ``QUERY_RESERVE`` (idle query workers kept ready beside the busy ones; default 3),
    ``ACCOUNTS`` (the accounts database, see :mod:`clusterkg.webapp.accounts`), ``SECRET_KEY``,
    ``PROJECTION_CACHE`` (the directory where analytic projections are shared between processes,
    by default the ``cache`` setting; empty: kept in memory only), ``QUERY_IN_PROCESS`` (a reader
    front's: queries in ``QUERY_WORKERS`` threads of this process on its read-only store).

    The app closes its query workers and its store itself, when it is garbage-collected or the
    interpreter exits; callers that want them gone sooner call
    ``app.extensions["clusterkg"].close()``.
    """
    from flask import Flask

    from clusterkg.webapp import explorer, graph_store, pages, sparql
    from clusterkg.webapp import deleting, i18n, importing
    from clusterkg.webapp.errors import register_error_handlers
    from clusterkg.webapp.extension import ClusterKG

    app = Flask(__name__)
    app.config.from_mapping(
        STORE=get_setting("store"),
        ENDPOINT=get_setting("endpoint"),
        UPDATE_ENDPOINT=get_setting("update_endpoint"),
        GRAPH_STORE_ENDPOINT=get_setting("graph_store_endpoint"),
        ENDPOINT_TOKEN=get_setting("endpoint_token"),
        QUERY_TIMEOUT=get_setting("query_timeout"),  # typed and checked by the settings table
        MAX_ROWS=get_setting("max_rows"),
        ADMIN_TOKEN=get_setting("admin_token"),
        QUERY_WORKERS=get_setting("query_workers"),
        QUERY_CACHE=get_setting("query_cache"),
        ACCOUNTS=get_setting("accounts"),
        SECRET_KEY=get_setting("secret_key"),
        PROJECTION_CACHE=get_setting("cache"),
        JSON_SORT_KEYS=False,
    )
    if test_config:
        app.config.from_mapping(test_config)
    store = app.config.get("KNOWLEDGE_STORE") or _open_configured_store(app.config)
    ckg = ClusterKG(
        store,
        query_timeout=float(app.config["QUERY_TIMEOUT"]),
        max_rows=int(app.config["MAX_ROWS"]),
        admin_token=app.config["ADMIN_TOKEN"],
        query_workers=int(app.config["QUERY_WORKERS"]),
        query_cache=int(app.config.get("QUERY_CACHE", 0)),
        query_reserve=int(app.config.get("QUERY_RESERVE", 3)),
        projection_cache=app.config.get("PROJECTION_CACHE") or None,
        queries_in_process=bool(app.config.get("QUERY_IN_PROCESS")),
    )
    ckg.init_app(app)
    weakref.finalize(app, ckg.close)  # also runs at interpreter exit
    register_error_handlers(app)
    i18n.init_app(app)  # the interface's language per request (webapp/i18n.py)
    app.register_blueprint(sparql.bp)
    # GET /sparql?query=... answered before Flask's request machinery (same checks and answer)
    app.wsgi_app = app.extensions["clusterkg_lean"] = sparql.LeanQueries(app, app.wsgi_app)
    app.register_blueprint(graph_store.bp)
    app.register_blueprint(importing.bp)
    app.register_blueprint(deleting.bp)
    pages.register(app)
    explorer.register(app)
    from clusterkg.webapp import editing  # accounts, editing pages and the editing API

    editing.register(app)
    return app
