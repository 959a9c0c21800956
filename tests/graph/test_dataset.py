"""The bundled default dataset: it loads cleanly and is what the README says it is."""

import pytest

from clusterkg.graph.dataset import default_sheet_paths, initialise
from clusterkg.graph.stats import graph_stats
from clusterkg.ontology import check_queries

PREFIXES = """
PREFIX ckg: <https://w3id.org/clusterkg/ns#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


@pytest.fixture(scope="module")
def loaded():
    from clusterkg.graph.store import OxigraphStore

    store = OxigraphStore()
    initialise(store, progress=False)
    yield store
    store.close()


def test_all_sheets_are_bundled():
    names = {path.name for path in default_sheet_paths()}
    assert {"clusters.csv", "organisations.csv", "affiliations.csv", "competencies.csv", "organisation_competencies.csv",
            "partnerships.csv", "policies.csv", "industries.csv", "countries.csv"} <= names


def test_sizes_meet_the_minimums(loaded):
    counts = graph_stats(loaded)
    assert counts["clusters"] >= 40
    assert counts["countries with clusters"] >= 10
    assert counts["competencies"] >= 150
    assert counts["partnerships"] >= 15
    assert counts["cluster policies"] >= 10
    _, rows = loaded.select_values(PREFIXES + "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o ckg:affiliatedWith ?c }")
    assert int(rows[0][0]) >= 250


@pytest.mark.parametrize("code", ["RU", "BY", "KZ", "DE", "FR", "DK", "SE", "US"])
def test_clusters_in_the_countries_the_literature_studies(loaded, code):
    assert loaded.ask(PREFIXES + f"ASK {{ ?c a ckg:Cluster ; ckg:country <https://w3id.org/clusterkg/id/country/{code}> }}")


@pytest.mark.parametrize("cls", ["org:FormalOrganization", "ckg:Affiliation", "ckg:CompetencyClaim", "ckg:Partnership", "ckg:Cluster", "ckg:ClusterPolicy"])
def test_every_fact_carries_its_source(loaded, cls):
    _, rows = loaded.select_values(PREFIXES + f"SELECT (COUNT(?x) AS ?n) WHERE {{ ?x a {cls} FILTER NOT EXISTS {{ ?x dct:source ?s FILTER(isIRI(?s)) }} }}")
    assert rows[0][0] == "0"
    assert loaded.ask(PREFIXES + f"ASK {{ ?x a {cls} }}")


def test_competency_taxonomy_is_a_hierarchy_mapped_to_industries(loaded):
    _, rows = loaded.select_values(PREFIXES + "SELECT (COUNT(?c) AS ?n) WHERE { ?c a ckg:Competency ; skos:broader/skos:broader ?top }")
    assert int(rows[0][0]) > 50  # third level exists
    _, rows = loaded.select_values(PREFIXES + "SELECT (COUNT(?c) AS ?n) WHERE { ?c a ckg:Competency FILTER NOT EXISTS { ?c ckg:appliedIn ?i } }")
    assert rows[0][0] == "0"


def test_several_relation_kinds_are_modelled(loaded):
    _, rows = loaded.select_values(PREFIXES + "SELECT DISTINCT ?t WHERE { ?a ckg:affiliationType ?t }")
    assert len(rows) >= 5


def test_consistency_checks_find_nothing(loaded):
    queries = check_queries()
    assert queries
    for name, sparql in queries.items():
        _, rows = loaded.select_values(sparql)
        assert rows == [], (name, rows[:5])


def test_initialise_twice_changes_nothing(loaded):
    before = set(loaded.dump("application/n-triples").splitlines())
    initialise(loaded, progress=False)
    assert set(loaded.dump("application/n-triples").splitlines()) == before
