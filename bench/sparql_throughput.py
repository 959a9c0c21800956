"""Throughput of `clusterkg serve` against `oxigraph serve-read-only` on the same on-disk store.

Not a test: run it by hand (``python bench/sparql_throughput.py``). It generates a synthetic
graph (~1M triples by default) into a temporary on-disk store, serves that same store with both
servers in turn on 127.0.0.1, and drives each from ``wrk`` (8 connections, fixed duration) with
two workloads: one small GROUP BY SELECT repeated, and the mixed workload, the same query shape
over 1,000 texts (another cluster and another literal in each, so no answer cache helps). It
runs ``clusterkg serve`` with the answer cache on and off, for each ``--processes`` count (front
processes: ``clusterkg serve --processes N``; default 1 and 4, side by side in one run), and
prints requests/s and the ratios to Oxigraph (medians over ``--rounds``), and the CPU time per
request of the busiest front process and of all the server's processes (read from ``/proc``):
on a machine shared with other work those say more than requests/s, since one front can use
at most one core (the GIL). Every safety feature of clusterkg stays on (SERVICE/LOAD check,
worker processes with the time limit, row cap, content negotiation). Needs the ``wrk`` and
``oxigraph`` binaries.
"""

from __future__ import annotations

from clusterkg.graph.store import store_directory

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

QUERY = """PREFIX ckg: <https://w3id.org/clusterkg/ns#>
SELECT ?type (COUNT(?org) AS ?n) WHERE {
  ?org ckg:affiliatedWith <https://w3id.org/clusterkg/synthetic/cluster/1-0> ; a ?type .
} GROUP BY ?type ORDER BY DESC(?n)"""

MIXED = """PREFIX ckg: <https://w3id.org/clusterkg/ns#>
SELECT ?type (COUNT(?org) AS ?n) WHERE {{
  ?org ckg:affiliatedWith <{cluster}> ; a ?type . FILTER(?type != <urn:bench:{number}>)
}} GROUP BY ?type ORDER BY DESC(?n)"""


def mixed_script(folder: Path, path: str, clusters: list[str], count: int = 1000) -> Path:
    """A wrk Lua script that cycles through ``count`` different query texts."""
    paths = [
        path + "?query=" + urllib.parse.quote(MIXED.format(cluster=clusters[i % len(clusters)], number=i), safe="")
        for i in range(count)
    ]
    script = folder / f"mixed-{abs(hash(path))}.lua"
    script.write_text(
        "paths = {" + ",".join(f'"{p}"' for p in paths) + "}\n"
        "i = 0\n"
        "request = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\nend\n"
    )
    return script


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
            with urllib.request.urlopen(request, timeout=5) as response:
                body = response.read()
            if b'"bindings":[]' in body.replace(b" ", b""):
                raise SystemExit(f"the benchmark query returns no rows: {body[:200]!r}")
            return body
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server for {url} did not come up")
            time.sleep(0.2)


def run_wrk(url: str, seconds: int, connections: int, threads: int, script: Path | None = None,
            show: bool = True) -> float:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
         "-H", "Accept: application/sparql-results+json", *(["-s", str(script)] if script else []), url],
        capture_output=True, text=True, check=True,
    ).stdout
    if show:
        print(out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise SystemExit(f"{non_2xx.group(1)} failed requests: the benchmark is not valid")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def cpu_seconds(root: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by ``root`` and every process below it, by pid."""
    parents, used = {}, {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, grown = {root}, True
    while grown:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        grown = bool(below)
        tree |= below
    return {pid: used[pid] for pid in tree if pid in used}


def readers_of(root: int, tree: dict[int, float]) -> set[int]:
    """The reader fronts among ``root``'s processes (their command line names the fronts module)."""
    found = set()
    for pid in tree:
        try:
            if b"clusterkg.webapp.fronts" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(pid)
        except OSError:
            pass
    return found


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organisations", type=int, default=24_000)
    parser.add_argument("--clusters", type=int, default=300)
    parser.add_argument("--competencies", type=int, default=1_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--serve-threads", type=int, default=8, help="clusterkg serve --threads")
    parser.add_argument("--workers", type=int, default=None, help="CLUSTERKG_QUERY_WORKERS (default: the setting)")
    parser.add_argument("--processes", default="1,4", help="front process counts to run, comma-separated")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every measurement; medians are reported")
    parser.add_argument("--warmup", type=int, default=3,
                        help="seconds of the mixed workload sent to each server before it is measured (0: none); "
                             "clusterkg starts query workers on the first concurrent queries, once per server")
    args = parser.parse_args()
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # the venv's oxigraph
    for binary in ("wrk", "oxigraph"):
        if shutil.which(binary) is None:
            raise SystemExit(f"`{binary}` is not installed")

    from clusterkg.graph.store import OxigraphStore
    from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic

    with tempfile.TemporaryDirectory(prefix="clusterkg-bench-") as scratch:
        store_dir, data = Path(scratch) / "store", Path(scratch) / "data.nt"
        started = time.monotonic()
        count = write_synthetic(SyntheticSpec(clusters=args.clusters, organisations=args.organisations,
                                              competencies=args.competencies, seed=1), data)
        with OxigraphStore(store_dir) as store:
            store.insert_ntriples(data)
            clusters = [row[0] for row in store.select_values(
                "SELECT ?c WHERE { ?c a <https://w3id.org/clusterkg/ns#Cluster> }")[1]]
            print(f"loaded {count} triples into {store_dir} in {time.monotonic() - started:.1f} s")
        query = urllib.parse.quote(QUERY, safe="")
        results: dict[str, list[float]] = {}
        cpu: dict[str, list[tuple[float, float]]] = {}
        clusterkg = Path(sys.executable).with_name("clusterkg")
        counts = [int(n) for n in args.processes.split(",")]
        labels = [f"clusterkg serve x{n}" + (", cache off" if cache else "") for n in counts for cache in (None, "0")]

        def measure(label: str, process: subprocess.Popen, path: str) -> None:
            base = f"http://127.0.0.1:{port}{path}"
            print(f"{label} answer:", wait_for(f"{base}?query={query}", process, 180)[:300])
            time.sleep(2)  # (reader fronts start beside the first; let them settle)
            script = mixed_script(Path(scratch), path, clusters)
            if args.warmup:  # (not measured: worker processes started on the first concurrent queries)
                run_wrk(base, args.warmup, args.connections, args.threads, script, show=False)
            for workload, url, lua in (("", f"{base}?query={query}", None), (", mixed", base, script)):
                before = cpu_seconds(process.pid)
                rate = run_wrk(url, args.seconds, args.connections, args.threads, lua)
                after = cpu_seconds(process.pid)
                requests = rate * args.seconds
                # per request: CPU of the busiest front process (one core at most: the GIL) and of all
                fronts = [pid for pid in after if pid == process.pid or pid in readers_of(process.pid, after)]
                busiest = max(after[pid] - before.get(pid, 0.0) for pid in fronts)
                total = sum(after[pid] - before.get(pid, 0.0) for pid in after)
                results.setdefault(label + workload, []).append(rate)
                cpu.setdefault(label + workload, []).append((busiest / requests * 1e3, total / requests * 1e3))

        # rounds, each: ours with the answer cache (the default) and with it off (every query
        # reaches a worker) for each count of front processes, then Oxigraph; on a shared machine
        # the median of a few interleaved rounds says more than one long run
        for _ in range(args.rounds):
            for processes in counts:
                for cache in (None, "0"):
                    env = dict(os.environ)
                    if args.workers:
                        env["CLUSTERKG_QUERY_WORKERS"] = str(args.workers)
                    if cache is not None:
                        env["CLUSTERKG_QUERY_CACHE"] = cache
                    port = free_port()
                    ours = subprocess.Popen(
                        [str(clusterkg), "--store", str(store_dir), "serve", "--port", str(port),
                         "--threads", str(args.serve_threads), "--processes", str(processes)],
                        env=env, stderr=subprocess.DEVNULL,
                    )
                    try:
                        measure(f"clusterkg serve x{processes}" + (", cache off" if cache else ""), ours, "/sparql")
                    finally:
                        stop(ours)
            port = free_port()
            theirs = subprocess.Popen(
                ["oxigraph", "serve-read-only", "--location", str(store_directory(store_dir)),
                 "--bind", f"127.0.0.1:{port}"],
                stderr=subprocess.DEVNULL,
            )
            try:
                measure("oxigraph serve-read-only", theirs, "/query")
            finally:
                stop(theirs)

    median = {name: statistics.median(rates) for name, rates in results.items()}
    for name, rates in results.items():
        front = statistics.median(c[0] for c in cpu[name])
        total = statistics.median(c[1] for c in cpu[name])
        print(f"{name:38s} {median[name]:10.1f} requests/s (median of {', '.join(f'{r:.0f}' for r in rates)}); "
              f"CPU ms per request: busiest front {front:.2f}, all processes {total:.2f}")
    for label in labels:
        for workload in ("", ", mixed"):
            ratio = median[label + workload] / median["oxigraph serve-read-only" + workload]
            print(f"ratio {label + workload} / oxigraph{workload}: {ratio:.2f} (target >= 0.50)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
