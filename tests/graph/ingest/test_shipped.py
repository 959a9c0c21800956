"""The open data shipped in data/open/: validated bytes (the manifest), provenance on every node,
and how init loads them (bulk when the bytes match the manifest, the validated import otherwise)."""

from __future__ import annotations

import gzip

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from clusterkg.cli import cli
from clusterkg.graph.ingest.cmp import cmp_triples, read_cmp
from clusterkg.graph.ingest.shipped import digest, load_shipped, manifest, open_data_paths, write_manifest
from clusterkg.graph.problems import ValidationFailed
from clusterkg.graph.store import OxigraphStore

CKG = "https://w3id.org/clusterkg/ns#"
DCT = "http://purl.org/dc/terms/"
PROVENANCE_CLASSES = [f"{CKG}Project", f"{CKG}Participation", f"{CKG}Cluster", f"{CKG}IndustryRelatedness"]


@pytest.fixture(scope="module")
def shipped():
    store = ox.Store()
    for path in open_data_paths():
        with gzip.open(path, "rb") as handle:
            store.load(handle.read(), format=ox.RdfFormat.N_TRIPLES)
    return store


def test_every_shipped_file_is_the_validated_one():
    paths = open_data_paths()
    assert {p.name for p in paths} == {"cordis-h2020.nt.gz", "us-cluster-mapping.nt.gz"}
    recorded = manifest()
    for path in paths:
        assert recorded[path.name]["sha256"] == digest(path), f"{path.name} changed since the validated build"


def test_every_node_names_its_record_licence_and_dataset(shipped):
    for cls in PROVENANCE_CLASSES + [f"{CKG}Industry"]:
        missing = list(shipped.query(f"""
            SELECT ?n WHERE {{ ?n a <{cls}> FILTER(STRSTARTS(STR(?n), "https://w3id.org/clusterkg/id/"))
              FILTER NOT EXISTS {{ ?n <{DCT}source> ?s ; <{DCT}license> ?l ; <{DCT}isPartOf> ?d }} }}"""))
        assert missing == [], f"{cls}: {missing[:3]}"
    organisations = list(shipped.query(f"""SELECT ?n WHERE {{ ?n <{CKG}pic> ?pic
        FILTER NOT EXISTS {{ ?n <{DCT}source> ?s ; <{DCT}license> ?l ; <{DCT}isPartOf> ?d }} }}"""))
    assert organisations == []


def test_the_shipped_scope_is_the_curated_organisations_projects(shipped):
    """Every shipped project has a participant linked to a curated organisation."""
    unlinked = list(shipped.query(f"""
        SELECT ?p WHERE {{ ?p a <{CKG}Project>
          FILTER NOT EXISTS {{ ?x <{CKG}project> ?p ; <{CKG}organisation> ?o . ?c <http://www.w3.org/2002/07/owl#sameAs> ?o }} }}"""))
    assert unlinked == []


def test_files_that_match_the_manifest_are_bulk_loaded(tmp_path, open_fixtures):
    folder = tmp_path / "open"
    folder.mkdir()
    triples = cmp_triples(read_cmp(open_fixtures / "us-cluster-mapping"))
    triples.write(folder / "cmp.nt.gz")
    write_manifest(folder, {"cmp.nt.gz": len(triples)})
    with OxigraphStore(str(tmp_path / "store")) as store:
        assert load_shipped(store, folder=folder, progress=False) == {"cmp.nt.gz": "bulk"}
        assert store.ask(f"ASK {{ ?c a <{CKG}Cluster> }}")


def test_a_file_that_does_not_match_goes_through_the_validated_import(tmp_path, open_fixtures):
    folder = tmp_path / "open"
    folder.mkdir()
    triples = cmp_triples(read_cmp(open_fixtures / "us-cluster-mapping"))
    triples.write(folder / "cmp.nt.gz")  # no manifest: not validated
    with OxigraphStore(str(tmp_path / "store")) as store:
        before = store.triple_count()
        with pytest.raises(ValidationFailed, match="unknown country country/US"):
            load_shipped(store, folder=folder, progress=False)  # an empty store knows no country
        assert store.triple_count() == before


def test_init_loads_the_open_data_unless_told_not_to(tmp_path):
    path = str(tmp_path / "store")
    result = CliRunner().invoke(cli, ["--store", path, "init"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with OxigraphStore.read_only(path) as store:
        projects = len(store.select_values(f"SELECT ?p WHERE {{ ?p a <{CKG}Project> }}")[1])
        links = len(store.select_values("SELECT ?o ?r WHERE { ?o <http://www.w3.org/2002/07/owl#sameAs> ?r }")[1])
    assert projects > 1000 and links > 50
    bare = str(tmp_path / "bare")
    assert CliRunner().invoke(cli, ["--store", bare, "init", "--no-open-data"]).exit_code == 0
    with OxigraphStore.read_only(bare) as store:
        assert not store.ask(f"ASK {{ ?p a <{CKG}Project> }}")
