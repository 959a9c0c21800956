"""Benchmark of the analytic projection at European scale (not a test: it prints figures).

    python bench/projection.py                   # 3,000 clusters, 300,000 organisations, 10,000 competencies
    python bench/projection.py --clusters 300 --organisations 30000 --competencies 1000   # a quick run
    python bench/projection.py --store DIR       # an existing on-disk store of the synthetic graph
    python bench/projection.py --store DIR --baseline OLD.py   # also an earlier builder, side by side
    python bench/projection.py --store DIR --served  # built from `oxigraph serve-read-only`: paged vs whole

``--baseline`` takes a copy of an earlier ``graph/projection.py`` (``git show REV:graph/projection.py
> OLD.py``): its full build runs in the same process right after this one's, on the same store,
and both are checked equal. That copy imports its sibling modules from this tree, so its
evidence would be read by today's ``graph/analysis/evidence.py``: ``--baseline-evidence OLD_EVIDENCE.py``
(``git show REV:graph/analysis/evidence.py``) makes it read the evidence with that copy instead,
and also times that copy's evidence read beside each refresh (what the refresh of that revision
did after patching the matrices: it read all the evidence again).

The share of the evidence (``graph/analysis/evidence.py``) in the full build and in each refresh
is printed beside the totals.

In one process, side by side on the same store:
1. a full build of the projection (seconds, peak RSS);
2. a one-cluster change — a new member with two competency claims, one with a claim basis —
   then the incremental refresh after it and a full build of the changed store, checked equal
   (the evidence too);
3. the change undone (the member and its two claims removed), refresh and full build again.

Targets (issue "Import at scale", section 3): full build <= 30 s, refresh <= 1 s at European scale.
The store is generated and bulk-loaded in a child process first (a few minutes at full scale)
unless ``--store`` is given; with ``--store`` the change is undone at the end.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CKG = "https://w3id.org/clusterkg/ns#"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(args, directory: Path) -> dict:
    """Generate the synthetic graph and bulk-load it (in a child process, so its memory is its own)."""
    script = f"""
import json, time, pyoxigraph as ox
from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic
spec = SyntheticSpec(clusters={args.clusters}, organisations={args.organisations}, competencies={args.competencies}, seed={args.seed})
start = time.perf_counter(); triples = write_synthetic(spec, {str(directory / 'synthetic.nt')!r}); generated = time.perf_counter() - start
start = time.perf_counter(); store = ox.Store({str(directory / 'store')!r})
store.bulk_load(path={str(directory / 'synthetic.nt')!r}, format=ox.RdfFormat.N_TRIPLES)  # benchmark only: not atomic
store.optimize(); store.flush()
print(json.dumps({{"triples": triples, "generate_s": round(generated, 1), "load_s": round(time.perf_counter() - start, 1)}}))
"""
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    (directory / "synthetic.nt").unlink()
    return json.loads(out.strip().splitlines()[-1])


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, round(time.perf_counter() - start, 3)


def one_cluster_change(projection) -> tuple[str, list[str]]:
    """A new member of cluster 0 with two claims it did not have, the first with a claim basis:
    the triples, and the changed resources."""
    import numpy as np

    cluster = projection.clusters.iri.iat[0]
    outside = np.flatnonzero(projection.cluster_org.getrow(0).toarray().ravel() == 0)
    org_row = int(outside[0])
    org = projection.organisations.iri.iat[org_row]
    held = set(projection.org_competency.getrow(org_row).indices.tolist())
    competencies = [projection.competencies.iri.iat[k] for k in range(len(projection.competencies)) if k not in held][:2]
    node = "https://w3id.org/clusterkg/id/bench"
    triples = [f"<{node}/affiliation> a <{CKG}Affiliation> ; <{CKG}cluster> <{cluster}> ; <{CKG}organisation> <{org}> ; "
               f"<{CKG}affiliationType> <{CKG}Member> .", f"<{org}> <{CKG}affiliatedWith> <{cluster}> ."]
    for n, competency in enumerate(competencies):
        triples += [f"<{org}> <{CKG}hasCompetency> <{competency}> ; <{CKG}qualifiedCompetency> <{node}/claim-{n}> .",
                    f"<{node}/claim-{n}> a <{CKG}CompetencyClaim> ; <{CKG}competency> <{competency}> ; <{CKG}level> <{CKG}LevelLeading> ."]
    triples.append(f"<{node}/claim-0> <{CKG}claimBasis> <{CKG}BasisStated> .")
    data = " ".join(triples)
    return data, [f"{node}/affiliation", org, f"{node}/claim-0", f"{node}/claim-1"]


def same_matrices(a, b, names) -> bool:
    return all(getattr(a, m).shape == getattr(b, m).shape and (getattr(a, m) != getattr(b, m)).nnz == 0 for m in names)


def ordered(table):
    return table.sort_values(list(table.columns), ignore_index=True)  # rows in no order


def same(a, b) -> bool:
    """The two projections equal field by field, their evidence too."""
    import numpy as np

    matrices = ("org_competency", "org_competency_up", "cluster_org", "cluster_competency", "cluster_needs", "org_needs")
    tables = ("clusters", "organisations", "competencies", "industries", "partnerships", "resources", "developments")
    x, y = a.evidence, b.evidence
    evidence = (same_matrices(x, y, ("org_project", "coordinated", "claim_basis", "industry_related"))
                and all(np.array_equal(getattr(x, n), getattr(y, n)) for n in ("project_iris", "project_years", "project_parts", "same_as"))
                and (getattr(x, "participations", None) is None or getattr(y, "participations", None) is None  # an older layout
                     or ordered(x.participations).equals(ordered(y.participations))))
    return (same_matrices(a, b, matrices) and all(getattr(a, t).equals(getattr(b, t)) for t in tables)
            and ordered(a.ties).equals(ordered(b.ties)) and a.labels == b.labels and evidence)


def load_average() -> float:
    return round(os.getloadavg()[0], 1)


def load_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def baseline_builder(path: Path, evidence=None):
    """``build_projection`` of an earlier copy of the projection module (reading the evidence
    with ``evidence``, an earlier copy of the evidence module, when given)."""
    module = load_module("baseline_projection", path)
    if evidence is not None and hasattr(module, "_with_evidence"):
        def with_evidence(store, projection):
            projection.evidence = evidence.load_evidence(store, projection)
            return projection
        module._with_evidence = with_evidence
    return module.build_projection


class EvidenceClock:
    """Wall and CPU seconds spent in the evidence module's load and refresh, since the last ``take()``.

    Wraps the module's two entry points (the projection looks them up there at each call)."""

    def __init__(self):
        from clusterkg.graph.analysis import evidence

        self.wall = self.cpu = 0.0
        for name in ("load_evidence", "refresh_evidence"):
            setattr(evidence, name, self._timed(getattr(evidence, name)))

    def _timed(self, function):
        def timed_call(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.wall += time.perf_counter() - wall
                self.cpu += time.process_time() - cpu
        return timed_call

    def take(self) -> dict:
        figures = {"evidence_s": round(self.wall, 3), "evidence_cpu_s": round(self.cpu, 3)}
        self.wall = self.cpu = 0.0
        return figures


def measure(store_path: Path, baseline: Path | None = None, refresh_only: bool = False,
            baseline_evidence: Path | None = None) -> dict:
    from clusterkg.graph.projection import build_projection
    from clusterkg.graph.projection_refresh import refresh
    from clusterkg.graph.store import OxigraphStore

    store = OxigraphStore(store_path)
    clock = EvidenceClock()
    earlier_evidence = load_module("baseline_evidence", baseline_evidence) if baseline_evidence else None
    figures: dict = {"load_average_before": load_average()}
    cpu = time.process_time()
    projection, figures["full_build_s"] = timed(build_projection, store)
    figures["full_build_cpu_s"] = round(time.process_time() - cpu, 1)  # all threads; the machine may be shared
    figures["full_build_evidence"] = clock.take()
    figures["peak_rss_after_full_build_mib"] = round(peak_rss_mib())
    figures["load_average_after_full_build"] = load_average()
    print("so far:", json.dumps(figures), flush=True)
    if baseline is not None:
        cpu = time.process_time()
        earlier, figures["baseline_full_build_s"] = timed(baseline_builder(baseline, earlier_evidence), store)
        figures["baseline_full_build_cpu_s"] = round(time.process_time() - cpu, 1)
        figures["load_average_after_baseline"] = load_average()
        figures["baseline_equal"] = same(projection, earlier)
        clock.take()  # the baseline's own evidence, when it reads it with today's module
        del earlier
    figures["organisations"], figures["clusters"] = len(projection.organisations), len(projection.clusters)
    figures["competencies"], figures["org_competency_links"] = len(projection.competencies), int(projection.org_competency.nnz)
    _, figures["cluster_graph_s"] = timed(projection.cluster_graph)  # built once; a refresh patches it

    data, changed = one_cluster_change(projection)
    for step, update in (("add", f"INSERT DATA {{ {data} }}"), ("remove", f"DELETE DATA {{ {data} }}")):
        store.update(update)
        cpu = time.process_time()
        refreshed, refresh_s = timed(refresh, projection, store, changed)
        figures[f"{step}_member_and_two_claims"] = {
            "refresh_s": refresh_s, "refresh_cpu_s": round(time.process_time() - cpu, 2), "load_average": load_average(),
            **clock.take()}
        if earlier_evidence is not None:  # what the baseline's refresh did on top: read all the evidence again
            cpu = time.process_time()
            _, figures[f"{step}_member_and_two_claims"]["baseline_evidence_s"] = timed(earlier_evidence.load_evidence, store, refreshed)
            figures[f"{step}_member_and_two_claims"]["baseline_evidence_cpu_s"] = round(time.process_time() - cpu, 2)
        if not refresh_only:
            rebuilt, rebuild_s = timed(build_projection, store)
            clock.take()
            figures[f"{step}_member_and_two_claims"].update({
                "full_build_s": rebuild_s, "speed-up": round(rebuild_s / max(refresh_s, 1e-6), 1),
                "equal": same(refreshed, rebuilt) and refreshed.version == rebuilt.version})
            del rebuilt
        projection = refreshed
    figures["peak_rss_mib"] = round(peak_rss_mib())
    store.close()
    return figures


def served(store_path: Path) -> dict:
    """The store behind a real ``oxigraph serve-read-only`` on loopback: paged build vs whole build."""
    import socket
    import urllib.request

    from clusterkg.graph.projection import REMOTE_PAGE_SIZE, build_projection
    from clusterkg.graph.store import SparqlProtocolStore

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    binary = str(Path(sys.executable).parent / "oxigraph")  # pip install oxigraph puts it beside python
    server = subprocess.Popen([binary, "serve-read-only", "--location", str(store_path), "--bind", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    try:
        for _ in range(200):  # bounded: 40 s
            try:
                urllib.request.urlopen(urllib.request.Request(url, data=b"ASK {}", headers={"Content-Type": "application/sparql-query"}), timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        remote = SparqlProtocolStore(url, timeout=3600)
        figures = {"load_average_before": load_average(), "page_size": REMOTE_PAGE_SIZE}
        paged, figures["paged_build_s"] = timed(build_projection, remote)
        whole, figures["whole_build_s"] = timed(build_projection, remote, 0)
        figures["load_average_after"] = load_average()
        figures["equal"] = same(paged, whole)
        return figures
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=3000)
    parser.add_argument("--organisations", type=int, default=300_000)
    parser.add_argument("--competencies", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--store", type=Path, help="an existing on-disk store (changed, then restored)")
    parser.add_argument("--baseline", type=Path, help="an earlier graph/projection.py to build with, side by side")
    parser.add_argument("--baseline-evidence", type=Path, help="an earlier graph/analysis/evidence.py for the baseline")
    parser.add_argument("--refresh-only", action="store_true", help="no full build beside each refresh (no equality check)")
    parser.add_argument("--served", action="store_true", help="with --store: build from the store served by oxigraph")
    args = parser.parse_args()
    if args.served and args.store:
        print(json.dumps(served(args.store), indent=2))
        return
    if args.store:
        figures = measure(args.store, args.baseline, args.refresh_only, args.baseline_evidence)
    else:
        with tempfile.TemporaryDirectory(prefix="clusterkg-bench-") as workdir:
            print("load:", json.dumps(load(args, Path(workdir))), flush=True)
            figures = measure(Path(workdir) / "store", args.baseline, args.refresh_only, args.baseline_evidence)
    print(json.dumps(figures, indent=2))
    print("\ntargets:")
    evidence = figures["full_build_evidence"]
    print(f"  full build {figures['full_build_s']} s wall, {figures['full_build_cpu_s']} s CPU (target <= 30 s), "
          f"of which evidence {evidence['evidence_s']} s wall, {evidence['evidence_cpu_s']} s CPU; "
          f"peak RSS {figures['peak_rss_mib']} MiB")
    if args.baseline:
        print(f"  baseline full build {figures['baseline_full_build_s']} s wall, {figures['baseline_full_build_cpu_s']} s CPU; "
              f"equal: {figures['baseline_equal']}")
    for step in ("add", "remove"):
        f = figures[f"{step}_member_and_two_claims"]
        beside = f" vs full build {f['full_build_s']} s; equal: {f['equal']}" if "full_build_s" in f else ""
        earlier = (f"; the baseline's evidence read on top: {f['baseline_evidence_s']} s wall, {f['baseline_evidence_cpu_s']} s CPU"
                   if "baseline_evidence_s" in f else "")
        print(f"  {step} a member and two claims: refresh {f['refresh_s']} s wall, {f['refresh_cpu_s']} s CPU "
              f"(target <= 1 s), of which evidence {f['evidence_s']} s wall, {f['evidence_cpu_s']} s CPU{beside}{earlier}")


if __name__ == "__main__":
    main()
