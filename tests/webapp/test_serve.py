"""``clusterkg serve`` as a user runs it (the console script): it answers on the loopback, on the
embedded store and in front of a real ``oxigraph serve`` or Virtuoso, and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from clusterkg.graph.store import OxigraphStore

CLUSTERKG = str(Path(sys.executable).with_name("clusterkg"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _workers_of(store: Path) -> list[int]:
    """Pids of query workers running on ``store`` (their command line names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"clusterkg.webapp.query_runner" in command and str(store).encode() in command:
            found.append(int(entry.name))
    return found


def _wait_for(url: str, process: subprocess.Popen, log: Path) -> bytes:
    for _ in range(150):  # bounded: ~30 s on a busy machine
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            assert process.poll() is None, log.read_text()
            time.sleep(0.2)
    raise AssertionError(f"clusterkg serve did not answer: {log.read_text()}")


@pytest.mark.parametrize("where", ["embedded", "remote", "virtuoso"])
def test_serve_answers_and_stops(store_path, tmp_path, oxigraph, where, request):
    env = {k: v for k, v in os.environ.items() if k != "CLUSTERKG_ADMIN_TOKEN"}
    target = ["--store", str(store_path)]
    if where == "remote":
        base = oxigraph(store_path)
        target = ["--endpoint", f"{base}/query"]
        env.update(CLUSTERKG_UPDATE_ENDPOINT=f"{base}/update", CLUSTERKG_GRAPH_STORE_ENDPOINT=f"{base}/store")
    if where == "virtuoso":  # the store's data copied into a real Virtuoso; its URLs derived
        with OxigraphStore.read_only(store_path) as source:
            data = source.dump("application/n-triples")
        store = request.getfixturevalue("virtuoso_store")
        store.insert_ntriples(data)
        base = store.query_url.removesuffix("/sparql")
        target = ["--endpoint", store.query_url]
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [CLUSTERKG, *target, "serve", "--port", str(port), "--threads", "4"],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )
        try:
            body = _wait_for(f"http://127.0.0.1:{port}/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D", process, log_path)
            assert b"true" in body
            assert b"clusterkg" in _wait_for(f"http://127.0.0.1:{port}/", process, log_path)
            if where == "embedded":
                assert _workers_of(store_path), "the server runs its queries in worker processes"
            process.send_signal(signal.SIGTERM)
            assert process.wait(15) == 0
            assert _workers_of(store_path) == [], "the app closed its workers at exit"
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    text = log_path.read_text()
    assert f"127.0.0.1:{port}" in text and "read-only (no CLUSTERKG_ADMIN_TOKEN)" in text
    if where != "embedded":
        assert f"SPARQL server {target[1]}" in text
