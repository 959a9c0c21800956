"""The reader fronts' HTTP server (``clusterkg.webapp.reader_server``): granian on a socket it is
given, with keep-alive, WSGI bodies read in pieces, streamed answers closed, and a graceful stop
(no new connections, idle ones closed, requests under way answered with ``Connection: close``).

Each test serves a small WSGI app on a real loopback socket and talks raw HTTP to it.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time

import pytest

from clusterkg.webapp.fronts import listening_socket
from clusterkg.webapp.reader_server import ReaderServer

RELEASE = threading.Event()  # lets the app's /slow answer go


class Streamed:
    """An iterable answer that records its ``close`` (PEP 3333: the server must call it)."""

    closed: list[bool] = []

    def __iter__(self):
        yield b"part one, "
        yield b"part two"

    def close(self) -> None:
        Streamed.closed.append(True)


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/slow":
        RELEASE.wait(20)
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Streamed()
    if path == "/echo":  # read in pieces, as may_write and werkzeug do
        length = int(environ["CONTENT_LENGTH"])
        stream = environ["wsgi.input"]
        body = stream.read(3) + b"|" + stream.read(length - 3)
    else:
        body = f"{environ['REQUEST_METHOD']} {path}?{environ['QUERY_STRING']} {environ['HTTP_HOST']}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def served():
    listening = listening_socket("127.0.0.1", 0)
    server = ReaderServer(app, listening, threads=4)
    RELEASE.clear()
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server, listening.getsockname()[1], thread
    finally:
        RELEASE.set()
        server.stop()
        thread.join(30)
        listening.close()
    assert not thread.is_alive(), "run() returns once the server has stopped"


def _get(connection: http.client.HTTPConnection, path: str) -> http.client.HTTPResponse:
    connection.request("GET", path)
    return connection.getresponse()


def test_answers_keep_their_connection_and_say_which_server(served):
    _, port, _ = served
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    first = _get(connection, "/a?x=%20y")
    assert (first.status, first.read()) == (200, f"GET /a?x=%20y 127.0.0.1:{port}".encode())
    assert first.getheader("Server") == "clusterkg" and first.getheader("Date")
    assert first.getheader("Connection") is None
    sock = connection.sock
    second = _get(connection, "/b")
    assert second.read().startswith(b"GET /b?") and connection.sock is sock, "the same connection (keep-alive)"
    connection.close()


def test_a_body_is_read_in_pieces_chunked_or_not_and_a_streamed_answer_is_closed(served):
    _, port, _ = served
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", "/echo", body=b"query=abc", headers={"Content-Type": "text/plain"})
    assert connection.getresponse().read() == b"que|ry=abc"
    connection.request("POST", "/echo", body=iter([b"query", b"=chunked"]), headers={"Content-Type": "text/plain"},
                       encode_chunked=True)
    assert connection.getresponse().read() == b"que|ry=chunked", "a chunked body has its length"
    Streamed.closed.clear()
    reply = _get(connection, "/stream")
    assert reply.read() == b"part one, part two"
    deadline = time.monotonic() + 5
    while not Streamed.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert Streamed.closed == [True]
    connection.close()


def test_stop_answers_the_requests_under_way_closes_idle_connections_and_accepts_no_more(served):
    server, port, thread = served
    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    assert _get(idle, "/idle").read()
    replies: list = []
    busy = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    waiting = threading.Thread(target=lambda: replies.append(_get(busy, "/slow")))
    waiting.start()
    time.sleep(0.5)  # (the request is under way)
    server.stop()
    time.sleep(0.5)
    assert idle.sock.recv(1) == b"", "the idle connection is closed"
    assert thread.is_alive(), "run() waits for the request under way"
    RELEASE.set()
    waiting.join(20)
    [reply] = replies
    assert reply.status == 200 and reply.getheader("Connection") == "close" and reply.read().startswith(b"GET /slow")
    thread.join(20)
    assert not thread.is_alive()
    late = socket.create_connection(("127.0.0.1", port), timeout=1)  # (the socket is still open: the backlog)
    late.sendall(b"GET /late HTTP/1.1\r\nHost: x\r\n\r\n")
    with pytest.raises(TimeoutError):
        late.recv(1)  # nobody accepts it any more
    late.close()
    idle.close()
    busy.close()


def test_drain_closes_each_connection_after_its_next_answer_then_stops(served):
    server, port, thread = served
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    before = _get(connection, "/before")
    assert before.getheader("Connection") is None and before.read()
    server.drain(1.0)
    reply = _get(connection, "/after")
    assert reply.getheader("Connection") == "close" and reply.read().startswith(b"GET /after")
    other = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    assert _get(other, "/new").getheader("Connection") == "close"
    thread.join(10)
    assert not thread.is_alive(), "drain stops the server after its seconds"
