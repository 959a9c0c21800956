"""``clusterkg init`` with and without the shipped open data, side by side in one run.

    python bench/init_open_data.py [--validated]

Each variant runs the real command (``python -m clusterkg``) on a fresh temporary store and
prints its wall-clock time and the store's triple count. ``init`` imports the curated sheets and
the open data as one validated batch; ``--bulk`` adds the floor: the curated init followed by
pyoxigraph's bulk load of the same open data with no checks (``clusterkg generate --load``'s
path, ``store.insert_ntriples``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from clusterkg.graph.ingest.shipped import decompress, open_data_paths
from clusterkg.graph.store import OxigraphStore


def run(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "clusterkg", *args], check=True, capture_output=True)
    return time.perf_counter() - start


def triples(path: Path) -> int:
    with OxigraphStore.read_only(str(path)) as store:
        return store.triple_count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bulk", action="store_true", help="also time an unchecked bulk load of the open data")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="clusterkg-bench-") as scratch:
        scratch = Path(scratch)
        curated = scratch / "curated"
        rows.append(("init --no-open-data", run("--store", str(curated), "init", "--no-open-data"), triples(curated)))
        full = scratch / "full"
        rows.append(("init (curated + open data, validated)", run("--store", str(full), "init"), triples(full)))
        if args.bulk:
            start = time.perf_counter()
            with OxigraphStore(str(curated)) as store:
                for path in open_data_paths():
                    store.insert_ntriples(decompress(path, scratch))
            seconds = time.perf_counter() - start
            rows.append(("init --no-open-data, then unchecked bulk load of data/open", rows[0][1] + seconds, triples(curated)))
    width = max(len(r[0]) for r in rows)
    print(f"{'variant'.ljust(width)}  seconds  triples")
    for name, seconds, count in rows:
        print(f"{name.ljust(width)}  {seconds:7.1f}  {count:,}")


if __name__ == "__main__":
    main()
