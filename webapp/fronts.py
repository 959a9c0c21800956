"""Several front processes for ``clusterkg serve --processes N``: one writer, N-1 readers.

One Python process cannot use more than one core for HTTP, routing and page building (the GIL),
so ``serve --processes N`` runs N front processes that accept connections from the same
listening socket (whichever front is idle takes the next connection):

- the **writer** (the ``clusterkg serve`` process itself) holds the store read-write, as a single
  front does, and also listens on a private loopback port;
- each **reader** (``python -m clusterkg.webapp.fronts``, started by the writer) serves HTTP with
  granian's Rust server (:class:`~clusterkg.webapp.reader_server.ReaderServer`; the writer stays
  on waitress), opens the store
  read-only (:class:`~clusterkg.graph.running_server.SnapshotStore`), runs queries in its own
  threads on that view (no worker processes), answers every read itself and hands every request
  that may write (:func:`may_write`) to the writer's private port unchanged
  (:class:`WriteForwarder`), so writes keep the one-process semantics: one writer, all or
  nothing, the same checks and history. A query past the time limit makes its reader end itself
  once its other requests are answered (:class:`Recycler`), and the writer starts another.

After every write the writer raises a counter in a small shared file (:class:`WriteCounter`);
a reader compares it at the start of each request and, when it moved, reopens its view of the
store, so a write is seen by every front at its next request.

The analytic projection is shared too, through the projection cache's directory
(:class:`~clusterkg.graph.projection_cache.ProjectionCache` with a ``cache_dir``): a write whose
changed resources the history lists is caught up by each front on its own (cheap); after any
other write one front builds the projection afresh and leaves it on disk, and the others wait
for the file and load it instead of building it again.
"""

from __future__ import annotations

import argparse
import http.client
import select
import shutil
import subprocess
import tempfile
import time
import io
import logging
import mmap
import os
import signal
import socket
import struct
import sys
import threading
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from clusterkg.graph.projection_cache import ProjectionCache

__all__ = ["RECYCLED", "Readers", "Recycler", "WriteCounter", "WriteForwarder", "follow_writes", "listening_socket",
           "may_write"]

log = logging.getLogger(__name__)

#: POST requests that only read (everything else but GET/HEAD/OPTIONS goes to the writer)
_READING_POSTS = {"/explore/query", "/explore/query.json", "/api/graph/query"}
_FORM = "application/x-www-form-urlencoded"
_PEEK_LIMIT = 1 << 20  # a form POST to /sparql larger than this goes to the writer unread
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
               "proxy-authenticate", "proxy-authorization"}
FORWARD_SECONDS = 3600  # longest silence on the writer's connection (a large import takes minutes)


class WriteCounter:
    """A 64-bit counter in a file shared by the fronts: the writer raises it after every write.

    Reading it is one memory read of a mapped page, cheap enough for every request.
    """

    def __init__(self, path: str | Path, *, create: bool = False):
        self.path = Path(path)
        flags = os.O_RDWR | (os.O_CREAT | os.O_TRUNC if create else 0)
        descriptor = os.open(self.path, flags, 0o600)
        try:
            if create:
                os.ftruncate(descriptor, 8)
            self._map = mmap.mmap(descriptor, 8)
        finally:
            os.close(descriptor)
        self._lock = threading.Lock()

    def value(self) -> int:
        return struct.unpack_from("<Q", self._map)[0]

    def bump(self) -> None:
        with self._lock:
            struct.pack_into("<Q", self._map, 0, self.value() + 1)

    def close(self) -> None:
        self._map.close()


def follow_writes(app, counter: WriteCounter) -> None:
    """Make a reader front see the writer's writes: before each request, when ``counter`` moved,
    reopen the front's read-only view of the store and tell its query runner."""
    ckg = app.extensions["clusterkg"]
    seen = [counter.value()]
    lock = threading.Lock()

    def _catch_up() -> None:
        if counter.value() == seen[0]:
            return
        with lock:
            now = counter.value()
            if now != seen[0]:
                # the view first, then the answer cache: cleared before the reopen, it could take
                # back an answer a concurrent query read from the old view and keep it past the write
                ckg.store.reopen()
                ckg.runner.data_changed()
                seen[0] = now

    app.before_request(_catch_up)
    app.extensions["clusterkg_lean"].before.append(_catch_up)  # the lean /sparql path too


def may_write(environ: dict) -> bool:
    """Whether a request could change the store (and so must reach the writer).

    Only GET, HEAD and OPTIONS, SPARQL queries POSTed to ``/sparql`` and the explorer's query
    POSTs count as reads; anything else (SPARQL Update, Graph Store writes, ``/api/import``,
    any POST a later page adds) goes to the writer, which answers it like a single front would.
    A read sent to the writer is only slower, never wrong. A form POST to ``/sparql`` is peeked
    at (and ``wsgi.input`` replaced by the bytes read) to tell ``query=`` from ``update=``.
    """
    method = environ.get("REQUEST_METHOD", "GET")
    if method in ("GET", "HEAD", "OPTIONS"):
        return False
    path = environ.get("PATH_INFO", "")
    if method != "POST":
        return True
    if path in _READING_POSTS:
        return False
    if path != "/sparql":
        return True
    media = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if media == "application/sparql-query":
        return False
    if media != _FORM:
        return True
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    if length > _PEEK_LIMIT:
        return True
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    names = {name for name, _ in urllib.parse.parse_qsl(body.decode("latin-1"), keep_blank_values=True)}
    return "query" not in names or "update" in names


class WriteForwarder:
    """WSGI middleware of a reader front: requests that may write go to the writer, unchanged
    (method, path, headers including ``Host`` and ``Authorization``, body); the rest to ``app``."""

    def __init__(self, app, writer_port: int):
        self.app = app
        self.writer_port = writer_port

    def __call__(self, environ, start_response):
        if not may_write(environ):
            return self.app(environ, start_response)
        return self._forward(environ, start_response)

    def _forward(self, environ, start_response):
        target = urllib.parse.quote(environ.get("PATH_INFO", ""), safe="/;=,:@!$&'()*+~-._")
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
        headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
                   if key.startswith("HTTP_") and key[5:].lower().replace("_", "-") not in _HOP_BY_HOP}
        for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
            if environ.get(key):
                headers[name] = environ[key]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        connection = http.client.HTTPConnection("127.0.0.1", self.writer_port, timeout=FORWARD_SECONDS)
        try:
            connection.putrequest(environ["REQUEST_METHOD"], target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders()
            body, left = environ["wsgi.input"], length
            while left > 0:
                chunk = body.read(min(left, 1 << 16))
                if not chunk:
                    break
                connection.send(chunk)
                left -= len(chunk)
            response = connection.getresponse()
        except OSError as error:
            connection.close()
            log.error("cannot reach the writer front on 127.0.0.1:%s: %s", self.writer_port, error)
            from clusterkg.webapp.errors import error_response  # (the app's one JSON error shape)

            with self.app.app_context():
                failure = error_response("the server's writer process cannot be reached right now; try again later",
                                         503, {"Retry-After": "5"})
            return failure(environ, start_response)
        start_response(f"{response.status} {response.reason}",
                       [(name, value) for name, value in response.getheaders() if name.lower() not in _HOP_BY_HOP])
        return _Streamed(response, connection)


class _Streamed:
    """The writer's answer, passed on in chunks; the connection closes with it."""

    def __init__(self, response: http.client.HTTPResponse, connection: http.client.HTTPConnection):
        self.response, self.connection = response, connection

    def __iter__(self):
        while True:
            chunk = self.response.read(1 << 16)
            if not chunk:
                return
            yield chunk

    def close(self) -> None:
        self.response.close()
        self.connection.close()


# --------------------------------------------------------------------------- the writer's side

START_SECONDS = 120  # a reader's start (imports, store, query workers) on a busy machine


def listening_socket(host: str, port: int) -> socket.socket:
    """The public socket every front accepts from (bound here, so ``port`` 0 works for all)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=1024)


class Readers:
    """The reader fronts of a writer: started, watched (one that dies is started again, at
    most once a second) and stopped with it. Each also stops by itself when the writer dies
    (the end of a pipe it watches)."""

    def __init__(self, store: str | Path, listening: socket.socket, count: int, threads: int):
        self.store, self.listening, self.threads = str(store), listening, threads
        self.folder = Path(tempfile.mkdtemp(prefix="clusterkg-fronts-"))
        self.counter = WriteCounter(self.folder / "writes", create=True)
        self.private = socket.create_server(("127.0.0.1", 0), backlog=256)
        self._watch_read, self._watch_write = os.pipe()
        self._processes: list[subprocess.Popen | None] = [None] * count
        self._stopping = threading.Event()
        try:
            for slot in range(count):
                self._processes[slot] = self._launch()
            for process in self._processes:
                self._await_ready(process)
        except BaseException:
            self.stop()
            raise
        threading.Thread(target=self._watch, daemon=True, name="clusterkg-readers").start()

    def connect_writer(self, ckg) -> None:
        """Wire the writer's app state to the readers: they hear of each write and share its projections."""
        ckg.write_listeners.append(self.counter.bump)
        ckg.projections = ProjectionCache(ckg.store, self.folder)

    @property
    def writer_port(self) -> int:
        return self.private.getsockname()[1]

    def _launch(self) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "clusterkg.webapp.fronts", "--store", self.store,
             "--listen-fd", str(self.listening.fileno()), "--parent-fd", str(self._watch_read),
             "--writer-port", str(self.writer_port), "--counter", str(self.counter.path),
             "--threads", str(self.threads)],
            pass_fds=(self.listening.fileno(), self._watch_read), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE)

    def _await_ready(self, process: subprocess.Popen) -> None:
        """Wait (bounded) for a reader's "ready": it has opened the store and its workers."""
        ready, _, _ = select.select([process.stdout], [], [], START_SECONDS)
        line = process.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            raise RuntimeError(f"a reader front did not start within {START_SECONDS} s "
                               f"(exit code {process.poll()}; its error is above)")

    def _watch(self) -> None:
        while not self._stopping.wait(0.25):
            for slot, process in enumerate(self._processes):
                if process is not None and process.poll() is not None and not self._stopping.is_set():
                    if process.returncode == RECYCLED:
                        log.warning("reader front %s ended itself to stop a runaway query; starting another",
                                    process.pid)
                    else:
                        log.error("reader front %s exited with %s; starting another", process.pid, process.returncode)
                    process.stdout.close()
                    try:
                        self._processes[slot] = fresh = self._launch()
                        self._await_ready(fresh)
                    except (OSError, RuntimeError) as error:
                        log.error("could not start a reader front again: %s", error)

    def pids(self) -> list[int]:
        return [p.pid for p in self._processes if p is not None]

    def stop(self, seconds: float = 15) -> None:
        """Stop every reader (SIGTERM, then SIGKILL after ``seconds``); stopping twice is fine."""
        self._stopping.set()
        for process in self._processes:
            if process is not None and process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + seconds
        for process in self._processes:
            if process is None:
                continue
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
            if process.stdout is not None:
                process.stdout.close()
        for descriptor in (self._watch_read, self._watch_write):
            try:
                os.close(descriptor)
            except OSError:
                pass
        self._watch_read = self._watch_write = -1
        self.private.close()
        self.counter.close()
        shutil.rmtree(self.folder, ignore_errors=True)


# --------------------------------------------------------------------------- a reader process

RECYCLED = 75  # a reader's exit code after it ended itself to stop a runaway query
DRAIN_SECONDS = 10.0  # beyond the query time limit: how long a recycling reader finishes its requests


class Recycler:
    """How a reader front stops a query that passed the time limit: it ends its own process.

    Its queries run in its own threads (:class:`~clusterkg.webapp.query_runner.SnapshotQueryRunner`)
    and pyoxigraph cannot cancel one. So on the first runaway the front drains its server
    (``drain``, :meth:`~clusterkg.webapp.reader_server.ReaderServer.drain`): each answer now
    closes its connection (``Connection: close``: the runaway's 503 and every other, so a
    keep-alive client reconnects), and after :attr:`IDLE_SECONDS` the server stops accepting
    (the other fronts take the connections from the shared socket), closes idle connections and
    answers the requests under way. The process exits with :data:`RECYCLED` once the server has
    stopped (:meth:`finish`), or after ``seconds`` at the latest. Exiting stops the runaway; the
    writer starts a fresh front.
    """

    IDLE_SECONDS = 1.0  # how long answers close their connections before idle ones are closed

    def __init__(self, drain: Callable[[float], None], seconds: float):
        self.drain, self.seconds = drain, seconds
        self._once = threading.Lock()
        self.started = False

    def start(self) -> None:
        """Begin draining (from any thread; once)."""
        if not self._once.acquire(blocking=False):
            return
        self.started = True
        log.warning("a query passed the time limit: this reader front (pid %s) stops taking connections "
                    "and exits once its requests are answered", os.getpid())
        threading.Thread(target=self._deadline, daemon=True, name="clusterkg-recycle").start()
        self.drain(self.IDLE_SECONDS)

    def _deadline(self) -> None:
        time.sleep(self.seconds)
        log.error("requests were still under way %s s after a runaway: this reader front exits anyway", self.seconds)
        self.finish()

    def finish(self) -> None:
        """Exit with :data:`RECYCLED` (the runaway's thread cannot be joined: end the process as it is)."""
        logging.shutdown()
        os._exit(RECYCLED)


def _reader_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m clusterkg.webapp.fronts")
    parser.add_argument("--store", required=True)
    parser.add_argument("--listen-fd", type=int, required=True, help="the shared listening socket")
    parser.add_argument("--parent-fd", type=int, required=True, help="a pipe whose end means: stop")
    parser.add_argument("--writer-port", type=int, required=True)
    parser.add_argument("--counter", required=True)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)

    from clusterkg.graph.running_server import SnapshotStore
    from clusterkg.webapp import create_app
    from clusterkg.webapp.reader_server import ReaderServer

    listening = socket.socket(fileno=args.listen_fd)
    counter = WriteCounter(args.counter)
    # queries in this process's own threads (one more than the request threads: pages may read too)
    app = create_app({"KNOWLEDGE_STORE": SnapshotStore.read_only(args.store), "QUERY_IN_PROCESS": True,
                      "QUERY_WORKERS": args.threads + 1})
    ckg = app.extensions["clusterkg"]
    ckg.projections = ProjectionCache(ckg.store, counter.path.parent)
    follow_writes(app, counter)
    server = ReaderServer(WriteForwarder(app, args.writer_port), listening, threads=args.threads, ident="clusterkg")
    recycler = Recycler(server.drain, ckg.query_timeout + DRAIN_SECONDS)
    runner = getattr(ckg.runner, "runner", ckg.runner)  # (under the answer cache, if on)
    runner.on_runaway = recycler.start

    def stop_when_parent_goes() -> None:
        with os.fdopen(args.parent_fd, "rb") as parent:
            parent.read()  # returns at EOF: the writer closed its end or died
        server.stop()

    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    signal.signal(signal.SIGINT, lambda *_: server.stop())
    threading.Thread(target=stop_when_parent_goes, daemon=True, name="clusterkg-parent").start()
    print("ready", flush=True)
    os.dup2(2, 1)  # nothing more for the writer's pipe: it is read only until "ready"
    server.run()
    if recycler.started:
        recycler.finish()
    app.extensions["clusterkg"].close()
    return 0


if __name__ == "__main__":
    sys.exit(_reader_main(sys.argv[1:]))
