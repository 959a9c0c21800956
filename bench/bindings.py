"""Benchmark of binding a page's query to its resource (not a test: it prints figures).

    python bench/bindings.py                       # ~860k triples, 5 runs per query
    python bench/bindings.py --organisations 20000 --runs 3

A synthetic graph (``clusterkg.graph.synthetic``) is loaded into an in-memory store. The
``/resource`` page's incoming-links query (``clusterkg.webapp.pages.facts.INCOMING``) is run
for the IRI of the largest cluster with its ``?o`` bound two ways, side by side in one run:

- ``trailing``: a ``VALUES`` block appended after the query (the old binding; the engine joins
  it after the whole pattern, and a variable hidden by an aggregate is out of its scope);
- ``inside``: the store's binding, ``VALUES`` first inside the outermost WHERE group.

It prints the median seconds of each and the ratio; both must give the same rows here (the
bound variable is grouped, so the trailing block is still correct for this query).
"""

from __future__ import annotations

import argparse
import io
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clusters", type=int, default=300)
    parser.add_argument("--organisations", type=int, default=20000)
    parser.add_argument("--competencies", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from rdflib import URIRef

    from clusterkg.graph.store import OxigraphStore, _with_bindings, sparql_term
    from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic
    from clusterkg.webapp.pages.facts import INCOMING

    buffer = io.BytesIO()
    triples = write_synthetic(SyntheticSpec(clusters=args.clusters, organisations=args.organisations,
                                            competencies=args.competencies, seed=11), buffer)
    store = OxigraphStore()
    store.insert_ntriples(buffer.getvalue())
    _, rows = store.select_values("SELECT ?c (COUNT(?o) AS ?n) WHERE { ?o <https://w3id.org/clusterkg/ns#affiliatedWith> ?c }"
                                  " GROUP BY ?c ORDER BY DESC(?n) LIMIT 1")
    iri = URIRef(rows[0][0])
    queries = {
        "trailing": f"{INCOMING}\nVALUES (?o) {{ ({sparql_term(iri)}) }}\n",
        "inside": _with_bindings(INCOMING, {"o": iri}),
    }
    answers, times = {}, {}
    for name, query in queries.items():
        runs = []
        for _ in range(args.runs):
            start = time.perf_counter()
            answers[name] = store.select_values(query)[1]
            runs.append(time.perf_counter() - start)
        times[name] = statistics.median(runs)
    assert sorted(answers["trailing"], key=str) == sorted(answers["inside"], key=str), "the two bindings disagree"
    print(f"{triples:,} triples; incoming links of {iri} ({len(answers['inside'])} rows), median of {args.runs} runs:")
    for name, seconds in times.items():
        print(f"  {name:9s} {seconds:8.3f} s")
    print(f"  inside is {times['trailing'] / times['inside']:.0f}x faster")


if __name__ == "__main__":
    main()
