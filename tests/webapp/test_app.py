"""The app factory and its one JSON error shape."""

from __future__ import annotations

import logging

import pytest

from clusterkg.graph.errors import ClusterNotFound
from clusterkg.webapp import create_app


@pytest.fixture
def app():
    app = create_app({"STORE": ":memory:", "ADMIN_TOKEN": None})

    @app.route("/_test/not-found")
    def not_found():
        raise ClusterNotFound("atlantis")

    @app.route("/_test/bug")
    def bug():
        raise RuntimeError("secret internal detail")

    yield app
    app.extensions["clusterkg"].close()


def test_state_lives_in_the_extension(app):
    ckg = app.extensions["clusterkg"]
    assert ckg.store.triple_count() == 0
    assert ckg.projections.store is ckg.store
    assert ckg.max_rows == 10_000 and ckg.query_timeout == 10.0


def test_two_apps_do_not_share_state():
    first, second = create_app({"STORE": ":memory:"}), create_app({"STORE": ":memory:"})
    assert first.extensions["clusterkg"].store is not second.extensions["clusterkg"].store
    first.extensions["clusterkg"].close()
    second.extensions["clusterkg"].close()


def test_home_page_has_no_external_assets(app):
    page = app.test_client().get("/").get_data(as_text=True)
    assert "/sparql" in page
    assert "http://" not in page and "https://" not in page and 'src="//' not in page


@pytest.mark.parametrize("path, status", [
    ("/no/such/page", 404),
    ("/_test/not-found", 404),
    ("/_test/bug", 500),
])
def test_every_error_has_one_json_shape(app, path, status):
    response = app.test_client().get(path)
    assert response.status_code == status
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"ok", "error", "status", "code", "message"}
    assert body["ok"] is False and body["status"] == status and body["error"]


def test_user_errors_say_what_is_wrong(app):
    body = app.test_client().get("/_test/not-found").get_json()
    assert "unknown cluster 'atlantis'" in body["error"]


def test_bugs_are_logged_but_not_shown(app, caplog):
    with caplog.at_level(logging.ERROR):
        body = app.test_client().get("/_test/bug").get_json()
    assert "secret" not in body["error"] and "Traceback" not in body["error"]
    assert "secret internal detail" in caplog.text


def test_memory_store_uses_the_thread_fallback(app):
    from clusterkg.webapp.query_runner import CachedQueryRunner, ThreadQueryRunner

    runner = app.extensions["clusterkg"].runner
    inner = runner.runner if isinstance(runner, CachedQueryRunner) else runner
    assert isinstance(inner, ThreadQueryRunner)
    client = app.test_client()
    response = client.get("/sparql", query_string={"query": "ASK {}"})
    assert response.status_code == 200 and response.get_json()["boolean"] is True


def test_missing_store_is_a_clear_error(tmp_path):
    from clusterkg.graph.store import StoreError

    with pytest.raises(StoreError, match="clusterkg init"):
        create_app({"STORE": str(tmp_path / "nothing-here")})


def test_the_app_closes_its_workers_and_store_itself(store_path):
    import gc

    from clusterkg.graph.store import StoreError

    app = create_app({"STORE": str(store_path), "QUERY_WORKERS": 1, "QUERY_RESERVE": 1, "QUERY_CACHE": 0})
    ckg = app.extensions["clusterkg"]
    store, processes = ckg.store, [w.process for w in ckg.runner._workers.values()]
    assert processes and all(p.poll() is None for p in processes) and store.triple_count() > 0
    del app, ckg
    gc.collect()  # no caller closed anything: the app's own finalizer closes its runner and store
    assert all(p.wait(10) is not None for p in processes)
    with pytest.raises(StoreError):
        store.triple_count()
