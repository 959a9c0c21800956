"""Validated `clusterkg import` against pyoxigraph's `bulk_load` of the same file, side by side.

Not a test: run it by hand (``python bench/import.py``, ``--size 10m`` for 10M triples). It
writes a synthetic N-Triples file with ``clusterkg generate``, then in one run, each step in its
own child process:

1. pyoxigraph ``Store.bulk_load`` of the file into a fresh on-disk store (the baseline);
2. ``clusterkg init`` of a fresh store (not timed), then ``clusterkg import FILE`` into it:
   parse, stage, every check (references, SHACL shapes, consistency), atomic commit.

It prints wall and CPU seconds, the ratio import / bulk_load and each child's peak RSS
(``ru_maxrss``), and how much of each child's CPU its RocksDB background threads spent:
compaction of what the load ingested. The baseline child exits right after ``bulk_load``,
before its store's compaction; the import goes on to its checks meanwhile, so it pays for it.
Targets: ratio <= 2 at 1M and 10M triples, peak RSS <= 1.5 GiB at 10M.

``--repeat N`` runs N such pairs, one after the other on the same file, and ends with each
ratio's median and how many pairs met the target: one pair's ratio moves with the baseline's
own CPU time (3.9-5.0 s for the same 1M file on a quiet machine).

``--staging`` instead loads the file in four ways, each in its own child: ``bulk_load`` into a
fresh store (the baseline), into a checkpoint of an init-ed store (strict and lenient), and the
importer's staging load (48 MiB slices) into such a checkpoint. Each child then waits until
RocksDB's background compaction of what it ingested is done and prints that CPU too: the
baseline child above exits before it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = {  # clusters, organisations, competencies
    "1m": (300, 24_000, 1_000),
    "10m": (3_000, 240_000, 10_000),
}

BULK_LOAD = (
    "import sys, pyoxigraph as ox; s = ox.Store(sys.argv[1]); "
    "s.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_TRIPLES); s.flush()"
)


STAGING = '''
import resource, sys, time
from pathlib import Path
import pyoxigraph as ox
from clusterkg.graph import staging
from clusterkg.graph.store import OxigraphStore

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

variant, data, where = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
main = generation = None
if variant == "fresh":
    store = ox.Store(str(where))
else:  # a checkpoint of an init-ed store, as the importer stages
    main = OxigraphStore(where)
    generation = main.begin_generation()
    store = generation.store
start, used = time.perf_counter(), cpu()
if variant == "slices":
    staging._bulk_load(store, data)
else:
    store.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES, lenient=variant.endswith("lenient"))
store.flush()
loaded, load_cpu = time.perf_counter() - start, cpu() - used
# RocksDB compacts the ingested files in background threads: wait until the process is idle
used, last, quiet = cpu(), cpu(), 0
while quiet < 3 and time.perf_counter() - start < loaded + 300:
    time.sleep(1)
    now = cpu()
    quiet, last = (quiet + 1 if now - last < 0.05 else 0), now
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{loaded:.2f} {load_cpu:.2f} {cpu() - used:.2f} {peak:.0f}")
if generation is not None:
    main.discard_generation(generation)
'''
"""``--staging``: one way of loading the file, in a child process: the load's wall and CPU
seconds, then the CPU seconds of the compaction that goes on after it returns, and peak RSS."""


def run(command: list[str], env: dict | None = None) -> tuple[float, float, float, float]:
    """Run a child; return its wall seconds, CPU seconds (user + system), peak RSS in MiB and
    the CPU seconds of its RocksDB background threads (compaction), sampled every 0.2 s from
    ``/proc`` (Linux; 0 elsewhere), so short by at most the last 0.2 s of each.

    CPU seconds are the steadier figure on a shared machine: wall time there includes waiting
    for a core.
    """
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    background: dict[str, float] = {}  # thread id -> its CPU seconds when last seen
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        background.update(_rocksdb_threads(process.pid))
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... failed: {process.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, sum(background.values())


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100  # (/proc counts CPU in clock ticks)


def _rocksdb_threads(pid: int) -> dict[str, float]:
    """CPU seconds of each live RocksDB background thread (named ``rocksdb:…``) of ``pid``."""
    found = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            if (task / "comm").read_text().startswith("rocksdb:"):
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                found[task.name] = (int(fields[11]) + int(fields[12])) / _TICKS
        except OSError:  # (the thread or the process ended meanwhile)
            continue
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="1m")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary directory)")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="N pairs of bulk_load and import, one after the other; then the ratios' medians")
    parser.add_argument("--staging", action="store_true",
                        help="instead: the file's bulk load into a fresh store, into a checkpoint of an init-ed store "
                             "(strict, lenient), and the importer's sliced staging load, each with the compaction after it")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error(f"--repeat: at least 1 pair, not {args.repeat}")
    work = Path(args.keep or tempfile.mkdtemp(prefix="clusterkg-bench-import-"))
    work.mkdir(parents=True, exist_ok=True)
    clusterkg = [sys.executable, "-m", "clusterkg"]
    env = {**os.environ, "CLUSTERKG_CACHE": str(work / "cache")}
    try:
        data = work / f"{args.size}.nt"
        if not data.exists():
            clusters, organisations, competencies = SIZES[args.size]
            subprocess.run([*clusterkg, "generate", "--clusters", str(clusters), "--organisations",
                            str(organisations), "--competencies", str(competencies), "-o", str(data)],
                           check=True, env=env, stdout=subprocess.DEVNULL)
        with open(data, "rb") as handle:
            triples = sum(1 for _ in handle)
        print(f"{args.size}: {triples:,} triples, {data.stat().st_size / 2**20:,.0f} MiB of N-Triples", flush=True)

        if args.staging:
            staging_loads(work, data, clusterkg, env)
            return
        print(f"{'step':<34}{'seconds':>9}{'CPU s':>9}{'of which compaction':>21}{'peak RSS MiB':>14}", flush=True)
        ratios = [compare(work, data, clusterkg, env, args.size) for _ in range(args.repeat)]
        if len(ratios) > 1:
            for kind, column in (("wall", 0), ("CPU", 1)):
                values = [pair[column] for pair in ratios]
                met = sum(value <= 2 for value in values)
                print(f"{kind} ratio over {len(values)} pairs: median {statistics.median(values):.2f} "
                      f"(min {min(values):.2f}, max {max(values):.2f}); <= 2 in {met} of {len(values)}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def compare(work: Path, data: Path, clusterkg: list[str], env: dict, size: str) -> tuple[float, float]:
    """One pair: the baseline ``bulk_load``, then the validated import, each into a fresh store;
    prints both rows and returns the ratios import / bulk_load (wall, CPU)."""
    baseline_store = work / "bulk"
    shutil.rmtree(baseline_store, ignore_errors=True)
    bulk_seconds, bulk_cpu, bulk_rss, bulk_compaction = run([sys.executable, "-c", BULK_LOAD, str(baseline_store),
                                                             str(data)], env)
    store = work / "store"
    shutil.rmtree(store, ignore_errors=True)
    subprocess.run([*clusterkg, "--store", str(store), "init"], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import_seconds, import_cpu, import_rss, import_compaction = run([*clusterkg, "--store", str(store), "import",
                                                                     str(data)], env)
    print(f"{'pyoxigraph bulk_load':<34}{bulk_seconds:>9.2f}{bulk_cpu:>9.2f}{bulk_compaction:>21.2f}{bulk_rss:>14,.0f}")
    print(f"{'clusterkg import (validated)':<34}{import_seconds:>9.2f}{import_cpu:>9.2f}{import_compaction:>21.2f}"
          f"{import_rss:>14,.0f}")
    ratios = import_seconds / bulk_seconds, import_cpu / bulk_cpu
    print(f"ratio import / bulk_load: {ratios[0]:.2f} (target <= 2); in CPU seconds {ratios[1]:.2f}")
    if size == "10m":
        print(f"peak RSS of the import: {import_rss / 1024:.2f} GiB (target <= 1.5 GiB)")
    print(flush=True)
    return ratios


def staging_loads(work: Path, data: Path, clusterkg: list[str], env: dict) -> None:
    """Where staging's CPU goes beside the baseline's: the same file loaded four ways."""
    print(f"{'load (then compaction)':<44}{'seconds':>9}{'CPU s':>9}{'+ compaction CPU s':>20}{'peak RSS MiB':>14}")
    for variant, title in (("fresh", "bulk_load, fresh store (the baseline)"),
                           ("checkpoint", "bulk_load, checkpoint of an init-ed store"),
                           ("checkpoint-lenient", "the same, lenient"),
                           ("slices", "importer's slices (lenient), checkpoint")):
        where = work / f"staging-{variant}"
        shutil.rmtree(where, ignore_errors=True)
        if variant != "fresh":
            subprocess.run([*clusterkg, "--store", str(where), "init"], check=True, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        child = subprocess.run([sys.executable, "-c", STAGING, variant, str(data), str(where)], check=True, env=env,
                               capture_output=True, text=True)
        seconds, cpu, after, peak = (float(x) for x in child.stdout.split())
        print(f"{title:<44}{seconds:>9.2f}{cpu:>9.2f}{after:>20.2f}{peak:>14,.0f}", flush=True)
        shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main()
