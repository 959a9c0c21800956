"""The open data shipped in data/open/: provenance on every node, the chosen scope, and init
loading it through the validated import (or not, with --no-open-data)."""

from __future__ import annotations

import gzip
import hashlib

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from clusterkg.cli import cli
from clusterkg.graph.dataset import default_sheet_paths
from clusterkg.graph.history import HISTORY_GRAPH, list_history
from clusterkg.graph.ingest.shipped import open_data_paths
from clusterkg.graph.store import OxigraphStore

CKG = "https://w3id.org/clusterkg/ns#"
DCT = "http://purl.org/dc/terms/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
PROVENANCE_CLASSES = [f"{CKG}Project", f"{CKG}Participation", f"{CKG}Cluster", f"{CKG}IndustryRelatedness", f"{CKG}Industry"]


@pytest.fixture(scope="module")
def shipped():
    store = ox.Store()
    for path in open_data_paths():
        with gzip.open(path, "rb") as handle:
            store.load(handle.read(), format=ox.RdfFormat.N_TRIPLES)
    return store


def test_the_shipped_files():
    assert {p.name for p in open_data_paths()} == {"cordis-h2020.nt.gz", "us-cluster-mapping.nt.gz"}
    assert sum(p.stat().st_size for p in open_data_paths()) < 20_000_000


def test_every_node_names_its_record_licence_and_dataset(shipped):
    for cls in PROVENANCE_CLASSES:
        missing = list(shipped.query(f"""
            SELECT ?n WHERE {{ ?n a <{cls}> FILTER NOT EXISTS {{ ?n <{DCT}source> ?s ; <{DCT}license> ?l ; <{DCT}isPartOf> ?d }} }}"""))
        assert missing == [], f"{cls}: {missing[:3]}"
    organisations = list(shipped.query(f"""SELECT ?n WHERE {{ ?n <{CKG}pic> ?pic
        FILTER NOT EXISTS {{ ?n <{DCT}source> ?s ; <{DCT}license> ?l ; <{DCT}isPartOf> ?d }} }}"""))
    assert organisations == []


def test_the_shipped_scope_is_the_curated_organisations_projects(shipped):
    """Every shipped project has a participant that a curated organisation is the same as."""
    # (MINUS: one anti-join, 0.1 s; pyoxigraph ran FILTER NOT EXISTS once per project, 39 s)
    unlinked = list(shipped.query(f"""
        SELECT ?p WHERE {{ ?p a <{CKG}Project>
          MINUS {{ ?x <{CKG}project> ?p ; <{CKG}organisation> ?o . ?c <http://www.w3.org/2002/07/owl#sameAs> ?o }} }}"""))
    assert unlinked == []
    assert len(list(shipped.query(f"SELECT ?p WHERE {{ ?p a <{CKG}Project> }}"))) > 1000


def test_init_loads_the_open_data_unless_told_not_to(tmp_path):
    path = str(tmp_path / "store")
    result = CliRunner().invoke(cli, ["--store", path, "init"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with OxigraphStore.read_only(path) as store:
        projects = len(store.select_values(f"SELECT ?p WHERE {{ ?p a <{CKG}Project> }}")[1])
        links = len(store.select_values("SELECT ?o ?r WHERE { ?o <http://www.w3.org/2002/07/owl#sameAs> ?r }")[1])
    assert projects > 1000 and links > 50
    with OxigraphStore.read_only(path) as store:
        (ontology, loaded) = list_history(store)
        assert (ontology.operation, ontology.files, loaded.operation) == ("update", ("ontology/clusterkg.ttl",), "import")
        used = dict(store.select_values(f"""SELECT ?name ?digest WHERE {{ GRAPH <{HISTORY_GRAPH}> {{
            <{loaded.activity}> <http://www.w3.org/ns/prov#used> [ <{RDFS}label> ?name ; <{CKG}sha256> ?digest ] }} }}""")[1])
    # the history names the shipped files, not the temporary copies the gzipped ones are read from
    assert set(used) == {f"data/sheets/{p.name}" for p in default_sheet_paths()} | {f"data/open/{p.name}" for p in open_data_paths()}
    for shipped_file in open_data_paths():
        with gzip.open(shipped_file, "rb") as handle:
            assert used[f"data/open/{shipped_file.name}"] == hashlib.sha256(handle.read()).hexdigest()
    bare = str(tmp_path / "bare")
    assert CliRunner().invoke(cli, ["--store", bare, "init", "--no-open-data"]).exit_code == 0
    with OxigraphStore.read_only(bare) as store:
        assert not store.ask(f"ASK {{ ?p a <{CKG}Project> }}")
