"""Run SPARQL queries with a time limit that really stops them and a cap on the rows returned.

Four runners share one interface (``run(QueryJob) -> QueryAnswer``, ``data_changed()``,
``close()``): :class:`ProcessQueryRunner` for an on-disk store, :class:`ThreadQueryRunner` for
an in-memory one, :class:`RemoteQueryRunner` for a remote SPARQL server, and
:class:`SnapshotQueryRunner` for a reader front (``serve --processes N``), which may end its
own process to stop a runaway.

A pyoxigraph query cannot be cancelled from Python. So queries on an
on-disk store run in a pool of persistent worker processes, each holding the store open
with ``Store.read_only``; a worker that passes the time limit is killed and replaced, and the
server keeps answering from the other workers. A read-only opener sees the store as it was when
it opened (measured with pyoxigraph 0.5.13: later writes stay invisible, even after ``flush``),
so every write through the server raises a generation number and a worker reopens the store
(~15 ms) before its next query when its generation is older.

An in-memory store (tests, demos) cannot be shared with another process: there queries run in
threads, the client gets the same time-limit error, but the abandoned query keeps its thread
busy until it ends. Use an on-disk store for a public server.

Workers return finished bytes: SELECT results are cut at ``max_rows`` and written by
:func:`solutions_json` (then converted by pyoxigraph for XML/CSV/TSV), graphs by pyoxigraph.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import math
import os
import queue
import socket
import subprocess
import sys
import threading
import traceback
import urllib.parse
from collections import OrderedDict
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from clusterkg.graph.errors import ClusterKGError
from clusterkg.graph.store import (
    GRAPH_MEDIA_TYPES,
    META_GRAPH,
    RESULTS_MEDIA_TYPES,
    STORAGE_GONE,
    open_read_only,
    release_view,
)
from clusterkg.webapp.negotiation import GRAPH_FORMATS, RESULT_FORMATS, choose
from clusterkg.graph.endpoints import incomplete_answer, stopped_by_server
from clusterkg.graph.sparql_text import has_dataset_clause, query_form

__all__ = [
    "QueryAnswer",
    "QueryFailed",
    "QueryJob",
    "QueryTimedOut",
    "ProcessQueryRunner",
    "RemoteQueryRunner",
    "ServerBusy",
    "SnapshotQueryRunner",
    "ThreadQueryRunner",
    "run_query",
    "forget_frames",
    "solutions_json",
]

log = logging.getLogger(__name__)

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
# a busy writer compacts often: a worker reopens its snapshot and tries again until the server's
# time limit kills it (measured: 4 quick attempts failed twice in 3,267 requests with 4 fronts)
_OPEN_ATTEMPTS = 40
_START_SECONDS = 60  # a worker's start-up (import, open the store) on a busy machine


class _SnapshotGone(Exception):
    """The read-only snapshot lost files to the writer's compaction: reopen and try again."""


class QueryFailed(ClusterKGError):
    """The query could not be answered; ``status`` says whose fault it is."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class QueryTimedOut(QueryFailed):
    """The query ran past the time limit and was stopped."""

    def __init__(self, seconds: float, stopped: bool = True):
        how = "stopped" if stopped else "abandoned"
        super().__init__(
            f"query timed out after {seconds:g} s and was {how} (the time limit is "
            f"CLUSTERKG_QUERY_TIMEOUT); narrow the query or add a LIMIT",
            status=503,
        )
        self.seconds = seconds


class ServerBusy(QueryFailed):
    """Every query worker is busy: try again later (503 with ``Retry-After``)."""

    def __init__(self, workers: int, retry_after: float):
        super().__init__(
            f"the server is busy: all {workers} query workers are running queries; "
            f"try again in {math.ceil(retry_after)} s", 503)
        self.headers = {"Retry-After": str(math.ceil(retry_after))}


@dataclass(frozen=True)
class QueryJob:
    """One query with its protocol dataset (``None``: the store's own) and what to send back."""

    query: str
    accept: str | None = None
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    max_rows: int = 10_000
    base_iri: str | None = None
    generation: int = 0


@dataclass(frozen=True)
class QueryAnswer:
    """Serialized results; ``truncated`` when more than ``max_rows`` rows or triples existed."""

    content_type: str
    body: bytes
    form: str  # SELECT, ASK, CONSTRUCT (also for DESCRIBE)
    rows: int | None = None
    truncated: bool = False


# --------------------------------------------------------------------------- evaluation


def _term_json(term: object) -> dict:
    kind = type(term)
    if kind is ox.NamedNode:
        return {"type": "uri", "value": term.value}
    if kind is ox.Literal:
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value not in (_XSD_STRING, _RDF_LANG_STRING):
            out["datatype"] = term.datatype.value
        return out
    if kind is ox.BlankNode:
        return {"type": "bnode", "value": term.value}
    if kind is ox.Triple:
        return {"type": "triple", "value": {
            "subject": _term_json(term.subject),
            "predicate": _term_json(term.predicate),
            "object": _term_json(term.object),
        }}
    raise TypeError(f"unexpected term {term!r}")


def solutions_json(variables: list[str], rows: list[object]) -> bytes:
    """SPARQL 1.1 JSON results for solutions taken from pyoxigraph.

    >>> s = ox.Store()
    >>> s.add(ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.Literal("hi", language="en")))
    >>> solutions_json(["s", "o"], list(s.query("SELECT ?s ?o { ?s ?p ?o }")))
    b'{"head":{"vars":["s","o"]},"results":{"bindings":[{"s":{"type":"uri","value":"http://x/a"},"o":{"type":"literal","value":"hi","xml:lang":"en"}}]}}'
    """
    bindings = []
    for solution in rows:
        binding = {}
        for index, name in enumerate(variables):
            term = solution[index]
            if term is not None:
                binding[name] = _term_json(term)
        bindings.append(binding)
    document = {"head": {"vars": variables}, "results": {"bindings": bindings}}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _iri_list(iris: tuple[str, ...]) -> list[ox.NamedNode]:
    try:
        return [ox.NamedNode(iri) for iri in iris]
    except ValueError as error:
        raise QueryFailed(f"not a valid graph IRI in the dataset parameters: {error}") from error


def _not_acceptable(form: str, table: dict) -> QueryFailed:
    offered = ", ".join(dict.fromkeys(f.content_type.split(";")[0] for f in table.values()))
    return QueryFailed(f"no acceptable media type for {form} results; this endpoint offers {offered}", 406)


def serialize_results(results: object, job: QueryJob) -> QueryAnswer:
    """Cut ``results`` (pyoxigraph query results, from a store or parsed from a server's answer)
    at ``job.max_rows`` and serialize them in the media type ``job.accept`` asks for."""
    if isinstance(results, ox.QueryBoolean):
        media = choose(job.accept, RESULT_FORMATS)
        if media is None:
            raise _not_acceptable("ASK", RESULT_FORMATS)
        fmt = RESULT_FORMATS[media]
        return QueryAnswer(fmt.content_type, results.serialize(format=fmt.ox_format), "ASK")
    if isinstance(results, ox.QuerySolutions):
        media = choose(job.accept, RESULT_FORMATS)
        if media is None:
            raise _not_acceptable("SELECT", RESULT_FORMATS)
        variables = [v.value for v in results.variables]
        rows = []
        for solution in results:
            if len(rows) == job.max_rows:
                truncated = True
                break
            rows.append(solution)
        else:
            truncated = False
        fmt = RESULT_FORMATS[media]
        body = solutions_json(variables, rows)
        if fmt.ox_format != ox.QueryResultsFormat.JSON:
            body = ox.parse_query_results(body, ox.QueryResultsFormat.JSON).serialize(format=fmt.ox_format)
        return QueryAnswer(fmt.content_type, body, "SELECT", len(rows), truncated)
    media = choose(job.accept, GRAPH_FORMATS)
    if media is None:
        raise _not_acceptable("CONSTRUCT/DESCRIBE", GRAPH_FORMATS)
    triples = []
    truncated = False
    for triple in results:
        if len(triples) == job.max_rows:
            truncated = True
            break
        triples.append(triple if isinstance(triple, ox.Triple) else ox.Triple(triple.subject, triple.predicate, triple.object))
    fmt = GRAPH_FORMATS[media]
    return QueryAnswer(fmt.content_type, ox.serialize(triples, format=fmt.ox_format), "CONSTRUCT", len(triples), truncated)


def run_query(store: ox.Store, job: QueryJob, visible_graphs: list[ox.NamedNode] | None) -> QueryAnswer:
    """Evaluate ``job`` on ``store`` and serialize the answer (the worker's whole job).

    ``visible_graphs`` are the store's named graphs without the bookkeeping graph; they are the
    named graphs of the default dataset unless the query or the protocol names its own.
    """
    options: dict[str, object] = {"base_iri": job.base_iri}
    if job.default_graphs is not None or job.named_graphs is not None:
        options["default_graph"] = _iri_list(job.default_graphs or ())
        options["named_graphs"] = _iri_list(job.named_graphs or ())
    elif visible_graphs is not None and not has_dataset_clause(job.query):
        # (a query with its own FROM / FROM NAMED keeps it: the parameter would replace it)
        options["named_graphs"] = visible_graphs
    try:
        return serialize_results(store.query(job.query, **options), job)
    except SyntaxError as error:
        raise QueryFailed(f"invalid SPARQL query: {error}") from error
    except (OSError, RuntimeError) as error:
        if STORAGE_GONE.search(str(error)):
            raise _SnapshotGone(str(error)) from error
        raise QueryFailed(f"the query failed: {error}") from error
    except ValueError as error:
        # evaluation errors pyoxigraph reports (e.g. a bad regex, an unsupported feature)
        raise QueryFailed(f"the query failed: {error}") from error


def forget_frames(failure: BaseException) -> None:
    """Drop the locals of the finished frames of ``failure`` and its causes, so that a pyoxigraph
    object one of them held is freed here, not on the thread that handles the failure."""
    cause: BaseException | None = failure
    for _ in range(8):  # (the chain is short; bounded all the same)
        if cause is None:
            return
        traceback.clear_frames(cause.__traceback__)
        cause = cause.__cause__ or cause.__context__


def visible_named_graphs(store: ox.Store) -> list[ox.NamedNode]:
    """Named graphs a query may see: all but the bookkeeping graph."""
    return [g for g in store.named_graphs() if not (isinstance(g, ox.NamedNode) and g.value == META_GRAPH)]


# --------------------------------------------------------------------------- worker processes


_held_view: int | None = None  # the hold on the view this worker reads (one at a time)


def _open_snapshot(path: str) -> ox.Store:
    """The one place a worker opens the store: the writer's newest view, held while it is read
    (its caller has let the previous store go)."""
    global _held_view
    release_view(_held_view)
    _held_view = None
    store, _, _held_view = open_read_only(path)
    return store


def _worker_main(path: str, connection: Connection) -> None:
    """Body of a worker process: open the store read-only, say so, answer jobs until the socket closes."""
    store, generation, visible = None, None, None
    try:
        store = _open_snapshot(path)
        visible, generation = visible_named_graphs(store), 0
    except (OSError, RuntimeError):
        store = None  # (retried with the first job, which reports the error)
    try:
        connection.send(("ready",))
    except (OSError, ValueError):
        return
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        reply = None
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                if store is None or generation != job.generation:
                    store = None  # release the old snapshot first
                    store = _open_snapshot(path)
                    visible, generation = visible_named_graphs(store), job.generation
                reply = ("ok", run_query(store, job, visible))
                break
            except QueryFailed as failure:
                reply = ("failed", str(failure), failure.status)
                break
            except (_SnapshotGone, OSError, RuntimeError) as error:
                # reading while the server writes: a fresh opener sees the current files
                store, generation = None, None
                reply = ("bug", f"store unreadable after {attempt + 1} attempts: {error}", 500)
                time.sleep(min(0.02 * (attempt + 1), 0.25))
            except Exception as error:  # a bug: reported to the server, which logs it
                reply = ("bug", f"{type(error).__name__}: {error}", 500)
                break
        try:
            connection.send(reply)
        except (OSError, ValueError):
            return


@dataclass
class _Worker:
    process: subprocess.Popen
    connection: Connection


class ProcessQueryRunner:
    """A pool of worker processes over an on-disk store; kills a query at the time limit.

    Runaway queries must not starve small ones, and a query's cost is known only once it runs.
    So the pool keeps ``reserve`` idle workers ready beyond the busy ones: ``workers + reserve``
    processes start with the server, and whenever a query takes a worker, another starts in the
    background, up to ``max_workers``. A runaway holds its worker until the time limit kills it;
    small queries meanwhile go to the ready ones. Only when all ``max_workers`` are busy does a
    query wait, for ``queue_wait`` seconds at most, before a 503 with ``Retry-After``. Workers
    stay once started (memory is bounded by ``max_workers``; each holds ~50 MB plus its view of
    the store). The time limit counts from the query's arrival, waiting included.

    Workers are plain ``python -m clusterkg.webapp.query_runner`` processes talking over a
    socket pair (multiprocessing's "spawn" would re-run the server's main script in each).
    """

    def __init__(self, path: str | Path, workers: int = 2, timeout: float = 10.0, *,
                 reserve: int = 3, max_workers: int | None = None, queue_wait: float = 2.0):
        self.path = str(path)
        self.timeout = timeout
        self.size = max(1, workers)
        self.reserve = max(1, reserve)
        self.max_workers = max(self.size + self.reserve, max_workers or self.size + self.reserve + 4)
        self.queue_wait = queue_wait
        # the worker freed last is taken first: its caches (CPU, the store's blocks) are warm; taking
        # them in turn cost 1.5-1.8 ms of worker CPU per small query on 1M triples, this 0.9 ms
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._generation = 0
        self._closed = False
        self._workers: dict[int, _Worker] = {}
        self._starting = 0  # workers being spawned in the background
        self._waiting = 0  # queries waiting for a worker
        self._lock = threading.Lock()
        first = [self._launch() for _ in range(self.size + self.reserve)]
        for worker in first:  # started together; the server answers its first queries warm
            self._idle.put(self._ready(worker))

    def _spawn(self) -> _Worker:
        return self._ready(self._launch())

    def _ready(self, worker: _Worker) -> _Worker:
        """Wait until ``worker`` has started and opened the store (its start is not query time)."""
        try:
            if worker.connection.poll(_START_SECONDS) and worker.connection.recv() == ("ready",):
                return worker
            problem = f"no sign of life within {_START_SECONDS} s"
        except (EOFError, OSError) as error:
            problem = f"it exited ({error})"
        self._kill(worker)
        log.error("a query worker did not start: %s", problem)
        raise QueryFailed(f"a query worker did not start: {problem}", 500)

    def _launch(self) -> _Worker:
        ours, theirs = socket.socketpair()
        with ours, theirs:
            process = subprocess.Popen(
                [sys.executable, "-m", "clusterkg.webapp.query_runner", self.path, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
            worker = _Worker(process, Connection(os.dup(ours.fileno())))
        with self._lock:
            self._workers[id(worker)] = worker
        return worker

    def _top_up(self) -> None:
        """Start workers in the background until every waiting query has one coming, plus the
        reserve for the next queries, as far as ``max_workers`` allows."""
        with self._lock:
            if self._closed:
                return
            wanted = self._waiting + self.reserve - (self._idle.qsize() + self._starting)
            room = self.max_workers - (len(self._workers) + self._starting)
            count = max(0, min(wanted, room))
            self._starting += count

        def start() -> None:
            try:
                worker = self._spawn()
            except QueryFailed:
                return  # logged; the next query that needs a worker tries again
            finally:
                with self._lock:
                    self._starting -= 1
            if self._closed:
                self._kill(worker)
            else:
                self._idle.put(worker)

        for _ in range(count):
            threading.Thread(target=start, daemon=True, name="clusterkg-spawn").start()

    def _kill(self, worker: _Worker) -> None:
        """Kill ``worker`` and close its connection, once: the thread that takes it out of the
        pool does it (``close`` and a starting or timed-out worker's own thread may both try;
        two closes of one socket at once made the second fail, or close a descriptor reused since)."""
        with self._lock:
            if self._workers.pop(id(worker), None) is None:
                return
        worker.process.kill()
        worker.process.wait(5)
        worker.connection.close()

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker``; a fresh one starts in the background if needed (the request need not wait)."""
        self._kill(worker)
        self._top_up()

    def _take(self, deadline: float) -> _Worker:
        try:
            worker = self._idle.get_nowait()
        except queue.Empty:
            with self._lock:
                self._waiting += 1
            try:
                self._top_up()
                with self._lock:
                    full = self._starting == 0 and len(self._workers) >= self.max_workers
                # while a worker is starting, wait for it; when all are busy, briefly for a free one
                wait = min(self.queue_wait, self.timeout) if full else deadline - time.monotonic()
                worker = self._idle.get(timeout=max(0.0, wait))
            except queue.Empty:
                if full:
                    raise ServerBusy(self.max_workers, self.timeout) from None
                raise QueryTimedOut(self.timeout, stopped=False) from None
            finally:
                with self._lock:
                    self._waiting -= 1
        self._top_up()  # keep the reserve for the next queries
        return worker

    def data_changed(self) -> None:
        """Call after every write: workers reopen the store before their next query."""
        with self._lock:
            self._generation += 1

    def run(self, job: QueryJob) -> QueryAnswer:
        if self._closed:
            raise QueryFailed("the query runner is closed", 503)
        deadline = time.monotonic() + self.timeout  # the limit counts from the query's arrival
        worker = self._take(deadline)
        job = replace(job, generation=self._generation)
        try:
            worker.connection.send(job)
            if not worker.connection.poll(max(0.0, deadline - time.monotonic())):
                self._replace(worker)
                raise QueryTimedOut(self.timeout)
            reply = worker.connection.recv()
        except (EOFError, OSError) as error:
            self._replace(worker)
            log.error("query worker died: %s", error)
            raise QueryFailed("the query worker died (out of memory?); try a smaller query", 500) from error
        self._idle.put(worker)
        if reply[0] == "ok":
            return reply[1]
        if reply[0] == "bug":
            log.error("query worker failed on %r: %s", job.query[:200], reply[1])
            raise QueryFailed("internal error while running the query (logged)", 500)
        raise QueryFailed(reply[1], reply[2])

    def close(self) -> None:
        """Kill every worker; closing twice is fine."""
        self._closed = True
        with self._lock:
            workers = list(self._workers.values())
        for worker in workers:
            self._kill(worker)


class ThreadQueryRunner:
    """Queries in threads over an in-memory store: the time limit answers the client, but the
    abandoned query runs on until it ends (pyoxigraph cannot cancel it)."""

    def __init__(self, store: ox.Store, workers: int = 4, timeout: float = 10.0):
        self.store = store
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="clusterkg-query")

    def data_changed(self) -> None:
        """Nothing to do: the threads share the live store."""

    def run(self, job: QueryJob) -> QueryAnswer:
        future = self._pool.submit(run_query, self.store, job, visible_named_graphs(self.store))
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            raise QueryTimedOut(self.timeout, stopped=False) from None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class SnapshotQueryRunner:
    """Queries in threads of a reader front, on its read-only view of the store (``store``, a
    :class:`~clusterkg.graph.running_server.SnapshotStore` the front reopens after each write).

    No worker process: that hop cost ~0.5 ms of CPU per small query (the job and the answer
    through a socket, wake-ups, each worker's cold caches). pyoxigraph releases the GIL while it
    evaluates, so the request threads go on meanwhile. A query still cannot be cancelled, so at
    the time limit the client gets the usual 503 and ``on_runaway`` is called: the reader front
    then stops taking connections, lets its other requests finish and exits, which really stops
    the query, and its supervisor starts a fresh front (``fronts.Recycler``). A query that has
    not started by the limit (the threads all busy) is dropped unrun and costs no recycling.
    """

    def __init__(self, store, workers: int = 8, timeout: float = 10.0, on_runaway: Callable[[], None] | None = None):
        self.store = store
        self.timeout = timeout
        self.on_runaway = on_runaway
        self._visible: tuple[object, list[ox.NamedNode]] | None = None  # (snapshot, its named graphs)
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="clusterkg-query")

    def data_changed(self) -> None:
        """Nothing to do: the front reopens ``store`` itself, and each query reads the current view."""

    def _evaluate(self, job: QueryJob, deadline: float, trace: dict) -> QueryAnswer:
        trace["thread"] = threading.get_ident()
        try:
            return self._attempts(job, deadline, trace)
        except BaseException as failure:  # raised again in the request's thread: no pyoxigraph object with it
            forget_frames(failure)
            raise

    def _attempts(self, job: QueryJob, deadline: float, trace: dict) -> QueryAnswer:
        problem = "no attempt made"
        for attempt in range(_OPEN_ATTEMPTS):
            trace["attempts"] = attempt + 1
            snapshot = self.store._store
            try:
                if snapshot is None:  # (a failed read of the store's own released it)
                    self.store.reopen()
                    continue
                known = self._visible
                if known is None or known[0] is not snapshot:
                    known = self._visible = (snapshot, visible_named_graphs(snapshot))
                return run_query(snapshot, job, known[1])
            except (_SnapshotGone, OSError, RuntimeError, ClusterKGError) as error:
                if isinstance(error, QueryFailed) or time.monotonic() >= deadline:
                    raise
                # the writer compacted away files of this snapshot: a fresh opener sees the current ones.
                # (Its frames let go of their pyoxigraph objects here: kept in a cycle with this frame,
                # they would be freed by the garbage collector on whatever thread runs it.)
                forget_frames(error)
                problem = trace["problem"] = str(error)
                time.sleep(min(0.02 * (attempt + 1), 0.25))
                if self.store._store is snapshot:
                    try:
                        self.store.reopen()
                    except ClusterKGError as reopening:
                        problem = str(reopening)
        log.error("the store stayed unreadable for %r: %s", job.query[:200], problem)
        raise QueryFailed("internal error while running the query (logged)", 500)

    def run(self, job: QueryJob) -> QueryAnswer:
        deadline = time.monotonic() + self.timeout
        trace: dict = {}  # (the worker's thread, its attempts and last retried failure: for the log)
        future = self._pool.submit(self._evaluate, job, deadline, trace)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            if future.cancel():  # never started: nothing runs on
                raise QueryTimedOut(self.timeout, stopped=False) from None
            _log_runaway(job, trace)
            if self.on_runaway is not None:
                self.on_runaway()
            raise QueryTimedOut(self.timeout, stopped=self.on_runaway is not None) from None
        except (_SnapshotGone, OSError, RuntimeError) as error:
            log.error("query failed on %r: %s", job.query[:200], error)
            raise QueryFailed("internal error while running the query (logged)", 500) from error

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _log_runaway(job: QueryJob, trace: dict) -> None:
    """Say where a query past the time limit is: its thread's stack now, its attempts and the
    last failure it retried (a slow query and a reader stuck reopening its view look alike),
    and where the process's other threads are (a query done in pyoxigraph waits there for the
    GIL, which a thread in a long call that keeps it would hold)."""
    where, others = _stacks(trace.get("thread"))
    log.error("query past the time limit after %s attempt(s) (last retried failure: %s): %r; its thread is at:\n%s\n"
              "the other threads are at:\n%s", trace.get("attempts", 0), trace.get("problem", "none"), job.query[:200],
              where, others)


#: Frames of each other thread in a runaway's log (the innermost: where it is)
_OTHERS_DEPTH = 6


def _stacks(runaway: int | None) -> tuple[str, str]:
    """The stack of the thread ``runaway`` and the innermost frames of every other thread but
    this one, as text."""
    frames = sys._current_frames()
    try:
        names = {thread.ident: thread.name for thread in threading.enumerate()}
        frame = frames.get(runaway)
        where = "".join(traceback.format_stack(frame)) if frame is not None else "(its thread has ended)\n"
        others = "".join(f"{names.get(ident, ident)}:\n" + "".join(traceback.format_stack(other, limit=_OTHERS_DEPTH))
                         for ident, other in frames.items() if ident not in (runaway, threading.get_ident()))
        return where.rstrip(), others.rstrip() or "(none)"
    finally:
        # (the dict holds this very frame: kept in that cycle, every thread's frame, and a pyoxigraph
        # object in one, would live until the garbage collector freed them on any thread)
        frames.clear()


class _DeadlineReader(io.RawIOBase):
    """A server's answer read as a stream; each read may only wait for the time that is left."""

    def __init__(self, response: http.client.HTTPResponse, sock: socket.socket, deadline: float):
        self.response, self.sock, self.deadline = response, sock, deadline
        self.expired = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.expired = True
            raise TimeoutError("the time limit passed")
        self.sock.settimeout(left)
        try:
            # read1: what one read of the socket brings (readinto would loop over chunks until
            # the buffer is full, and a server trickling bytes would never meet the deadline)
            data = self.response.read1(len(buffer))
        except TimeoutError:
            self.expired = True
            raise
        buffer[:len(data)] = data
        return len(data)


class RemoteQueryRunner:
    """Queries sent to a remote SPARQL 1.1 server, with the same limits as on an embedded store.

    The time limit holds on our side of the connection: connecting and every read get only the
    time left, and at the limit the connection is closed. It is also passed on as a ``timeout``
    parameter in milliseconds, which Virtuoso obeys; Oxigraph's server (0.5.13) ignores it, and
    its own ``--timeout-s`` did not stop a runaway cross join either (measured): there the
    abandoned query runs on in the server until it ends. The answer is asked
    for as SPARQL JSON or N-Triples, parsed as a stream and cut at ``max_rows`` (the rest is
    never read), then written in the client's media type as on an embedded store. At most
    ``max_running`` queries are sent at once; more get a 503 with ``Retry-After``.
    """

    ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.5"
    GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.5"

    def __init__(self, query_url: str, headers: dict[str, str] | None = None, timeout: float = 10.0,
                 max_running: int = 16, fields=None):
        parts = urllib.parse.urlsplit(query_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise QueryFailed(f"not an http(s) SPARQL endpoint URL: {query_url!r}", 500)
        self.query_url = query_url
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.max_running = max_running
        self._slots = threading.BoundedSemaphore(max_running)
        self._parts = parts
        # (operation, text, dataset=) -> form fields: the store's way of sending a query
        self._fields = fields or (lambda operation, text, dataset=True, rows=None: [(operation, text)])

    def data_changed(self) -> None:
        """Nothing to do: the server always answers from its current data."""

    def _target(self, job: QueryJob) -> str:
        params = [("timeout", str(int(self.timeout * 1000)))]
        if job.default_graphs is not None or job.named_graphs is not None:
            params += [("default-graph-uri", g) for g in job.default_graphs or ()]
            params += [("named-graph-uri", g) for g in job.named_graphs or ()]
        path = self._parts.path or "/"
        query = "&".join(q for q in (self._parts.query, urllib.parse.urlencode(params)) if q)
        return f"{path}?{query}"

    def run(self, job: QueryJob) -> QueryAnswer:
        if not self._slots.acquire(timeout=0.5):
            raise ServerBusy(self.max_running, 1)
        try:
            return self._run(job)
        finally:
            self._slots.release()

    def _run(self, job: QueryJob) -> QueryAnswer:
        deadline = time.monotonic() + self.timeout
        connection_type = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
        connection = connection_type(self._parts.hostname, self._parts.port, timeout=self.timeout)
        # relative IRIs resolve against our endpoint's URL; a BASE of the query's own comes later and wins
        text = f"BASE <{job.base_iri}>\n{job.query}" if job.base_iri else job.query
        # graphs as N-Triples only: Virtuoso answers a CONSTRUCT asked for SPARQL JSON with a table
        accept = self.GRAPH_ACCEPT if query_form(job.query) in ("CONSTRUCT", "DESCRIBE") else self.ACCEPT
        headers = {**self.headers, "Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
        own_dataset = job.default_graphs is not None or job.named_graphs is not None
        fields = self._fields("query", text, dataset=not own_dataset, rows=job.max_rows + 1)  # (one more: "cut?")
        body = urllib.parse.urlencode(fields).encode("ascii")
        reader = response = None
        try:
            connection.request("POST", self._target(job), body=body, headers=headers)
            connection.sock.settimeout(max(0.01, deadline - time.monotonic()))
            response = connection.getresponse()
            if response.status != 200:
                message = response.read(4000).decode("utf-8", "replace").strip()
                if stopped_by_server(message):
                    raise QueryTimedOut(self.timeout)
                status = 400 if 400 <= response.status < 500 else 502
                raise QueryFailed(f"the SPARQL server answered HTTP {response.status}: {message}", status)
            cut = incomplete_answer(response.headers)  # a partial answer said so (Virtuoso): never shown as whole
            if cut == "time":
                raise QueryTimedOut(self.timeout)
            media = response.headers.get_content_type()
            reader = io.BufferedReader(_DeadlineReader(response, connection.sock, deadline), 1 << 16)
            if media in RESULTS_MEDIA_TYPES:
                results = ox.parse_query_results(reader, RESULTS_MEDIA_TYPES[media])
            elif media in GRAPH_MEDIA_TYPES:
                results = ox.parse(reader, GRAPH_MEDIA_TYPES[media])
            else:
                raise QueryFailed(f"the SPARQL server answered {media}, which is neither SPARQL results nor RDF", 502)
            answer = serialize_results(results, job)
            return replace(answer, truncated=True) if cut == "rows" else answer
        except QueryFailed:
            raise
        except (OSError, SyntaxError, ValueError, http.client.HTTPException) as error:
            if time.monotonic() >= deadline or (reader is not None and reader.raw.expired) \
                    or isinstance(error, TimeoutError):
                raise QueryTimedOut(self.timeout, stopped=False) from None
            if isinstance(error, (SyntaxError, ValueError)):
                raise QueryFailed(f"cannot read the SPARQL server's answer: {error}", 502) from error
            # the server's address and the socket error go to the log, not to the client
            log.error("cannot reach the SPARQL server %s: %s", self.query_url, error)
            raise QueryFailed("the SPARQL server cannot be reached right now; try again later", 503) from error
        finally:
            # hang up now: a cut or late answer is never read further (the socket closes only
            # once the response's file object is closed too)
            if response is not None:
                response.close()
            connection.close()

    def close(self) -> None:
        """Nothing to release: every query has its own connection."""


class CachedQueryRunner:
    """Remembers recent answers per data version, in front of another runner.

    A repeated query (same text, ``Accept``, dataset and limits) on unchanged data is answered
    from memory; every write clears it. Only answers up to ``max_bytes`` are kept, at most
    ``max_entries`` of them (least recently used first out). The safety checks of the endpoint
    still run on every request, before the cache is asked.
    """

    def __init__(self, runner, max_entries: int = 256, max_bytes: int = 1 << 20):
        self.runner = runner
        self.timeout = runner.timeout
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._answers: OrderedDict[QueryJob, QueryAnswer] = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()

    def data_changed(self) -> None:
        with self._lock:
            self._generation += 1
            self._answers.clear()
        self.runner.data_changed()

    def run(self, job: QueryJob) -> QueryAnswer:
        with self._lock:
            key = replace(job, generation=self._generation)
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
                return answer
        answer = self.runner.run(job)
        if len(answer.body) <= self.max_bytes:
            with self._lock:
                if key.generation == self._generation:  # no write happened meanwhile
                    self._answers[key] = answer
                    while len(self._answers) > self.max_entries:
                        self._answers.popitem(last=False)
        return answer

    def close(self) -> None:
        with self._lock:
            self._answers.clear()
        self.runner.close()


if __name__ == "__main__":  # a worker process: python -m clusterkg.webapp.query_runner STORE FD
    # run the package's copy, so answers pickle as clusterkg.webapp.query_runner classes
    from clusterkg.webapp.query_runner import _worker_main as worker_main

    worker_main(sys.argv[1], Connection(int(sys.argv[2])))
