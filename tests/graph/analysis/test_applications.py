"""New applications of a cluster's competencies, on a planted world and on the bundled dataset.

The planted world: ``home`` (Electronics) has Sensors, Chips and Power electronics.

- Health: Sensors and Chips are applied there, ``clinic-a`` needs Sensors and ``clinic-b``
  holds Sensors — the industry where most of home's competencies are applied ranks first, and
  clinic-a (needs them, holds nothing) is the one to approach before clinic-b (holds Sensors).
- Agri-food: only Power electronics is applied there.
- Tourism: nothing is applied there, but ``hotel`` needs Chips — demand alone puts it in.
- Textiles: Looms, which home lacks — never proposed. Electronics is home's own industry.
- Manufacturing (a NACE section): Chips is applied there.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from clusterkg.cli import cli
from clusterkg.graph.analysis.applications import find_applications
from clusterkg.graph.errors import ClusterNotFound, InvalidInput

INDUSTRIES = {"electronics": "Electronics", "health": "Health", "agri": "Agri-food", "tourism": "Tourism", "textiles": "Textiles"}
WORLD = {
    "countries": [{"code": "FR", "name": "France"}],
    "industries": [{"id": i, "scheme": "eu-industrial-ecosystems", "notation": i, "label": label} for i, label in INDUSTRIES.items()]
    + [{"id": "nace-c", "scheme": "nace-sections", "notation": "C", "label": "Manufacturing"}],
    "competencies": [
        {"id": "sensors", "label": "Sensors", "industries": "electronics;health"},
        {"id": "chips", "label": "Chips", "industries": "electronics;health;nace-c"},
        {"id": "power", "label": "Power electronics", "industries": "electronics;agri"},
        {"id": "looms", "label": "Looms", "industries": "textiles"},
    ],
    "clusters": [
        {"id": "home", "name": "Home", "countries": "FR", "industries": "electronics"},
        {"id": "clinic-a", "name": "Clinic A", "countries": "FR", "industries": "health"},
        {"id": "clinic-b", "name": "Clinic B", "countries": "FR", "industries": "health"},
        {"id": "farm", "name": "Farm", "countries": "FR", "industries": "agri"},
        {"id": "hotel", "name": "Hotel", "countries": "FR", "industries": "tourism"},
        {"id": "weaver", "name": "Weaver", "countries": "FR", "industries": "textiles"},
    ],
    "organisations": [{"id": o, "name": o, "type": "sme", "country": "FR"} for o in ("o-home", "o-clinic-b", "o-weaver")],
    "affiliations": [{"cluster": c, "organisation": f"o-{c}", "relation": "member"} for c in ("home", "clinic-b", "weaver")],
    "organisation_competencies": [
        {"organisation": "o-home", "competency": "sensors"},
        {"organisation": "o-home", "competency": "chips"},
        {"organisation": "o-home", "competency": "power"},
        {"organisation": "o-clinic-b", "competency": "sensors"},
        {"organisation": "o-weaver", "competency": "looms"},
    ],
    "needs": [{"cluster": "clinic-a", "competency": "sensors"}, {"cluster": "hotel", "competency": "chips"}],
}


@pytest.fixture()
def planted(make_projection):
    return make_projection(WORLD)


def test_the_industry_where_most_competencies_are_applied_ranks_first(planted):
    result = find_applications(planted, "home")
    ids = [item.id for item in result.items]
    assert ids[0] == "health"
    assert set(ids) == {"health", "agri", "tourism", "nace-c"}  # not Electronics (own), not Textiles
    health = result.items[0]
    assert health.applied == 2 and health.needed_by == 1 and health.held_by == 1
    assert [c["id"] for c in health.competencies] == ["sensors", "chips"]  # Sensors is also needed and used there
    s = planted.competency_specificity
    sensors, chips, power = (planted.resolve_competency(k) for k in ("sensors", "chips", "power"))
    expected = (s[sensors] * (1 + 0.5 + 0.5 * 0.5) + s[chips] * 1) / (s[sensors] + s[chips] + s[power])
    assert health.score == pytest.approx(expected, abs=1e-6)


def test_demand_alone_opens_an_industry(planted):
    tourism = next(item for item in find_applications(planted, "home").items if item.id == "tourism")
    assert tourism.applied == 0 and tourism.needed_by == 1
    assert [c["id"] for c in tourism.competencies] == ["chips"]
    assert tourism.clusters[0]["id"] == "hotel" and tourism.clusters[0]["needs"] == ["Chips"]


def test_clusters_that_need_the_competencies_come_before_those_that_hold_them(planted):
    health = find_applications(planted, "home").items[0]
    assert [c["id"] for c in health.clusters] == ["clinic-a", "clinic-b"]
    assert health.clusters[0]["needs"] == ["Sensors"] and health.clusters[1]["needs"] == []
    assert health.clusters[0]["score"] > health.clusters[1]["score"]
    assert "approach Clinic A, Clinic B" in health.why


def test_scheme_filter_and_limit(planted):
    assert [item.id for item in find_applications(planted, "home", scheme="nace-sections").items] == ["nace-c"]
    assert len(find_applications(planted, "home", limit=1).items) == 1
    with pytest.raises(InvalidInput, match="unknown industry scheme"):
        find_applications(planted, "home", scheme="naics")
    with pytest.raises(InvalidInput):
        find_applications(planted, "home", limit=0)
    with pytest.raises(ClusterNotFound):
        find_applications(planted, "nowhere")


def test_a_cluster_without_competencies_gets_a_note(planted):
    result = find_applications(planted, "clinic-a")
    assert result.items == () and "no competencies" in result.note


def test_json_shape(planted):
    data = json.loads(json.dumps(find_applications(planted, "home", limit=2).to_json()))
    assert data["cluster"]["id"] == "home" and data["scheme"] is None
    assert {c["id"] for c in data["competencies"]} == {"sensors", "chips", "power"}
    assert set(data["items"][0]) == {"rank", "iri", "id", "label", "scheme", "score", "applied", "needed_by",
                                     "held_by", "competencies", "clusters", "why"}
    assert set(data["items"][0]["clusters"][0]) == {"iri", "id", "label", "score", "needs", "partner"}


# -- the bundled dataset ---------------------------------------------------------------------


def test_silicon_saxony_applications_lie_outside_its_industries(default_projection):
    p = default_projection
    me = p.resolve_cluster("Silicon Saxony")
    result = find_applications(p, "Silicon Saxony", limit=10)
    own = set(p.clusters["industries"].iat[me])
    assert len(result.items) == 10 and not {item.iri for item in result.items} & own
    mine = {c["iri"] for c in result.competencies}
    for item in result.items:
        assert item.competencies and {c["iri"] for c in item.competencies} <= mine
        assert all(c["id"] != "silicon-saxony" for c in item.clusters)
    scores = [item.score for item in result.items]
    assert scores == sorted(scores, reverse=True)
    # its chips (microcontrollers, power semiconductors) are applied in mobility
    mobility = next(item for item in result.items if item.id == "ecosystem-mobility-transport-automotive")
    assert {"microcontrollers", "power-semiconductors"} & {c["id"] for c in mobility.competencies}


def test_aerospace_valley_is_pointed_to_mobility(default_projection):
    result = find_applications(default_projection, "Aerospace Valley", limit=5, scheme="eu-industrial-ecosystems")
    assert result.items[0].id == "ecosystem-mobility-transport-automotive"
    assert "Mov'eo" in [c["label"] for c in result.items[0].clusters]


# -- command line ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_store(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("applications") / "store")
    result = CliRunner().invoke(cli, ["--store", path, "init"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture()
def run(default_store):
    def invoke(*args):
        return CliRunner().invoke(cli, ["--store", default_store, "applications", *args])

    return invoke


def test_cli_formats(run):
    data = json.loads(run("Silicon Saxony", "-n", "3", "--format", "json").output)
    assert data["cluster"]["id"] == "silicon-saxony" and len(data["items"]) == 3
    csv_output = run("Silicon Saxony", "-n", "3", "--scheme", "nace-sections", "--format", "csv").output
    lines = csv_output.strip().splitlines()
    assert lines[0] == "rank,id,label,scheme,score,competencies,clusters,why" and len(lines) == 4
    assert all(",nace-sections," in line for line in lines[1:])
    table = run("Silicon Saxony", "-n", "3")
    assert table.exit_code == 0 and "scheme" in table.output.splitlines()[0]


def test_cli_bad_input(run):
    unknown = run("Atlantis Valley")
    assert unknown.exit_code == 1 and "unknown cluster 'Atlantis Valley'" in unknown.output
    ambiguous = run("valley")
    assert ambiguous.exit_code == 1 and "is ambiguous" in ambiguous.output
    assert run("Silicon Saxony", "--scheme", "naics").exit_code == 2
