"""How useful the toolkit's answers are on the default dataset (not a test: it prints figures).

    python bench/quality.py                 # every figure (about a minute or two)
    python bench/quality.py --skip-loo      # coverage and planted gaps only

It loads the default dataset as ``clusterkg init`` does (curated sheets plus the shipped open
data, one validated import) into a fresh in-memory store, builds the analytic projection, and
measures three things, printed in one table beside the targets of issue 9 §2:

1. **Coverage with evidence.** For every cluster: ``find_gaps`` (all lenses) is non-empty and
   every gap says why and on which evidence; ``search_partners`` for those gaps is non-empty and
   every partner has a why-line; ``recommend_clusters`` is non-empty and every item has a
   why-line. Shares over all clusters and over the curated clusters alone.
2. **Leave-one-out over the sourced partnerships.** Each partnership in turn is deleted through
   the real deletion path (``delete_resources``: a recorded write), the projection is brought up
   to date from the history (``catch_up``), and ``recommend_clusters`` is asked for each
   participant with no limit; a query hits when another participant of the removed partnership
   ranks in the top 10. Then the partnership is inserted back (also a recorded write). Printed:
   hits@10, MRR (1 / rank of the first other participant; 0 when unranked) and the random
   baseline for the same queries, computed exactly: with ``R`` relevant among ``N`` other clusters,
   P(hit@10) = 1 − C(N−R, 10)/C(N, 10) and the expected reciprocal rank of the first relevant.
3. **Planted gaps.** For every competency that some organisations claim directly and every
   cluster none of whose organisations has it (up to 3 clusters per competency, by id), ask
   ``search_partners`` for that competency alone (top 10): the query succeeds when the top 10
   holds min(10, direct holders eligible) direct holders, i.e. the known holders are found;
   and separately, whether every direct holder listed ranks above every holder that has only a
   narrower competency (or holds it only by inference).
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

from clusterkg.graph.analysis.gaps import find_gaps
from clusterkg.graph.analysis.partners import search_partners
from clusterkg.graph.analysis.recommend import recommend_clusters
from clusterkg.graph.dataset import initialise
from clusterkg.graph.deletion import delete_resources
from clusterkg.graph.projection import build_projection, catch_up
from clusterkg.graph.store import OxigraphStore

TARGETS = {"gaps": 0.95, "partners": 0.95, "recommend": 0.95, "hits10": 0.50, "planted": 0.97, "direct_first": 1.0}


def default_store() -> OxigraphStore:
    store = OxigraphStore()
    initialise(store, with_open_data=True, progress=False)
    return store


def coverage(projection) -> dict[str, list[bool]]:
    """Per cluster: non-empty gaps / partners / recommendations, each item with its evidence."""
    result = {"gaps": [], "partners": [], "recommend": [], "curated": []}
    for row in range(len(projection.clusters)):
        report = find_gaps(projection, row)
        result["gaps"].append(bool(report.combined) and all(g.why and g.evidence for g in report.combined))
        search = search_partners(projection, row, gaps=report, limit=10)
        result["partners"].append(bool(search.partners) and all(p.why for p in search.partners))
        recommended = recommend_clusters(projection, projection.clusters["id"].iat[row], limit=10)
        result["recommend"].append(bool(recommended.items) and all(item.why for item in recommended.items))
        result["curated"].append(not projection.clusters["id"].iat[row].startswith("us-cmp-"))
    return result


def random_baseline(n: int, relevant: int, k: int = 10) -> tuple[float, float]:
    """P(a relevant item in a random top ``k``) and the expected reciprocal rank of the first."""
    miss = math.comb(n - relevant, k) / math.comb(n, k) if n - relevant >= k else 0.0
    expected_rr = 0.0
    for rank in range(1, n - relevant + 2):  # P(first relevant at rank) = C(n-rank, R-1)/C(n, R)
        expected_rr += math.comb(n - rank, relevant - 1) / math.comb(n, relevant) / rank
    return 1.0 - miss, expected_rr


def leave_one_out(store: OxigraphStore) -> dict:
    projection = build_projection(store)
    partnerships = projection.partnerships.sort_values("iri")
    hits, reciprocal, random_hits, random_rr, lines = [], [], [], [], []
    for row in partnerships.itertuples():
        description = store.construct(f"CONSTRUCT {{ <{row.iri}> ?p ?o }} WHERE {{ <{row.iri}> ?p ?o }}")
        participants = [projection.clusters["iri"].iat[c] for c in row.clusters]
        delete_resources(store, [row.iri], agent="bench/quality.py")
        projection = catch_up(projection, store)
        n_others = len(projection.clusters) - 1
        for iri in participants:
            others = set(participants) - {iri}
            ranking = recommend_clusters(projection, iri, limit=len(projection.clusters)).items
            ranks = [item.rank for item in ranking if item.iri in others]
            first = min(ranks) if ranks else None
            hits.append(first is not None and first <= 10)
            reciprocal.append(1.0 / first if first else 0.0)
            p_hit, rr = random_baseline(n_others, len(others))
            random_hits.append(p_hit)
            random_rr.append(rr)
            lines.append(f"  {row.iri.rsplit('/', 1)[-1][:48]:48} {iri.rsplit('/', 1)[-1][:36]:36} rank {first or '-'}")
        store.insert_graph(description, agent="bench/quality.py")
        projection = catch_up(projection, store)
    return {"queries": len(hits), "hits10": float(np.mean(hits)), "mrr": float(np.mean(reciprocal)),
            "random_hits10": float(np.mean(random_hits)), "random_mrr": float(np.mean(random_rr)),
            "partnerships": len(partnerships), "lines": lines}


def planted_gaps(projection, per_competency: int = 3) -> dict:
    direct = (projection.org_competency > 0).tocsc()
    up = (projection.org_competency_up > 0).tocsc()
    found, ordered, queries = [], [], 0
    cluster_ids = projection.clusters["id"].to_numpy()
    by_id = np.argsort(cluster_ids)
    for k in range(direct.shape[1]):
        holders = set(direct[:, k].indices.tolist())
        if not holders:
            continue
        narrower = set(up[:, k].indices.tolist()) - holders
        lacking = [int(c) for c in by_id if projection.cluster_competency[int(c), k] == 0]
        for c in lacking[:per_competency]:
            members = set(projection.members_of(c).tolist())
            eligible = holders - members
            if not eligible:
                continue
            queries += 1
            search = search_partners(projection, c, competencies=[projection.competencies["iri"].iat[k]], limit=10)
            rows = [projection.resolve_organisation(p.organisation["iri"]) for p in search.partners]
            found.append(sum(o in holders for o in rows) >= min(10, len(eligible)))
            seen_other = False
            good = True
            for o in rows:
                if o in holders:
                    good = good and not seen_other
                else:
                    seen_other = True
            ordered.append(good)
    return {"queries": queries, "planted": float(np.mean(found)) if found else 0.0,
            "direct_first": float(np.mean(ordered)) if ordered else 0.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-loo", action="store_true", help="leave the leave-one-out test out")
    parser.add_argument("--verbose", action="store_true", help="print every leave-one-out query")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    store = default_store()
    projection = build_projection(store)
    print(f"default dataset: {len(projection.clusters)} clusters, {len(projection.organisations)} organisations, "
          f"{len(projection.partnerships)} partnerships (loaded and projected in {time.perf_counter() - started:.1f} s)")

    t = time.perf_counter()
    cov = coverage(projection)
    curated = np.array(cov["curated"])
    rows = []
    for key in ("gaps", "partners", "recommend"):
        values = np.array(cov[key])
        rows.append((f"clusters with non-empty {key} (with evidence)", f"{values.mean():.1%} of {len(values)}",
                     f"{values[curated].mean():.1%} of {int(curated.sum())} curated", f">= {TARGETS[key]:.0%}",
                     "met" if values.mean() >= TARGETS[key] else "missed"))
    print(f"coverage: {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    planted = planted_gaps(projection)
    rows.append(("planted gaps: known holders in top 10", f"{planted['planted']:.1%} of {planted['queries']}", "",
                 f">= {TARGETS['planted']:.0%}", "met" if planted["planted"] >= TARGETS["planted"] else "missed"))
    rows.append(("planted gaps: direct holders above narrower-only", f"{planted['direct_first']:.1%} of {planted['queries']}", "",
                 "100%", "met" if planted["direct_first"] >= TARGETS["direct_first"] else "missed"))
    print(f"planted gaps: {time.perf_counter() - t:.1f} s")

    if not args.skip_loo:
        t = time.perf_counter()
        loo = leave_one_out(store)
        rows.append(("leave-one-out hits@10", f"{loo['hits10']:.1%} of {loo['queries']}",
                     f"random {loo['random_hits10']:.1%}", f">= {TARGETS['hits10']:.0%}",
                     "met" if loo["hits10"] >= TARGETS["hits10"] else "missed"))
        rows.append(("leave-one-out MRR", f"{loo['mrr']:.3f}", f"random {loo['random_mrr']:.3f}", "", ""))
        print(f"leave-one-out over {loo['partnerships']} partnerships: {time.perf_counter() - t:.1f} s")
        if args.verbose:
            print("\n".join(loo["lines"]))

    print()
    widths = [max(len(str(r[i])) for r in rows) for i in range(5)]
    header = ("figure", "measured", "beside", "target", "")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for r in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
