"""Communities of clusters: a planted partition, the network's edge weights, the real data, the CLI."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from clusterkg.cli import cli
from clusterkg.graph.analysis import communities as module
from clusterkg.graph.analysis.communities import cluster_network, cluster_profiles, find_communities
from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.sheets import build_rows
from clusterkg.graph.store import OxigraphStore

URL = "https://example.org/test"
GROUP_A = ["a1", "a2", "a3"]  # German electronics clusters in two regions
GROUP_B = ["b1", "b2", "b3"]  # French and Italian health clusters


def planted_world() -> dict:
    """Two groups of clusters, alike and partnering inside, with nothing across; one loner."""
    clusters = [
        {"id": "a1", "name": "Alpha One", "countries": "DE", "regions": "saxony", "industries": "eco-electronics"},
        {"id": "a2", "name": "Alpha Two", "countries": "DE", "regions": "saxony", "industries": "eco-electronics"},
        {"id": "a3", "name": "Alpha Three", "countries": "DE", "regions": "bavaria", "industries": "eco-electronics"},
        {"id": "b1", "name": "Beta One", "countries": "FR", "industries": "eco-health"},
        {"id": "b2", "name": "Beta Two", "countries": "FR", "industries": "eco-health"},
        {"id": "b3", "name": "Beta Three", "countries": "IT", "industries": "eco-health"},
        {"id": "loner", "name": "Loner", "countries": "IT"},
    ]
    skills = {"a": ["chips", "sensors", "lasers"], "b": ["vaccines", "antibodies", "diagnostics"]}
    return {
        "countries": [{"code": c, "name": c} for c in ("DE", "FR", "IT")],
        "regions": [{"id": "saxony", "name": "Saxony", "country": "DE"},
                    {"id": "bavaria", "name": "Bavaria", "country": "DE"}],
        "industries": [{"id": "eco-electronics", "scheme": "eu-industrial-ecosystems", "notation": "E", "label": "Electronics"},
                       {"id": "eco-health", "scheme": "eu-industrial-ecosystems", "notation": "H", "label": "Health"}],
        "competencies": [{"id": k, "label": k.title()} for ks in skills.values() for k in ks],
        "clusters": [{**c, "source_url": URL} for c in clusters],
        "organisations": [{"id": f"o-{c}", "name": f"Org {c}", "type": "sme", "source_url": URL} for c in GROUP_A + GROUP_B],
        "affiliations": [{"cluster": c, "organisation": f"o-{c}", "relation": "member", "source_url": URL}
                         for c in GROUP_A + GROUP_B],
        "organisation_competencies": [{"organisation": f"o-{c}", "competency": k, "source_url": URL}
                                      for c in GROUP_A + GROUP_B for k in skills[c[0]]],
        "partnerships": [
            {"id": "pa", "name": "Alpha Alliance", "level": "super_regional_cluster", "participants": "a1;a2;a3", "source_url": URL},
            {"id": "pb", "name": "Beta Pact", "level": "cooperation_agreement", "participants": "b1;b2", "source_url": URL},
        ],
    }


@pytest.fixture()
def planted(make_projection):
    return make_projection(planted_world())


def ids(community) -> list[str]:
    return [c["id"] for c in community.clusters]


def test_planted_groups_are_exactly_the_communities(planted):
    result = find_communities(planted)
    assert sorted(ids(c) for c in result.communities) == [sorted(GROUP_A), sorted(GROUP_B)]
    assert [c["id"] for c in result.unassigned] == ["loner"]
    assert result.modularity > 0.3


def test_communities_are_labelled_with_their_level(planted):
    by_first = {ids(c)[0][0]: c for c in find_communities(planted).communities}
    alpha, beta = by_first["a"], by_first["b"]
    assert alpha.level == "super_regional_cluster"  # one country, two regions
    assert alpha.countries == ({"code": "DE", "count": 3},)
    assert {r["id"] for r in alpha.regions} == {"saxony", "bavaria"}
    assert [(i["label"], i["count"]) for i in alpha.industries] == [("Electronics", 3)]
    assert [p["label"] for p in alpha.partnerships] == ["Alpha Alliance"]
    assert alpha.label == "Electronics — DE" and not alpha.cross_industry
    assert "candidate super-regional cluster" in alpha.why and "Alpha Alliance" in alpha.why
    assert beta.level == "meta_cluster"  # France and Italy
    assert [c["code"] for c in beta.countries] == ["FR", "IT"]
    assert [p["label"] for p in beta.partnerships] == ["Beta Pact"]
    assert "candidate meta-cluster" in beta.why
    assert alpha.score == pytest.approx(1.0) and beta.score == pytest.approx(1.0)  # no tie leaves a group


def test_min_size_and_resolution(planted):
    assert find_communities(planted, min_size=4).communities == ()
    assert len(find_communities(planted, min_size=1).communities) == 3  # the loner alone
    with pytest.raises(InvalidInput, match="resolution must be positive"):
        find_communities(planted, resolution=0)
    with pytest.raises(InvalidInput, match="min_size"):
        find_communities(planted, min_size=0)


def test_edge_weights_of_the_network(make_projection):
    world = planted_world()
    world["organisations"].append({"id": "both", "name": "Both", "type": "sme", "source_url": URL})  # no competencies
    world["affiliations"] += [{"cluster": c, "organisation": "both", "relation": "member", "source_url": URL} for c in ("a1", "b3")]
    p = make_projection(world)
    graph = cluster_network(p)
    a1, a2, b1, b2, b3 = (p.resolve_cluster(c) for c in ("a1", "a2", "b1", "b2", "b3"))
    assert graph[a1][a2]["partnership"] == pytest.approx(0.5)  # a 3-cluster partnership: 1 / (3 - 1)
    assert graph[b1][b2]["partnership"] == pytest.approx(1.0)  # a bilateral one
    assert graph[a1][a2]["similarity"] == pytest.approx(1.0)  # same competencies, same industry
    assert graph[a1][b3]["shared_members"] == 1
    assert graph[a1][b3]["membership"] == pytest.approx(1 / np.sqrt(2 * 2))  # each has 2 members
    assert graph[a1][b3]["similarity"] == 0
    for _, _, edge in graph.edges(data=True):
        assert edge["weight"] == pytest.approx(edge["similarity"] + edge["partnership"] + edge["membership"])
        assert edge["distance"] == pytest.approx(1 / edge["weight"])


def test_similarity_graph_is_the_same_computed_in_blocks(default_projection, monkeypatch):
    profiles = cluster_profiles(default_projection)
    dense = (profiles @ profiles.T).toarray()
    np.fill_diagonal(dense, 0)
    monkeypatch.setattr(module, "_BLOCK", 7)
    blocked = module._nearest_neighbours(profiles, 5, module.MIN_SIMILARITY)
    for a in range(dense.shape[0]):
        kth = np.sort(dense[a])[-5]
        for b in np.flatnonzero(dense[a] > max(kth, module.MIN_SIMILARITY) + 1e-12):
            assert blocked[(min(a, b), max(a, b))] == pytest.approx(dense[a, b])
    assert all(value >= module.MIN_SIMILARITY for value in blocked.values())


def test_same_seed_same_communities(default_projection):
    first = find_communities(default_projection, seed=3).to_json()
    assert find_communities(default_projection, seed=3).to_json() == first


def test_real_dataset_communities(default_projection):
    p = default_projection
    result = find_communities(p)
    assert len(result.communities) >= 4 and result.modularity > 0.3
    every = [c["id"] for community in result.communities for c in community.clusters] + [c["id"] for c in result.unassigned]
    assert sorted(every) == sorted(p.clusters["id"])  # a partition of all clusters
    for community in result.communities:
        assert community.label and community.industries and community.why
        assert community.level in {"meta_cluster", "super_regional_cluster", "regional"}
    community_of = {c["label"]: community.id for community in result.communities for c in community.clusters}
    # six shared members and the same trade: the two Saxon microelectronics clusters belong together
    assert community_of["Silicon Saxony"] == community_of["Cool Silicon"]
    assert community_of["Medicon Valley"] != community_of["Silicon Saxony"]
    assert any(c.level == "meta_cluster" and c.partnerships for c in result.communities)
    frame = result.to_frame()
    assert len(frame) == len(result.communities) and list(frame["id"]) == [c.id for c in result.communities]


# -- command line ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world_store(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("communities") / "store"
    with OxigraphStore(path) as store:
        for sheet, rows in planted_world().items():
            graph, problems = build_rows(sheet, rows)
            assert problems == []
            store.insert_graph(graph)
    return str(path)


def invoke(store: str, *args: str):
    return CliRunner().invoke(cli, ["--store", store, "communities", *args])


def test_cli_json(world_store):
    result = invoke(world_store, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [sorted(c["id"] for c in community["clusters"]) for community in data["communities"]] == [GROUP_A, GROUP_B]
    assert data["communities"][0]["size"] == 3 and data["unassigned"][0]["id"] == "loner"
    assert set(data["communities"][0]) >= {"id", "label", "level", "score", "countries", "industries", "partnerships", "why"}


def test_cli_csv_and_table(world_store):
    csv_out = invoke(world_store, "--format", "csv")
    assert csv_out.exit_code == 0 and csv_out.output.splitlines()[0].startswith("id,label,level,size,score")
    assert len(csv_out.output.strip().splitlines()) == 3
    table = invoke(world_store, "--min-size", "3", "--seed", "2")
    assert table.exit_code == 0 and "super_regional_cluster" in table.output and "meta_cluster" in table.output


def test_cli_bad_resolution_is_a_user_error(world_store):
    result = invoke(world_store, "--resolution", "-1")
    assert result.exit_code == 1 and "resolution must be positive" in result.output


def test_the_network_is_built_on_the_projections_cluster_graph(default_projection):
    """One builder of the cluster graph: every shared-member and partnership tie of the network
    is the projection's, with the same figures."""
    base, network = default_projection.cluster_graph(), cluster_network(default_projection)
    for a, b, tie in base.edges(data=True):
        assert network.has_edge(a, b)
        edge = network[a][b]
        assert (edge["shared_members"], edge["membership"], edge["partnership"], edge["partnerships"]) == (
            tie["shared_members"], tie["membership"], tie["partnership"], tie["partnerships"])
    assert any(tie["partnerships"] for _, _, tie in base.edges(data=True))
    assert any(tie["shared_members"] for _, _, tie in base.edges(data=True))


def test_communities_after_a_refresh_are_those_of_a_full_build():
    """The refreshed projection patches the cluster graph; the communities found on it are the
    ones a full build gives."""
    from rdflib import URIRef

    from clusterkg.graph.dataset import initialise
    from clusterkg.graph.projection import build_projection, refresh

    with OxigraphStore() as store:
        initialise(store, progress=False)
        before = build_projection(store)
        before.cluster_graph()
        affiliation = store.select_values(
            "SELECT ?a WHERE { ?a <https://w3id.org/clusterkg/ns#cluster> ?c } ORDER BY ?a LIMIT 1")[1][0][0]
        store.update(f"DELETE WHERE {{ <{affiliation}> ?p ?o }}")
        refreshed = refresh(before, store, [str(URIRef(affiliation))])
        assert "projection.cluster_graph" in refreshed._memo  # patched, not left to be built
        assert find_communities(refreshed).to_json() == find_communities(build_projection(store)).to_json()
