"""World-scale benchmark: validated import, projection, gaps + partners, memory; embedded and Virtuoso.

    python bench/world.py                    # 10,000 clusters, 1,000,000 organisations, 30,000 competencies
    python bench/world.py --scale 0.1        # a tenth of each (what a shared 2-core machine finishes)
    python bench/world.py --scale 0.01 --no-virtuoso
    python bench/world.py --keep DIR --no-embedded   # Virtuoso's steps on DIR/world.nt, generated before

Steps, each in a child process so wall time and peak RSS are its own:
1. ``clusterkg generate`` writes the synthetic graph (``graph/synthetic.py``) as N-Triples;
2. baseline: pyoxigraph ``bulk_load`` of that file into a fresh store (no checks at all);
3. ``clusterkg init --no-default-data`` then ``clusterkg import FILE``: the validated, atomic import;
4. on the imported store: build the analytic projection, then ``find_gaps`` + ``search_partners``
   for ``--samples`` random clusters (p50/p95);
5. unless ``--no-virtuoso``: Virtuoso's bulk loader (``ld_dir`` + ``rdf_loader_run``) into a
   private Virtuoso on 127.0.0.1 (``clusterkg.graph.virtuoso``), then step 4 through the SPARQL
   protocol against it (answers in slices of at most ``--virtuoso-page-size`` rows); Virtuoso's
   own peak RSS is read from ``/proc``.

With ``--keep DIR`` an N-Triples file already in DIR from the same scale and seed is used again
(generating a billion-byte file takes minutes); ``--no-embedded`` skips steps 2-4.
The toolkit timings give wall and CPU time (the thread's own) per sample, the load average
around them, and the slowest samples with their cluster, members and candidates: on a shared
machine the wall-time tail is mostly the scheduler, the CPU time the code.

Targets (issue 11 §3): partner search p95 <= 50 ms, RSS <= 6 GiB, import <= 2x bulk load,
projection <= 90 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FULL = {"clusters": 10_000, "organisations": 1_000_000, "competencies": 30_000}
BULK_LOAD = (
    "import sys, pyoxigraph as ox; s = ox.Store(sys.argv[1]); "
    "s.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_TRIPLES); s.flush()"
)


def child(command: list[str], env: dict) -> tuple[float, float, float, str]:
    """Run a child to the end: (wall seconds, its CPU seconds, its own peak RSS in MiB, its
    stdout). CPU time is the steadier figure on a shared machine."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=errors)
        out = process.stdout.read().decode()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        if process.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(command[:5])} ... failed: {errors.read().decode()[-3000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def phase_query(args) -> dict:
    """Step 4 in this process: projection and toolkit timings on ``--store`` or ``--endpoint``."""
    from clusterkg.graph.analysis.gaps import find_gaps
    from clusterkg.graph.analysis.partners import search_partners
    from clusterkg.graph.projection import build_projection
    from clusterkg.graph.store import open_store

    load_before = os.getloadavg()[0]
    store = open_store(args.store, endpoint=args.endpoint, read_only=True)
    start = time.perf_counter()
    projection = build_projection(store, page_size=args.page_size)
    build_s = time.perf_counter() - start
    if args.save_projection:  # for profiling the toolkit on it without building it again
        import pickle

        with open(args.save_projection, "wb") as handle:
            pickle.dump(projection, handle, protocol=pickle.HIGHEST_PROTOCOL)
    rng = np.random.default_rng(args.seed)
    picks = rng.choice(len(projection.clusters), size=min(args.samples, len(projection.clusters)), replace=False)
    search_partners(projection, projection.clusters.iri.iat[int(picks[0])])  # first-call costs
    load_toolkit = os.getloadavg()[0]
    both, partners, partners_cpu, samples = [], [], [], []
    for index in picks:
        iri = projection.clusters.iri.iat[int(index)]
        t0 = time.perf_counter()
        report = find_gaps(projection, iri)
        t1 = time.perf_counter()
        c1 = time.thread_time()
        search = search_partners(projection, iri, gaps=report)
        c2 = time.thread_time()
        t2 = time.perf_counter()
        both.append(t2 - t0)
        partners.append(t2 - t1)
        partners_cpu.append(c2 - c1)
        samples.append({"cluster": int(index), "members": len(projection.members_of(int(index))),
                        "candidates": search.candidates, "gaps_ms": round((t1 - t0) * 1000, 1),
                        "partners_ms": round((t2 - t1) * 1000, 1), "partners_cpu_ms": round((c2 - c1) * 1000, 1)})

    def ms(values, q):
        return round(float(np.percentile(values, q)) * 1000, 2)

    return {
        "organisations": len(projection.organisations), "clusters": len(projection.clusters),
        "competencies": len(projection.competencies), "projection_s": round(build_s, 1),
        "gaps_partners_ms": [ms(both, 50), ms(both, 95)], "partners_ms": [ms(partners, 50), ms(partners, 95)],
        "partners_cpu_ms": [ms(partners_cpu, 50), ms(partners_cpu, 95)],
        "slowest": sorted(samples, key=lambda s: -s["partners_ms"])[:5],
        "load_average": [round(load_before, 1), round(load_toolkit, 1), round(os.getloadavg()[0], 1)],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _vm_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of world scale (default 1)")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-virtuoso", action="store_true", help="skip the Virtuoso steps")
    parser.add_argument("--virtuoso-memory-mib", type=int, default=3072)
    parser.add_argument("--no-embedded", action="store_true", help="skip the embedded store's steps (2-4)")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (its N-Triples file is used again)")
    parser.add_argument("--virtuoso-page-size", type=int,
                        help="rows per answer of the projection's queries to Virtuoso (default: the projection's)")
    parser.add_argument("--page-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--phase", choices=["query"], help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--save-projection", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase_query(args)))
        return

    size = {name: max(2, round(n * args.scale)) for name, n in FULL.items()}
    work = Path(args.keep or tempfile.mkdtemp(prefix="clusterkg-world-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CLUSTERKG_CACHE": str(work / "cache")}
    clusterkg = [sys.executable, "-m", "clusterkg"]
    me = [sys.executable, __file__, "--samples", str(args.samples), "--seed", str(args.seed), "--phase", "query"]
    rows: list[tuple[str, float, float, float]] = []  # (step, wall s, CPU s, peak RSS MiB)

    def step(name: str, command: list[str]) -> str:
        seconds, cpu, rss, out = child(command, env)
        rows.append((name, seconds, cpu, rss))
        print(f"{name:<44}{seconds:>9.1f} s{cpu:>9.1f} s CPU{rss:>10,.0f} MiB", flush=True)
        return out

    try:
        print(f"scale {args.scale}: {size}", flush=True)
        data = work / "world.nt"
        made = work / "world.json"  # what the file there was generated for
        wanted = size
        if data.exists() and made.exists() and json.loads(made.read_text()) == wanted:
            print(f"generate: {data} used again", flush=True)
        else:
            step("generate", [*clusterkg, "generate", *[f"--{k}={v}" for k, v in size.items()], "-o", str(data)])
            made.write_text(json.dumps(wanted))
        with open(data, "rb") as handle:
            triples = sum(1 for _ in handle)
        print(f"{triples:,} triples, {data.stat().st_size / 2**20:,.0f} MiB", flush=True)
        embedded = None
        if not args.no_embedded:
            shutil.rmtree(work / "bulk", ignore_errors=True)
            shutil.rmtree(work / "store", ignore_errors=True)
            step("pyoxigraph bulk_load (baseline)", [sys.executable, "-c", BULK_LOAD, str(work / "bulk"), str(data)])
            shutil.rmtree(work / "bulk")
            subprocess.run([*clusterkg, "--store", str(work / "store"), "init", "--no-default-data"], check=True, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            step("clusterkg import (validated)", [*clusterkg, "--store", str(work / "store"), "import", str(data)])
            embedded = json.loads(step("projection + toolkit, embedded store", [*me, "--store", str(work / "store")]))
            print("  ", embedded, flush=True)
        remote = None
        if not args.no_virtuoso:
            from clusterkg.graph.virtuoso import LocalVirtuoso

            home = work / "virtuoso"
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir()
            with LocalVirtuoso(home, _free_port(), _free_port(), memory_mib=args.virtuoso_memory_mib) as server:
                os.link(data, home / data.name)  # the loader reads only from its own directory
                start = time.perf_counter()
                server.bulk_load(home / data.name)
                loaded = time.perf_counter() - start
                rows.append(("Virtuoso bulk loader", loaded, float("nan"), float("nan")))
                print(f"{'Virtuoso bulk loader':<44}{loaded:>9.1f} s", flush=True)
                with server.connect() as store:  # the loader does not version: one write gives it one
                    store.update("INSERT DATA { <urn:clusterkg:bench> <urn:clusterkg:bench> 1 }")
                pages = ["--page-size", str(args.virtuoso_page_size)] if args.virtuoso_page_size else []
                remote = json.loads(step("projection + toolkit, through Virtuoso", [*me, "--endpoint", server.query_url, *pages]))
                remote["virtuoso_peak_rss_mib"] = round(_vm_hwm_mib(server.process.pid))
                print("  ", remote, flush=True)

        seconds = {name: s for name, s, _, _ in rows}
        cpu = {name: c for name, _, c, _ in rows}
        peak = max((rss for name, _, _, rss in rows if name != "Virtuoso bulk loader"), default=float("nan"))
        print("\nfigure vs target")
        if embedded:
            ratio = seconds["clusterkg import (validated)"] / seconds["pyoxigraph bulk_load (baseline)"]
            cpu_ratio = cpu["clusterkg import (validated)"] / cpu["pyoxigraph bulk_load (baseline)"]
            print(f"  import / bulk_load                  {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU   (target <= 2x)")
            print(f"  projection (embedded)               {embedded['projection_s']} s   (target <= 90 s)")
            print(f"  gaps + partners p50/p95 (embedded)  {embedded['gaps_partners_ms']} ms   "
                  f"(partners alone p95 {embedded['partners_ms'][1]} ms, CPU {embedded['partners_cpu_ms'][1]} ms; target <= 50 ms)")
        print(f"  peak RSS of any step                {peak / 1024:.2f} GiB   (target <= 6 GiB)")
        if remote:
            print(f"  projection (Virtuoso)               {remote['projection_s']} s")
            print(f"  gaps + partners p50/p95 (Virtuoso)  {remote['gaps_partners_ms']} ms   "
                  f"(partners alone p95 {remote['partners_ms'][1]} ms, CPU {remote['partners_cpu_ms'][1]} ms)")
            print(f"  Virtuoso server peak RSS            {remote['virtuoso_peak_rss_mib'] / 1024:.2f} GiB")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
