"""The analytic projection: matrices and lookups built from the store."""

import io
import itertools

import numpy as np
import pytest

from clusterkg.graph import projection as projection_module
from clusterkg.graph.errors import AmbiguousName, ClusterNotFound
from clusterkg.graph.projection import ProjectionCache, build_projection, load_or_build
from clusterkg.graph.store import OxigraphStore
from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic

WORLD = {
    "countries": [{"code": "DE", "name": "Germany"}, {"code": "FR", "name": "France"}],
    "industries": [{"id": "i1", "scheme": "nace-sections", "notation": "C", "label": "Manufacturing"}],
    "competencies": [
        {"id": "chips", "label": "Chips", "industries": "i1"},
        {"id": "power-chips", "label": "Power chips", "broader": "chips"},
        {"id": "optics", "label": "Optics"},
    ],
    "clusters": [
        {"id": "alpha-valley", "name": "Alpha Valley", "countries": "DE"},
        {"id": "alpha-hills", "name": "Alpha Hills", "countries": "FR"},
    ],
    "organisations": [
        {"id": "o1", "name": "Org One", "type": "sme", "country": "DE"},
        {"id": "o2", "name": "Org Two", "type": "university", "country": "FR"},
    ],
    "affiliations": [
        {"cluster": "alpha-valley", "organisation": "o1", "relation": "member"},
        {"cluster": "alpha-hills", "organisation": "o2", "relation": "project_partner"},
        {"cluster": "alpha-hills", "organisation": "o1", "relation": "located_in_region"},
    ],
    "organisation_competencies": [
        {"organisation": "o1", "competency": "power-chips"},
        {"organisation": "o2", "competency": "optics", "level": "leading"},
    ],
    "needs": [{"cluster": "alpha-valley", "competency": "optics"}],
    "partnerships": [{"id": "p", "name": "P", "level": "meta_cluster", "participants": "alpha-valley;alpha-hills"}],
}


@pytest.fixture()
def world(make_projection):
    return make_projection(WORLD)


def test_having_a_narrower_competency_means_having_the_broader(world):
    o1 = world.resolve_organisation("o1")
    chips, power = world.resolve_competency("chips"), world.resolve_competency("power-chips")
    assert world.org_competency[o1, chips] == 0 and world.org_competency[o1, power] == 1
    assert world.org_competency_up[o1, chips] == 1


def test_tie_strength_and_cluster_profile(world):
    valley, hills = world.resolve_cluster("alpha-valley"), world.resolve_cluster("alpha-hills")
    o1, o2 = world.resolve_organisation("o1"), world.resolve_organisation("o2")
    assert world.cluster_org[valley, o1] == 1.0
    assert world.cluster_org[hills, o2] == 0.5 and world.cluster_org[hills, o1] == 0.5
    optics = world.resolve_competency("optics")
    assert world.cluster_competency[hills, optics] == 0.5
    assert world.cluster_competency[valley, optics] == 0
    assert world.cluster_needs[valley, optics] == 1


def test_level_weights_a_claim(world):
    assert world.org_competency[world.resolve_organisation("o2"), world.resolve_competency("optics")] == 1.25


def test_cluster_graph_holds_partnerships_and_shared_members(world):
    graph = world.cluster_graph()
    valley, hills = world.resolve_cluster("alpha-valley"), world.resolve_cluster("alpha-hills")
    assert graph[valley][hills]["partnerships"] == ["P"]
    assert graph[valley][hills]["shared_members"] == 1
    assert world.partners_of(valley) == {hills: ["P"]}


def test_specificity_is_inverse_document_frequency(world):
    spec = world.competency_specificity
    # 2 organisations; each competency is held by exactly one of them (chips through power chips)
    for name in ("chips", "power-chips", "optics"):
        assert spec[world.resolve_competency(name)] == pytest.approx(np.log(3 / 2) + 1)


@pytest.mark.parametrize("name", ["alpha-valley", "Alpha Valley", "alpha valley", "valley", "https://w3id.org/clusterkg/id/cluster/alpha-valley"])
def test_cluster_is_named_by_id_iri_or_part_of_its_name(world, name):
    assert world.clusters.label.iat[world.resolve_cluster(name)] == "Alpha Valley"


def test_ambiguous_and_unknown_names_list_candidates(world):
    with pytest.raises(AmbiguousName) as caught:
        world.resolve_cluster("alpha")
    assert "Alpha Hills [alpha-hills]" in str(caught.value) and "Alpha Valley [alpha-valley]" in str(caught.value)
    with pytest.raises(ClusterNotFound) as caught:
        world.resolve_cluster("Beta Valley")
    assert caught.value.candidates == ["Alpha Valley [alpha-valley]"]


def test_cache_rebuilds_after_a_write(disk_store, tmp_path):
    from clusterkg.graph.sheets import build_rows

    graph, _ = build_rows("countries", [{"code": "DE", "name": "Germany"}])
    disk_store.insert_graph(graph)
    cache = ProjectionCache(disk_store, tmp_path)
    first = cache.get()
    assert cache.get() is first
    graph, _ = build_rows("clusters", [{"id": "c", "name": "C", "countries": "DE", "source_url": "https://example.org/c"}])
    disk_store.insert_graph(graph)
    second = cache.get()
    assert second is not first and len(second.clusters) == 1
    cache.wait_saved()  # written in the background
    assert len(list(tmp_path.glob("projection-*.pickle"))) == 1
    again = load_or_build(disk_store, tmp_path)  # from the disk cache
    assert len(again.clusters) == 1 and again.version == second.version


def test_a_projection_read_while_it_is_pickled_is_pickled_again(disk_store, tmp_path, monkeypatch):
    """A request reading the projection can add attributes as the cache pickles it in another
    thread (a scipy sparse matrix sets its format flags on first use): pickle stops with
    "dictionary changed size during iteration"; the save tries again. Other errors stay errors."""
    import pickle

    import scipy.sparse as sp

    from clusterkg.graph import projection_cache

    unflagged = sp.csr_matrix((3, 3))
    assert "_has_sorted_indices" not in vars(unflagged)
    unflagged.tocoo()  # (what a reader's first use does to the matrix)
    assert "_has_sorted_indices" in vars(unflagged)
    projection = build_projection(disk_store)
    dumps, real = [], pickle.dump

    def dump(value, handle, **options):
        dumps.append(1)
        if len(dumps) == 1:
            raise RuntimeError("dictionary changed size during iteration")
        return real(value, handle, **options)

    monkeypatch.setattr(projection_cache.pickle, "dump", dump)
    projection_cache._save(projection, tmp_path, "key")
    assert len(dumps) == 2 and len(list(tmp_path.glob("projection-key-*.pickle"))) == 1
    monkeypatch.setattr(projection_cache.pickle, "dump", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("other")))
    with pytest.raises(RuntimeError, match="other"):
        projection_cache._save(projection, tmp_path, "key")


def test_a_store_in_memory_is_not_cached_on_disk(memory_store, tmp_path):
    """Two stores in memory have the same description: a file could not say whose it is."""
    ProjectionCache(memory_store, tmp_path).get()
    assert not list(tmp_path.iterdir())


def test_default_dataset_projection(default_projection):
    p = default_projection
    assert len(p.clusters) >= 40 and p.org_competency.nnz >= 300
    saxony = p.resolve_cluster("Silicon Saxony")
    assert p.members_of(saxony).size >= 10


def test_the_longest_answers_make_the_same_matrices_in_whatever_order_they_come(monkeypatch):
    """The build makes each matrix of the claims, their levels and the affiliations as soon as its
    answers are in (the clusters' competencies from the stated claims when the levels come last)."""
    buffer = io.BytesIO()
    write_synthetic(SyntheticSpec(clusters=8, organisations=200, competencies=40, seed=5), buffer)
    store = OxigraphStore()
    store.insert_ntriples(buffer.getvalue())
    built = {}
    for order in itertools.permutations(projection_module._LAST):
        monkeypatch.setattr(projection_module, "_as_they_come", lambda answers, names, order=order: iter(order))
        built[order] = build_projection(store)
    first = built[next(iter(built))]
    assert first.org_competency.nnz and first.cluster_competency.nnz and (first.org_competency.data != 1).any()  # levels weigh
    for order, p in built.items():
        for name in ("org_competency", "org_competency_up", "cluster_org", "cluster_competency"):
            x, y = getattr(p, name), getattr(first, name)
            assert x.shape == y.shape and abs(x - y).max() == 0, (order, name)
        assert p.ties.sort_values(list(p.ties.columns), ignore_index=True).equals(
            first.ties.sort_values(list(first.ties.columns), ignore_index=True)), order
