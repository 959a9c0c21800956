"""``clusterkg ingest``: the connectors' facts go through the validated import, all or nothing,
and the co-participation evidence they hold is there to query."""

from __future__ import annotations

import gzip
import shutil

import pytest
from click.testing import CliRunner

from clusterkg.cli import cli
from clusterkg.graph.ingest.queries import co_participation_query
from clusterkg.graph.store import OxigraphStore

CKG = "https://w3id.org/clusterkg/ns#"
TU_DRESDEN = "https://w3id.org/clusterkg/id/org/technische-universitat-dresden"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("ingest") / "store")
    result = CliRunner().invoke(cli, ["--store", path, "init", "--no-open-data"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return path


def invoke(store_path, *args):
    return CliRunner().invoke(cli, ["--store", store_path, "ingest", *args])


def count(store_path, sparql):
    with OxigraphStore.read_only(store_path) as store:
        return len(store.select_values(sparql)[1])


@pytest.fixture(scope="module")
def ingested(store_path):
    from pathlib import Path

    data = Path(__file__).resolve().parents[2] / "data" / "open"
    first = invoke(store_path, "cordis-h2020", str(data / "cordis-bundled"))
    assert first.exit_code == 0, first.output
    second = invoke(store_path, "us-cluster-mapping", str(data / "us-cluster-mapping"))
    assert second.exit_code == 0, second.output
    return store_path


def test_projects_participations_and_clusters_are_in_the_store(ingested):
    assert count(ingested, f"SELECT ?p WHERE {{ ?p a <{CKG}Project> }}") == 2
    assert count(ingested, f"SELECT ?p WHERE {{ ?p a <{CKG}Participation> }}") == 8
    assert count(ingested, "SELECT ?c WHERE { ?c a <https://w3id.org/clusterkg/ns#Cluster> "
                           "FILTER(STRSTARTS(STR(?c), 'https://w3id.org/clusterkg/id/cluster/us-cmp-')) }") == 3


def test_a_curated_organisation_is_linked_not_merged(ingested):
    linked = count(ingested, f"SELECT ?r WHERE {{ <{TU_DRESDEN}> <http://www.w3.org/2002/07/owl#sameAs> ?r . "
                             f"?r <{CKG}pic> '999897729' }}")
    assert linked == 1
    labels = count(ingested, f"SELECT ?l WHERE {{ <{TU_DRESDEN}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}")
    assert labels == 1  # the curated node keeps its own name


def test_co_participation_is_dated_evidence(ingested):
    with OxigraphStore.read_only(ingested) as store:
        variables, rows = store.select_values(co_participation_query(TU_DRESDEN))
    pairs = [dict(zip(variables, row)) for row in rows]
    assert len(pairs) == 6  # three partners in each of two projects
    louvain = [p for p in pairs if "pic-999980664" in (str(p["a"]) + str(p["b"]))]
    assert [str(p["start"]) for p in louvain] == ["2016-01-01"]
    assert str(louvain[0]["source"]) == "https://cordis.europa.eu/project/rcn/199082/factsheet/en"


def test_bad_input_writes_nothing(ingested, tmp_path):
    from pathlib import Path

    folder = tmp_path / "cordis"
    shutil.copytree(Path(__file__).resolve().parents[2] / "data" / "open" / "cordis-bundled", folder)
    path = folder / "participations.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("193271,coordinator", "193271,boss"), encoding="utf-8")
    before = count(ingested, "SELECT * WHERE { ?s ?p ?o }")
    result = invoke(ingested, "cordis-h2020", str(folder))
    assert result.exit_code == 1
    assert "participations.csv: row 9: role: expected a role" in result.output
    assert count(ingested, "SELECT * WHERE { ?s ?p ?o }") == before


def test_output_and_review_sheet(ingested, tmp_path):
    from pathlib import Path

    data = Path(__file__).resolve().parents[2] / "data" / "open"
    out, review = tmp_path / "cordis.nt.gz", tmp_path / "review.csv"
    result = invoke(ingested, "cordis-h2020", str(data / "cordis-portal"), "-o", str(out), "--review", str(review), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output
    with gzip.open(out, "rt", encoding="utf-8") as handle:
        assert "<https://w3id.org/clusterkg/id/project/cordis-193271>" in handle.read()
    sheet = review.read_text(encoding="utf-8")
    assert "technische-universitat-dresden,Technische Universität Dresden,cordis-h2020,999897729" in sheet
