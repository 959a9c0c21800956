"""Load on a live `clusterkg serve` on 127.0.0.1: latency per kind of request, and runaway queries.

Not a test: run it by hand. It writes a synthetic graph into a temporary on-disk store, starts
``clusterkg serve`` on it (the console script beside this Python) with the answer cache off, and
optionally a real ``oxigraph serve`` behind it (``--backend remote``), then runs a scenario:

``--scenario mixed`` (default)
    ``--clients`` threads for ``--seconds`` seconds, each cycling through the issue's mix: a SPARQL
    SELECT and a CONSTRUCT with a different literal per request, a cluster page (HTML), the
    partner-search JSON of a cluster, the explorer's ego-network JSON and the cluster list as
    JSON; 2% of the requests are authorised writes with the admin token. ``--writes elsewhere``
    (default): a SPARQL ``INSERT DATA`` of one new triple about a new subject, which nothing the
    pages show reads; ``--writes projection``: a new member of a cluster (an affiliation of an
    existing organisation), as an editor would add, which changes the analytic projection and
    every answer derived from it. Prints p50 / p95 / p99 per kind, requests/s and errors, then
    asks the server for every acknowledged write: a write answered 2xx but missing afterwards is
    lost.
``--scenario runaway``
    Four runaway queries at once (a four-way cartesian product whose filter never holds) while a
    fifth client sends a small query every 200 ms. Prints when each runaway was stopped and with
    what message, the small queries' latencies, and whether the goals hold (each runaway stopped
    within the time limit + 1 s with the time-limit message, every small query answered within
    300 ms).

Every loop is bounded in count and time; only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

from clusterkg.graph.store import store_directory
from sparql_throughput import cpu_seconds  # (bench/ is on the path: this script's folder)

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

CKG = "https://w3id.org/clusterkg/ns#"
RUNAWAY = ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l "
           "FILTER(STRLEN(CONCAT(STR(?a), STR(?d), STR(?g), STR(?j))) < 0) }")
MAX_REQUESTS = 200_000  # a hard bound on any scenario, whatever its duration
TOKEN = "load-benchmark-token"
KINDS = ("select", "construct", "page", "partners", "explorer", "json")
WRITE_SHARE = 50  # one request in 50 is a write: 2%
WRITTEN = "urn:clusterkg:load:written"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(port: int, method: str, path: str, body: str | None = None, headers: dict | None = None,
         timeout: float = 60) -> tuple[int, bytes, float]:
    """One request on a fresh connection: (status, body, seconds); status 0 for a failed connection."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body.encode() if body else None, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), time.perf_counter() - started
    except OSError as error:
        return 0, str(error).encode(), time.perf_counter() - started
    finally:
        connection.close()


def sparql(port: int, query: str, accept: str = "application/sparql-results+json", timeout: float = 60):
    return call(port, "POST", "/sparql", query,
                {"Content-Type": "application/sparql-query", "Accept": accept}, timeout)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def wait_for(port: int, process: subprocess.Popen, path: str = "/sparql?query=ASK%7B%7D") -> None:
    for _ in range(300):  # ~60 s
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        if call(port, "GET", path, timeout=2)[0] == 200:
            return
        time.sleep(0.2)
    raise SystemExit(f"no answer on 127.0.0.1:{port}{path}")


# --------------------------------------------------------------------------- scenarios


def write_text(mark: str, step: int, cluster: str, organisations: list[str], writes: str) -> str:
    """The update of one write: a triple nothing reads, or a new member of ``cluster``."""
    if writes == "elsewhere":
        return f"INSERT DATA {{ <{mark}> <{WRITTEN}> {step} }}"
    organisation = organisations[step % len(organisations)]
    return (f"INSERT DATA {{ <{mark}> <{CKG}cluster> <{cluster}> ; <{CKG}organisation> <{organisation}> ; "
            f"<{CKG}affiliationType> <{CKG}Member> ; <{WRITTEN}> {step} }}")


def mixed(port: int, clients: int, seconds: float, cluster_ids: list[str], server: int | None = None,
          writes: str = "elsewhere", organisations: list[str] = ()) -> int:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    budget = iter(range(MAX_REQUESTS))

    acknowledged: list[str] = []

    def request(number: int, step: int) -> tuple[str, int, bytes, float]:
        cluster = cluster_ids[(number + step) % len(cluster_ids)]
        local = cluster.rsplit("/", 1)[-1]
        if (number * 7 + step) % WRITE_SHARE == 0:  # 2% authorised writes, each a new subject
            mark = f"urn:clusterkg:load:{number}-{step}"
            status, body, took = call(port, "POST", "/sparql", write_text(mark, step, cluster, organisations, writes), {
                "Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
            if 200 <= status < 300:
                with lock:
                    acknowledged.append(mark)
            return "write", status, body, took
        kind = KINDS[step % len(KINDS)]
        if kind == "select":  # a different text per request: no cache could answer it
            query = (f'SELECT ?org ?type WHERE {{ ?org <{CKG}affiliatedWith> <{cluster}> ; a ?type '
                     f'FILTER(STR(?org) != "x{step}") }} LIMIT 50')
            return (kind, *sparql(port, query))
        if kind == "construct":
            query = f'CONSTRUCT {{ <{cluster}> ?p ?o }} WHERE {{ <{cluster}> ?p ?o FILTER(STR(?o) != "x{step}") }}'
            return (kind, *sparql(port, query, "application/n-triples"))
        if kind == "page":
            return (kind, *call(port, "GET", "/clusters/" + local))
        if kind == "partners":
            return (kind, *call(port, "GET", "/partner-search.json?cluster=" + local))
        if kind == "explorer":
            return (kind, *call(port, "GET", f"/api/graph/ego?cluster={local}&limit=150"))
        return (kind, *call(port, "GET", "/clusters", headers={"Accept": "application/json"}))

    def client(number: int) -> None:
        for step in budget:
            if time.monotonic() >= deadline:
                return
            kind, status, body, took = request(number, step)
            with lock:
                if 200 <= status < 300:
                    latencies[kind].append(took)
                else:
                    errors[kind].append(f"{status} {body[:120]!r}")

    cpu_before = cpu_seconds(server) if server else {}
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    elapsed = time.monotonic() - started
    cpu_after = cpu_seconds(server) if server else {}
    total = sum(len(v) for v in latencies.values()) + sum(len(v) for v in errors.values())
    print(f"{clients} clients x {seconds:g} s, writes {writes}: {total} requests, {total / elapsed:.1f} requests/s "
          f"(load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)")
    if cpu_after and total:
        # what the server spent, whatever else runs on the machine: the load-independent figure
        used = {pid: cpu_after[pid] - cpu_before.get(pid, 0.0) for pid in cpu_after}
        print(f"server CPU per request: {sum(used.values()) / total * 1e3:.1f} ms in all its processes "
              f"({len(used)}), {max(used.values()) / total * 1e3:.1f} ms in the busiest; "
              f"{sum(used.values()) / elapsed:.2f} cores busy on average")
    print(f"{'kind':10s} {'n':>6s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s} {'errors':>7s}")
    every = []
    for kind in (*KINDS, "write"):
        values = latencies[kind]
        every += values
        if values:
            print(f"{kind:10s} {len(values):6d} {percentile(values, .5) * 1e3:8.1f} "
                  f"{percentile(values, .95) * 1e3:8.1f} {percentile(values, .99) * 1e3:8.1f} {len(errors[kind]):7d}")
    if every:
        print(f"{'all':10s} {len(every):6d} {percentile(every, .5) * 1e3:8.1f} "
              f"{percentile(every, .95) * 1e3:8.1f} {percentile(every, .99) * 1e3:8.1f}")
    for kind, messages in errors.items():
        if messages:
            print(f"errors ({kind}): {len(messages)}, first: {messages[0]}")
    lost = lost_writes(port, acknowledged)
    print(f"writes: {len(acknowledged)} acknowledged, {len(lost)} lost" + (f" (first: {lost[0]})" if lost else ""))
    worst = max((percentile(v, .95) for v in latencies.values() if v), default=0.0)
    held = not any(errors.values()) and not lost and worst <= 0.3
    print(f"goals {'hold' if held else 'missed'} (0 errors, 0 lost writes, p95 <= 300 ms for every kind; "
          f"worst p95 {worst * 1e3:.0f} ms)")
    return 0 if held else 1


def lost_writes(port: int, marks: list[str]) -> list[str]:
    """The acknowledged writes the server no longer holds (asked once the load has stopped)."""
    status, body, _ = sparql(port, f"SELECT ?s WHERE {{ ?s <{WRITTEN}> ?n }}")
    if status != 200:
        raise SystemExit(f"cannot check the writes: HTTP {status} {body[:200]!r}")
    held = {row["s"]["value"] for row in json.loads(body)["results"]["bindings"]}
    return [mark for mark in marks if mark not in held]


def runaway(port: int, limit: float, count: int = 4, interval: float = 0.2) -> int:
    stops: list[tuple[float, int, str]] = []
    small: list[tuple[float, float, int]] = []  # (sent at, seconds, status)
    lock = threading.Lock()
    t0 = time.monotonic()

    def one() -> None:
        status, body, took = sparql(port, RUNAWAY, timeout=limit + 60)
        try:
            message = json.loads(body).get("error", "")
        except ValueError:
            message = body[:120].decode("utf-8", "replace")
        with lock:
            stops.append((took, status, message))

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    index = 0
    end = t0 + limit + 30  # bounded even if a runaway never comes back
    while time.monotonic() < end and index < 10_000:
        with lock:
            if len(stops) == count and time.monotonic() - t0 > limit + 1:
                break
        query = f'SELECT (COUNT(?c) AS ?n) WHERE {{ ?c a <{CKG}Cluster> FILTER(STR(?c) != "x{index}") }}'
        sent = time.monotonic() - t0
        status, _, took = sparql(port, query, timeout=30)
        small.append((sent, took, status))
        index += 1
        time.sleep(max(0.0, interval - took))
    for thread in threads:
        thread.join(limit + 60)
    print(f"runaways ({count} at once, time limit {limit:g} s):")
    for took, status, message in sorted(stops):
        print(f"  stopped after {took:5.2f} s: HTTP {status}: {message}")
    latencies = [took for _, took, status in small if status == 200]
    failed = [(sent, status) for sent, _, status in small if status != 200]
    print(f"small queries: {len(small)} sent every {interval * 1e3:.0f} ms, {len(failed)} failed")
    if latencies:
        print(f"  latency ms: p50 {statistics.median(latencies) * 1e3:.1f}  p95 {percentile(latencies, .95) * 1e3:.1f}"
              f"  p99 {percentile(latencies, .99) * 1e3:.1f}  max {max(latencies) * 1e3:.1f}")
        print("  over time (sent at s: ms): " + ", ".join(f"{sent:.1f}:{took * 1e3:.0f}" for sent, took, _ in small))
    held = (len(stops) == count
            and all(took <= limit + 1 and "timed out" in message for took, _, message in stops)
            and not failed and latencies and max(latencies) <= 0.3)
    print("goals hold" if held else "goals missed")
    return 0 if held else 1


# --------------------------------------------------------------------------- set-up


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=["mixed", "runaway"], default="mixed")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--timeout", type=float, default=3, help="CLUSTERKG_QUERY_TIMEOUT")
    parser.add_argument("--workers", type=int, default=2, help="CLUSTERKG_QUERY_WORKERS")
    parser.add_argument("--threads", type=int, default=8, help="clusterkg serve --threads")
    parser.add_argument("--processes", type=int, default=1, help="clusterkg serve --processes (front processes)")
    parser.add_argument("--backend", choices=["embedded", "remote"], default="embedded")
    parser.add_argument("--organisations", type=int, default=2000)
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--writes", choices=["elsewhere", "projection"], default="elsewhere",
                        help="what the mixed scenario's writes add: a triple nothing reads, or a cluster member")
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    clusterkg, oxigraph = bindir / "clusterkg", bindir / "oxigraph"

    from clusterkg.graph.store import OxigraphStore
    from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic

    processes = []
    log = None
    with tempfile.TemporaryDirectory(prefix="clusterkg-load-") as scratch:
        store, data = Path(scratch) / "store", Path(scratch) / "data.nt"
        count = write_synthetic(SyntheticSpec(clusters=args.clusters, organisations=args.organisations,
                                              competencies=100, seed=7), data)
        with OxigraphStore(store) as opened:
            opened.insert_ntriples(data)
            ids = [row[0] for row in opened.select_values(f"SELECT ?c WHERE {{ ?c a <{CKG}Cluster> }}")[1]]
            organisations = [row[0] for row in opened.select_values(
                "SELECT ?o WHERE { ?o a <http://www.w3.org/ns/org#FormalOrganization> } ORDER BY ?o")[1]]
        print(f"{count} synthetic triples, {len(ids)} clusters; backend: {args.backend}")
        env = {**os.environ, "CLUSTERKG_QUERY_TIMEOUT": str(args.timeout), "CLUSTERKG_QUERY_CACHE": "0",
               "CLUSTERKG_ADMIN_TOKEN": TOKEN,
               "CLUSTERKG_QUERY_WORKERS": str(args.workers), "CLUSTERKG_CACHE": str(Path(scratch) / "cache")}
        target = ["--store", str(store)]
        try:
            if args.backend == "remote":
                remote = free_port()
                processes.append(subprocess.Popen(
                    [str(oxigraph), "serve", "--location", str(store_directory(store)), "--bind", f"127.0.0.1:{remote}"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                wait_for(remote, processes[-1], "/query?query=ASK%7B%7D")
                base = f"http://127.0.0.1:{remote}"
                env.update(CLUSTERKG_UPDATE_ENDPOINT=f"{base}/update", CLUSTERKG_GRAPH_STORE_ENDPOINT=f"{base}/store")
                target = ["--endpoint", f"{base}/query"]
            port = free_port()
            log = open(Path(scratch) / "serve.log", "wb")
            processes.append(subprocess.Popen(
                [str(clusterkg), *target, "serve", "--port", str(port), "--threads", str(args.threads),
                 "--processes", str(args.processes)],
                env=env, stdout=log, stderr=subprocess.STDOUT))
            wait_for(port, processes[-1])
            if args.scenario == "runaway":
                outcome = runaway(port, args.timeout)
            else:
                outcome = mixed(port, args.clients, args.seconds, ids, processes[-1].pid, args.writes, organisations)
            if outcome:
                errors = [line for line in (Path(scratch) / "serve.log").read_text(errors="replace").splitlines()
                          if "Error" in line or "error" in line]
                print("server log, lines naming an error (first 10):", *errors[:10], sep="\n  ")
            return outcome
        finally:
            for process in reversed(processes):
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if log is not None:
                log.close()


if __name__ == "__main__":
    sys.exit(main())
