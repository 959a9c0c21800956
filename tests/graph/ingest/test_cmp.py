"""The US Cluster Mapping connector: organisations as clusters of their categories, category
relatedness as industry relatedness."""

from __future__ import annotations

import shutil

import pyoxigraph as ox
import pytest

from clusterkg.graph.ingest.cmp import cluster_iri, cmp_triples, read_cmp
from clusterkg.graph.ingest.mappings import category_iri
from clusterkg.graph.problems import ValidationFailed
from clusterkg.ontology.namespace import CKG, DCT, SKOS


@pytest.fixture()
def data(open_fixtures):
    return read_cmp(open_fixtures / "us-cluster-mapping")


def _store(data):
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in cmp_triples(data))
    return store


def test_organisations_are_clusters_of_their_categories(data):
    assert data.organisations["332"] == "Space Florida"
    assert data.categories_of["332"] == {"1"}  # Aerospace Vehicles and Defense
    store = _store(data)
    industries = {q.object.value for q in store.quads_for_pattern(ox.NamedNode(str(cluster_iri("332"))),
                                                                   ox.NamedNode(str(CKG.industry)), None)}
    assert industries == {str(category_iri("1"))}
    assert list(store.quads_for_pattern(ox.NamedNode(str(cluster_iri("332"))), ox.NamedNode(str(DCT.license)), None))


def test_a_local_category_is_kept_by_name(data):
    assert "Local Commercial Services" in data.categories
    assert str(category_iri("Local Commercial Services")).endswith("/industry/us-cmp-local-commercial-services")


def test_each_pair_once_and_only_published_pairs_are_related(data):
    pairs = {(p.a, p.b): p for p in data.relatedness}
    assert set(pairs) == {("1", "6"), ("6", "10"), ("6", "29")}  # no self pairs, each unordered pair once
    assert not pairs[("1", "6")].published and pairs[("6", "10")].published
    store = _store(data)
    related = {(q.subject.value, q.object.value) for q in store.quads_for_pattern(None, ox.NamedNode(str(SKOS.related)), None)}
    assert (str(category_iri("6")), str(category_iri("10"))) in related
    assert (str(category_iri("1")), str(category_iri("6"))) not in related


def test_a_missing_file_is_named(tmp_path, open_fixtures):
    shutil.copy(open_fixtures / "us-cluster-mapping" / "relatedClusters.json", tmp_path)
    with pytest.raises(ValidationFailed, match="CurrentOrganizationsAndClusters.csv: file not found"):
        read_cmp(tmp_path)


def test_a_bad_row_is_located(tmp_path, open_fixtures):
    shutil.copytree(open_fixtures / "us-cluster-mapping", tmp_path / "cmp")
    path = tmp_path / "cmp" / "CurrentOrganizationsAndClusters.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = "x" + lines[3]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="CurrentOrganizationsAndClusters.csv: row 4: org_id: expected a number"):
        read_cmp(tmp_path / "cmp")
