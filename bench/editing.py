"""Benchmark: from an editor's save to the cluster's analyses showing it (not a test: it prints figures).

    python bench/editing.py                 # the default dataset with the open data (what `clusterkg init` loads)
    python bench/editing.py --no-open-data  # the curated sheets alone
    python bench/editing.py --repeat 5
    python bench/editing.py --store DIR --focused-only  # a copy of a store of your own (a large one)

In one process, on an on-disk store served by the real app (Flask's test client, no network):

1. the cluster page's JSON once, so the projection is built and cached (the state of a running server);
2. per round: an editor declares a need through the editing API (one validated import with its
   history record and delta) — the **save**; then the cluster's page JSON until it lists the need
   in the demand lens — the **refresh** (the projection catches up from the history); then the
   revert of the change through the API, and the page again;
3. side by side, a full build of the projection of the same store (what a refresh avoids).

Each round saves twice, with a revert between: once as the importer chooses (a small batch is
checked from its focus nodes), once with the shapes forced into the grouped whole-store passes
(what every save ran before), so the two are measured side by side under the same load.

Target (issue "Cluster managers keep their cluster current"): save + refresh <= 2 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from clusterkg.graph import validation
from clusterkg.graph.dataset import initialise
from clusterkg.graph.projection import build_projection
from clusterkg.graph.store import OxigraphStore
from clusterkg.webapp import create_app

CLUSTER, COMPETENCY = "silicon-saxony", "chip-design"


def _demand(client, headers) -> list[str]:
    gaps = client.get(f"/clusters/{CLUSTER}.json").get_json()["gaps"]["gaps"]
    return [g["competency"]["id"] for g in gaps.get("demand", [])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-open-data", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store", type=Path, help="copy this clusterkg store (closed) instead of loading the default one")
    parser.add_argument("--focused-only", action="store_true",
                        help="skip the saves in grouped passes (minutes each in a store of millions of triples)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="clusterkg-bench-editing-") as folder:
        path = Path(folder) / "store"
        started = time.perf_counter()
        if args.store is not None:
            shutil.copytree(args.store, path)
        with OxigraphStore(path) as store:
            if args.store is None:
                initialise(store, with_open_data=not args.no_open_data, progress=False)
            triples = store.triple_count()
        print(f"store: {triples} triples, loaded in {time.perf_counter() - started:.1f} s")
        app = create_app({"STORE": str(path), "QUERY_WORKERS": 1, "QUERY_RESERVE": 1, "ADMIN_TOKEN": None,
                          "CACHE": None})
        accounts = app.extensions["clusterkg_accounts"]
        accounts.invite("bench@example.org", clusters=[CLUSTER])
        account = accounts.by_email("bench@example.org")
        accounts._write([("UPDATE users SET password_hash = 'x' WHERE id = ?", (account.id,))])  # active
        headers = {"Authorization": f"Bearer {accounts.new_api_token(account.id)}"}
        client = app.test_client()
        t = time.perf_counter()
        assert COMPETENCY not in _demand(client, headers)
        print(f"first cluster page (projection built): {time.perf_counter() - t:.2f} s")
        body = {"sheets": {"needs": [{"cluster": CLUSTER, "competency": COMPETENCY, "description": "bench",
                                      "source_url": "https://example.org/bench", "source_quote": "bench"}]}}
        saves, refreshes, reverts, after_reverts = [], [], [], []
        grouped_saves, grouped_refreshes = [], []
        chosen_share = validation.FOCUSED_SHARE
        for number in range(args.repeat if args.focused_only else 2 * args.repeat):
            grouped = number % 2 == 1 and not args.focused_only  # every other save: the grouped passes (the earlier way)
            validation.FOCUSED_SHARE = 10**12 if grouped else chosen_share
            t = time.perf_counter()
            reply = client.post(f"/api/clusters/{CLUSTER}/rows", json=body, headers=headers)
            assert reply.status_code == 200, reply.get_data(as_text=True)
            (grouped_saves if grouped else saves).append(time.perf_counter() - t)
            t = time.perf_counter()
            assert COMPETENCY in _demand(client, headers)
            (grouped_refreshes if grouped else refreshes).append(time.perf_counter() - t)
            activity = client.get(f"/api/clusters/{CLUSTER}/history", headers=headers).get_json()["changes"][0]["activity"]
            t = time.perf_counter()
            reply = client.post(f"/api/clusters/{CLUSTER}/revert", json={"activity": activity}, headers=headers)
            assert reply.status_code == 200, reply.get_data(as_text=True)
            reverts.append(time.perf_counter() - t)
            t = time.perf_counter()
            assert COMPETENCY not in _demand(client, headers)
            after_reverts.append(time.perf_counter() - t)
        validation.FOCUSED_SHARE = chosen_share
        store = app.extensions["clusterkg"].store
        t = time.perf_counter()
        build_projection(store)
        full = time.perf_counter() - t
        app.extensions["clusterkg"].close()
        accounts.close()

    def show(name: str, values: list[float]) -> None:
        print(f"{name:<40} median {statistics.median(values):6.2f} s  (min {min(values):.2f}, max {max(values):.2f})")

    show("save (POST need: import + history + delta)", saves)
    show("page after save (refresh + gaps)", refreshes)
    show("save + page", [a + b for a, b in zip(saves, refreshes)])
    if grouped_saves:
        show("save, shapes in grouped passes (before)", grouped_saves)
        show("save + page, grouped passes (before)", [a + b for a, b in zip(grouped_saves, grouped_refreshes)])
    show("revert (POST)", reverts)
    show("page after revert", after_reverts)
    print(f"{'full projection build (side by side)':<40}        {full:6.2f} s")
    print(json.dumps({"triples": triples, "save_plus_page_median_s": round(statistics.median(
        [a + b for a, b in zip(saves, refreshes)]), 3), "save_median_s": round(statistics.median(saves), 3),
        "grouped_save_median_s": round(statistics.median(grouped_saves), 3) if grouped_saves else None, "full_build_s": round(full, 3)}))


if __name__ == "__main__":
    main()
