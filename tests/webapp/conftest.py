"""Fixtures: the real app on a real waitress server on 127.0.0.1, over an on-disk store.

``serve_app(store_path, **config)`` starts one and returns its base URL; every server started
in a test is stopped (and its query workers killed) after it. Tests that take ``serve_app`` or
``server`` run three times (``backend``): the app on the embedded store, the app in front of a
real ``oxigraph serve`` on 127.0.0.1 that opened the same store directory, and the app in front
of a real Virtuoso on 127.0.0.1 holding a copy of the store's data (loaded through the store's
own write path; its URLs derived from the query URL as a user's would be). Two Virtuoso servers
serve the whole session: one for the servers a module shares, one for the servers of single
tests, so a test's fresh copy never replaces the data its module's server shows.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import waitress

from clusterkg.graph.dataset import initialise
from clusterkg.graph.store import OxigraphStore, store_directory
from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic
from clusterkg.webapp import create_app

TOKEN = "test-admin-token"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self):
        return json.loads(self.body)


def request(method: str, url: str, body: bytes | str | None = None, headers: dict[str, str] | None = None,
            timeout: float = 30) -> Reply:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        data = body.encode() if isinstance(body, str) else body
        conn.request(method, parts.path + ("?" + parts.query if parts.query else ""), body=data, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()


def quote(text: str) -> str:
    return urllib.parse.quote(text, safe="")


@pytest.fixture(scope="session")
def synthetic_nt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~60k synthetic triples: big enough for a cross join that never ends in time."""
    path = tmp_path_factory.mktemp("synthetic") / "data.nt"
    write_synthetic(SyntheticSpec(clusters=20, organisations=2000, competencies=100, seed=7), path)
    return path


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory, synthetic_nt: Path) -> Path:
    """An on-disk store holding the synthetic data, loaded once and copied by each test."""
    path = tmp_path_factory.mktemp("template") / "store"
    with OxigraphStore(path) as store:
        store.insert_ntriples(synthetic_nt)
    return path


@pytest.fixture
def store_path(tmp_path: Path, store_template: Path) -> Path:
    """A private copy of the synthetic store (closed, so a server can open it)."""
    return Path(shutil.copytree(store_template, tmp_path / "store"))


def oxigraph_binary() -> str:
    """The ``oxigraph`` server binary installed beside this Python (the venv), else on PATH."""
    beside = Path(sys.executable).with_name("oxigraph")
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    assert found, "the oxigraph server binary is missing: pip install -e '.[test]' installs it"
    return found


def start_oxigraph(location: Path) -> tuple[subprocess.Popen, str]:
    """``oxigraph serve`` on ``location`` and a free loopback port; returns (process, base URL)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        # a clusterkg store keeps its data in its current generation's directory
        [oxigraph_binary(), "serve", "--location", str(store_directory(location)), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):  # bounded: ~30 s
        try:
            if request("GET", f"{base}/query?query=ASK%7B%7D", timeout=1).status == 200:
                return process, base
        except OSError:
            pass
        assert process.poll() is None, f"oxigraph serve exited with {process.returncode}"
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"oxigraph serve did not answer on {base}")


@pytest.fixture
def oxigraph() -> Iterator[Callable[[Path], str]]:
    """``oxigraph(location) -> base URL``: a real ``oxigraph serve``, stopped after the test."""
    processes = []

    def start(location: Path) -> str:
        process, base = start_oxigraph(location)
        processes.append(process)
        return base

    yield start
    for process in processes:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module", params=["embedded", "remote", "virtuoso"])
def backend(request: pytest.FixtureRequest) -> str:
    """Where the served data lives: the embedded store, a real ``oxigraph serve`` or a real
    Virtuoso behind the app."""
    return request.param


_LOADED: dict[str, tuple[str, str]] = {}  # Virtuoso query URL -> (digest of the data, its data version)


def copy_into_virtuoso(server, store: Path) -> str:
    """Make ``server`` (a :class:`~clusterkg.graph.virtuoso.LocalVirtuoso`) hold the data of the
    on-disk store at ``store`` and nothing else; returns the query URL to serve.

    Loading takes seconds, so it is skipped when the server already holds the same data
    unchanged: the same data was loaded last and the data version (which every write through
    a clusterkg store changes, the app's included) is still the one the load left."""
    with OxigraphStore.read_only(store) as source:
        data = source.dump("application/n-triples")
    digest = hashlib.sha256(data).hexdigest()
    with server.connect(timeout=120) as target:
        if _LOADED.get(server.query_url) != (digest, target.data_version()):
            target.clear()
            target.insert_ntriples(data)
            _LOADED[server.query_url] = (digest, target.data_version())
    return server.query_url


def stop_server(server, thread: threading.Thread) -> None:
    """Stop a waitress server run in ``thread``: its sockets are closed inside the server's own
    loop thread (closed from outside while the loop selects on them, the loop fails with EBADF)."""
    server.task_dispatcher.shutdown(timeout=5)  # no request thread may touch the server after close

    def close_all():  # runs inside the server's loop thread; the loop then ends
        for channel in list(server._map.values()):
            channel.close()

    try:
        server.trigger.pull_trigger(close_all)
    except OSError:  # the loop already ended and closed its trigger: close what is left here
        close_all()
    thread.join(5)


@pytest.fixture(scope="session")
def stop_waitress():
    """:func:`stop_server`, for test modules below this folder."""
    return stop_server


def _servers(backend: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., str]]:
    started, remotes = [], []

    def start(store: Path | str, **config) -> str:
        # (one spare worker is enough for most tests; the runaway test asks for the default)
        config = {"STORE": str(store), "ADMIN_TOKEN": TOKEN, "QUERY_WORKERS": 2, "QUERY_RESERVE": 1, **config}
        if backend == "remote":
            process, base = start_oxigraph(Path(store))
            remotes.append(process)
            config.update(STORE=None, ENDPOINT=f"{base}/query", UPDATE_ENDPOINT=f"{base}/update",
                          GRAPH_STORE_ENDPOINT=f"{base}/store")
        elif backend == "virtuoso":
            shared = request.scope == "module"
            virtuoso = request.getfixturevalue("virtuoso_server" if shared else "spare_virtuoso_server")
            config.update(STORE=None, ENDPOINT=copy_into_virtuoso(virtuoso, Path(store)))
        app = create_app(config)
        server = waitress.create_server(app, host="127.0.0.1", port=0, threads=8)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        started.append((server, thread, app))
        start.app = app  # the app behind the last URL, for tests that look inside
        return f"http://127.0.0.1:{server.effective_port}"

    yield start
    for server, thread, app in started:
        stop_server(server, thread)
        app.extensions["clusterkg"].close()
    for process in remotes:
        process.terminate()
        process.wait(10)


serve_app = pytest.fixture(_servers)
_module_servers = pytest.fixture(_servers, scope="module", name="_module_servers")


@pytest.fixture(scope="module")
def server(_module_servers, backend, store_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Base URL of a live server shared by a test module (admin token :data:`TOKEN`).

    Tests that write through it must not depend on what other tests wrote; tests that need
    a clean store use ``serve_app(store_path)``.
    """
    copy = shutil.copytree(store_template, tmp_path_factory.mktemp("shared") / "store")
    return _module_servers(copy)


class Listener:
    """A loopback socket that records every connection made to it (there must be none)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/data"

    def connections(self) -> int:
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                return count
            conn.close()
            count += 1


@pytest.fixture
def listener() -> Iterator[Listener]:
    watcher = Listener()
    yield watcher
    watcher.sock.close()


@pytest.fixture
def raw():
    """Raw HTTP helpers: ``raw.request(method, url, body, headers)``, ``raw.quote``, ``raw.token``."""
    from types import SimpleNamespace

    return SimpleNamespace(request=request, quote=quote, token=TOKEN)


@pytest.fixture(scope="session")
def default_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed on-disk store with the ontology and the default dataset, made once per session
    for the pages, editing and browser tests: copy it before writing to it."""
    path = tmp_path_factory.mktemp("default-data") / "store"
    with OxigraphStore(path) as store:
        initialise(store, progress=False)
    return path
