"""Benchmark of the blitz planner (not a test: it prints figures).

    python bench/blitz.py                    # 50, 100 and 200 participants
    python bench/blitz.py --sizes 400 --seed 3

For each size: random symmetric complementarity, each participant free in 75% of 12 slots,
tables for a sixth of the participants at once, twice as many meeting requests as participants,
all asking for the same tenth of them (popular people: requests compete for their slots). Times :func:`clusterkg.graph.analysis.blitz.schedule_meetings`
and counts the requests it places; side by side, on the same instance, a greedy baseline that
places each request in the earliest slot where both are free and a table is left (what a
person with a spreadsheet would do), so the integer program's gain is measured, not assumed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from clusterkg.graph.analysis.blitz import schedule_meetings


def instance(n: int, slots: int, rng: np.random.Generator):
    weights = rng.random((n, n))
    weights = (weights + weights.T) / 2
    np.fill_diagonal(weights, 0)
    available = [set((rng.choice(slots, size=int(0.75 * slots), replace=False) + 1).tolist()) for _ in range(n)]
    popular = rng.choice(n, size=max(2, n // 10), replace=False)  # everybody wants to meet the same few
    requests = []
    while len(requests) < 2 * n:
        i, j = int(rng.integers(n)), int(rng.choice(popular))
        if i != j:
            requests.append((i, j))
    return weights, available, requests


def greedy_requests(available, requests, slots: int, tables: int) -> int:
    busy, used, placed = set(), {}, set()
    for i, j in requests:
        pair = (min(i, j), max(i, j))
        if pair in placed:
            continue
        for s in range(1, slots + 1):
            if s in available[i] and s in available[j] and (i, s) not in busy and (j, s) not in busy and used.get(s, 0) < tables:
                busy |= {(i, s), (j, s)}
                used[s] = used.get(s, 0) + 1
                placed.add(pair)
                break
    return len(placed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--slots", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"{'n':>5} {'tables':>6} {'requests':>8} {'placeable':>9} {'planner':>7} {'greedy':>6} {'meetings':>8} {'seconds':>7}")
    for n in args.sizes:
        rng = np.random.default_rng(args.seed)
        weights, available, requests = instance(n, args.slots, rng)
        tables = max(1, n // 6)
        wanted = {(min(i, j), max(i, j)) for i, j in requests}
        placeable = sum(1 for i, j in wanted if available[i] & available[j])
        start = time.perf_counter()
        result = schedule_meetings(available, requests, weights, args.slots, tables)
        seconds = time.perf_counter() - start
        placed = len(wanted) - len(result.unscheduled)
        greedy = greedy_requests(available, requests, args.slots, tables)
        print(f"{n:>5} {tables:>6} {len(wanted):>8} {placeable:>9} {placed:>7} {greedy:>6} {len(result.meetings):>8} {seconds:>7.2f}")


if __name__ == "__main__":
    main()
