"""Brokers: a planted bridging cluster and organisation, betweenness checked against networkx, the CLI."""

import copy
import json

import networkx as nx
import pytest
from click.testing import CliRunner

from clusterkg.cli import cli
from clusterkg.graph.analysis import brokers as module
from clusterkg.graph.analysis.brokers import find_brokers
from clusterkg.graph.analysis.communities import cluster_network
from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.sheets import build_rows
from clusterkg.graph.store import OxigraphStore

URL = "https://example.org/test"


def two_groups(bridge_cluster: bool = False, bridge_organisation: bool = False) -> dict:
    """Groups a1-a4 (DE) and b1-b4 (FR), each tied inside by members it shares; maybe a bridge."""
    groups = {"a": ["a1", "a2", "a3", "a4"], "b": ["b1", "b2", "b3", "b4"]}
    clusters = [{"id": c, "name": c.upper(), "countries": "DE" if c[0] == "a" else "FR", "source_url": URL}
                for members in groups.values() for c in members]
    organisations, affiliations = [], []
    for group, members in groups.items():
        for i, c in enumerate(members):  # a ring of shared members inside the group, plus a chord
            other = members[(i + 1) % len(members)]
            organisations.append({"id": f"in-{c}", "name": f"Inner {c.upper()}", "type": "sme", "source_url": URL})
            affiliations += [{"cluster": x, "organisation": f"in-{c}", "relation": "member", "source_url": URL} for x in (c, other)]
        organisations.append({"id": f"chord-{group}", "name": f"Chord {group.upper()}", "type": "sme", "source_url": URL})
        affiliations += [{"cluster": x, "organisation": f"chord-{group}", "relation": "member", "source_url": URL}
                         for x in (members[0], members[2])]
    partnerships = []
    if bridge_cluster:
        clusters.append({"id": "hub", "name": "Hub Cluster", "countries": "BE", "source_url": URL})
        partnerships = [{"id": f"p-{c}", "name": f"Hub and {c.upper()}", "level": "cooperation_agreement",
                         "participants": f"hub;{c}", "source_url": URL} for c in ("a1", "b1")]
    if bridge_organisation:
        organisations.append({"id": "bridge", "name": "Bridge GmbH", "type": "large_enterprise", "source_url": URL})
        affiliations += [{"cluster": c, "organisation": "bridge", "relation": "member", "source_url": URL} for c in ("a3", "b3")]
    return {
        "countries": [{"code": c, "name": c} for c in ("DE", "FR", "BE")],
        "clusters": clusters, "organisations": organisations, "affiliations": affiliations,
        "partnerships": partnerships,
    }


def test_the_bridging_cluster_has_the_highest_betweenness(make_projection):
    result = find_brokers(make_projection(two_groups(bridge_cluster=True)), kind="clusters")
    assert all(b.kind == "cluster" for b in result.brokers)
    top = result.brokers[0]
    assert top.id == "hub" and top.score > result.brokers[1].score
    assert {c["id"] for c in top.clusters} == {"a1", "b1"} and top.countries == ("DE", "FR")
    assert top.why.startswith("connects A1 (DE) and B1 (FR)") or top.why.startswith("connects B1 (FR) and A1 (DE)")
    # every path between the groups runs through the hub: 4 × 4 of the 8 × 7 / 2 pairs of other clusters
    assert top.score == pytest.approx(16 / 28)


def test_the_bridging_organisation_scores_highest(make_projection):
    result = find_brokers(make_projection(two_groups(bridge_organisation=True)), kind="organisations")
    assert all(b.kind == "organisation" for b in result.brokers)
    top = result.brokers[0]
    assert top.id == "bridge" and top.type == "large_enterprise"
    assert all(top.score > 2 * other.score for other in result.brokers[1:])
    assert "the only tie between them" in top.why and "spans 2 countries" in top.why
    assert {c["id"] for c in top.clusters} == {"a3", "b3"}
    # the bridge's tie carries every path between the groups: 4 × 4 of the 8 × 7 / 2 pairs of clusters
    assert top.score == pytest.approx(16 / 28)


def test_kinds_limit_and_both(make_projection):
    p = make_projection(two_groups(bridge_cluster=True, bridge_organisation=True))
    both = find_brokers(p, kind="both", limit=2)
    kinds = [b.kind for b in both.brokers]
    assert kinds == ["cluster", "cluster", "organisation", "organisation"]
    assert [b.score for b in both.brokers[:2]] == sorted((b.score for b in both.brokers[:2]), reverse=True)
    with pytest.raises(InvalidInput, match="kind must be one of"):
        find_brokers(p, kind="people")
    with pytest.raises(InvalidInput, match="limit must be at least 1"):
        find_brokers(p, limit=0)


def test_one_pass_betweenness_equals_networkx(default_projection):
    p = copy.copy(default_projection)  # a copy starts with an empty memo: the session's projection stays untouched
    graph = cluster_network(p)
    nodes, edges, samples = module._betweenness(p, graph)
    assert samples is None
    expected = nx.betweenness_centrality(graph, weight="distance")
    assert nodes == pytest.approx(expected, abs=1e-12)
    expected_edges = {(min(a, b), max(a, b)): v for (a, b), v in nx.edge_betweenness_centrality(graph, weight="distance").items()}
    assert edges == pytest.approx(expected_edges, abs=1e-12)


def test_sampled_betweenness_equals_networkx_with_the_same_seed(default_projection, monkeypatch):
    monkeypatch.setattr(module, "EXACT_BETWEENNESS_LIMIT", 50)
    monkeypatch.setattr(module, "BETWEENNESS_SAMPLES", 40)
    p = copy.copy(default_projection)
    graph = cluster_network(p)
    nodes, _, samples = module._betweenness(p, graph)
    assert samples == 40
    # networkx draws its k sources with random.Random(seed).sample(list(G), k), as we do
    expected = nx.betweenness_centrality(graph, k=40, seed=module.BETWEENNESS_SEED, weight="distance")
    assert nodes == pytest.approx(expected, abs=1e-12)
    result = find_brokers(p, kind="clusters", limit=3)
    assert result.to_json()["betweenness"] == {"exact": False, "samples": 40, "seed": 0, "clusters": len(p.clusters)}


def test_real_dataset_brokers(default_projection):
    p = default_projection
    result = find_brokers(p, limit=100)
    clusters = [b for b in result.brokers if b.kind == "cluster"]
    organisations = [b for b in result.brokers if b.kind == "organisation"]
    assert len(clusters) >= 20 and len(organisations) >= 10
    for broker in organisations:
        assert len(p.clusters_of(p.resolve_organisation(broker.iri))) >= 2  # only multi-cluster ties bridge
        assert broker.why.startswith("connects ") and broker.score > 0
    for broker in clusters:
        assert broker.why and broker.score > 0 and len(broker.clusters) == 2
    # the one member shared by the Danish cleantech cluster and Medicon Valley is their only tie
    denmark = next(b for b in organisations if b.label == "Capital Region of Denmark")
    assert "the only tie between them" in denmark.why
    # members shared by the same two clusters (and nothing else) split that tie equally
    saxon = {b.label: b.score for b in organisations if {c["label"] for c in b.clusters} == {"Silicon Saxony", "Cool Silicon"}}
    assert len(saxon) >= 3 and len(set(saxon.values())) == 1
    assert denmark.score > max(saxon.values())  # a sole bridge outranks one of several shared members
    frame = result.to_frame()
    assert list(frame["kind"]) == [b.kind for b in result.brokers]


# -- command line ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world_store(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("brokers") / "store"
    with OxigraphStore(path) as store:
        for sheet, rows in two_groups(bridge_organisation=True).items():
            graph, problems = build_rows(sheet, rows)
            assert problems == []
            store.insert_graph(graph)
    return str(path)


def invoke(store: str, *args: str):
    return CliRunner().invoke(cli, ["--store", store, "brokers", *args])


def test_cli_json(world_store):
    result = invoke(world_store, "--kind", "organisations", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kind"] == "organisations" and data["betweenness"]["exact"] is True
    assert data["brokers"][0]["id"] == "bridge" and data["brokers"][0]["kind"] == "organisation"
    assert set(data["brokers"][0]) == {"kind", "iri", "id", "label", "score", "clusters", "countries", "industries", "type", "why"}


def test_cli_csv_and_table(world_store):
    csv_out = invoke(world_store, "--format", "csv", "--limit", "1")
    assert csv_out.exit_code == 0
    lines = csv_out.output.strip().splitlines()
    assert lines[0] == "kind,id,label,score,type,countries,industries,clusters,why" and len(lines) == 3
    table = invoke(world_store, "--kind", "clusters")
    assert table.exit_code == 0
    rows = table.output.splitlines()
    assert rows[0].split()[:4] == ["kind", "id", "label", "score"]
    assert rows[1].split()[:2] in (["cluster", "a3"], ["cluster", "b3"])  # the two ends of the bridge


@pytest.mark.parametrize("args, message", [(["--limit", "0"], "limit must be at least 1")])
def test_cli_bad_limit_is_a_user_error(world_store, args, message):
    result = invoke(world_store, *args)
    assert result.exit_code == 1 and message in result.output


def test_cli_unknown_kind_is_a_usage_error(world_store):
    assert invoke(world_store, "--kind", "people").exit_code == 2
