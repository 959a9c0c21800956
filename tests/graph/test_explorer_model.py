"""The explorer's view-model, on a small planted world whose right answers are known."""

from __future__ import annotations

import math

import pytest

from clusterkg.graph import explorer_model
from clusterkg.graph.errors import ClusterNotFound, InvalidInput, NotFound

MEMBERS = 12
WORLD = {
    "countries": [{"code": "DE", "name": "Germany"}, {"code": "FR", "name": "France"},
                  {"code": "PL", "name": "Poland"}],
    "industries": [{"id": "i1", "scheme": "nace-sections", "notation": "C", "label": "Manufacturing"}],
    "competencies": [
        {"id": "chips", "label": "Chips", "industries": "i1"},
        {"id": "power-chips", "label": "Power chips", "broader": "chips"},
        {"id": "optics", "label": "Optics"},
    ],
    "clusters": [
        {"id": "hub", "name": "Hub", "countries": "DE", "industries": "i1"},
        {"id": "east", "name": "East", "countries": "PL"},
        {"id": "west", "name": "West", "countries": "FR"},
        {"id": "alone", "name": "Alone", "countries": "FR"},
    ],
    # o00 holds both competencies; the others only power chips, except o11 (optics)
    "organisations": [{"id": f"o{i:02d}", "name": f"Org {i:02d}", "type": "sme", "country": "DE"}
                      for i in range(MEMBERS)] + [{"id": "far", "name": "Far away", "type": "university", "country": "FR"}],
    "affiliations": [{"cluster": "hub", "organisation": f"o{i:02d}", "relation": "member"} for i in range(MEMBERS)]
    + [{"cluster": "east", "organisation": "o00", "relation": "member"},
       {"cluster": "west", "organisation": "far", "relation": "member"}],
    "organisation_competencies": [{"organisation": f"o{i:02d}", "competency": "power-chips"} for i in range(MEMBERS - 1)]
    + [{"organisation": "o00", "competency": "optics"}, {"organisation": "o11", "competency": "optics"}],
    "needs": [{"cluster": "hub", "competency": "optics"}],
    "partnerships": [
        {"id": "p1", "name": "Hub-East alliance", "level": "cooperation_agreement", "participants": "hub;east"},
        {"id": "p2", "name": "Hub-West project", "level": "cross_cluster_project", "participants": "hub;west"},
    ],
}


@pytest.fixture()
def world(make_projection):
    return make_projection(WORLD)


def kinds(nodes):
    result = {}
    for n in nodes:
        result.setdefault(n["kind"], set()).add(n["ref"])
    return result


def test_ego_network_holds_members_their_competencies_and_partners(world):
    view = explorer_model.ego_network(world, "hub")
    assert view.focus == "cluster:hub" and view.nodes[0]["id"] == "cluster:hub"
    found = kinds(view.nodes)
    assert found["organisation"] == {f"o{i:02d}" for i in range(MEMBERS)}
    assert found["competency"] == {"power-chips", "optics"}  # held directly, not the broader "chips"
    assert found["cluster"] == {"hub", "east", "west"}
    assert "alone" not in found["cluster"] and "far" not in found["organisation"]
    relations = {(e["from"], e["to"]): e for e in view.edges}
    assert relations[("cluster:hub", "cluster:east")]["label"] == "Hub-East alliance"
    assert ("organisation:o00", "competency:optics") in relations
    assert ("organisation:o05", "competency:optics") not in relations
    assert view.more == []
    assert "CONSTRUCT" in view.sparql and "<https://w3id.org/clusterkg/id/cluster/hub>" in view.sparql


def test_ego_caps_each_relation_and_says_how_many_more(world):
    view = explorer_model.ego_network(world, "hub", limit=5)
    assert len(kinds(view.nodes)["organisation"]) == 5
    assert {"node": "cluster:hub", "relation": "members", "shown": 5, "total": MEMBERS} in view.more
    # power chips (11 holders) before optics (2): the strongest neighbour first
    competencies = [n["ref"] for n in view.nodes if n["kind"] == "competency"]
    assert competencies == ["power-chips", "optics"]


def test_expansion_pages_through_a_relation(world):
    first = explorer_model.expand(world, "cluster:hub", "members", offset=0, limit=5)
    second = explorer_model.expand(world, "cluster:hub", "members", offset=5, limit=5)
    last = explorer_model.expand(world, "cluster:hub", "members", offset=10, limit=5)
    assert (first.total, first.next_offset, first.to_json()["remaining"]) == (MEMBERS, 5, 7)
    assert (second.next_offset, second.to_json()["remaining"]) == (10, 2)
    assert (len(last.nodes), last.next_offset, last.to_json()["remaining"]) == (2, None, 0)
    ids = [n["id"] for page in (first, second, last) for n in page.nodes]
    assert len(set(ids)) == MEMBERS  # pages never overlap
    assert all(e["from"] == "cluster:hub" and e["relation"] == "members" for e in first.edges)
    assert first.source["id"] == "cluster:hub"


def test_counts_per_relation_come_first(world):
    assert explorer_model.neighbour_counts(world, "cluster:hub") == {
        "members": MEMBERS, "competencies": 2, "partners": 2, "industries": 1, "needs": 1}
    assert explorer_model.neighbour_counts(world, "organisation:o00") == {"clusters": 2, "competencies": 2}
    counts = explorer_model.neighbour_counts(world, "competency:chips")
    assert counts["narrower"] == 1 and counts["broader"] == 0 and counts["industries"] == 1
    assert explorer_model.neighbour_counts(world, "country:FR") == {"clusters": 2}
    assert explorer_model.neighbour_counts(world, "industry:i1")["clusters"] == 1


@pytest.mark.parametrize("node, relation, error", [
    ("cluster:atlantis", "members", NotFound),
    ("cluster", "members", InvalidInput),
    ("planet:earth", "members", InvalidInput),
    ("cluster:hub", "holders", InvalidInput),
    ("country:ZZ", "clusters", NotFound),
])
def test_bad_expansions_are_typed_errors(world, node, relation, error):
    with pytest.raises(error):
        explorer_model.expand(world, node, relation)


def test_limits_are_checked(world):
    with pytest.raises(InvalidInput):
        explorer_model.expand(world, "cluster:hub", "members", limit=0)
    with pytest.raises(InvalidInput):
        explorer_model.expand(world, "cluster:hub", "members", offset=-1)
    with pytest.raises(InvalidInput):
        explorer_model.ego_network(world, "hub", limit=explorer_model.MAX_LIMIT + 1)
    with pytest.raises(ClusterNotFound):
        explorer_model.ego_network(world, "atlantis")


def test_above_the_cap_members_become_one_node_per_cluster(world):
    view = explorer_model.finish(world, explorer_model.ego_network(world, "hub"), cap=8)
    assert view.aggregated and len(view.nodes) <= 8
    groups = [n for n in view.nodes if n["kind"] == "group"]
    assert [g["label"] for g in groups] == [f"{MEMBERS} organisations of Hub"]
    assert groups[0]["count"] == MEMBERS
    assert groups[0]["expand"] == {"node": "cluster:hub", "relation": "members"}
    assert "cluster:hub" in {n["id"] for n in view.nodes}  # the focus is never folded away
    ids = {n["id"] for n in view.nodes}
    assert all(e["from"] in ids and e["to"] in ids for e in view.edges)
    assert {(e["from"], e["to"]) for e in view.edges} >= {("cluster:hub", groups[0]["id"]),
                                                          (groups[0]["id"], "competency:optics")}


def test_aggregation_goes_on_until_the_view_fits(make_projection):
    # three more partner clusters in Poland: only folding clusters per country brings the view
    # (hub, 12 members, 2 competencies, 5 partners = 20 nodes) down to 6
    poles = [{"id": f"pl{i}", "name": f"Pole {i}", "countries": "PL"} for i in range(3)]
    world = make_projection({**WORLD, "clusters": WORLD["clusters"] + poles, "partnerships": WORLD["partnerships"] + [
        {"id": f"p-pl{i}", "name": f"Hub-Pole {i}", "level": "cooperation_agreement", "participants": f"hub;pl{i}"}
        for i in range(3)]})
    ego = explorer_model.ego_network(world, "hub")
    assert len(ego.nodes) == 20
    view = explorer_model.finish(world, ego, cap=6)
    assert len(view.nodes) <= 6
    labels = sorted(n["label"] for n in view.nodes)
    # organisations fold into one node, power chips under its top concept, then clusters per country
    assert labels == ["1 clusters in FR", "1 narrower competencies of Chips", "12 organisations of Hub",
                      "4 clusters in PL", "Hub", "Optics"]
    # with room for the partners, it stops after the organisations
    roomy = explorer_model.finish(world, ego, cap=9)
    assert len(roomy.nodes) == 9 and "12 organisations of Hub" in [n["label"] for n in roomy.nodes]
    assert not any(n["label"].endswith(("in PL", "of Chips")) for n in roomy.nodes)


def test_below_the_cap_nothing_is_aggregated(world):
    view = explorer_model.finish(world, explorer_model.ego_network(world, "hub"))
    assert not view.aggregated and all(n["kind"] != "group" for n in view.nodes)


def test_small_views_use_physics_and_big_ones_get_positions(world):
    small = explorer_model.finish(world, explorer_model.ego_network(world, "hub"))
    assert small.physics and all("x" not in n for n in small.nodes)
    big = explorer_model.finish(world, explorer_model.ego_network(world, "hub"), physics_threshold=5)
    assert not big.physics and big.layout == "fruchterman-reingold"
    points = [(n["x"], n["y"]) for n in big.nodes]
    assert all(math.isfinite(x) and math.isfinite(y) for x, y in points)
    assert len(set(points)) == len(points)  # no two nodes on top of each other


def test_layout_puts_linked_nodes_closer_than_unlinked_ones():
    nodes = [{"id": name} for name in "abcdef"]
    edges = [{"from": "a", "to": "b"}, {"from": "b", "to": "c"}, {"from": "a", "to": "c"},
             {"from": "d", "to": "e"}, {"from": "e", "to": "f"}, {"from": "d", "to": "f"}]
    positions, _ = explorer_model.layout_positions(nodes, edges)

    def distance(u, v):
        return math.dist(positions[u], positions[v])

    inside = max(distance("a", "b"), distance("d", "e"))
    across = min(distance(u, v) for u in "abc" for v in "def")
    assert inside < across


def test_partnership_network_links_partner_clusters(world):
    view = explorer_model.partnership_network(world)
    assert {n["ref"] for n in view.nodes} == {"hub", "east", "west"}
    labels = {(e["from"], e["to"]): e["label"] for e in view.edges}
    assert labels == {("cluster:hub", "cluster:east"): "Hub-East alliance",
                      ("cluster:hub", "cluster:west"): "Hub-West project"} or \
        {tuple(sorted(k)): v for k, v in labels.items()} == {("cluster:east", "cluster:hub"): "Hub-East alliance",
                                                           ("cluster:hub", "cluster:west"): "Hub-West project"}
    hub = next(n for n in view.nodes if n["ref"] == "hub")
    assert hub["size"] == MEMBERS and hub["country"] == "DE"


def test_partnership_network_with_shared_members(make_projection):
    # West and Alone do not partner but share a member ("far"); Hub and East partner and share o00
    world = make_projection({**WORLD, "affiliations": WORLD["affiliations"] + [
        {"cluster": "alone", "organisation": "far", "relation": "member"}]})
    plain = explorer_model.partnership_network(world)
    shared = explorer_model.partnership_network(world, shared_members=True)
    assert "cluster:alone" not in {n["id"] for n in plain.nodes}
    assert "cluster:alone" in {n["id"] for n in shared.nodes}
    extra = [e for e in shared.edges if e["relation"] == "shared_members"]
    assert [(sorted((e["from"], e["to"])), e["label"]) for e in extra] == [
        (["cluster:alone", "cluster:west"], "1 shared members")]
    # a pair that partners keeps its partnership edge, not a second one
    assert {e["id"] for e in shared.edges} - {e["id"] for e in extra} == {e["id"] for e in plain.edges}


def test_competency_map_sizes_by_holders_and_links_broader(world):
    view = explorer_model.competency_map(world)
    by_ref = {n["ref"]: n for n in view.nodes}
    assert by_ref["chips"]["size"] == 11  # everyone holding power chips holds chips
    assert by_ref["power-chips"]["size"] == 11 and by_ref["optics"]["size"] == 2
    assert {"from": "competency:power-chips", "to": "competency:chips"}.items() <= \
        next(e for e in view.edges if e["relation"] == "broader").items()
    assert ("competency:chips", "industry:i1") in {(e["from"], e["to"]) for e in view.edges}


def test_a_construct_result_becomes_a_graph_of_known_things(world):
    hub = "https://w3id.org/clusterkg/id/cluster/hub"
    o00 = "https://w3id.org/clusterkg/id/org/o00"
    thing = "https://example.org/thing"
    triples = [
        (o00, "https://w3id.org/clusterkg/ns#affiliatedWith", hub, "iri"),
        (thing, "http://www.w3.org/2000/01/rdf-schema#label", "A <b>thing</b>", "literal"),
        (thing, "https://example.org/near", hub, "iri"),
        (thing, "https://example.org/weight", "3", "literal"),
    ]
    view = explorer_model.graph_from_triples(world, triples)
    by_id = {n["id"]: n for n in view.nodes}
    assert set(by_id) == {"cluster:hub", "organisation:o00", "iri:" + thing}
    assert by_id["iri:" + thing]["label"] == "A <b>thing</b>"  # kept as text: escaping is the page's job
    assert by_id["iri:" + thing]["detail"] == {"weight": "3"}
    assert {(e["from"], e["relation"], e["to"]) for e in view.edges} == {
        ("organisation:o00", "affiliatedWith", "cluster:hub"), ("iri:" + thing, "near", "cluster:hub")}


def test_a_construct_results_names_in_other_languages_do_not_replace_the_english_one(world):
    """A thing named in English and in Russian keeps its English label whatever the triples' order
    (the page says the name in its own language)."""
    thing, label = "https://example.org/thing", "http://www.w3.org/2004/02/skos/core#prefLabel"
    for names in ([("Germany", "literal"), ("Германия", "literal@ru")], [("Германия", "literal@ru"), ("Germany", "literal")]):
        view = explorer_model.graph_from_triples(world, [(thing, label, name, kind) for name, kind in names])
        assert [n["label"] for n in view.nodes] == ["Germany"]


def test_a_select_result_links_consecutive_iri_columns(world):
    hub = {"type": "uri", "value": "https://w3id.org/clusterkg/id/cluster/hub"}
    rows = [{"org": {"type": "uri", "value": f"https://w3id.org/clusterkg/id/org/o0{i}"},
             "orgLabel": {"type": "literal", "value": "ignored for known nodes"}, "cluster": hub} for i in range(3)]
    view = explorer_model.graph_from_rows(world, ["org", "orgLabel", "cluster"], rows)
    assert len(view.nodes) == 4 and len(view.edges) == 3
    assert {e["relation"] for e in view.edges} == {"org→cluster"}
    assert next(n for n in view.nodes if n["id"] == "organisation:o00")["label"] == "Org 00"


def test_to_frame_lists_nodes_with_degree(world):
    frame = explorer_model.ego_network(world, "hub").to_frame()
    assert list(frame.columns) == ["id", "kind", "label", "country", "degree"]
    assert frame.set_index("id").loc["cluster:hub", "degree"] == MEMBERS + 2 + 2


def test_the_real_dataset_has_a_drawable_ego_network(default_projection):
    view = explorer_model.finish(default_projection, explorer_model.ego_network(default_projection, "silicon-saxony"))
    assert len(view.nodes) > 20 and view.physics
    assert {n["kind"] for n in view.nodes} >= {"cluster", "organisation", "competency"}
    big = explorer_model.finish(default_projection, explorer_model.competency_map(default_projection))
    assert len(big.nodes) >= explorer_model.PHYSICS_THRESHOLD and not big.physics and all("x" in n for n in big.nodes)


def test_neighbourhood_of_any_node_holds_its_neighbours_by_relation(world):
    view = explorer_model.neighbourhood(world, "organisation:o00")
    assert view.focus == "organisation:o00" and view.nodes[0]["id"] == "organisation:o00"
    assert kinds(view.nodes) == {"organisation": {"o00"}, "cluster": {"hub", "east"},
                                 "competency": {"power-chips", "optics"}}
    assert sorted((e["relation"], e["to"]) for e in view.edges) == [
        ("clusters", "cluster:east"), ("clusters", "cluster:hub"),
        ("competencies", "competency:optics"), ("competencies", "competency:power-chips")]
    assert "<https://w3id.org/clusterkg/id/org/o00>" in view.sparql
    capped = explorer_model.neighbourhood(world, "competency:power-chips", limit=5)
    assert len(kinds(capped.nodes)["organisation"]) == 5
    assert {"node": "competency:power-chips", "relation": "holders", "shown": 5, "total": MEMBERS - 1} in capped.more
    with pytest.raises(NotFound):
        explorer_model.neighbourhood(world, "organisation:nobody")
