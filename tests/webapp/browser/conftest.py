"""Browser tests: real Chromium (Debian's /usr/bin/chromium, driven by Playwright) against a real
waitress server on 127.0.0.1 serving the real default dataset from an on-disk store.

Fixtures:

``default_store_template``
    A closed on-disk store initialised with the ontology and the default dataset (once per
    session); copy it before writing to it.
``serve``
    ``serve(store_path, admin_token=None) -> base URL``: start another server (all blueprints
    that expose ``register(app)``; writes allowed with ``admin_token``); stopped at the end of
    the session.
``live_server``
    Base URL of the session's server on a copy of the default dataset.
``browser``
    A headless Chromium (the tests are skipped, with the reason, when it is not installed).
``page``
    A fresh Playwright page that records console errors, page errors and every request; the
    test fails afterwards if there was a console error or a request to anything but one of
    the servers started here. ``page.console_errors`` and ``page.requested`` hold them.
"""

from __future__ import annotations

import importlib
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import waitress

from clusterkg.webapp import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: blueprints mounted with their package's ``register(app)``, when the package exists
BLUEPRINT_PACKAGES = ("clusterkg.webapp.explorer", "clusterkg.webapp.pages")


def build_app(store_path: Path | str, admin_token: str | None = None):
    app = create_app({"STORE": str(store_path), "ADMIN_TOKEN": admin_token, "QUERY_WORKERS": 2})
    for name in BLUEPRINT_PACKAGES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
    return app



@pytest.fixture(scope="session")
def _started_servers(stop_waitress) -> Iterator[list]:
    started: list = []
    yield started
    for server, thread, app, _ in started:
        stop_waitress(server, thread)
        app.extensions["clusterkg"].close()


@pytest.fixture(scope="session")
def serve(_started_servers: list):
    def start(store_path: Path | str, admin_token: str | None = None) -> str:
        app = build_app(store_path, admin_token)
        server = waitress.create_server(app, host="127.0.0.1", port=0, threads=8)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base_url = f"http://127.0.0.1:{server.effective_port}"
        _started_servers.append((server, thread, app, base_url))
        return base_url

    return start


@pytest.fixture(scope="session")
def live_server(serve, default_store_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    copy = shutil.copytree(default_store_template, tmp_path_factory.mktemp("browser-live") / "store")
    return serve(copy)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (Debian package 'chromium')")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server: str, _started_servers: list):
    context = browser.new_context()
    tab = context.new_page()
    tab.console_errors = []
    tab.requested = []
    tab.on("console", lambda message: tab.console_errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: tab.console_errors.append(f"page error: {error}"))
    tab.on("request", lambda request: tab.requested.append(request.url))
    yield tab
    context.close()
    allowed = tuple(base + "/" for *_, base in _started_servers)
    outside = [url for url in tab.requested if not url.startswith(allowed) and not url.startswith("data:")]
    assert not outside, f"requests to other hosts: {outside}"
    assert not tab.console_errors, f"console errors: {tab.console_errors}"
