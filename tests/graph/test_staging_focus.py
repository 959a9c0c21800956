"""A small batch in the default store is checked from its focus nodes, with the whole-graph verdict.

The default store (``clusterkg init``: curated sheets and open data, ~260,000 triples) takes
each example of ``ontology/examples`` and each broken fixture as a batch; the checks run three
ways on the same staged store: from the focus marks (each constraint's query starting at the
marked nodes, what a small batch gets), as whole-graph passes filtered to the focus nodes, and
the importer's own choice. The located problems must be the same. Then the nodes whose verdict
a batch changes without being its subjects: a claim given a second holder, the claims of a
competency retyped away; and the same for a batch larger than its store, which is checked
without marks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterkg.graph.dataset import initialise
from clusterkg.graph.importer import import_files
from clusterkg.graph.parsing import parse_files
from clusterkg.graph.problems import ValidationFailed
from clusterkg.graph.shacl_sparql import FOCUS_GRAPH
from clusterkg.graph.staging import stage
from clusterkg.graph.store import OxigraphStore
from clusterkg.graph.validation import FOCUSED_SHARE, check_staging
from clusterkg.ontology import example_files

DATA_DIR = Path(__file__).parent.parent / "data"
BATCHES = [*example_files("valid"), *example_files("invalid"),
           *(p for p in sorted((DATA_DIR / "broken").glob("*")) if p.name != "syntax.ttl")]
ID = "https://w3id.org/clusterkg/id/"
CKG = "https://w3id.org/clusterkg/ns#"
CLAIM = f"{ID}claim/grenoble-inp--engineering-education"  # (in the shipped open data)


@pytest.fixture(scope="module")
def default_store(tmp_path_factory):
    with OxigraphStore(tmp_path_factory.mktemp("default") / "store") as store:
        initialise(store, with_open_data=True, progress=False)
        yield store


def _three_ways(store, paths, work: Path, *, replace: bool = False) -> tuple[list[str], list[str], list[str]]:
    """The problems found from the focus marks, by whole-graph passes, and as the importer chose."""
    work.mkdir()
    batch = parse_files(paths, work)
    staging = stage(store, batch, work, replace=replace)
    try:
        assert staging.focus_graph == FOCUS_GRAPH and staging.focus
        focused = check_staging(staging.store, batch, staging.focus, FOCUS_GRAPH, size=len(staging.focus) * FOCUSED_SHARE)
        whole = check_staging(staging.store, batch, staging.focus, None)
        chosen = check_staging(staging.store, batch, staging.focus, FOCUS_GRAPH, staging.size)
    finally:
        staging.discard()
    return ([str(p) for p in batch.problems + focused], [str(p) for p in batch.problems + whole],
            [str(p) for p in batch.problems + chosen])


def _problems(store, paths, **options) -> list[str]:
    before = store.triple_count()
    with pytest.raises(ValidationFailed) as caught:
        import_files(paths, store, progress=False, **options)
    assert store.triple_count() == before
    return [str(p) for p in caught.value.problems]


def test_batches_found():
    assert len(BATCHES) >= 30 and any(p.suffix == ".csv" for p in BATCHES)


@pytest.mark.parametrize("path", BATCHES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_focused_and_whole_graph_checks_agree(default_store, path, tmp_path):
    focused, whole, chosen = _three_ways(default_store, [path], tmp_path / "work")
    assert sorted(focused) == sorted(whole) == sorted(chosen)


def test_the_invalid_batches_together_agree_and_are_rejected(default_store, tmp_path):
    # (an agreement on nothing would prove little: most of them break something in this store
    # too, though some only add to a node the store already describes well enough)
    invalid = [p for p in BATCHES if p.parent.name != "valid"]
    focused, whole, chosen = _three_ways(default_store, invalid, tmp_path / "work")
    assert sorted(focused) == sorted(whole) == sorted(chosen)
    named = {path for path in invalid if any(line.startswith(f"{path}: ") for line in focused)}
    assert len(named) > len(invalid) / 2, sorted(set(invalid) - named)


def test_a_small_addition_breaking_an_existing_cluster_is_caught(default_store, tmp_path):
    addition = tmp_path / "count.ttl"
    addition.write_text(f'<{ID}cluster/silicon-saxony> <{CKG}memberCount> "lots" .\n')
    focused, whole, _ = _three_ways(default_store, [addition], tmp_path / "work")
    assert sorted(focused) == sorted(whole)
    lines = _problems(default_store, [addition])
    assert lines and all(line.startswith(f"{addition}: line 1: ckg:memberCount: ") for line in lines), lines
    assert set(lines) == set(focused)  # (the same message for two constraints is said once)


def test_a_claim_given_a_second_holder_is_checked(default_store, tmp_path):
    # the batch describes the organisation only; the claim it points at breaks "exactly one holder"
    addition = tmp_path / "holder.ttl"
    addition.write_text(f"<{ID}org/badger-meter> <{CKG}qualifiedCompetency> <{CLAIM}> .\n")
    focused, whole, _ = _three_ways(default_store, [addition], tmp_path / "work")
    assert sorted(focused) == sorted(whole)
    lines = _problems(default_store, [addition])
    located = f"{addition}: line 1: ckg:qualifiedCompetency: A competency claim belongs to exactly one organisation"
    assert any(line.startswith(located) and "grenoble-inp--engineering-education" in line for line in lines), lines


@pytest.mark.parametrize("where", ["disk", "memory"])
def test_the_claims_of_a_competency_retyped_away_are_checked(default_store, where, tmp_path):
    replacement = tmp_path / "retype.ttl"
    replacement.write_text(f'<{ID}competency/engineering-education> a <{CKG}Industry> ;\n'
                           f'    <http://www.w3.org/2000/01/rdf-schema#label> "Engineering education"@en .\n')
    if where == "memory":  # a scratch store pulls in the claims pointing at it
        with OxigraphStore() as store:
            store.insert_ntriples(default_store.dump())
            lines = _problems(store, [replacement], replace=True)
    else:
        focused, whole, _ = _three_ways(default_store, [replacement], tmp_path / "work", replace=True)
        assert sorted(focused) == sorted(whole)
        lines = _problems(default_store, [replacement], replace=True)
    assert any("grenoble-inp--engineering-education" in line for line in lines), lines


MINI = sorted((DATA_DIR / "mini").glob("*.csv"))
GF = f"<{ID}org/globalfoundries-dresden>"
GF_MEMBERSHIP = f"{ID}affiliation/silicon-saxony--globalfoundries-dresden--member"


def _moved_membership(store) -> str:
    """The mini data's membership of Globalfoundries, re-sent naming ZMD (who already has its
    own): the checks need ZMD's shortcuts, which a scratch store must pull in."""
    described = store.query_bytes(f"CONSTRUCT {{ <{GF_MEMBERSHIP}> ?p ?o }} WHERE {{ <{GF_MEMBERSHIP}> ?p ?o }}",
                                  "application/n-triples").decode()
    assert GF in described
    return described.replace(GF, f"<{ID}org/zentrum-mikroelektronik-dresden>")


#: (name, the change, replace, a node it does not describe that a finding names): changes whose
#: findings fall on nodes they do not describe
REACHING = [
    ("second-holder", lambda store: f"<{ID}org/zentrum-mikroelektronik-dresden> <{CKG}qualifiedCompetency> "
                                    f"<{ID}claim/globalfoundries-dresden--semiconductor-manufacturing> .\n",
     False, "(claim/globalfoundries-dresden--semiconductor-manufacturing)"),
    ("retyped", lambda store: f"{GF} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/Place> .\n"
                              f"{GF} <http://www.w3.org/2000/01/rdf-schema#label> \"GF\" .\n",
     True, "(affiliation/silicon-saxony--globalfoundries-dresden--member)"),
    # the membership moved away leaves Globalfoundries' org:memberOf and ckg:affiliatedWith with
    # nothing behind them (the batch does not describe Globalfoundries)
    ("moved-away", _moved_membership, True, "organisation org/globalfoundries-dresden"),
]


@pytest.fixture
def small_store(tmp_path):
    """The ontology and the mini sheets: about 1,200 triples, fewer than a synthetic filler."""
    with OxigraphStore(tmp_path / "small") as store:
        initialise(store, with_default_data=False)
        import_files([str(p) for p in MINI], store, progress=False)
        yield store


@pytest.mark.parametrize(("name", "change", "replace", "named"), REACHING, ids=[r[0] for r in REACHING])
def test_the_nodes_a_change_reaches_are_checked_whatever_the_plan(small_store, tmp_path, name, change, replace,
                                                                   named):
    """The change alone (checked from marks), in a batch larger than the store (unmarked passes,
    their findings kept for the subjects and the nodes the batch reaches), and alone into an
    in-memory copy of the store (a scratch store, which pulls in what it needs): the same
    findings on nodes the change does not describe (a claim's second holder, or its holder's
    link replaced away; the affiliation whose organisation is retyped), each located at a line
    of the batch, and nothing written."""
    from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic

    triples = change(small_store)
    alone = tmp_path / f"{name}.nt"
    alone.write_text(triples)
    larger = tmp_path / f"{name}-larger.nt"
    write_synthetic(SyntheticSpec(clusters=3, organisations=40, competencies=10), larger)
    filler_lines = len(larger.read_text().splitlines())
    with open(larger, "a") as handle:
        handle.write(triples)
    assert filler_lines > small_store.triple_count()

    def marks(path) -> str | None:
        work = tmp_path / f"work-{path.stem}"
        work.mkdir()
        staging = stage(small_store, parse_files([path], work), work, replace=replace)
        staging.discard()
        return staging.focus_graph

    assert (marks(alone), marks(larger)) == (FOCUS_GRAPH, None)  # (the plans under test)

    def found(store, path) -> list[tuple[str, str, str]]:
        before = store.triple_count()
        with pytest.raises(ValidationFailed) as caught:
            import_files([path], store, progress=False, replace=replace)
        assert store.triple_count() == before
        return sorted((p.location, p.field, str(p.message)) for p in caught.value.problems)

    from_marks, unmarked = found(small_store, alone), found(small_store, larger)
    with OxigraphStore() as scratch_copy:
        scratch_copy.insert_ntriples(small_store.dump())
        scratched = found(scratch_copy, alone)
    assert [(field, message) for _, field, message in unmarked] == [(f, m) for _, f, m in from_marks] == \
        [(f, m) for _, f, m in scratched]
    assert {location for location, _, _ in from_marks + scratched} == {"line 1"}
    assert {location for location, _, _ in unmarked} == {f"line {filler_lines + 1}"}
    assert any(named in message for _, _, message in unmarked), unmarked


def test_a_membership_moved_to_another_member_is_valid_whatever_the_plan(small_store, tmp_path):
    """The moved membership, sent with Globalfoundries' description less its shortcuts to the
    cluster, is checked with ZMD's own shortcuts in every plan: a scratch store pulls in the
    description of a node the batch points at (it once pulled only its types, and a dry run or a
    remote store refused what the embedded store accepted)."""
    shortcuts = (f"{GF} <http://www.w3.org/ns/org#memberOf> ", f"{GF} <{CKG}affiliatedWith> ")
    organisation = small_store.query_bytes(f"CONSTRUCT {{ {GF} ?p ?o }} WHERE {{ {GF} ?p ?o }}",
                                           "application/n-triples").decode().splitlines()
    kept = [line for line in organisation if not line.startswith(shortcuts)]
    assert len(kept) == len(organisation) - 2
    moved = tmp_path / "moved.nt"
    moved.write_text(_moved_membership(small_store) + "\n".join(kept) + "\n")
    with OxigraphStore() as scratch_copy:
        scratch_copy.insert_ntriples(small_store.dump())
        report = import_files([moved], scratch_copy, progress=False, replace=True)
        # (in: the membership's two links to ZMD; out: its two to GF and GF's two shortcuts)
        assert (report.added, report.removed) == (2, 4)
    assert import_files([moved], small_store, progress=False, replace=True, dry_run=True).dry_run
    assert import_files([moved], small_store, progress=False, replace=True).added == 2
