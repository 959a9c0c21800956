"""``delete_resources`` on a generated graph: rows of another namespace than the data's."""

from __future__ import annotations

from clusterkg.graph.dataset import initialise
from clusterkg.graph.deletion import delete_resources
from clusterkg.graph.importer import import_files
from clusterkg.graph.store import OxigraphStore
from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic

CKG = "https://w3id.org/clusterkg/ns#"


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
