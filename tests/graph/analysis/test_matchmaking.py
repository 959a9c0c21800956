"""Blitz meetings: schedule rules checked exhaustively, planted best pairs, bad input, real data, CLI."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from clusterkg.cli import cli
from clusterkg.graph.analysis.matchmaking import (SAME_CLUSTER_FACTOR, complementarity, plan_meetings,
                                                  resolve_participant)
from clusterkg.graph.errors import AmbiguousName, InvalidInput, NotFound
from clusterkg.graph.sheets import build_rows
from clusterkg.graph.store import OxigraphStore

URL = "https://example.org/test"
SKILLS = {  # organisation -> competencies; "rare-*" are held by one organisation each
    "lumen": ["optics", "rare-lasers", "rare-photonics", "rare-holography", "rare-imaging"],
    "silico": ["chips", "rare-wafers", "rare-lithography", "rare-packaging", "rare-etching"],
    "plain-one": ["common"],
    "plain-two": ["common"],
    "plain-three": ["common", "optics"],
    "plain-four": ["common", "chips"],
    "plain-five": ["common"],
}


def world(same_cluster: bool = False) -> dict:
    """Seven organisations; Lumen and Silico have much to offer each other, the rest little."""
    competencies = sorted({k for ks in SKILLS.values() for k in ks})
    affiliations = [{"cluster": "photon-valley", "organisation": "lumen", "relation": "member", "source_url": URL},
                    {"cluster": "chip-coast", "organisation": "silico", "relation": "member", "source_url": URL}]
    if same_cluster:
        affiliations.append({"cluster": "photon-valley", "organisation": "silico", "relation": "member", "source_url": URL})
    return {
        "countries": [{"code": "DE", "name": "Germany"}],
        "competencies": [{"id": k, "label": k.replace("-", " ").title()} for k in competencies],
        "clusters": [{"id": "photon-valley", "name": "Photon Valley", "countries": "DE", "source_url": URL},
                     {"id": "chip-coast", "name": "Chip Coast", "countries": "DE", "source_url": URL}],
        "organisations": [{"id": o, "name": o.replace("-", " ").title(), "type": "sme", "source_url": URL} for o in SKILLS]
                         + [{"id": "photon-valley-ev", "name": "Photon Valley e.V.", "type": "cluster_organisation", "source_url": URL}],
        "affiliations": affiliations,
        "organisation_competencies": [{"organisation": o, "competency": k, "source_url": URL} for o, ks in SKILLS.items() for k in ks],
    }


@pytest.fixture()
def orgs(make_projection):
    return make_projection(world())


def check_schedule(plan, n: int, rounds: int) -> None:
    """Nobody double-booked, no pair twice, everyone accounted for in every round."""
    assert len(plan.rounds) == rounds
    met = set()
    for r in plan.rounds:
        booked = [m.a["id"] for m in r.meetings] + [m.b["id"] for m in r.meetings]
        assert len(booked) == len(set(booked))
        assert sorted(booked + [p["id"] for p in r.sitting_out]) == sorted(p["id"] for p in plan.participants)
        for m in r.meetings:
            pair = frozenset((m.a["id"], m.b["id"]))
            assert len(pair) == 2 and pair not in met
            met.add(pair)
        assert len(r.sitting_out) >= n % 2


@pytest.mark.parametrize("n", range(2, 8))
def test_no_double_booking_and_no_repeated_pair_for_every_size_and_round_count(orgs, n):
    names = list(SKILLS)[:n]
    most = n - 1 if n % 2 == 0 else n
    for rounds in range(1, most + 1):
        check_schedule(plan_meetings(orgs, names, rounds), n, rounds)


def test_the_most_complementary_pair_meets_in_round_one(orgs):
    plan = plan_meetings(orgs, list(SKILLS), rounds=3)
    first = plan.rounds[0].meetings[0]  # meetings in a round are listed best first
    assert {first.a["id"], first.b["id"]} == {"lumen", "silico"}
    assert first.score == max(m.score for r in plan.rounds for m in r.meetings)
    assert set(first.a_offers + first.b_offers) >= {"Rare Lasers", "Rare Wafers"}
    lumen_side = first.a_offers if first.a["id"] == "lumen" else first.b_offers
    assert "Chips" not in lumen_side and "Optics" in lumen_side  # offers only what the other lacks
    assert first.why.startswith(f"{first.a['label']} offers ")


def test_complementarity_counts_what_the_other_lacks_by_specificity(orgs):
    entities = [resolve_participant(orgs, name) for name in ("lumen", "silico", "plain-one", "plain-two")]
    score = complementarity(orgs, entities)
    assert np.allclose(score, score.T) and np.all(np.diag(score) == 0)
    assert score[2, 3] == 0  # identical profiles: nothing to offer
    specificity = orgs.competency_specificity
    lumen = sum(specificity[orgs.resolve_competency(k)] for k in SKILLS["lumen"])
    silico = sum(specificity[orgs.resolve_competency(k)] for k in SKILLS["silico"])
    assert score[0, 1] == pytest.approx(np.sqrt(lumen * silico))  # they lack all of each other's
    common = specificity[orgs.resolve_competency("common")]
    assert score[0, 2] == pytest.approx(np.sqrt(lumen * common))  # plain-one offers Lumen only "common"


def test_members_of_one_cluster_are_worth_less_and_meet_later(make_projection):
    apart, together = make_projection(world()), make_projection(world(same_cluster=True))
    pair = ["lumen", "silico", "plain-three", "plain-four"]
    apart_score = complementarity(apart, [resolve_participant(apart, n) for n in pair])[0, 1]
    together_score = complementarity(together, [resolve_participant(together, n) for n in pair])[0, 1]
    assert together_score == pytest.approx(SAME_CLUSTER_FACTOR * apart_score)
    plan = plan_meetings(together, pair, rounds=1)
    assert {frozenset((m.a["id"], m.b["id"])) for m in plan.rounds[0].meetings} != {frozenset(("lumen", "silico"))}
    assert all({m.a["id"], m.b["id"]} != {"lumen", "silico"} for m in plan.rounds[0].meetings)
    late = plan_meetings(together, pair, rounds=3)
    meeting = next(m for r in late.rounds for m in r.meetings if {m.a["id"], m.b["id"]} == {"lumen", "silico"})
    assert "already together in Photon Valley" in meeting.why


def test_odd_participants_take_turns_sitting_out(orgs):
    names = ["lumen", "silico", "plain-one", "plain-two", "plain-three"]
    plan = plan_meetings(orgs, names, rounds=5)
    check_schedule(plan, 5, 5)
    sitters = [p["id"] for r in plan.rounds for p in r.sitting_out]
    assert sorted(sitters) == sorted(names)  # a full round robin: each sits out exactly once
    assert len({frozenset((m.a["id"], m.b["id"])) for r in plan.rounds for m in r.meetings}) == 10  # every pair
    totals = [sum(m.score for m in r.meetings) for r in plan.rounds]
    assert totals == sorted(totals, reverse=True)  # the most valuable rounds first
    greedy = plan_meetings(orgs, names, rounds=3)
    assert [len(r.sitting_out) for r in greedy.rounds] == [1, 1, 1]
    assert len({r.sitting_out[0]["id"] for r in greedy.rounds}) == 3  # a different one each round
    frame = plan.to_frame()
    assert (frame["why"] == "sits out this round").sum() == 5 and len(frame) == 5 * 3


def test_clusters_first_then_organisations_and_mixed_kinds(orgs):
    assert resolve_participant(orgs, "Photon Valley")[0] == "cluster"
    assert resolve_participant(orgs, "photon-valley-ev")[0] == "organisation"
    plan = plan_meetings(orgs, ["Photon Valley", "silico"], rounds=1)
    kinds = {m.a["kind"] for m in plan.rounds[0].meetings} | {m.b["kind"] for m in plan.rounds[0].meetings}
    assert kinds == {"cluster", "organisation"}


@pytest.mark.parametrize("names, rounds, error, message", [
    (["lumen"], 1, InvalidInput, "at least 2 participants"),
    (["lumen", "silico"], 0, InvalidInput, "rounds must be at least 1"),
    (["lumen", "silico"], 2, InvalidInput, "2 participants can meet in at most 1 rounds"),
    (["lumen", "silico", "plain-one"], 4, InvalidInput, "at most 3 rounds"),
    (["lumen", "Lumen"], 1, InvalidInput, "'Lumen' is listed twice"),
    (["lumen", "Nowhere Labs"], 1, NotFound, "unknown participant (cluster or organisation) 'Nowhere Labs'"),
    (["lumen", "plain"], 1, AmbiguousName, "participant name 'plain' is ambiguous"),
])
def test_bad_input_gives_a_specific_error(orgs, names, rounds, error, message):
    with pytest.raises(error) as caught:
        plan_meetings(orgs, names, rounds)
    assert message in str(caught.value)


def test_real_dataset_plan(default_projection):
    names = ["Silicon Saxony", "Medicon Valley", "Aerospace Valley", "BioRN", "Infineon", "Airbus", "Cool Silicon"]
    plan = plan_meetings(default_projection, names, rounds=3)
    check_schedule(plan, 7, 3)
    assert [len(r.sitting_out) for r in plan.rounds] == [1, 1, 1]
    assert len({p["id"] for r in plan.rounds for p in r.sitting_out}) == 3
    for r in plan.rounds:
        for m in r.meetings:
            assert m.score > 0 and " offers " in m.why
    # Infineon is a member of Cool Silicon and Silicon Saxony: they can talk any day
    first = {frozenset((m.a["label"], m.b["label"])) for m in plan.rounds[0].meetings}
    infineon = plan.participants[4]["label"]
    assert not first & {frozenset((infineon, "Cool Silicon")), frozenset((infineon, "Silicon Saxony"))}
    assert plan.to_json()["total_score"] == pytest.approx(sum(m.score for r in plan.rounds for m in r.meetings))


# -- command line ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world_store(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("matchmake") / "store"
    with OxigraphStore(path) as store:
        for sheet, rows in world().items():
            graph, problems = build_rows(sheet, rows)
            assert problems == []
            store.insert_graph(graph)
    return str(path)


def invoke(store: str, *args: str):
    return CliRunner().invoke(cli, ["--store", store, "matchmake", *args])


def test_cli_json_with_several_participants_after_one_flag(world_store):
    result = invoke(world_store, "--participants", "lumen", "silico", "plain-one", "--rounds", "3", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [p["id"] for p in data["participants"]] == ["lumen", "silico", "plain-one"]
    assert len(data["rounds"]) == 3 and all(len(r["sitting_out"]) == 1 for r in data["rounds"])
    meeting = data["rounds"][0]["meetings"][0]
    assert set(meeting) == {"a", "b", "score", "a_offers", "b_offers", "why"}
    assert {meeting["a"]["id"], meeting["b"]["id"]} == {"lumen", "silico"}


def test_cli_csv_and_table(world_store):
    csv_out = invoke(world_store, "-p", "lumen", "-p", "silico", "--rounds", "1", "--format", "csv")
    assert csv_out.exit_code == 0
    assert csv_out.output.splitlines()[0] == "round,a,b,score,why" and len(csv_out.output.strip().splitlines()) == 2
    table = invoke(world_store, "--participants", "lumen", "silico", "--rounds", "1")
    assert table.exit_code == 0 and "Lumen" in table.output and "Silico" in table.output


@pytest.mark.parametrize("args, message", [
    (["--participants", "lumen", "--rounds", "1"], "at least 2 participants"),
    (["--participants", "lumen", "silico", "--rounds", "0"], "rounds must be at least 1"),
    (["--participants", "lumen", "Nowhere Labs", "--rounds", "1"], "unknown participant"),
    (["--participants", "lumen", "plain", "--rounds", "1"], "is ambiguous"),
])
def test_cli_bad_input_exits_1(world_store, args, message):
    result = invoke(world_store, *args)
    assert result.exit_code == 1 and message in result.output


def test_cli_rounds_are_required(world_store):
    assert invoke(world_store, "--participants", "lumen", "silico").exit_code == 2
