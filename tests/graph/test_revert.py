"""Deltas in the history and reverting a change: exact, recorded, refused when unsafe."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from clusterkg.graph.history import MAX_DELTA_TRIPLES, delta_graphs, list_history
from clusterkg.graph.importer import import_files
from clusterkg.graph.revert import CannotRevert, read_delta, revert_change
from clusterkg.graph.sheets import SHEETS
from clusterkg.graph.store import OxigraphStore

SHEET_DIR = Path(__file__).resolve().parents[2] / "data" / "sheets"
NEEDS = ("cluster,organisation,competency,description,source_url,source_quote\n"
         "silicon-saxony,,chip-design,we lack chip design,https://example.org/needs,we need it\n")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> bytes:
    """The default sheets as N-Triples (loading them through the import once)."""
    store = OxigraphStore()
    import_files(sorted(SHEET_DIR.glob("*.csv")), store, progress=False)
    return store.dump()


@pytest.fixture(params=["memory", "disk"])
def store(request, loaded, tmp_path) -> OxigraphStore:
    opened = OxigraphStore() if request.param == "memory" else OxigraphStore(tmp_path / "store")
    opened.insert_ntriples(loaded)
    yield opened
    opened.close()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_import_keeps_its_exact_triples_and_a_revert_removes_them(store, tmp_path):
    before = store.dump()
    import_files([_write(tmp_path, "needs.csv", NEEDS)], store, progress=False, agent="anna")
    change = list_history(store)[-1]
    assert change.revertible and change.agent == "anna"
    delta = read_delta(store, change.activity)
    assert len(delta.added) == change.added == 7 and delta.removed == ()
    added_graph, _ = delta_graphs(change.activity)
    assert store.ask(f"ASK {{ GRAPH <{added_graph}> {{ ?n <https://w3id.org/clusterkg/ns#competency> "
                     "<https://w3id.org/clusterkg/id/competency/chip-design> } }")
    report = revert_change(store, change.activity, agent="anna")
    assert (report.removed, report.added) == (7, 0)
    assert store.dump() == before
    undo = list_history(store)[-1]
    assert undo.operation == "revert" and undo.reverts == change.activity and undo.revertible
    assert list_history(store)[-2].reverted_by == undo.activity
    with pytest.raises(CannotRevert, match="already reverted"):
        revert_change(store, change.activity)
    revert_change(store, undo.activity)  # the revert is itself revertible: the need is back
    assert store.ask("ASK { <https://w3id.org/clusterkg/id/cluster/silicon-saxony> "
                     "<https://w3id.org/clusterkg/ns#needsCompetency> <https://w3id.org/clusterkg/id/competency/chip-design> }")


def test_a_replacement_is_reverted_to_the_earlier_description(store, tmp_path):
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO((SHEET_DIR / "resources.csv").read_text(encoding="utf-8"))))
    row = next(r for r in rows if r["id"] == "cta-testing-and-certification-sites")
    old_label = row["label"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writeheader()
    writer.writerow({**row, "label": "Test sites"})
    before = store.dump()
    import_files([_write(tmp_path, "resources.csv", out.getvalue())], store, replace=True, progress=False)
    change = list_history(store)[-1]
    delta = read_delta(store, change.activity)
    assert [t.object.value for t in delta.removed] == [old_label]
    assert [t.object.value for t in delta.added] == ["Test sites"]
    assert change.added == 1 and change.removed == 1
    revert_change(store, change.activity)
    assert store.dump() == before


def test_a_deletion_keeps_its_exact_triples_and_is_reverted_to_what_was(store):
    """A cascade deletion (an organisation, its affiliations and claims, the shortcuts) is
    recorded with its triples like an import, so a revert brings back exactly what went."""
    from clusterkg.graph.deletion import delete_resources

    before = store.dump()
    report = delete_resources(store, ["org/globalfoundries"], cascade=True, agent="anna")
    change = list_history(store)[-1]
    assert (change.operation, change.removed, change.revertible) == ("delete", report.removed, True)
    assert len(report.rows_removed) == 4 and len(read_delta(store, change.activity).removed) == report.removed
    assert revert_change(store, change.activity).added == report.removed
    assert store.dump() == before


def test_a_later_change_to_the_same_resource_blocks_the_revert_until_it_is_reverted(store, tmp_path):
    import_files([_write(tmp_path, "needs.csv", NEEDS)], store, progress=False)
    first = list_history(store)[-1]
    later = NEEDS.replace("chip-design", "semiconductor-foundry")  # the cluster changes again
    import_files([_write(tmp_path, "needs.csv", later)], store, progress=False)
    second = list_history(store)[-1]
    state = store.dump()
    with pytest.raises(CannotRevert, match="later changes") as refused:
        revert_change(store, first.activity)
    assert second.activity in str(refused.value)
    assert store.dump() == state
    revert_change(store, second.activity)
    revert_change(store, first.activity)  # now it can go


def test_a_revert_that_would_leave_a_referenced_resource_bare_is_refused(store, tmp_path):
    header = ",".join(SHEETS["organisations"].column_names)
    import_files([_write(tmp_path, "organisations.csv",
                         f"{header}\nnew-lab,New Lab,sme,DE,,,,https://example.org/lab,a lab\n")], store, progress=False)
    created = list_history(store)[-1]
    affiliations = ("cluster,organisation,relation,role,start,end,source_url,source_quote\n"
                    "silicon-saxony,new-lab,member,,,,https://example.org/lab,a member\n")
    import_files([_write(tmp_path, "affiliations.csv", affiliations)], store, progress=False)
    # the affiliation changed new-lab too (ckg:affiliatedWith): a later change of the same resource
    with pytest.raises(CannotRevert, match="later changes"):
        revert_change(store, created.activity)
    # an update that did not list what it changed blocks too: it may have touched anything
    store.update("INSERT DATA { <https://example.org/s> <https://example.org/p> <https://w3id.org/clusterkg/id/org/new-lab> }")
    with pytest.raises(CannotRevert):
        revert_change(store, list_history(store)[-2].activity)


def test_orphans_are_refused(store, tmp_path):
    header = ",".join(SHEETS["organisations"].column_names)
    import_files([_write(tmp_path, "organisations.csv",
                         f"{header}\nnew-lab,New Lab,sme,DE,,,,https://example.org/lab,a lab\n")], store, progress=False)
    created = list_history(store)[-1]
    # a write that records its changed resources but not its delta, pointing at new-lab from elsewhere
    store.insert_graph(__import__("rdflib").Graph().parse(data=(
        "<https://example.org/x> <https://example.org/p> <https://w3id.org/clusterkg/id/org/new-lab> ."), format="nt"))
    state = store.dump()
    with pytest.raises(CannotRevert, match="without a description") as refused:
        revert_change(store, created.activity)
    assert "https://example.org/x" in str(refused.value)
    assert store.dump() == state


def test_large_changes_and_blank_nodes_keep_no_delta(tmp_path):
    store = OxigraphStore()
    lines = [f"<https://example.org/s{i}> <http://www.w3.org/2000/01/rdf-schema#comment> \"{i}\" ."
             for i in range(MAX_DELTA_TRIPLES + 1)]
    big = _write(tmp_path, "big.nt", "\n".join(lines) + "\n")
    import_files([big], store, progress=False)
    assert not list_history(store)[-1].revertible
    blank = _write(tmp_path, "blank.nt", "_:b <http://www.w3.org/2000/01/rdf-schema#comment> \"x\" .\n")
    import_files([blank], store, progress=False)
    entry = list_history(store)[-1]
    assert not entry.revertible
    with pytest.raises(CannotRevert, match="kept no record"):
        revert_change(store, entry.activity)
    assert isinstance(ox.NamedNode(entry.activity), ox.NamedNode)
