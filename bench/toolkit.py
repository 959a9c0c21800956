"""Benchmark of the cluster manager's toolkit at European scale (not a test: it prints figures).

    python bench/toolkit.py                      # 3,000 clusters, 300,000 organisations, 10,000 competencies
    python bench/toolkit.py --clusters 300 --organisations 30000 --competencies 1000   # a quick run

Phases, each in its own process so peak memory is measured per phase:
1. generate the synthetic graph (``clusterkg.graph.synthetic``) and bulk-load it into a fresh
   on-disk pyoxigraph store;
2. open the store, build the analytic projection (time, peak RSS), then for 100 random clusters
   time ``find_gaps`` + ``search_partners`` (p50/p95), and, side by side on the same gaps, the same
   partner ranking asked as one SPARQL query on pyoxigraph (p50/p95 and the ratio).

Targets (issue "The cluster manager's toolkit"): projection <= 30 s, peak RSS <= 3 GiB,
gaps + partners p95 <= 100 ms, partner ranking >= 5x faster than the SPARQL query.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SPARQL_RANKING = """
PREFIX ckg: <https://w3id.org/clusterkg/ns#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?org (SUM(?w) AS ?score) WHERE {{
  VALUES (?gap ?w) {{ {values} }}
  ?org ckg:hasCompetency/skos:broader* ?gap .
  FILTER NOT EXISTS {{ ?org ckg:affiliatedWith <{cluster}> }}
}} GROUP BY ?org ORDER BY DESC(?score) LIMIT 20
"""


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_load(args) -> dict:
    import pyoxigraph as ox

    from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic

    spec = SyntheticSpec(clusters=args.clusters, organisations=args.organisations, competencies=args.competencies, seed=args.seed)
    nt = Path(args.workdir) / "synthetic.nt"
    start = time.perf_counter()
    triples = write_synthetic(spec, nt)
    generated = time.perf_counter() - start
    start = time.perf_counter()
    store = ox.Store(str(Path(args.workdir) / "store"))
    store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)  # benchmark only: not atomic
    store.optimize()
    store.flush()
    loaded = time.perf_counter() - start
    nt.unlink()
    return {"triples": triples, "generate_s": round(generated, 1), "load_s": round(loaded, 1), "peak_rss_mib": round(peak_rss_mib())}


def phase_query(args) -> dict:
    from clusterkg.graph.analysis.gaps import find_gaps
    from clusterkg.graph.analysis.partners import search_partners
    from clusterkg.graph.projection import build_projection
    from clusterkg.graph.store import OxigraphStore

    store = OxigraphStore.read_only(Path(args.workdir) / "store")
    start = time.perf_counter()
    projection = build_projection(store)
    build_s = time.perf_counter() - start
    rss_after_build = peak_rss_mib()

    rng = np.random.default_rng(args.seed)
    clusters = rng.choice(len(projection.clusters), size=min(args.samples, len(projection.clusters)), replace=False)
    # warm-up (first-call costs such as the CSC conversion belong to the projection, not a query)
    search_partners(projection, projection.clusters.iri.iat[int(clusters[0])])
    ours, ours_partners, sparql = [], [], []
    for index in clusters:
        iri = projection.clusters.iri.iat[int(index)]
        t0 = time.perf_counter()
        report = find_gaps(projection, iri)
        t1 = time.perf_counter()
        result = search_partners(projection, iri, gaps=report)
        t2 = time.perf_counter()
        ours.append(t2 - t0)
        ours_partners.append(t2 - t1)
        gap = [(g.competency_iri, g.score) for g in report.combined[:20]]
        if not gap:
            continue
        values = " ".join(f"(<{c}> {float(w):.6f})" for c, w in gap)
        t3 = time.perf_counter()
        rows = store.select_values(SPARQL_RANKING.format(values=values, cluster=iri))[1]
        sparql.append(time.perf_counter() - t3)
        del result, rows

    def pct(values, q):
        return round(float(np.percentile(values, q)) * 1000, 2) if values else None

    return {
        "organisations": len(projection.organisations),
        "clusters": len(projection.clusters),
        "competencies": len(projection.competencies),
        "org_competency_links": int(projection.org_competency.nnz),
        "projection_build_s": round(build_s, 1),
        "peak_rss_after_build_mib": round(rss_after_build),
        "peak_rss_mib": round(peak_rss_mib()),
        "gaps_plus_partners_ms": {"p50": pct(ours, 50), "p95": pct(ours, 95), "n": len(ours)},
        "partners_only_ms": {"p50": pct(ours_partners, 50), "p95": pct(ours_partners, 95)},
        "sparql_ranking_ms": {"p50": pct(sparql, 50), "p95": pct(sparql, 95), "n": len(sparql)},
        "sparql_over_partners_p50": round(pct(sparql, 50) / max(pct(ours_partners, 50), 1e-6), 1) if sparql else None,
        "sparql_over_gaps_plus_partners_p50": round(pct(sparql, 50) / max(pct(ours, 50), 1e-6), 1) if sparql else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=3000)
    parser.add_argument("--organisations", type=int, default=300_000)
    parser.add_argument("--competencies", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--phase", choices=["load", "query"], help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        result = phase_load(args) if args.phase == "load" else phase_query(args)
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="clusterkg-bench-") as workdir:
        figures = {}
        for phase in ("load", "query"):
            command = [sys.executable, __file__, "--phase", phase, "--workdir", workdir] + [
                f"--{name}={getattr(args, name)}" for name in ("clusters", "organisations", "competencies", "samples", "seed")
            ]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            figures[phase] = json.loads(out.strip().splitlines()[-1])
            print(f"{phase}: {json.dumps(figures[phase], indent=2)}", flush=True)
        q = figures["query"]
        print("\ntargets:")
        print(f"  projection build {q['projection_build_s']} s (target <= 30 s)")
        print(f"  peak RSS {q['peak_rss_mib']} MiB (target <= 3072 MiB)")
        print(f"  gaps + partners p95 {q['gaps_plus_partners_ms']['p95']} ms (target <= 100 ms)")
        print(f"  SPARQL ranking / our partner ranking (p50): {q['sparql_over_partners_p50']}x (target >= 5x)")


if __name__ == "__main__":
    main()
