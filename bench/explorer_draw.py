"""Benchmark of the graph explorer's first draw (not a test: it prints figures).

    python bench/explorer_draw.py                  # a ~500-node ego network, 5 runs
    python bench/explorer_draw.py --nodes 1500 --runs 3

A synthetic graph (``clusterkg.graph.synthetic``) is loaded into an on-disk store and served
by the real app (waitress on 127.0.0.1). The ego network of the largest cluster, with the
per-relation limit chosen so the view has about ``--nodes`` nodes, is opened in headless
Chromium. The figure is ``window.__explorerDrawnAt``: milliseconds from the start of the
navigation to vis-network's first ``afterDrawing`` with the nodes on the canvas. The first run
includes the server computing the view and its layout; later runs hit the app's view cache.

Target (issue "Graph explorer"): under 2 s for 500 nodes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def build_store(path: Path, seed: int) -> None:
    from clusterkg.graph.store import OxigraphStore
    from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic

    data = path.parent / "synthetic.nt"
    write_synthetic(SyntheticSpec(clusters=20, organisations=6000, competencies=500, seed=seed), data)
    with OxigraphStore(path) as store:
        store.insert_ntriples(data)


def choose_view(store_path: Path, wanted: int) -> tuple[str, int, int]:
    """(cluster id, limit, node count) of the ego network closest to ``wanted`` nodes."""
    from clusterkg.graph import explorer_model
    from clusterkg.graph.projection import build_projection
    from clusterkg.graph.store import OxigraphStore

    with OxigraphStore(store_path) as store:
        projection = build_projection(store)
    biggest = int(np.argmax(np.diff(projection.cluster_org.indptr)))
    cluster = projection.clusters["id"].iat[biggest]
    low, high = 1, explorer_model.MAX_LIMIT
    while low < high:
        middle = (low + high) // 2
        if len(explorer_model.ego_network(projection, cluster, limit=middle).nodes) < wanted:
            low = middle + 1
        else:
            high = middle
    return cluster, low, len(explorer_model.ego_network(projection, cluster, limit=low).nodes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    import waitress
    from playwright.sync_api import sync_playwright

    from clusterkg.webapp import create_app
    from clusterkg.webapp.explorer import register

    with tempfile.TemporaryDirectory() as folder:
        store_path = Path(folder) / "store"
        started = time.perf_counter()
        build_store(store_path, args.seed)
        cluster, limit, count = choose_view(store_path, args.nodes)
        print(f"synthetic store ready in {time.perf_counter() - started:.1f} s; ego network of {cluster} "
              f"with limit {limit}: {count} nodes")

        app = create_app({"STORE": str(store_path), "ADMIN_TOKEN": None, "QUERY_WORKERS": 1})
        register(app)
        started = time.perf_counter()
        app.extensions["clusterkg"].projections.get()  # built once per data version, at the first request
        print(f"projection built in {time.perf_counter() - started:.1f} s (once per data version, not counted below)")
        server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.effective_port}/explore?view=ego&cluster={cluster}&limit={limit}"
        figures = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for run in range(args.runs):
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    page = context.new_page()
                    page.goto(url)
                    page.wait_for_function("window.__explorerDrawnAt !== undefined", timeout=120_000)
                    drawn, shown, physics = page.evaluate(
                        "[window.__explorerDrawnAt, window.__explorer.nodes.length,"
                        " window.__explorer.network.physics.physicsEnabled]")
                    figures.append(drawn)
                    print(f"run {run + 1}: {shown} nodes drawn {drawn / 1000:.2f} s after navigation"
                          f" ({'first: view and layout computed on the server' if run == 0 else 'view cached'};"
                          f" physics {'on' if physics else 'off'})")
                    context.close()
                browser.close()
        finally:
            server.task_dispatcher.shutdown(timeout=5)
            server.close()
            thread.join(5)
            app.extensions["clusterkg"].close()
    later = figures[1:] or figures
    print(f"first draw: {figures[0] / 1000:.2f} s cold, median {statistics.median(later) / 1000:.2f} s warm "
          f"(target < 2 s) for {count} nodes")


if __name__ == "__main__":
    main()
