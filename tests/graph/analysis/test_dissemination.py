"""Market check (dissemination of a development) on a planted world and on the bundled dataset.

The planted world: organisation ``lab`` (a member of ``home``, Electronics) developed the
"Chip lab" with Microfluidics, for Health. Microfluidics sits under Fluidics, next to
Nanofluidics; it is applied in Health and Agri-food.

- ``farm`` (Agri-food) needs Microfluidics: the cluster of another industry to inform.
- ``medclub`` (Health) needs it too, but is of the development's own industry: left out.
- ``home`` needs it too, but is the developer's own cluster: left out.
- ``weaver`` (Textiles) holds Nanofluidics: related, a weaker reason.
- ``hotel`` (Tourism) has nothing to do with it: not listed.

Two more developments: "Old news" lists no competency (the developer's are used) and
"Orphan" comes from an organisation with no competency (an error).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from clusterkg.cli import cli
from clusterkg.graph.analysis.dissemination import disseminate, resolve_development
from clusterkg.graph.errors import AmbiguousName, InvalidInput, NotFound

CLUSTERS = {"home": "electronics", "farm": "agri", "medclub": "health", "weaver": "textiles", "hotel": "tourism"}
WORLD = {
    "countries": [{"code": "SE", "name": "Sweden"}],
    "industries": [{"id": i, "scheme": "eu-industrial-ecosystems", "notation": i, "label": i.title()}
                   for i in ("electronics", "agri", "health", "textiles", "tourism")],
    "competencies": [
        {"id": "fluidics", "label": "Fluidics"},
        {"id": "microfluidics", "label": "Microfluidics", "broader": "fluidics", "industries": "health;agri"},
        {"id": "nanofluidics", "label": "Nanofluidics", "broader": "fluidics"},
        {"id": "soldering", "label": "Soldering"},
    ],
    "clusters": [{"id": c, "name": c.title(), "countries": "SE", "industries": i} for c, i in CLUSTERS.items()],
    "organisations": [{"id": o, "name": o.title(), "type": "sme", "country": "SE"} for o in ("lab", "loom", "idle")],
    "affiliations": [
        {"cluster": "home", "organisation": "lab", "relation": "member"},
        {"cluster": "weaver", "organisation": "loom", "relation": "member"},
        {"cluster": "home", "organisation": "idle", "relation": "member"},
    ],
    "organisation_competencies": [
        {"organisation": "lab", "competency": "soldering"},
        {"organisation": "loom", "competency": "nanofluidics"},
    ],
    "needs": [{"cluster": c, "competency": "microfluidics"} for c in ("farm", "medclub", "home")],
    "developments": [
        {"id": "chip-lab", "organisation": "lab", "label": "Chip lab", "competencies": "microfluidics", "industries": "health"},
        {"id": "old-news", "organisation": "lab", "label": "Old news", "industries": "electronics"},
        {"id": "orphan", "organisation": "idle", "label": "Orphan device", "industries": "health"},
    ],
}


@pytest.fixture()
def planted(make_projection):
    return make_projection(WORLD)


def ids(result):
    return [item.id for item in result.items]


def test_the_cluster_of_another_industry_that_needs_it_comes_first(planted):
    result = disseminate(planted, "chip-lab")
    assert ids(result) == ["farm", "weaver"]
    farm, weaver = result.items
    assert farm.needs == ("Microfluidics",) and farm.applied == ("Microfluidics",)
    assert "needs Microfluidics" in farm.why and "Microfluidics is applied in Agri" in farm.why
    assert weaver.needs == () and weaver.related == ("Microfluidics",)
    assert "holds Nanofluidics" in weaver.why
    assert result.competency_source == "development" and result.excluded_clusters == 2  # home, medclub


def test_scores_follow_the_documented_formula(planted):
    farm, weaver = disseminate(planted, "chip-lab").items
    # farm: needs (1) + applied in its only industry, as specific as any (1); weaver: sibling (0.5)
    assert farm.score == pytest.approx(2.0) and weaver.score == pytest.approx(0.5)


def test_ad_hoc_competencies_leave_out_only_the_given_industry(planted):
    result = disseminate(planted, competencies=["Microfluidics"], industry="health")
    # no developer here, so home (Electronics, needs it; not applied there) is a target after farm
    assert ids(result) == ["farm", "home", "weaver"]
    assert result.items[1].score == pytest.approx(1.0)
    assert "medclub" not in ids(result) and result.development is None and result.competency_source == "given"


def test_a_development_without_competencies_uses_the_developers(planted):
    result = disseminate(planted, "Old news")
    assert result.competency_source == "developer"
    assert [c["id"] for c in result.competencies] == ["soldering"]
    # nobody needs, holds next to or applies Soldering: an honest empty answer
    assert result.items == ()


def test_a_graph_without_industries_still_answers(make_projection):
    """No industry anywhere (a graph of clusters and needs only): the need alone is the reason."""
    world = {key: value for key, value in WORLD.items() if key != "industries"}
    world["clusters"] = [{k: v for k, v in c.items() if k != "industries"} for c in WORLD["clusters"]]
    world["competencies"] = [{k: v for k, v in c.items() if k != "industries"} for c in WORLD["competencies"]]
    world["developments"] = [{k: v for k, v in d.items() if k != "industries"} for d in WORLD["developments"]]
    result = disseminate(make_projection(world), "chip-lab")
    assert ids(result)[:2] == ["farm", "medclub"] and "needs Microfluidics" in result.items[0].why


def test_a_development_without_any_competency_is_an_error(planted):
    with pytest.raises(InvalidInput, match="lists no competencies and neither does its developer"):
        disseminate(planted, "orphan")


def test_development_names(planted):
    assert planted.developments["label"].iat[resolve_development(planted, "chip")] == "Chip lab"
    assert resolve_development(planted, "https://w3id.org/clusterkg/id/development/orphan") == resolve_development(planted, "orphan")
    with pytest.raises(NotFound) as caught:
        resolve_development(planted, "warp drive")
    assert "unknown development 'warp drive'" in str(caught.value) and "Chip lab [chip-lab]" in str(caught.value)
    with pytest.raises(AmbiguousName):
        resolve_development(planted, "o")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "at least one competency"),
    ({"competencies": []}, "at least one competency"),
    ({"competencies": ["  "], "industry": "health"}, "at least one competency"),
    ({"competencies": ["microfluidics"]}, "need the industry"),
    ({"development": "chip-lab", "competencies": ["microfluidics"]}, "not both"),
    ({"competencies": ["microfluidics"], "industry": "health", "limit": 0}, "limit"),
])
def test_bad_input(planted, kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        disseminate(planted, **kwargs)


def test_unknown_competency_or_industry(planted):
    with pytest.raises(NotFound, match="unknown competency"):
        disseminate(planted, competencies=["teleportation"], industry="health")
    with pytest.raises(NotFound, match="unknown industry"):
        disseminate(planted, competencies=["microfluidics"], industry="space")


def test_json_shape(planted):
    data = json.loads(json.dumps(disseminate(planted, "chip-lab").to_json()))
    assert data["development"]["id"] == "chip-lab" and data["development"]["organisation"]["id"] == "lab"
    assert [i["id"] for i in data["industries"]] == ["health"]
    assert set(data["items"][0]) == {"rank", "iri", "id", "label", "countries", "industries", "score", "needs",
                                     "related", "applied", "why"}


# -- the bundled dataset ---------------------------------------------------------------------


@pytest.mark.parametrize("row", range(7))
def test_every_real_development_reaches_only_other_industries(default_projection, row):
    p = default_projection
    development = p.developments.iloc[row]
    result = disseminate(p, development["iri"])
    assert result.competency_source == "developer"  # none of the seven lists a competency
    own = set(p.clusters_of(int(development["organisation"])))
    fine = {i for i in development["industries"] if not i.rsplit("/", 1)[1].startswith("nace-")}
    for item in result.items:
        cluster = p.resolve_cluster(item.id)
        assert cluster not in own
        assert not fine & set(p.clusters["industries"].iat[cluster])
        assert "the development lists none" in item.why


def test_carbon_nanotubes_go_to_clusters_working_with_nanomaterials(default_projection):
    result = disseminate(default_projection, "carbon nanotubes", limit=5)
    assert [c["id"] for c in result.competencies] == ["carbon-nanotubes"]
    assert len(result.items) == 5 and result.items[0].related == ("Carbon nanotubes",)
    assert "holds Nanomaterials" in result.items[0].why
    assert sum(bool(item.related) for item in result.items) >= 3


def test_energy_autarkic_sensors_go_to_mobility(default_projection):
    result = disseminate(default_projection, "coolmaintenance", limit=3)
    assert "cool-silicon" not in ids(result) and "hamburg-aviation" not in ids(result)  # Airbus's own clusters
    assert {"moveo", "calstart"} <= set(ids(result))


# -- command line ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_store(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("disseminate") / "store")
    result = CliRunner().invoke(cli, ["--store", path, "init"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture()
def run(default_store):
    def invoke(*args):
        return CliRunner().invoke(cli, ["--store", default_store, "disseminate", *args])

    return invoke


def test_cli_development_json(run):
    result = run("ocsial-single-walled-carbon-nanotubes", "--format", "json", "-n", "2")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["development"]["organisation"]["id"] == "ocsial" and len(data["items"]) == 2


def test_cli_competencies_csv_and_table(run):
    result = run("--competency", "carbon-nanotubes", "--competency", "Nanomaterials", "--industry", "ecosystem-energy-intensive",
                 "--format", "csv", "-n", "3")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "rank,id,label,score,industries,needs,related,applied,why" and len(lines) == 4
    table = run("dream chaser")
    assert table.exit_code == 0 and "why" in table.output.splitlines()[0]


@pytest.mark.parametrize(("args", "message"), [
    (["warp drive"], "unknown development 'warp drive'; did you mean"),
    ([], "give a DEVELOPMENT"),
    (["--competency", "", "--industry", "nace-c"], "at least one competency"),
    (["--competency", "carbon-nanotubes"], "need the industry"),
    (["--competency", "teleportation", "--industry", "nace-c"], "unknown competency 'teleportation'"),
])
def test_cli_bad_input_exits_1(run, args, message):
    result = run(*args)
    assert result.exit_code == 1 and message in result.output
