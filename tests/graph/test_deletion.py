"""``delete_resources`` (and the editor's ``remove_rows``) on rows: of a generated graph, several at once."""

from __future__ import annotations

import pytest

from clusterkg.graph.dataset import initialise
from clusterkg.graph.deletion import delete_resources
from clusterkg.graph.importer import import_files
from clusterkg.graph.store import OxigraphStore
from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic

CKG = "https://w3id.org/clusterkg/ns#"
ID = "https://w3id.org/clusterkg/id/"


def test_cascade_takes_the_rows_of_any_namespace_by_their_class(tmp_path):
    """A generated organisation's affiliations and claims (``…/synthetic/affiliation/…``, not
    the data's ``…/id/affiliation/…``) stand on it: they go with it, and the graph stays valid
    (the deletion is checked: left behind, they would have refused it)."""
    generated = tmp_path / "generated.nt"
    write_synthetic(SyntheticSpec(clusters=3, organisations=40, competencies=10), generated)
    with OxigraphStore(tmp_path / "store") as store:
        initialise(store, with_default_data=False)
        import_files([generated], store, progress=False)
        _, found = store.select_values(f"SELECT ?org (COUNT(?row) AS ?n) WHERE {{ {{ ?row <{CKG}organisation> ?org }} "
                                       f"UNION {{ ?org <{CKG}qualifiedCompetency> ?row }} }} GROUP BY ?org ORDER BY DESC(?n) ?org LIMIT 1")
        organisation = found[0][0]
        _, rows = store.select_values(f"SELECT ?row WHERE {{ {{ ?row <{CKG}organisation> <{organisation}> }} "
                                      f"UNION {{ <{organisation}> <{CKG}qualifiedCompetency> ?row }} }} ORDER BY ?row")
        assert "/synthetic/" in organisation and len(rows) >= 2
        report = delete_resources(store, [organisation], cascade=True)
        assert list(report.rows_removed) == [row for row, in rows]
        for node in [organisation, *report.rows_removed]:
            assert not store.ask(f"ASK {{ {{ <{node}> ?p ?o }} UNION {{ ?s ?p <{node}> }} }}")


@pytest.mark.parametrize("remove", ["delete_resources", "remove_rows"])
def test_two_rows_removed_together_take_the_shortcut_both_stood_behind(tmp_path, remove):
    """Globalfoundries' member and project-partner affiliations to Silicon Saxony each stand
    behind its ckg:affiliatedWith: removed together (``clusterkg delete``, or the editor's
    removal), the shortcut goes with them (each once counted the other as still standing, and
    the checks refused the change)."""
    from pathlib import Path

    from clusterkg.graph.importer import remove_rows

    partner = tmp_path / "affiliations.csv"
    partner.write_text("cluster,organisation,relation,role,start,end,source_url,source_quote\n"
                       "silicon-saxony,globalfoundries-dresden,project_partner,,,,https://example.org/p,a partner\n")
    mini = sorted((Path(__file__).parent.parent / "data" / "mini").glob("*.csv"))
    with OxigraphStore(tmp_path / "store") as store:
        initialise(store, with_default_data=False)
        import_files([*mini, partner], store, progress=False)
        organisation, cluster = f"{ID}org/globalfoundries-dresden", f"{ID}cluster/silicon-saxony"
        _, rows = store.select_values(f"SELECT ?row WHERE {{ ?row <{CKG}organisation> <{organisation}> }} ORDER BY ?row")
        assert [row.rsplit("--", 1)[-1] for row, in rows] == ["member", "project-partner"]
        before = store.triple_count()
        if remove == "delete_resources":
            delete_resources(store, [row for row, in rows])
        else:
            remove_rows(store, [row for row, in rows])
        assert not store.ask(f"ASK {{ <{organisation}> ?p <{cluster}> }}")
        assert store.triple_count() < before
