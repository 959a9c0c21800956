"""The remote query runner against small scripted servers on 127.0.0.1: what it sends, and that the
time limit and the row cap hold on our side of the connection whatever the server does."""

from __future__ import annotations

import os
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clusterkg.graph.store import OxigraphStore
from clusterkg.webapp.query_runner import QueryJob, QueryTimedOut, RemoteQueryRunner

JSON_HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n")


class Scripted:
    """A one-connection-at-a-time loopback server whose replies a test writes by hand."""

    def __init__(self, reply: Callable[[socket.socket, bytes], None]):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/query"
        self.reply = reply
        self.requests: list[bytes] = []
        self.outcomes: list[str] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                                   if line.lower().startswith(b"content-length")), b"0"))
                while len(body) < length:
                    body += conn.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + body)
                try:
                    self.reply(conn, body)
                    self.outcomes.append("sent all")
                except OSError:
                    self.outcomes.append("client closed")

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(10)
        self.sock.close()


@pytest.fixture
def scripted() -> Iterator[Callable[[Callable], Scripted]]:
    servers = []

    def start(reply) -> Scripted:
        servers.append(Scripted(reply))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _run(runner: RemoteQueryRunner, job: QueryJob):
    """Run in a thread joined with a bound, so a broken limit fails the test instead of hanging it."""
    outcome = {}

    def target():
        try:
            outcome["answer"] = runner.run(job)
        except Exception as error:  # the test looks at it
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the runner did not return: the time limit did not hold"
    return outcome


def test_sends_the_limit_the_dataset_and_the_base(scripted):
    def reply(conn, body):
        conn.sendall(JSON_HEAD + _chunk(b'{"head":{"vars":["x"]},"results":{"bindings":[]}}') + b"0\r\n\r\n")

    server = scripted(reply)
    job = QueryJob("SELECT ?x { ?x ?p <rel> }", accept="text/csv", default_graphs=("http://g/a",),
                   named_graphs=("http://g/b",), base_iri="http://127.0.0.1:5000/sparql")
    answer = _run(RemoteQueryRunner(server.url, {"Authorization": "Bearer t"}, timeout=2.5), job)["answer"]
    assert answer.content_type.startswith("text/csv") and answer.body.strip() == b"x"
    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    target = head.split(b"\r\n")[0].split(b" ")[1].decode()
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
    assert params == {"timeout": ["2500"], "default-graph-uri": ["http://g/a"], "named-graph-uri": ["http://g/b"]}
    assert b"authorization: bearer t" in head.lower()
    # form-encoded: the one way of sending a query that Virtuoso answers too
    assert urllib.parse.parse_qs(body.decode()) == {"query": ["BASE <http://127.0.0.1:5000/sparql>\nSELECT ?x { ?x ?p <rel> }"]}


def test_time_limit_holds_against_a_silent_server(scripted):
    stop = threading.Event()
    server = scripted(lambda conn, body: stop.wait(20) or conn.recv(1) == b"" and conn.sendall(b"x"))
    outcome = _run(RemoteQueryRunner(server.url, timeout=1), QueryJob("ASK {}"))
    stop.set()
    assert isinstance(outcome.get("error"), QueryTimedOut)
    assert "timed out after 1 s" in str(outcome["error"])


def test_time_limit_holds_against_a_trickling_server(scripted):
    """Each byte comes well within the socket timeout; the total time still has its limit."""
    def reply(conn, body):
        conn.sendall(JSON_HEAD + _chunk(b'{"head":{"vars":["x"]},"results":{"bindings":['))
        for _ in range(100):  # bounded: 10 s at most
            conn.sendall(_chunk(b" "))
            threading.Event().wait(0.1)

    server = scripted(reply)
    outcome = _run(RemoteQueryRunner(server.url, timeout=1), QueryJob("SELECT ?x {}"))
    assert server.outcomes == [], "the runner waited for the whole answer instead of its limit"
    assert isinstance(outcome.get("error"), QueryTimedOut)


def test_row_cap_stops_reading_a_long_answer(scripted):
    def reply(conn, body):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/n-triples\r\nTransfer-Encoding: chunked\r\n\r\n")
        for index in range(200_000):  # ~12 MB if it were all read
            conn.sendall(_chunk(b"<http://x/s%d> <http://x/p> <http://x/o> .\n" % index))
        conn.sendall(b"0\r\n\r\n")

    server = scripted(reply)
    answer = _run(RemoteQueryRunner(server.url, timeout=20),
                  QueryJob("CONSTRUCT WHERE { ?s ?p ?o }", accept="application/n-triples", max_rows=10))["answer"]
    assert answer.truncated and answer.rows == 10 and answer.body.count(b"\n") == 10
    server.stop()
    assert server.outcomes == ["client closed"]  # we hung up: the rest was never read


RUNAWAY = ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i "
           "FILTER(STRLEN(CONCAT(STR(?a), STR(?d), STR(?g))) < 0) }")


def test_a_full_pool_answers_busy_with_retry_after(store_path):
    """Only when every worker the pool may have is running a query does a query get refused."""
    from clusterkg.webapp.query_runner import ProcessQueryRunner, ServerBusy

    runner = ProcessQueryRunner(store_path, workers=1, timeout=3, reserve=1, max_workers=2, queue_wait=0.2)
    try:
        outcomes = []
        threads = [threading.Thread(target=lambda: outcomes.append(_run(runner, QueryJob(RUNAWAY))))
                   for _ in range(2)]
        for thread in threads:
            thread.start()
        for _ in range(100):  # bounded: until both runaways hold a worker and none is starting
            with runner._lock:
                if runner._idle.qsize() == 0 and runner._starting == 0 and len(runner._workers) == 2:
                    break
            threading.Event().wait(0.05)
        refused = _run(runner, QueryJob("ASK {}"))["error"]
        assert isinstance(refused, ServerBusy) and refused.status == 503
        assert refused.headers == {"Retry-After": "3"} and "all 2 query workers" in str(refused)
        for thread in threads:
            thread.join(30)
        assert [type(o.get("error")) for o in outcomes] == [QueryTimedOut, QueryTimedOut]
        assert _run(runner, QueryJob("ASK { ?s ?p ?o }"))["answer"].body  # and it serves again
    finally:
        runner.close()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_one_query_at_a_time_stays_on_the_warm_worker(store_path):
    """The worker freed last answers next (its caches are warm), not each idle worker in turn."""
    from clusterkg.webapp.query_runner import ProcessQueryRunner

    runner = ProcessQueryRunner(store_path, workers=2, timeout=10, reserve=2)
    try:
        for _ in range(600):  # bounded (30 s): until the four workers are ready
            if runner._idle.qsize() == 4:
                break
            threading.Event().wait(0.05)
        assert runner._idle.qsize() == 4
        pids = [worker.process.pid for worker in runner._workers.values()]
        before = {pid: _cpu_seconds(pid) for pid in pids}
        for number in range(100):
            query = f'SELECT (COUNT(*) AS ?n) WHERE {{ ?s a ?o FILTER(STR(?o) != "x{number}") }}'
            assert runner.run(QueryJob(query, accept="application/sparql-results+json")).body
        used = sorted((_cpu_seconds(pid) - before[pid] for pid in pids), reverse=True)
        assert used[0] > 0.2 and sum(used[1:]) < 0.25 * used[0], used  # in turn, each would get a quarter
    finally:
        runner.close()


GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"


def test_a_reader_fronts_runner_answers_as_the_workers_do_and_reopens_a_lost_snapshot(store_path):
    """:class:`SnapshotQueryRunner` (a reader front's own threads) gives the workers' bytes, hides
    the bookkeeping graph as they do, and opens the store again when its snapshot was released."""
    from clusterkg.graph.running_server import SnapshotStore
    from clusterkg.graph.store import META_GRAPH
    from clusterkg.webapp.query_runner import ProcessQueryRunner, SnapshotQueryRunner

    with OxigraphStore(store_path) as writer:  # (a data version: the bookkeeping graph exists)
        writer.update('INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> ; <urn:x:d> 1 . <urn:x:e> <urn:x:b> "é"@fr }')
    # (rows of the test's own subjects: ORDER BY over the whole store costs ~11 s of CPU, too near the limit)
    ordered = "SELECT ?s ?p ?o WHERE { VALUES ?s { <urn:x:a> <urn:x:e> } ?s ?p ?o } ORDER BY DESC(?s) ?p"
    jobs = [QueryJob(GRAPHS), QueryJob(ordered, accept="text/csv"),
            QueryJob("CONSTRUCT WHERE { ?s ?p ?o }", accept="application/n-triples", max_rows=5)]
    workers = ProcessQueryRunner(store_path, workers=1, timeout=30, reserve=1)
    try:
        expected = [workers.run(job) for job in jobs]
    finally:
        workers.close()
    store = SnapshotStore.read_only(store_path)
    assert META_GRAPH in {graph.value for graph in list(store._store.named_graphs())}, "nothing to hide"
    runaways: list[int] = []
    runner = SnapshotQueryRunner(store, workers=2, timeout=30, on_runaway=lambda: runaways.append(1))
    try:
        assert [runner.run(job) for job in jobs] == expected
        assert META_GRAPH.encode() not in expected[0].body and expected[2].truncated
        assert expected[1].body.splitlines()[1].startswith(b"urn:x:e,urn:x:b,") and len(expected[1].body.splitlines()) == 4
        store._store = None  # (what a read that found its files compacted away leaves)
        assert runner.run(jobs[1]) == expected[1]
        assert runaways == []
    finally:
        runner.close()
        store.close()


def test_a_reader_fronts_runaway_is_logged_with_where_its_thread_is(tmp_path, caplog):
    """A query past the time limit is logged with its thread's stack: a slow query and a reader
    stuck reopening its view both end in a 503, and only the stack tells them apart."""
    from clusterkg.graph.running_server import SnapshotStore
    from clusterkg.webapp.query_runner import SnapshotQueryRunner

    with OxigraphStore(tmp_path / "store") as writer:  # 70 triples: a three-way cross join of 343,000 rows (seconds)
        writer.update("INSERT DATA { " + " ".join(f"<urn:x:s{n}> <urn:x:p> {n} ." for n in range(70)) + " }")
    store = SnapshotStore.read_only(tmp_path / "store")
    runaways: list[int] = []
    runner = SnapshotQueryRunner(store, workers=1, timeout=0.2, on_runaway=lambda: runaways.append(1))
    slow = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(STRLEN(CONCAT(STR(?a), STR(?d), STR(?g))) < 0) }"
    released = threading.Event()

    def waiting_beside_it() -> None:  # (another thread of the process, for the log to show)
        released.wait(30)

    bystander = threading.Thread(target=waiting_beside_it, name="bystander")
    bystander.start()
    try:
        with caplog.at_level("ERROR", logger="clusterkg.webapp.query_runner"):
            with pytest.raises(QueryTimedOut):
                runner.run(QueryJob(slow))
        assert runaways == [1]
        [record] = [r for r in caplog.records if "past the time limit" in r.getMessage()]
        message = record.getMessage()
        assert "after 1 attempt(s) (last retried failure: none)" in message, message
        assert "its thread is at:" in message and "in run_query" in message, message
        others = message.split("the other threads are at:\n")[1]
        assert "bystander:" in others and "in waiting_beside_it" in others, message
        assert "in run_query" not in others, "the runaway's own thread is not repeated"
    finally:
        released.set()
        bystander.join(30)
        runner._pool.shutdown(wait=True)  # (the runaway runs on until it ends: wait for it here)
        store.close()


def test_a_worker_killed_from_several_threads_at_once_is_killed_once(store_path):
    """``close`` and a worker's own thread (starting, timed out) may kill it at the same moment:
    its socket must be closed once (a second close at once failed with EBADF in a CI run, or
    could close a descriptor reused since), and neither thread fails."""
    from clusterkg.webapp.query_runner import ProcessQueryRunner

    class CountingConnection:
        def __init__(self, connection):
            self.connection, self.closes = connection, 0

        def close(self):
            self.closes += 1
            self.connection.close()

    runner = ProcessQueryRunner(store_path, workers=1, timeout=10, reserve=0)
    try:
        for _ in range(600):  # bounded (30 s): until the worker is ready
            if runner._idle.qsize() == 1:
                break
            threading.Event().wait(0.05)
        worker = runner._idle.get_nowait()
        worker.connection = counting = CountingConnection(worker.connection)
        start, failures = threading.Barrier(8), []

        def kill():
            start.wait(10)
            try:
                runner._kill(worker)
            except Exception as error:  # (a failure in a thread would pass unseen)
                failures.append(error)

        threads = [threading.Thread(target=kill) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert failures == [] and counting.closes == 1
        assert worker.process.poll() is not None and id(worker) not in runner._workers
    finally:
        runner.close()
