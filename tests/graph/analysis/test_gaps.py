"""Missing competencies: a planted world whose gaps are known by construction, and the real data.

``tests/data/planted_gaps/`` (see tests/data/README.md): Home Cluster has Alpha, Beta and Common
skill; its four peers (same industry, members with the same three skills) all also have Xeno and
Yotta tech, and each one a Zeta of its own. Far Cluster (another industry) has what Home and its
project partner declare they need.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from clusterkg.cli import cli
from clusterkg.graph.analysis.gaps import find_gaps
from clusterkg.graph.analysis.templates import list_templates, load_template
from clusterkg.graph.errors import AmbiguousName, ClusterNotFound, InvalidInput, NotFound

DATA = Path(__file__).parents[2] / "data"
PLANTED = DATA / "planted_gaps"
TEMPLATE = DATA / "templates" / "planted_chain.csv"

def planted_rows() -> dict[str, list[dict[str, str]]]:
    rows = {}
    for path in sorted(PLANTED.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows[path.stem] = [{k: v for k, v in row.items() if v} for row in csv.DictReader(handle)]
    assert len(rows) == 11
    return rows


@pytest.fixture()
def world(make_projection):
    return make_projection(planted_rows())


def ids(gaps) -> list[str]:
    return [g.competency_id for g in gaps]


def spec(world, competency: str) -> float:
    return float(world.competency_specificity[world.resolve_competency(competency)])


# -- peers ----------------------------------------------------------------------------------------


def test_peers_lens_finds_exactly_the_planted_gap_first(world):
    report = find_gaps(world, "home", lens="peers")
    gaps = report.gaps["peers"]
    assert set(ids(gaps[:2])) == {"xeno-tech", "yotta-tech"}
    assert gaps[2].score < gaps[1].score
    for gap in gaps[:2]:
        assert gap.evidence["share"] == 1.0 and gap.evidence["peers_having"] == gap.evidence["peers"] == 4
        assert gap.score == pytest.approx(spec(world, gap.competency_id))
        assert "4 of 4 peer clusters have it" in gap.why
    # what Home has is never a gap; what only the unrelated Far Cluster has is not a peer gap
    assert not {"alpha-skill", "beta-skill", "common-skill", "far-skill", "needed-skill"} & set(ids(gaps))
    assert {"zeta-one", "zeta-two", "zeta-three", "zeta-four"} <= set(ids(gaps))
    assert {p["id"] for p in report.peer_clusters} == {"peer-one", "peer-two", "peer-three", "peer-four"}
    scores = [g.score for g in gaps]
    assert scores == sorted(scores, reverse=True)


def test_peers_share_threshold_and_k(world):
    only_common = find_gaps(world, "home", lens="peers", min_share=0.5)
    assert set(ids(only_common.gaps["peers"])) == {"xeno-tech", "yotta-tech"}
    one_peer = find_gaps(world, "home", lens="peers", peers_k=1)
    assert len(one_peer.peer_clusters) == 1
    assert one_peer.gaps["peers"][0].evidence["peers"] == 1


def test_a_broader_gap_held_only_through_a_narrower_one_is_not_repeated(make_projection):
    rows = planted_rows()
    # every peer now has Xeno tech only through Narrow xeno: the broader gap would repeat it
    rows["organisation_competencies"] = [
        {**row, "competency": "narrow-xeno"} if row["competency"] == "xeno-tech" else row
        for row in rows["organisation_competencies"]]
    world = make_projection(rows)
    found = ids(find_gaps(world, "home", lens="peers").gaps["peers"])
    assert "narrow-xeno" in found[:2] and "xeno-tech" not in found


# -- target ---------------------------------------------------------------------------------------


def test_target_lens_lists_required_competencies_the_cluster_lacks(world):
    template = load_template(TEMPLATE, "planted-chain")
    report = find_gaps(world, "Home Cluster", lens="target", template=template)
    gaps = report.gaps["target"]
    assert ids(gaps) == ["xeno-tech", "tera-tech", "narrow-xeno"]  # alpha-skill is covered
    assert [g.score for g in gaps] == pytest.approx(
        [1.0 * spec(world, "xeno-tech"), 0.5 * spec(world, "tera-tech"), 0.5 * spec(world, "narrow-xeno")])
    assert gaps[0].evidence["step"] == "Making" and gaps[0].evidence["template"] == "planted-chain"
    assert gaps[0].evidence["source_url"] == "https://example.org/planted-chain"
    assert "required by Planted chain, step 'Making'" in gaps[0].why
    assert report.template["required"] == 4 and report.template["covered"] == 1
    assert report.template["covered_weight_share"] == pytest.approx(1 / 3, abs=1e-6)


def test_narrower_competency_of_a_member_covers_a_required_broader_one(world):
    # Peer Three's Best Partner Institute has only Narrow xeno: Peer Three has Xeno tech
    report = find_gaps(world, "peer-three", lens="target", template=load_template(TEMPLATE, "planted-chain"))
    assert "xeno-tech" not in ids(report.gaps["target"])


def test_target_lens_needs_a_template(world):
    with pytest.raises(InvalidInput, match="the target lens needs a template.*semiconductors"):
        find_gaps(world, "home", lens="target")
    report = find_gaps(world, "home", lens="all")
    assert report.gaps["target"] == () and "no template given" in report.notes["target"]


def test_template_by_path_and_its_unknown_competencies(world):
    with pytest.raises(InvalidInput, match="several templates"):
        find_gaps(world, "home", template=TEMPLATE)
    with pytest.raises(InvalidInput, match="row 2: competency: 'microelectronics-research' is not a competency"):
        find_gaps(world, "home", template="semiconductors")  # the bundled one names real competencies


# -- demand ---------------------------------------------------------------------------------------


def test_demand_lens_lists_unmet_needs_with_who_needs_them(world):
    gaps = find_gaps(world, "home", lens="demand").gaps["demand"]
    assert ids(gaps) == ["needed-skill", "quanta-tech"]  # alpha-skill is needed but held
    declared, partner = gaps
    assert declared.evidence["declared_by_cluster"] and declared.evidence["strength"] == 1.0
    assert declared.score == pytest.approx(spec(world, "needed-skill"))
    assert "the cluster itself" in declared.why
    # needed only by a project partner (tie strength 0.5)
    assert not partner.evidence["declared_by_cluster"] and partner.evidence["strength"] == 0.5
    assert [n["id"] for n in partner.evidence["needed_by"]] == ["h2"] and partner.evidence["needed_by"][0]["tie"] == 0.5
    assert partner.score == pytest.approx(0.5 * spec(world, "quanta-tech"))
    assert "Home Partner Two" in partner.why


def test_demand_lens_notes(world):
    assert find_gaps(world, "peer-one", lens="demand").notes["demand"] == "no declared needs for this cluster"


# -- combined -------------------------------------------------------------------------------------


def test_combined_sums_the_lens_scores(world):
    report = find_gaps(world, "home", template=load_template(TEMPLATE, "planted-chain"))
    by_id = {g.competency_id: g for g in report.combined}
    xeno = by_id["xeno-tech"]
    assert xeno.evidence["lenses"] == ["target", "peers"]
    assert xeno.score == pytest.approx(sum(xeno.evidence["scores"].values()))
    assert xeno.score == pytest.approx(2 * spec(world, "xeno-tech"))
    assert report.combined[0].competency_id == "xeno-tech"
    assert by_id["quanta-tech"].evidence["lenses"] == ["peers", "demand"]
    assert len({g.competency_id for g in report.combined}) == len(report.combined)


def test_limit_applies_to_each_list(world):
    report = find_gaps(world, "home", limit=2)
    assert len(report.combined) == 2 and all(len(v) <= 2 for v in report.gaps.values())


def test_json_and_frame_shapes(world):
    report = find_gaps(world, "home", template=load_template(TEMPLATE, "planted-chain"), limit=5)
    data = json.loads(json.dumps(report.to_json()))
    assert data["cluster"] == {"iri": "https://w3id.org/clusterkg/id/cluster/home", "id": "home", "label": "Home Cluster"}
    assert data["lenses"] == ["target", "peers", "demand"] and data["combination_rule"] == "sum of lens scores"
    assert set(data["gaps"]) == {"target", "peers", "demand"}
    item = data["combined"][0]
    assert set(item) == {"competency", "lens", "score", "evidence", "why"}
    assert set(item["competency"]) == {"iri", "id", "label"} and item["lens"] == "combined"
    assert set(data["peer_clusters"][0]) == {"iri", "id", "label", "weight", "similarity", "industry_similarity", "shared_industries"}
    frame = report.to_frame()
    assert list(frame["competency_id"]) == [g["competency"]["id"] for g in data["combined"]]
    assert {"target_score", "peers_score", "demand_score", "why"} <= set(frame.columns)


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"cluster": "nowhere"}, ClusterNotFound),
    ({"cluster": "Peer"}, AmbiguousName),
    ({"cluster": "home", "lens": "sideways"}, InvalidInput),
    ({"cluster": "home", "limit": 0}, InvalidInput),
    ({"cluster": 99}, InvalidInput),
    ({"cluster": "home", "template": "no-such-template"}, NotFound),
])
def test_bad_arguments_raise_typed_errors(world, kwargs, error):
    with pytest.raises(error):
        find_gaps(world, **kwargs)


# -- the real dataset -----------------------------------------------------------------------------


def test_silicon_saxony_against_the_semiconductor_template(default_projection):
    p = default_projection
    report = find_gaps(p, "Silicon Saxony", lens="target", template="semiconductors")
    template = load_template("semiconductors")
    row = p.resolve_cluster("silicon-saxony")
    gaps = report.gaps["target"]
    assert report.template["required"] == len(template.requirements)
    assert report.template["covered"] + len(gaps) == len(template.requirements)
    assert report.template["covered"] >= len(template.requirements) / 2  # a semiconductor cluster covers most of it
    required = {r.competency: r for r in template.requirements}
    for gap in gaps:
        column = p.resolve_competency(gap.competency_id)
        assert p.cluster_competency[row, column] == 0
        assert gap.score == pytest.approx(required[gap.competency_id].weight * p.competency_specificity[column])
        assert gap.evidence["step"] == required[gap.competency_id].step and gap.evidence["source_url"].startswith("http")
    assert "semiconductor-manufacturing" not in ids(gaps)


def test_life_science_cluster_peers_are_life_science_clusters(default_projection):
    report = find_gaps(default_projection, "Medicon Valley", lens="peers")
    health = "https://w3id.org/clusterkg/id/industry/ecosystem-health"
    industries = dict(zip(default_projection.clusters["id"], default_projection.clusters["industries"]))
    assert len(report.peer_clusters) == 10 and "medicon-valley" not in {p["id"] for p in report.peer_clusters}
    assert all(health in industries[p["id"]] for p in report.peer_clusters[:5])
    row = default_projection.resolve_cluster("medicon-valley")
    assert report.gaps["peers"]
    for gap in report.gaps["peers"]:
        assert default_projection.cluster_competency[row, gap.competency_index] == 0
        assert 0.2 <= gap.evidence["share"] <= 1 and gap.evidence["peers_having"] >= 1


def test_real_data_has_no_declared_needs_so_the_demand_lens_says_so(default_projection):
    assert default_projection.cluster_needs.nnz == 0 and default_projection.org_needs.nnz == 0  # data/README.md
    report = find_gaps(default_projection, "silicon-saxony")
    assert report.gaps["demand"] == () and report.notes["demand"] == "no declared needs for this cluster"


@pytest.mark.parametrize("template", [t.id for t in list_templates()])
def test_every_bundled_template_runs_on_every_kind_of_cluster(default_projection, template):
    for cluster in ("silicon-saxony", "medicon-valley", "aerospace-valley"):
        report = find_gaps(default_projection, cluster, lens="target", template=template)
        scores = [g.score for g in report.gaps["target"]]
        assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


def test_gaps_of_every_real_cluster_are_missing_and_sorted(default_projection):
    p = default_projection
    for row in range(len(p.clusters)):
        report = find_gaps(p, row, limit=5)
        scores = [g.score for g in report.combined]
        assert scores == sorted(scores, reverse=True)
        assert all(p.cluster_competency[row, g.competency_index] == 0 for g in report.combined)
        assert np.isfinite(scores).all()


# -- the command ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted_store(tmp_path_factory):
    store = str(tmp_path_factory.mktemp("planted") / "store")
    runner = CliRunner(env={"CLUSTERKG_ENDPOINT": None, "CLUSTERKG_CACHE": None})

    def invoke(*args: str):
        return runner.invoke(cli, ["--store", store, *args], catch_exceptions=False)

    assert invoke("init", "--no-default-data").exit_code == 0
    result = invoke("import", *sorted(str(p) for p in PLANTED.glob("*.csv")))
    assert result.exit_code == 0, result.output
    return invoke


def test_cli_json(planted_store):
    result = planted_store("gaps", "Home Cluster", "--lens", "peers", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {g["competency"]["id"] for g in data["combined"][:2]} == {"xeno-tech", "yotta-tech"}


def test_cli_csv_and_table(planted_store):
    result = planted_store("gaps", "home", "--template-file", str(TEMPLATE), "--template", "planted-chain", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.output.splitlines()))
    assert rows[0]["competency_id"] == "xeno-tech" and rows[0]["lenses"] == "target; peers"
    table = planted_store("gaps", "home", "--lens", "demand", "--limit", "1")
    assert table.exit_code == 0 and "needed-skill" in table.output and "quanta-tech" not in table.output
    summary = planted_store("gaps", "home", "--template-file", str(TEMPLATE), "--template", "planted-chain").output
    assert "template Planted chain: 1 of 4 required competencies covered (33% of the weight)" in summary
    assert "peers: Peer Four, Peer One, Peer Two, Peer Three" in summary
    assert "note (demand): no declared needs" not in summary  # Home declares needs


@pytest.mark.parametrize(("args", "message"), [
    (["gaps", "nowhere"], "unknown cluster 'nowhere'"),
    (["gaps", "Peer"], "cluster name 'Peer' is ambiguous; it matches: Peer Four [peer-four]"),
    (["gaps", "home", "--template", "no-such"], "unknown template 'no-such'; did you mean: aircraft-mro"),
    (["gaps", "home", "--lens", "target"], "the target lens needs a template"),
    (["gaps", "home", "--template-file", str(TEMPLATE)], "holds several templates"),
])
def test_cli_errors_exit_1_with_a_specific_message(planted_store, args, message):
    result = planted_store(*args)
    assert result.exit_code == 1 and message in result.output, result.output


def test_cli_malformed_template_file(planted_store, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("template,template_label,step,competency,weight\nt,T,S,xeno-tech,lots\n", encoding="utf-8")
    result = planted_store("gaps", "home", "--template-file", str(path))
    assert result.exit_code == 1 and "row 2: weight: not a number: 'lots'" in result.output
