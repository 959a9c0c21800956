"""Staging checks only the batch's focus nodes, marked or not (marked for the focused plan: few nodes
beside the store)."""

from pathlib import Path

import pytest

from clusterkg.graph.importer import import_files
from clusterkg.graph.parsing import parse_files
from clusterkg.graph.problems import ValidationFailed
from clusterkg.graph.shacl_sparql import FOCUS_GRAPH
from clusterkg.graph.staging import stage

DATA_DIR = Path(__file__).parent.parent / "data"
MINI = sorted((DATA_DIR / "mini").glob("*.csv"))
CLUSTER = "https://w3id.org/clusterkg/id/cluster/silicon-saxony"

#: Written with a raw update (no checks): a cluster without its required values, pointing at a
#: country nobody describes, ending before it starts. Not the fault of any later batch.
EARLIER_PROBLEMS = """
PREFIX ckg: <https://w3id.org/clusterkg/ns#>
PREFIX schema: <https://schema.org/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
INSERT DATA {
  <https://example.org/broken-cluster> a ckg:Cluster ; ckg:country <https://example.org/nowhere> ;
      schema:startDate "2010"^^xsd:gYear ; schema:endDate "2001"^^xsd:gYear .
}
"""


def _bad_count(tmp_path: Path) -> Path:
    path = tmp_path / "count.ttl"
    path.write_text(
        "@prefix ckg: <https://w3id.org/clusterkg/ns#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        f'<{CLUSTER}> ckg:memberCount "-5"^^xsd:integer .\n'
    )
    return path


def _mode(store, paths, tmp_path: Path) -> str | None:
    work = tmp_path / "mode"
    work.mkdir(exist_ok=True)
    staging = stage(store, parse_files(paths, work), work)
    try:
        return staging.focus_graph
    finally:
        staging.discard()


def _problems(paths, store) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        import_files(paths, store, progress=False)
    return [str(p) for p in caught.value.problems]


def test_a_batch_larger_than_the_store_is_checked_whole_graph_on_its_own_nodes(disk_store, tmp_path):
    disk_store.update(EARLIER_PROBLEMS)
    batch = [*MINI, _bad_count(tmp_path)]
    assert _mode(disk_store, batch, tmp_path) is None  # whole-graph passes, filtered to the batch
    lines = _problems(batch, disk_store)
    # (located at the first file describing the cluster: its row in clusters.csv)
    assert lines and all("memberCount" in line and "silicon-saxony" in line for line in lines), lines
    report = import_files(MINI, disk_store, progress=False)  # the earlier problems stay unreported
    assert report.added > 100


def test_a_batch_of_few_nodes_beside_the_store_is_checked_through_the_focus_graph(disk_store, tmp_path,
                                                                                   monkeypatch):
    from clusterkg.graph import staging, validation

    import_files(MINI, disk_store, progress=False)
    disk_store.update(EARLIER_PROBLEMS)
    addition = _bad_count(tmp_path)
    # one node beside ~150 triples: fewer than FOCUSED_SHARE a node, so whole-graph passes, unmarked
    assert _mode(disk_store, [addition], tmp_path) is None
    unmarked = _problems([addition], disk_store)
    for module in (staging, validation):
        monkeypatch.setattr(module, "FOCUSED_SHARE", 100)
    assert _mode(disk_store, [addition], tmp_path) == FOCUS_GRAPH
    lines = _problems([addition], disk_store)
    assert lines == unmarked  # (the earlier problems unreported either way)
    assert lines and all(line.startswith(f"{addition}: line 3: ckg:memberCount: ") for line in lines), lines
    label = tmp_path / "label.ttl"
    label.write_text(f'<{CLUSTER}> <http://www.w3.org/2000/01/rdf-schema#comment> "a note"@en .\n')
    assert import_files([label], disk_store, progress=False).added == 1
    assert not disk_store.ask(f"ASK {{ GRAPH <{FOCUS_GRAPH}> {{ ?s ?p ?o }} }}")  # the marks never reach the store


def test_bulk_loading_in_slices_loads_every_line_once(tmp_path, monkeypatch):
    import pyoxigraph as ox

    from clusterkg.graph import staging

    lines = [f'<https://example.org/n{i}> <https://example.org/p> "value {i} {"x" * (i % 37)}" .\n' for i in range(500)]
    path = tmp_path / "batch.nt"
    path.write_text("".join(lines))
    monkeypatch.setattr(staging, "_LOAD_SLICE", 1000)  # ~15 lines a slice, cut mid-line
    monkeypatch.setattr(staging, "SMALL_LOAD", 0)  # (a small file is otherwise one plain load)
    store = ox.Store()
    staging._bulk_load(store, path, ox.NamedNode("https://example.org/g"))
    expected = set(ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES))
    loaded = {ox.Triple(q.subject, q.predicate, q.object) for q in store}
    assert len(store) == 500 and loaded == {ox.Triple(t.subject, t.predicate, t.object) for t in expected}


def test_a_syntax_error_in_any_slice_of_an_unparsed_file_is_raised(tmp_path, monkeypatch):
    import pyoxigraph as ox

    from clusterkg.graph import staging
    from clusterkg.graph.parsing import UnparsedSyntaxError

    lines = [f'<https://example.org/n{i}> <https://example.org/p> "value {i}" .\n' for i in range(500)]
    lines[420] = '<https://example.org/n420> <https://example.org/p> "no end .\n'  # a slice near the end
    path = tmp_path / "batch.nt"
    path.write_text("".join(lines))
    monkeypatch.setattr(staging, "_LOAD_SLICE", 1000)  # slices loaded two at a time
    monkeypatch.setattr(staging, "SMALL_LOAD", 0)
    with pytest.raises(UnparsedSyntaxError):
        staging._bulk_load(ox.Store(), path, strict=True)


def test_a_small_file_is_loaded_whole_and_exactly(tmp_path):
    import pyoxigraph as ox

    from clusterkg.graph import staging

    path = tmp_path / "batch.nt"
    path.write_text("".join(f'<https://example.org/n{i}> <https://example.org/p> _:b{i} .\n' for i in range(50)))
    store = ox.Store()
    staging._bulk_load(store, path)
    assert len(store) == 50 and {q.object.value for q in store} == {f"b{i}" for i in range(50)}  # labels kept


def test_a_blank_node_claim_in_a_small_rdf_file_is_checked(disk_store, tmp_path):
    # its blank node must be the batch's own in the staging store, or its shapes go unchecked
    import_files(MINI, disk_store, progress=False)
    claim = tmp_path / "claim.ttl"
    claim.write_text("@prefix ckg: <https://w3id.org/clusterkg/ns#> .\n"
                     "<https://w3id.org/clusterkg/id/competency/x> a ckg:Competency .\n"
                     "[] a ckg:CompetencyClaim ; ckg:competency <https://w3id.org/clusterkg/id/competency/x> .\n")
    lines = _problems([claim], disk_store)
    assert any("dct:source" in line and "a blank node" in line for line in lines), lines


def _counted_afresh(store) -> int:
    store._counted = None  # (the count kept for the version: see test_the_stores_count_follows_each_import)
    return store.triple_count()


def test_a_small_batch_counts_what_it_adds_and_replaces_as_the_store_has_it(disk_store, tmp_path):
    """A small batch is counted as it goes in (by a lookup a triple), not by counting the store:
    triples the store holds already and lines said twice are not new; a replacement's counts are
    what the store gained and lost."""
    import_files(MINI, disk_store, progress=False)
    before = _counted_afresh(disk_store)
    comment = "<http://www.w3.org/2000/01/rdf-schema#comment>"
    held = disk_store.query_bytes(f"CONSTRUCT {{ <{CLUSTER}> ?p ?o }} WHERE {{ <{CLUSTER}> ?p ?o }}",
                                  "application/n-triples").decode()
    first = tmp_path / "first.nt"
    first.write_text(held.splitlines()[0] + "\n" + f'<{CLUSTER}> {comment} "a note"@en .\n' * 2)
    report = import_files([first], disk_store, progress=False)
    assert report.added == 1 == _counted_afresh(disk_store) - before
    assert report.triples_after == before + 1
    replaced = tmp_path / "replaced.nt"  # the whole description again, with another note
    replaced.write_text(held + f'<{CLUSTER}> {comment} "another note"@en .\n')
    report = import_files([replaced], disk_store, progress=False, replace=True)
    assert (report.added, report.removed) == (1, 1)
    assert report.triples_after == before + 1 == _counted_afresh(disk_store)


def test_the_stores_count_follows_each_import_and_revert(disk_store, tmp_path):
    """The store's count is kept per data version and carried over by an import and a revert
    (their exact counts), so an editor's save into a large store does not count it again."""
    from clusterkg.graph.history import list_history
    from clusterkg.graph.revert import revert_change

    import_files(MINI, disk_store, progress=False)
    assert disk_store.triple_count() == _counted_afresh(disk_store)
    note = tmp_path / "note.ttl"
    note.write_text(f'<{CLUSTER}> <http://www.w3.org/2000/01/rdf-schema#comment> "a note"@en .\n')
    import_files([note], disk_store, progress=False)
    carried = disk_store._counted
    assert carried is not None and carried[0] == disk_store.data_version()  # (not counted again)
    assert disk_store.triple_count() == carried[1] == _counted_afresh(disk_store)
    revert_change(disk_store, list_history(disk_store)[-1].activity)
    carried = disk_store._counted
    assert carried is not None and carried[0] == disk_store.data_version()
    assert disk_store.triple_count() == carried[1] == _counted_afresh(disk_store)
    disk_store.update(f"DELETE WHERE {{ <{CLUSTER}> <https://w3id.org/clusterkg/ns#memberCount> ?n }}")
    assert disk_store._counted[0] != disk_store.data_version()  # (an update's counts are not known: counted again)
    assert disk_store.triple_count() == carried[1] - 1


def test_an_unparsed_file_larger_than_the_store_is_not_marked(disk_store, tmp_path, monkeypatch):
    """An unparsed N-Triples file's triples are known once its load has counted them: the choice
    to mark the focus nodes waits for that (a batch larger than the store is checked whole-graph)."""
    from clusterkg.graph import parsing, staging as staging_module

    monkeypatch.setattr(parsing, "SMALL_LOAD", 0)
    monkeypatch.setattr(staging_module, "SMALL_LOAD", 0)
    disk_store.update(f'INSERT DATA {{ <{CLUSTER}> <http://www.w3.org/2000/01/rdf-schema#label> "Silicon Saxony" }}')
    path = tmp_path / "notes.nt"
    path.write_text("".join(f'<{CLUSTER}> <http://www.w3.org/2000/01/rdf-schema#comment> "note {n}"@en .\n'
                            for n in range(20)))
    work = tmp_path / "work"
    work.mkdir()
    batch = parse_files([path], work, defer=True)
    assert batch.files[0].unparsed
    staged = stage(disk_store, batch, work)
    try:
        assert staged.focus_graph is None and batch.triples == 20 and staged.added == 20
    finally:
        staged.discard()


def test_a_store_opened_again_reads_its_count_from_the_version_and_loses_it_on_an_update(tmp_path):
    """The count carried over is written with the data version (``void:triples`` in the meta
    graph), so the next process does not count the store; a write whose counts are not known
    (a SPARQL update) removes it in its own transaction."""
    from clusterkg.graph.store import _COUNT_QUERY, _VERSION_AND_COUNT_QUERY, OxigraphStore

    path = tmp_path / "store"
    note = tmp_path / "note.ttl"
    note.write_text(f'<{CLUSTER}> <http://www.w3.org/2000/01/rdf-schema#comment> "a note"@en .\n')
    with OxigraphStore(path) as store:
        import_files(MINI, store, progress=False)
        counted = store.triple_count()
        import_files([note], store, progress=False)
    with OxigraphStore(path) as store:
        asked = []
        select = store._select_values
        store._select_values = lambda query, **options: asked.append(query) or select(query, **options)
        assert store.triple_count() == counted + 1 and _COUNT_QUERY not in asked
        store.update(f"DELETE WHERE {{ <{CLUSTER}> <http://www.w3.org/2000/01/rdf-schema#comment> ?note }}")
        assert store._select_values(_VERSION_AND_COUNT_QUERY, see_meta=True)[1][0][1:] == (None, None)
        assert store.triple_count() == counted and _COUNT_QUERY in asked
