"""Validated `clusterkg import` against pyoxigraph's `bulk_load` of the same file, side by side.

Not a test: run it by hand (``python bench/import.py``, ``--size 10m`` for 10M triples). It
writes a synthetic N-Triples file with ``clusterkg generate``, then in one run, each step in its
own child process:

1. pyoxigraph ``Store.bulk_load`` of the file into a fresh on-disk store (the baseline);
2. ``clusterkg init`` of a fresh store (not timed), then ``clusterkg import FILE`` into it:
   parse, stage, every check (references, SHACL shapes, consistency), atomic commit.

It prints wall and CPU seconds, the ratio import / bulk_load and each child's peak RSS
(``ru_maxrss``).
Targets: ratio <= 2 at 1M and 10M triples, peak RSS <= 1.5 GiB at 10M.
"""

from __future__ import annotations

import argparse
import os
import shutil
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


def run(command: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """Run a child; return its wall seconds, CPU seconds (user + system) and peak RSS in MiB.

    CPU seconds are the steadier figure on a shared machine: wall time there includes waiting
    for a core.
    """
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... failed: {process.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="1m")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary directory)")
    args = parser.parse_args()
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

        baseline_store = work / "bulk"
        shutil.rmtree(baseline_store, ignore_errors=True)
        bulk_seconds, bulk_cpu, bulk_rss = run([sys.executable, "-c", BULK_LOAD, str(baseline_store), str(data)], env)
        print(f"(pyoxigraph bulk_load: {bulk_seconds:.2f} s, {bulk_rss:,.0f} MiB; now the import)", flush=True)

        store = work / "store"
        shutil.rmtree(store, ignore_errors=True)
        subprocess.run([*clusterkg, "--store", str(store), "init"], check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import_seconds, import_cpu, import_rss = run([*clusterkg, "--store", str(store), "import", str(data)], env)

        print(f"{'step':<34}{'seconds':>9}{'CPU s':>9}{'peak RSS MiB':>14}")
        print(f"{'pyoxigraph bulk_load':<34}{bulk_seconds:>9.2f}{bulk_cpu:>9.2f}{bulk_rss:>14,.0f}")
        print(f"{'clusterkg import (validated)':<34}{import_seconds:>9.2f}{import_cpu:>9.2f}{import_rss:>14,.0f}")
        ratio = import_seconds / bulk_seconds
        print(f"ratio import / bulk_load: {ratio:.2f} (target <= 2); in CPU seconds {import_cpu / bulk_cpu:.2f}")
        if args.size == "10m":
            print(f"peak RSS of the import: {import_rss / 1024:.2f} GiB (target <= 1.5 GiB)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
