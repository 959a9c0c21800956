"""Several front processes (``clusterkg.webapp.fronts``): reader fronts answer reads from a
read-only view, hand every write to the one writer, and see each write at their next request.

The writer runs in this process on a private loopback port only, so every request sent to the
public socket is answered by a real reader process (started by :class:`Readers`).
"""

from __future__ import annotations

import http.client
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import waitress

from clusterkg.webapp import create_app
from clusterkg.webapp.fronts import Readers, WriteCounter, listening_socket, may_write

from .conftest import TOKEN, quote, request
from .test_serve import _free_port, _wait_for, _workers_of

CLUSTERKG = str(Path(sys.executable).with_name("clusterkg"))
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MARK = "urn:clusterkg:test:front"


def _environ(method: str, path: str, content_type: str = "", body: bytes = b"") -> dict:
    return {"REQUEST_METHOD": method, "PATH_INFO": path, "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}


@pytest.mark.parametrize(("method", "path", "content_type", "body", "writes"), [
    ("GET", "/sparql", "", b"", False),
    ("HEAD", "/clusters", "", b"", False),
    ("POST", "/sparql", "application/sparql-query", b"ASK {}", False),
    ("POST", "/sparql", "application/x-www-form-urlencoded", b"query=ASK%20%7B%7D", False),
    ("POST", "/sparql", "application/x-www-form-urlencoded; charset=utf-8", b"update=CLEAR%20ALL", True),
    ("POST", "/sparql", "application/x-www-form-urlencoded", b"query=ASK%7B%7D&update=CLEAR%20ALL", True),
    ("POST", "/sparql", "application/sparql-update", b"CLEAR ALL", True),
    ("POST", "/sparql", "text/plain", b"ASK {}", True),
    ("PUT", "/store", "text/turtle", b"", True),
    ("DELETE", "/store", "", b"", True),
    ("POST", "/store", "text/turtle", b"", True),
    ("POST", "/api/import", "multipart/form-data; boundary=x", b"--x--", True),
    ("POST", "/explore/query", "application/x-www-form-urlencoded", b"query=x", False),
    ("POST", "/api/graph/query", "application/x-www-form-urlencoded", b"query=x", False),
    ("POST", "/a/page/added/later", "", b"", True),
])
def test_which_requests_go_to_the_writer(method, path, content_type, body, writes):
    environ = _environ(method, path, content_type, body)
    assert may_write(environ) is writes
    assert environ["wsgi.input"].read() == body, "a peeked body is handed on whole"


def test_the_write_counter_is_shared_between_openers(tmp_path):
    writer = WriteCounter(tmp_path / "writes", create=True)
    reader = WriteCounter(tmp_path / "writes")
    assert (writer.value(), reader.value()) == (0, 0)
    writer.bump()
    writer.bump()
    assert reader.value() == 2
    writer.close()
    reader.close()


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _marks(url: str) -> list[str]:
    reply = request("GET", f"{url}/sparql?query=" + quote(f"SELECT ?o WHERE {{ <{MARK}> <{MARK}> ?o }}"),
                    headers={"Accept": "application/sparql-results+json"})
    assert reply.status == 200, reply.body[:300]
    return sorted(b["o"]["value"] for b in reply.json()["results"]["bindings"])


@pytest.fixture
def fronts(store_path, monkeypatch, stop_waitress):
    """A writer app in this process on its private port only, and one reader process on the public socket."""
    yield from _fronts(store_path, monkeypatch, stop_waitress)


@pytest.fixture(scope="module")
def reading_fronts(store_template, tmp_path_factory, stop_waitress):
    """:func:`fronts` started once for the tests that only read (a reader process takes seconds)."""
    store = Path(shutil.copytree(store_template, tmp_path_factory.mktemp("fronts") / "store"))
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from _fronts(store, monkeypatch, stop_waitress)


def _fronts(store_path, monkeypatch, stop_waitress, timeout: float | None = None):
    monkeypatch.setenv("CLUSTERKG_QUERY_WORKERS", "1")
    if timeout is not None:  # (the reader process reads it from its environment)
        monkeypatch.setenv("CLUSTERKG_QUERY_TIMEOUT", str(timeout))
    app = create_app({"STORE": str(store_path), "ADMIN_TOKEN": TOKEN, "QUERY_WORKERS": 1, "QUERY_RESERVE": 1,
                      "QUERY_CACHE": 0})
    ckg = app.extensions["clusterkg"]
    public = listening_socket("127.0.0.1", 0)
    readers = Readers(store_path, public, 1, threads=4)
    readers.connect_writer(ckg)
    server = waitress.create_server(app, sockets=[readers.private], threads=4, ident="clusterkg")  # (as serve does)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{public.getsockname()[1]}", readers, ckg
    finally:
        readers.stop()
        stop_waitress(server, thread)
        ckg.close()
        public.close()


def test_a_reader_hands_writes_to_the_writer_and_sees_each_at_its_next_request(fronts):
    url, readers, ckg = fronts
    assert _marks(url) == []
    for number in range(1, 4):  # each write, then at once a read: the reader must show it
        reply = request("POST", f"{url}/sparql", f"INSERT DATA {{ <{MARK}> <{MARK}> {number} }}",
                        {**AUTH, "Content-Type": "application/sparql-update"})
        assert reply.status == 204 or reply.status == 200, reply.body[:300]
        assert _marks(url) == [str(n) for n in range(1, number + 1)]
    assert ckg.store.ask(f"ASK {{ <{MARK}> <{MARK}> 3 }}"), "the writer holds the write"
    # refused writes are refused by the writer, with its message, and change nothing
    reply = request("POST", f"{url}/sparql", f"update={quote('CLEAR DEFAULT')}",
                    {"Content-Type": "application/x-www-form-urlencoded"})
    assert (reply.status, reply.json()["error"]) == (401, "writing needs 'Authorization: Bearer <admin token>'")
    body = (b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"bad.ttl\"\r\n"
            b"Content-Type: text/turtle\r\n\r\n<urn:a> <urn:b> .\r\n--b--\r\n")
    reply = request("POST", f"{url}/api/import", body, {**AUTH, "Content-Type": "multipart/form-data; boundary=b"})
    assert reply.status == 400 and reply.json()["problems"][0]["file"] == "bad.ttl", reply.body[:400]
    assert _marks(url) == ["1", "2", "3"]


@pytest.mark.parametrize("path, headers", [
    ("/sparql?query=" + quote("SELECT ?s WHERE { ?s a ?t } ORDER BY ?s LIMIT 3"), {"Accept": "application/sparql-results+json"}),
    ("/sparql?query=" + quote("SELECT ?s WHERE { ?s a ?t } ORDER BY ?s LIMIT 3"), {"Accept": "text/csv"}),
    ("/sparql?query=" + quote("SELECT nonsense"), {}),  # (a failure: Flask answers it)
    ("/sparql?query=" + quote("ASK { ?s ?p ?o }"), {"Accept": "image/png"}),  # (nothing acceptable)
    ("/clusters.json", {}),
    ("/partner-search.json?cluster=" + quote("Élan café"), {}),  # (a non-ASCII query string)
    ("/id/organisation/caf%C3%A9%2F", {"Accept": "application/json"}),  # (a path decoded as WSGI says)
])
def test_a_reader_answers_as_the_writer_does(reading_fronts, path, headers):
    """The reader's server (granian) and the writer's (waitress) give the same answer: status,
    headers (names compared without case; the date aside) and body."""
    url, readers, ckg = reading_fronts
    writer = f"http://127.0.0.1:{readers.writer_port}"
    theirs, ours = request("GET", writer + path, headers=headers), request("GET", url + path, headers=headers)
    assert ours.status == theirs.status and ours.body == theirs.body, (ours.status, ours.body[:300], theirs.body[:300])
    assert {**ours.headers, "date": None} == {**theirs.headers, "date": None}


def test_reads_go_on_while_writes_land_and_memory_stays_bounded(fronts):
    url, readers, _ = fronts
    statuses: list[int] = []
    stop = threading.Event()

    def read() -> None:
        deadline = time.monotonic() + 60
        for _ in range(2000):  # bounded in count and time
            if stop.is_set() or time.monotonic() > deadline:
                return
            statuses.append(request("GET", f"{url}/clusters.json", timeout=30).status)
            statuses.append(request("POST", f"{url}/sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                                    {"Content-Type": "application/sparql-query"}, timeout=30).status)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for number in range(10):
            reply = request("POST", f"{url}/sparql", f"INSERT DATA {{ <{MARK}> <{MARK}> {number} }}",
                            {**AUTH, "Content-Type": "application/sparql-update"}, timeout=30)
            assert reply.status in (200, 204), reply.body[:300]
            assert str(number) in _marks(url)
            for pid in readers.pids():
                assert _rss_mib(pid) < 1024, f"reader front {pid} grew to {_rss_mib(pid):.0f} MiB"
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert statuses and set(statuses) == {200}, sorted(set(statuses))
    assert _marks(url) == [str(n) for n in range(10)]


def test_a_reader_that_dies_is_started_again(fronts):
    url, readers, _ = fronts
    [first] = readers.pids()
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 120
    while readers.pids() == [first] or request("GET", f"{url}/clusters.json").status != 200:
        assert time.monotonic() < deadline, "no reader front answered again within 120 s"
        time.sleep(0.5)
    assert readers.pids() != [first]


def test_serve_with_several_processes_answers_writes_and_stops_them_all(store_path, tmp_path):
    env = {**os.environ, "CLUSTERKG_ADMIN_TOKEN": TOKEN, "CLUSTERKG_QUERY_WORKERS": "1"}
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([CLUSTERKG, "--store", str(store_path), "serve", "--port", str(port),
                                    "--threads", "4", "--processes", "3"], stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/sparql?query=ASK%7B%7D", process, log_path)
        deadline = time.monotonic() + 60  # (the readers answer before the writer says it serves)
        while "pids [" not in log_path.read_text():
            assert time.monotonic() < deadline and process.poll() is None, log_path.read_text()
            time.sleep(0.2)
        readers = [int(pid) for pid in log_path.read_text().split("pids [")[1].split("]")[0].split(", ")]
        assert len(readers) == 2 and all(Path(f"/proc/{pid}").exists() for pid in readers)
        for number in range(6):  # new connections: the kernel hands them to any of the three fronts
            reply = request("POST", f"{url}/sparql", f"INSERT DATA {{ <{MARK}> <{MARK}> {number} }}",
                            {**AUTH, "Content-Type": "application/sparql-update"})
            assert reply.status in (200, 204), reply.body[:300]
            for _ in range(3):
                assert str(number) in _marks(url)
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, log_path.read_text()
        deadline = time.monotonic() + 20
        while any(Path(f"/proc/{pid}").exists() for pid in readers) or _workers_of(store_path):
            assert time.monotonic() < deadline, "reader fronts or query workers outlived the server"
            time.sleep(0.2)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_several_processes_need_an_on_disk_store(tmp_path):
    result = subprocess.run([CLUSTERKG, "--store", ":memory:", "serve", "--processes", "2"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--processes above 1 needs an on-disk store" in result.stderr, result.stderr


NEW_CLUSTER = "https://w3id.org/clusterkg/id/cluster/front-test"


def _cluster_ids(url: str) -> set[str]:
    reply = request("GET", f"{url}/clusters.json")
    assert reply.status == 200, reply.body[:300]
    return {c["id"] for c in reply.json()["clusters"]}


def test_pages_of_a_reader_show_a_write_at_the_next_request(fronts):
    url, _, _ = fronts
    assert "front-test" not in _cluster_ids(url)
    update = (f"INSERT DATA {{ <{NEW_CLUSTER}> a <https://w3id.org/clusterkg/ns#Cluster> ; "
              f"<http://www.w3.org/2000/01/rdf-schema#label> \"Front test\" }}")
    reply = request("POST", f"{url}/sparql", update, {**AUTH, "Content-Type": "application/sparql-update"})
    assert reply.status in (200, 204), reply.body[:300]
    assert "front-test" in _cluster_ids(url)


def test_fronts_build_each_projection_once_and_catch_up_listed_changes_alone(store_path, tmp_path, monkeypatch):
    from clusterkg.graph import projection_cache, projection_refresh
    from clusterkg.graph.importer import import_files
    from clusterkg.graph.store import OxigraphStore

    builds = []
    real_build = projection_cache.build_projection
    for module in (projection_cache, projection_refresh):
        monkeypatch.setattr(module, "build_projection", lambda store: builds.append(1) or real_build(store))
    with OxigraphStore(store_path) as store:
        # two fronts' caches: the same store, the same cache directory (as `serve --processes` sets up)
        first, second = projection_cache.ProjectionCache(store, tmp_path), projection_cache.ProjectionCache(store, tmp_path)
        assert first.get().version == second.get().version == store.data_version()
        assert len(builds) == 1, "the second front loads what the first built"
        # a SPARQL Update does not list what it changed: one build, shared
        store.update(f"INSERT DATA {{ <{NEW_CLUSTER}> a <https://w3id.org/clusterkg/ns#Cluster> ; "
                     f"<http://www.w3.org/2000/01/rdf-schema#label> \"Front test\" }}")
        assert NEW_CLUSTER in set(second.get().clusters["iri"]) and NEW_CLUSTER in set(first.get().clusters["iri"])
        assert len(builds) == 2
        assert len(list(tmp_path.glob("projection-*.pickle"))) == 1, "older versions are removed"
        # an import lists its changed resources: each front refreshes on its own, nothing is built
        cluster = next(iri for iri in first.get().clusters["iri"] if iri != NEW_CLUSTER)
        label = "<http://www.w3.org/2000/01/rdf-schema#label>"
        described = store.query_bytes(f"CONSTRUCT {{ <{cluster}> ?p ?o }} WHERE {{ <{cluster}> ?p ?o }}",
                                      "application/n-triples").decode().splitlines()
        batch = tmp_path / "renamed.nt"
        batch.write_text("\n".join([line for line in described if label not in line]
                                   + [f'<{cluster}> {label} "Renamed by a front test"@en .']) + "\n")
        import_files([batch], store, replace=True, progress=False)
        for front in (first, second):
            assert front.get().clusters.set_index("iri")["label"][cluster] == "Renamed by a front test"
        assert len(builds) == 2


# a cartesian product whose filter is tested on full rows only and never holds: runs for hours
RUNAWAY = ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l "
           "FILTER(STRLEN(CONCAT(STR(?a), STR(?d), STR(?g), STR(?j))) < 0) }")
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?type }"
RESULTS = {"Accept": "application/sparql-results+json"}


@pytest.fixture
def slow_fronts(store_path, monkeypatch, stop_waitress):
    """:func:`fronts` with a 2 s time limit."""
    yield from _fronts(store_path, monkeypatch, stop_waitress, timeout=2)


def test_a_runaway_on_a_reader_gets_503_and_the_reader_is_replaced(slow_fronts):
    """The reader runs queries in its own threads: at the limit the runaway's client gets the
    usual 503, a small query sent meanwhile is answered, the reader ends itself (which stops
    the query) and is replaced, and a client busy on one connection all along never fails (it
    sends a request again once, as HTTP clients do, if the draining reader closed its connection
    while idle just as the request went out: seen once in a full run under load)."""
    url, readers, _ = slow_fronts
    [first] = readers.pids()
    port = int(url.rsplit(":", 1)[1])
    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=30)  # a keep-alive connection, idle
    idle.request("GET", "/sparql?query=" + quote(COUNT), headers=RESULTS)
    assert idle.getresponse().read()
    outcome: list = []
    steady: list[tuple[int, str | None]] = []
    stop = threading.Event()

    def runaway() -> None:
        started = time.monotonic()
        outcome.append(request("GET", f"{url}/sparql?query=" + quote(RUNAWAY), headers=RESULTS, timeout=60))
        outcome.append(time.monotonic() - started)

    def busy() -> None:  # one connection, reopened only when the server says it closes (http.client does)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        deadline = time.monotonic() + 90
        for _ in range(3000):  # bounded in count and time
            if stop.is_set() or time.monotonic() > deadline:
                break
            try:
                connection.request("GET", "/sparql?query=" + quote(COUNT), headers=RESULTS)
                reply = connection.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError):
                # the draining reader closed the connection while it was idle between two requests,
                # as this one went out: a client sends an idempotent request again on a new
                # connection (RFC 9112, 9.3.1), once
                steady.append((None, "closed while idle"))
                connection.close()
                connection.request("GET", "/sparql?query=" + quote(COUNT), headers=RESULTS)
                reply = connection.getresponse()
            reply.read()
            steady.append((reply.status, reply.getheader("Connection")))
            time.sleep(0.02)
        connection.close()

    threads = [threading.Thread(target=runaway), threading.Thread(target=busy)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        small = request("POST", f"{url}/sparql", COUNT, {"Content-Type": "application/sparql-query", **RESULTS})
        assert small.status == 200 and not outcome, "the small query waited for the runaway"
        threads[0].join(60)
        reply, seconds = outcome
        assert reply.status == 503 and "timed out after 2 s and was stopped" in reply.json()["error"], reply.body[:300]
        assert 1.9 <= seconds < 10, seconds
        assert idle.sock.recv(1) == b"", "the idle connection is closed (a client's pool opens another)"
        deadline = time.monotonic() + 60  # the old reader exits (the query with it); a new one answers
        while Path(f"/proc/{first}").exists() or readers.pids() == [first]:
            assert time.monotonic() < deadline, "the reader that ran the runaway did not end"
            time.sleep(0.2)
        replaced = request("GET", f"{url}/sparql?query=" + quote(COUNT), headers=RESULTS, timeout=120)
        assert replaced.status == 200 and int(replaced.json()["results"]["bindings"][0]["n"]["value"]) > 0
        assert readers.pids() != [first]
    finally:
        stop.set()
        for thread in threads:
            thread.join(120)
        idle.close()
    assert {status for status, _ in steady} - {None} == {200}, steady
    assert {"close", "closed while idle"} & {header for _, header in steady}, "the draining reader closed the busy connection"


def test_a_query_read_from_the_old_view_during_a_catch_up_is_not_served_after_it(store_path, tmp_path):
    """A reader front's answer cache is cleared after its view moves: an answer a concurrent
    request read from the old view while the front reopened is never served for the new data."""
    from clusterkg.graph.running_server import SnapshotStore
    from clusterkg.graph.store import OxigraphStore
    from clusterkg.webapp.fronts import follow_writes
    from clusterkg.webapp.query_runner import QueryJob

    counter = WriteCounter(tmp_path / "writes", create=True)
    app = create_app({"KNOWLEDGE_STORE": SnapshotStore.read_only(store_path), "QUERY_IN_PROCESS": True,
                      "QUERY_WORKERS": 2, "QUERY_CACHE": 16})
    ckg = app.extensions["clusterkg"]
    follow_writes(app, counter)
    marks = "/sparql?query=" + quote(f"SELECT ?o WHERE {{ <{MARK}> <{MARK}> ?o }}")
    results = {"Accept": "application/sparql-results+json"}
    jobs: list[QueryJob] = []  # (the job a request sends, exactly as the endpoint builds it)
    inner = ckg.runner.runner
    run = inner.run
    inner.run = lambda job: (jobs.append(job), run(job))[1]
    reopen = ckg.store.reopen

    def reopen_while_another_request_reads() -> None:
        ckg.runner.run(jobs[0])  # (a request that passed its catch-up before the write: on the old view)
        reopen()

    ckg.store.reopen = reopen_while_another_request_reads
    try:
        client = app.test_client()
        assert client.get(marks, headers=results).get_json()["results"]["bindings"] == []
        with OxigraphStore(store_path) as writer:
            writer.update(f"INSERT DATA {{ <{MARK}> <{MARK}> 1 }}")
        counter.bump()
        reply = client.get(marks, headers=results)
        assert reply.status_code == 200
        assert [b["o"]["value"] for b in reply.get_json()["results"]["bindings"]] == ["1"], "the old view's answer was served"
    finally:
        ckg.close()
        counter.close()
