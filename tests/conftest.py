"""Shared fixtures: knowledge stores for every backend.

Stable fixtures for all test modules (keep their names and behaviour):

``memory_store``
    An empty in-memory :class:`~clusterkg.graph.store.OxigraphStore`, closed after the test.
``disk_store``
    An empty on-disk ``OxigraphStore`` in the test's ``tmp_path`` (its ``.path``), closed
    after the test.
``oxigraph_server``
    Session-wide real ``oxigraph serve`` process on 127.0.0.1 (an :class:`OxigraphServer`
    with ``query_url``, ``update_url``, ``store_url``). The binary is found beside the
    running Python (the venv's ``bin``, where ``pip install oxigraph`` puts it), then on PATH.
``remote_store``
    A :class:`~clusterkg.graph.store.SparqlProtocolStore` on that server, emptied before the
    test (the server is shared: never rely on data from another test).
``virtuoso_server``
    Session-wide real Virtuoso (Debian's ``virtuoso-opensource``) on 127.0.0.1, free HTTP and
    SQL ports, a temporary database: a :class:`~clusterkg.graph.virtuoso.LocalVirtuoso` with
    ``query_url`` and ``connect()``.
``spare_virtuoso_server``
    A second one like it, for data that must not replace what ``virtuoso_server`` shows
    (the web app's tests: one for the servers a module shares, this one for single tests).
``module_virtuoso_server``
    One for a single test module, whose tests leave the server in a state others must not meet.
``virtuoso_store``
    A ``SparqlProtocolStore`` on that server, emptied before the test.
``remote_server``
    Each real server in turn (params ``oxigraph``, ``virtuoso``), for tests of what a user
    does against "a SPARQL server": both have ``query_url`` and ``connect()``.
``clusterkg_serve``
    ``with clusterkg_serve(store_dir, admin_token=None) as url:`` runs ``clusterkg serve`` as a
    user does (the console script beside the running Python) on 127.0.0.1 and a free port,
    waits until ``/sparql`` answers, and stops it with SIGTERM afterwards (exit code 0).
    ``clusterkg_serve(None, endpoint=query_url)`` serves a remote SPARQL server instead.
    ``clusterkg_serve_for_module`` is the same for a server shared by a test module.
``any_store``
    Each store above in turn (params ``memory``, ``disk``, ``remote``, ``virtuoso``), so one test
    checks that every backend behaves the same. Tests that must know the backend can use
    ``isinstance(any_store, OxigraphStore)``, but should rarely have to.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from clusterkg.graph.store import KnowledgeStore, OxigraphStore, SparqlProtocolStore

SERVER_START_TIMEOUT_S = 20


def find_tool(name: str) -> str | None:
    """The console script ``name`` beside the running Python (the venv's bin), else on PATH.

    ``.venv/bin/python -m pytest`` does not put the venv's bin on PATH, so PATH alone misses
    the tools the test extras install there.
    """
    beside = Path(sys.executable).parent / name  # not resolved: the venv's python is a symlink
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI, a skip (a missing component: Oxigraph server, Chromium, ...) fails the test."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI", "").lower() == "true" and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where every component must be present: {reason}"


@dataclass(frozen=True)
class OxigraphServer:
    """Where the test server listens and keeps its data."""

    base_url: str
    location: Path

    @property
    def query_url(self) -> str:
        return self.base_url + "/query"

    @property
    def update_url(self) -> str:
        return self.base_url + "/update"

    @property
    def store_url(self) -> str:
        return self.base_url + "/store"

    def connect(self, timeout: float = 60) -> SparqlProtocolStore:
        """A new client of this server (a second one sees the same data). The time limit
        allows clearing the ~260k triples of a full ``init`` on a busy machine (seen > 10 s)."""
        return SparqlProtocolStore(self.query_url, self.update_url, self.store_url, timeout=timeout)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(query_url: str) -> bool:
    request = urllib.request.Request(
        query_url,
        data=b"ASK {}",
        headers={"Content-Type": "application/sparql-query",
                 "Accept": "application/sparql-results+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    binary = find_tool("oxigraph")
    if binary is None:
        pytest.skip(f"the `oxigraph` server binary is not beside {sys.executable} nor on PATH "
                    "(pip install oxigraph)")
    location = tmp_path_factory.mktemp("oxigraph-server")
    log_path = location.parent / (location.name + ".log")
    port = _free_port()
    server = OxigraphServer(f"http://127.0.0.1:{port}", location)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while not _answers(server.query_url):
                if process.poll() is not None:
                    pytest.fail(f"oxigraph serve exited with {process.returncode}: "
                                f"{log_path.read_text(errors='replace')}")
                if time.monotonic() > deadline:
                    pytest.fail(f"oxigraph serve did not answer on {server.query_url} within "
                                f"{SERVER_START_TIMEOUT_S} s: {log_path.read_text(errors='replace')}")
                time.sleep(0.1)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _clusterkg_serve(log_dir: Path):
    """``serve(store, admin_token)``: a context manager running ``clusterkg serve`` as a user would."""
    binary = find_tool("clusterkg")
    assert binary is not None, f"no `clusterkg` console script beside {sys.executable}: pip install -e ."

    @contextmanager
    def serve(store: Path | str | None, admin_token: str | None = None, endpoint: str | None = None) -> Iterator[str]:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if k != "CLUSTERKG_ADMIN_TOKEN"}
        if admin_token:
            env["CLUSTERKG_ADMIN_TOKEN"] = admin_token
        log_path = log_dir / f"serve-{port}.log"
        with open(log_path, "wb") as log:
            where = ["--endpoint", endpoint] if endpoint else ["--store", str(store)]
            process = subprocess.Popen([binary, *where, "serve", "--host", "127.0.0.1",
                                        "--port", str(port), "--threads", "4"],
                                       stdout=log, stderr=subprocess.STDOUT, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while not _answers(url + "/sparql"):
                assert process.poll() is None, log_path.read_text(errors="replace")
                assert time.monotonic() < deadline, f"clusterkg serve did not answer: {log_path.read_text()}"
                time.sleep(0.2)
            yield url
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0, log_path.read_text(errors="replace")
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

    return serve


@pytest.fixture
def clusterkg_serve(tmp_path: Path):
    """Start ``clusterkg serve`` on a store directory, as a user would; see the module docstring."""
    return _clusterkg_serve(tmp_path)


@pytest.fixture(scope="module")
def clusterkg_serve_for_module(tmp_path_factory: pytest.TempPathFactory):
    """``clusterkg_serve`` for a server that a whole test module shares."""
    return _clusterkg_serve(tmp_path_factory.mktemp("serve"))


@pytest.fixture
def memory_store() -> Iterator[OxigraphStore]:
    with OxigraphStore() as store:
        yield store


@pytest.fixture
def disk_store(tmp_path: Path) -> Iterator[OxigraphStore]:
    with OxigraphStore(tmp_path / "store") as store:
        yield store


@pytest.fixture
def remote_store(oxigraph_server: OxigraphServer) -> Iterator[SparqlProtocolStore]:
    with oxigraph_server.connect() as store:
        store.clear()
        yield store


def _local_virtuoso(tmp_path_factory: pytest.TempPathFactory, **settings):
    """A Virtuoso that runs every query until a time limit stops it: its refusal of queries it
    estimates too long is off (``max_estimate_seconds=0``), so the time limits are what a
    runaway query meets, as on the other backends."""
    from clusterkg.graph.virtuoso import LocalVirtuoso, virtuoso_binaries

    if virtuoso_binaries() is None:
        pytest.skip("Virtuoso is not installed (apt-get install virtuoso-opensource)")
    settings = {"max_estimate_seconds": 0, **settings}
    with LocalVirtuoso(tmp_path_factory.mktemp("virtuoso"), _free_port(), _free_port(), **settings) as server:
        yield server


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory):
    yield from _local_virtuoso(tmp_path_factory)


@pytest.fixture(scope="module")
def module_virtuoso_server(tmp_path_factory: pytest.TempPathFactory):
    """A Virtuoso for one test module alone, for tests that leave the server in a state the
    other tests must not meet."""
    yield from _local_virtuoso(tmp_path_factory)


@pytest.fixture(scope="session")
def spare_virtuoso_server(tmp_path_factory: pytest.TempPathFactory):
    """A second session-wide Virtuoso, for a test that needs its own beside ``virtuoso_server``."""
    yield from _local_virtuoso(tmp_path_factory)


@pytest.fixture
def virtuoso_store(virtuoso_server) -> Iterator[SparqlProtocolStore]:
    with virtuoso_server.connect(timeout=30) as store:
        store.clear()
        yield store


@pytest.fixture(params=["oxigraph", "virtuoso"])
def remote_server(request: pytest.FixtureRequest):
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture(params=["memory", "disk", "remote", "virtuoso"])
def any_store(request: pytest.FixtureRequest) -> KnowledgeStore:
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path_factory):
    """No test reads or writes the user's store or cache, or talks to a configured server."""
    for name in ("CLUSTERKG_STORE", "CLUSTERKG_ENDPOINT", "CLUSTERKG_UPDATE_ENDPOINT",
                 "CLUSTERKG_GRAPH_STORE_ENDPOINT", "CLUSTERKG_ENDPOINT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLUSTERKG_CACHE", str(tmp_path_factory.mktemp("cache")))
