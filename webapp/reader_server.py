"""The HTTP server of a reader front (``clusterkg serve --processes N``): granian's Rust HTTP/1.1
server running the WSGI app on the listening socket all fronts share.

Why not waitress, as the writer: a reader answers small queries, where waitress's pure-Python
parsing, writing and hand-overs between its loop thread and request threads cost ~0.3–0.5 ms of
CPU per request of the reader's ~1.3 ms (``bench/README.md``, ``sparql_throughput.py``). In
granian the connections, HTTP parsing and writing run in Rust without the GIL; Python runs only
the app, in ``threads`` threads.

granian's ``Server`` binds its own socket and runs its own worker processes. A reader must
accept from the socket it inherits from the writer (so that a reader that stops accepting
leaves its connections to the others), so this module drives granian's worker directly, as
granian itself does on platforms where its workers inherit a socket. That interface is
granian's own, not its documented one: ``pyproject.toml`` pins the minor version, and
``tests/webapp/test_reader_server.py`` exercises each part used here.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading

from granian._futures import _new_cbscheduler
from granian._granian import SocketHolder, WorkerSignal, WSGIWorker
from granian._loops import loops
from granian.http import HTTP1Settings

__all__ = ["ReaderServer"]


class _Started:
    """``start_response`` of one request: the status code and headers the app gave."""

    __slots__ = ("status", "headers")

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info=None):
        self.status = int(status.split(" ", 1)[0])
        self.headers = headers


class _Body:
    """An app's iterable answer as granian reads it (``__next__``, then ``close``), and the
    buffered request body to close with it, if any."""

    __slots__ = ("inner", "__next__", "request_body")

    def __init__(self, inner, request_body=None):
        self.inner, self.request_body = inner, request_body
        self.__next__ = iter(inner).__next__

    def close(self) -> None:
        try:
            close = getattr(self.inner, "close", None)
            if close is not None:
                close()
        finally:
            if self.request_body is not None:
                self.request_body.close()


def _buffered(stream) -> tuple[tempfile.SpooledTemporaryFile, str]:
    """The whole of a request body of unknown length, in memory up to 1 MiB, and its length."""
    copy = tempfile.SpooledTemporaryFile(max_size=1 << 20)
    while chunk := stream.read(1 << 16):
        copy.write(chunk)
    length = copy.tell()
    copy.seek(0)
    return copy, str(length)


class ReaderServer:
    """Serve the WSGI ``app`` on ``listening`` (a bound, listening socket, possibly shared with
    other processes) in ``threads`` Python threads, until :meth:`stop`.

    Answers carry ``Server: <ident>`` (as waitress's ``ident``), HTTP/1.1 keep-alive and
    ``Date``. :meth:`stop` is graceful: the server stops accepting at once, closes idle
    connections, lets the requests under way finish (their answers say ``Connection: close``)
    and then :meth:`run` returns. :meth:`drain` first closes each connection after its next
    answer for a moment, so that a client busy on a keep-alive connection hears of the close
    in an answer instead of finding its connection gone when it sends the next request.
    """

    def __init__(self, app, listening: socket.socket, threads: int = 8, ident: str = "clusterkg"):
        self.app = app
        self.ident = ident
        self._signal = WorkerSignal()
        self._closing = False
        self._stopped = threading.Event()
        self._signal.add_cb(self._stopped.set)  # (called once the requests under way are answered)
        self._base = {
            "SCRIPT_NAME": "",
            "SERVER_SOFTWARE": ident,
            "wsgi.errors": sys.stderr,
            "wsgi.input_terminated": True,
            "wsgi.multiprocess": True,
            "wsgi.multithread": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        # worker 1, on a copy of the socket's descriptor (granian closes the one it is given when
        # it stops; the backlog as fronts.listening_socket's), no metrics channel; one Rust thread
        # for the connections, ``threads`` for the app; HTTP/1.1 only, no TLS
        self._worker = WSGIWorker(1, (None, SocketHolder(os.dup(listening.fileno()), False, 1024)), None,
                                  threads=1, blocking_threads=16, py_threads=threads, py_threads_idle_timeout=30,
                                  backpressure=1024, http_mode="1", http1_opts=HTTP1Settings())

    def _call(self, proto, scope) -> int:
        """One request: the app's answer to granian (called in one of the Python threads)."""
        started = _Started()
        environ = self._base | scope
        buffered = None
        if "HTTP_TRANSFER_ENCODING" in environ:  # (a chunked body: the app sees its length, as under waitress)
            buffered, environ["CONTENT_LENGTH"] = _buffered(environ["wsgi.input"])
            environ["wsgi.input"] = buffered
        try:
            body = self.app(environ, started)
        except BaseException:
            if buffered is not None:
                buffered.close()
            raise
        headers = started.headers
        if not any(name.lower() == "server" for name, _ in headers):
            headers = [*headers, ("Server", self.ident)]
        if self._closing:  # (granian closes the connection after an answer that says so)
            headers = [*headers, ("Connection", "close")]
        if type(body) is list:
            proto.response_bytes(started.status, headers, b"".join(body))
            if buffered is not None:
                buffered.close()
        else:
            proto.response_iter(started.status, headers, _Body(body, buffered))
        return started.status

    def run(self) -> None:
        """Serve until :meth:`stop` (from another thread or a signal handler) has taken effect."""
        loop = loops.get("asyncio")  # (granian's scheduler wants one; a WSGI worker never runs it)
        try:
            self._worker.serve_mtr(_new_cbscheduler(loop, self._call, impl_asyncio=True), loop, self._signal)
            while not self._stopped.wait(1.0):  # (a bounded wait: signal handlers run between waits)
                pass
        finally:
            loop.close()

    def drain(self, seconds: float) -> None:
        """Close each connection after its next answer, then after ``seconds`` :meth:`stop`."""
        self._closing = True
        timer = threading.Timer(seconds, self.stop)
        timer.daemon = True
        timer.start()

    def stop(self) -> None:
        """Stop accepting, close idle connections, finish the requests under way (any thread; idempotent)."""
        self._signal.set()
