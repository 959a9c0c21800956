"""Writers arriving together share one flush, and each write is seen by the query workers (other
processes reading the store from disk) as soon as it is acknowledged."""

from __future__ import annotations

import threading
import time

from clusterkg.webapp import create_app

TOKEN = "shared-flush-test-token"


def test_writers_waiting_together_share_one_flush_and_are_seen_at_once(store_path):
    app = create_app({"STORE": str(store_path), "ADMIN_TOKEN": TOKEN, "QUERY_CACHE": 0})
    ckg = app.extensions["clusterkg"]
    flushes = []
    real_flush = ckg.store.flush
    ckg.store.flush = lambda: flushes.append(1) or real_flush()
    statuses: list[int] = []

    def write(n: int) -> None:
        reply = app.test_client().post("/sparql", data=f"INSERT DATA {{ <urn:clusterkg:test:flush-{n}> <urn:p> {n} }}", headers={
            "Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
        statuses.append(reply.status_code)

    try:
        with ckg._publish_lock:  # (as if a flush were under way) three writes land meanwhile
            threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 30
            while ckg._written < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert ckg._written == 3 and ckg.writing  # done in the store, not yet announced
        for thread in threads:
            thread.join(30)
        assert statuses == [200, 200, 200]
        assert len(flushes) == 1 and not ckg.writing
        answer = app.test_client().get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:p> ?o }"},
                                       headers={"Accept": "application/sparql-results+json"})
        assert answer.json["results"]["bindings"][0]["n"]["value"] == "3"
    finally:
        ckg.close()
