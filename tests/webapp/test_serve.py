"""``clusterkg serve`` as a real process: it answers on the loopback and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

# The command as clusterkg.cli will run it once `serve` is registered there.
LAUNCH = (
    "import sys; from clusterkg.cli import cli; from clusterkg.commands.serve import serve; "
    "'serve' in cli.commands or cli.add_command(serve); sys.exit(cli(prog_name='clusterkg'))"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_and_stops(store_path, tmp_path):
    port = _free_port()
    log = open(tmp_path / "serve.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "--store", str(store_path), "serve", "--port", str(port), "--threads", "4"],
        stdout=log, stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if k != "CLUSTERKG_ADMIN_TOKEN"},
    )
    try:
        url = f"http://127.0.0.1:{port}/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    assert response.status == 200 and b"true" in response.read()
                    break
            except OSError:
                assert process.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "clusterkg serve did not answer within 30 s"
                time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    text = (tmp_path / "serve.log").read_text()
    assert f"127.0.0.1:{port}" in text and "read-only (no CLUSTERKG_ADMIN_TOKEN)" in text
