"""Cross-cluster recommendations on a planted world and on the bundled dataset.

The planted world (one organisation per cluster, one industry "Electronics" unless said):

- ``alpha`` has Chips and Lasers; ``bravo`` and ``bravo-two`` have Optics and Glue: each is
  exactly what Alpha lacks and lacks exactly what Alpha has (complementarity 1).
- ``charlie`` has Chips only: it has nothing Alpha lacks.
- ``delta`` (Health) has Optics: it fills a gap of Alpha and Alpha's Chips fill its gap, but
  the two share no industry and no competency — no common ground.
- ``echo`` has nothing; it partners with Alpha and with Bravo-two, so Bravo-two is two steps
  from Alpha (link prediction), Bravo is not.
- Alpha and Bravo already partner ("Alpha–Bravo agreement").
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from clusterkg.cli import cli
from clusterkg.graph.analysis import recommend as recommend_module
from clusterkg.graph.analysis.recommend import recommend_clusters
from clusterkg.graph.errors import AmbiguousName, ClusterNotFound, InvalidInput

SRC = "https://example.org/test"
HOLDINGS = {"alpha": ["chips", "lasers"], "bravo": ["optics", "glue"], "bravo-two": ["optics", "glue"],
            "charlie": ["chips"], "delta": ["optics"], "echo": []}
WORLD = {
    "countries": [{"code": "DE", "name": "Germany"}],
    "industries": [
        {"id": "electronics", "scheme": "eu-industrial-ecosystems", "notation": "E", "label": "Electronics"},
        {"id": "health", "scheme": "eu-industrial-ecosystems", "notation": "H", "label": "Health"},
    ],
    "competencies": [
        {"id": "chips", "label": "Chips", "industries": "electronics;health"},
        {"id": "lasers", "label": "Lasers", "industries": "electronics"},
        {"id": "optics", "label": "Optics", "industries": "electronics;health"},
        {"id": "glue", "label": "Glue", "industries": "electronics"},
    ],
    "clusters": [{"id": c, "name": c.replace("-", " ").title(), "countries": "DE",
                  "industries": "health" if c == "delta" else "electronics"} for c in HOLDINGS],
    "organisations": [{"id": f"org-{c}", "name": f"Org {c}", "type": "sme", "country": "DE"} for c in HOLDINGS],
    "affiliations": [{"cluster": c, "organisation": f"org-{c}", "relation": "member"} for c in HOLDINGS],
    "organisation_competencies": [{"organisation": f"org-{c}", "competency": k} for c, ks in HOLDINGS.items() for k in ks],
    "partnerships": [
        {"id": "alpha-bravo", "name": "Alpha–Bravo agreement", "level": "cooperation_agreement", "participants": "alpha;bravo"},
        {"id": "alpha-echo", "name": "Alpha–Echo pact", "level": "cooperation_agreement", "participants": "alpha;echo"},
        {"id": "echo-bravo-two", "name": "Echo–Bravo Two pact", "level": "cross_cluster_project", "participants": "echo;bravo-two"},
    ],
}


@pytest.fixture()
def planted(make_projection):
    return make_projection(WORLD)


def ids(result):
    return [item.id for item in result.items]


def test_complementary_clusters_rank_first_for_each_other(planted):
    for me, best in (("alpha", "bravo-two"), ("bravo-two", "alpha"), ("bravo", "alpha")):
        result = recommend_clusters(planted, me)
        assert ids(result)[0] == best
        top = result.items[0]
        assert top.they_cover == pytest.approx(1.0) and top.you_cover == pytest.approx(1.0)
        assert top.complementarity == pytest.approx(1.0)


def test_the_why_names_both_sides_and_the_common_industry(planted):
    top = recommend_clusters(planted, "alpha").items[0]
    assert {c["id"] for c in top.they_offer} == {"glue", "optics"}
    assert {c["id"] for c in top.you_offer} == {"chips", "lasers"}
    assert "which you lack" in top.why and "which they lack" in top.why and "both in Electronics" in top.why
    assert "1 shared partner (Echo)" in top.why


def test_link_prediction_breaks_the_tie_between_equal_complements(planted):
    result = recommend_clusters(planted, "alpha")
    by_id = {item.id: item for item in result.items}
    assert by_id["bravo-two"].complementarity == pytest.approx(by_id["bravo"].complementarity)
    assert by_id["bravo-two"].resource_allocation == pytest.approx(0.5)  # via Echo, of degree 2
    assert by_id["bravo"].resource_allocation == 0
    assert by_id["bravo-two"].score > by_id["bravo"].score
    # common ground 1 (one industry), complementarity 1, link 1 - e^-0.5, same country 0.5
    weights = recommend_module.WEIGHTS
    assert by_id["bravo-two"].score == pytest.approx(
        weights["common_ground"] + weights["complementarity"] + weights["link_prediction"] * (1 - 2.718281828459045 ** -0.5)
        + weights["proximity"] * 0.5, abs=1e-6)
    assert "same country (DE)" in by_id["bravo-two"].why


def test_existing_partnership_is_marked_and_can_be_left_out(planted):
    result = recommend_clusters(planted, "alpha")
    bravo = next(item for item in result.items if item.id == "bravo")
    assert bravo.existing_partnerships == ("Alpha–Bravo agreement",)
    assert "already partners via Alpha–Bravo agreement" in bravo.why
    assert next(item for item in result.items if item.id == "bravo-two").existing_partnerships == ()
    assert "bravo" not in ids(recommend_clusters(planted, "alpha", include_existing=False))


def test_common_ground_without_complement_ranks_below_the_complements(planted):
    # Charlie has nothing Alpha lacks: it shares Alpha's industry, so it is listed, below both complements
    result = recommend_clusters(planted, "alpha")
    order = ids(result)
    assert order.index("charlie") > max(order.index("bravo"), order.index("bravo-two"))
    charlie = result.items[order.index("charlie")]
    assert charlie.complementarity == 0 and charlie.they_offer == () and "which you lack" not in charlie.why
    assert "alpha" not in order


def test_without_common_ground_a_complement_is_left_out(planted, monkeypatch):
    assert "delta" not in ids(recommend_clusters(planted, "alpha"))
    monkeypatch.setattr(recommend_module, "MIN_COMMON_GROUND", 0.0)
    delta = next(item for item in recommend_clusters(planted, "alpha").items if item.id == "delta")
    assert delta.complementarity > 0 and delta.common_ground == 0


def test_a_cluster_without_competencies_still_gets_recommendations_with_reasons(planted):
    result = recommend_clusters(planted, "echo")
    assert result.note and "no competencies are recorded for Echo" in result.note
    # Echo's only two-step neighbour is Bravo (through Alpha): first; Alpha and Bravo Two are its partners
    assert ids(result)[0] == "bravo" and result.items[0].resource_allocation == pytest.approx(0.5)
    assert set(ids(result)) == {"bravo", "alpha", "bravo-two", "charlie"}  # Delta (Health) shares nothing
    assert all(item.why and item.complementarity == 0 for item in result.items)
    by_id = {item.id: item for item in result.items}
    assert by_id["alpha"].existing_partnerships == ("Alpha–Echo pact",)
    assert "they have Lasers and Chips which you lack" in by_id["alpha"].why
    assert "shared or related industries" in by_id["charlie"].evidence


def test_existing_partners_are_never_dropped_when_asked_for(planted):
    # with limit 1 Echo's partners rank below the limit: they follow, with their own rank
    result = recommend_clusters(planted, "echo", limit=1)
    assert ids(result)[0] == "bravo"
    assert set(ids(result)[1:]) == {"alpha", "bravo-two"} and all(item.existing_partnerships for item in result.items[1:])
    assert [item.rank for item in result.items][0] == 1 and all(item.rank > 1 for item in result.items[1:])
    assert ids(recommend_clusters(planted, "echo", limit=1, include_existing=False)) == ["bravo"]


def test_json_and_frame_shapes(planted):
    result = recommend_clusters(planted, "alpha", limit=1, include_existing=False)
    data = json.loads(json.dumps(result.to_json()))
    assert data["cluster"]["id"] == "alpha" and data["limit"] == 1 and len(data["items"]) == 1
    item = data["items"][0]
    assert set(item) == {"rank", "iri", "id", "label", "countries", "score", "complementarity", "they_cover",
                         "you_cover", "common_ground", "resource_allocation", "link_prediction",
                         "existing_partnerships", "shared_partners", "shared_members", "they_offer", "you_offer",
                         "shared_industries", "collaboration", "proximity", "related_industries", "evidence", "why"}
    assert item["collaboration"] is None and item["proximity"] == 0.5
    assert item["shared_partners"] == ["Echo"]
    frame = result.to_frame()
    assert list(frame["id"]) == ["bravo-two"] and "why" in frame.columns


def test_bad_input(planted):
    with pytest.raises(ClusterNotFound):
        recommend_clusters(planted, "zulu")
    with pytest.raises(AmbiguousName):
        recommend_clusters(planted, "ravo")
    with pytest.raises(InvalidInput):
        recommend_clusters(planted, "alpha", limit=0)


# -- the bundled dataset ---------------------------------------------------------------------


def test_silicon_saxony_gets_complementary_electronics_partners(default_projection):
    result = recommend_clusters(default_projection, "Silicon Saxony", limit=10)
    assert len(result.items) == 10
    scores = [item.score for item in result.items]
    assert scores == sorted(scores, reverse=True)
    assert "silicon-saxony" not in ids(result)
    for item in result.items:
        assert item.common_ground >= recommend_module.MIN_COMMON_GROUND or item.collaboration
        assert item.why and item.evidence
    assert sum(item.complementarity > 0 and bool(item.they_offer) and bool(item.you_offer) for item in result.items) >= 8
    # the top five are electronics/digital clusters
    assert sum(any(i["id"] in {"ecosystem-electronics", "ecosystem-digital"} for i in item.shared_industries)
               for item in result.items[:5]) >= 4


def test_aerospace_valley_partners_are_marked(default_projection):
    result = recommend_clusters(default_projection, "aerospace-valley", limit=20)
    marked = {item.id: item.existing_partnerships for item in result.items if item.existing_partnerships}
    assert "European Aerospace Cluster Partnership (EACP)" in marked["hamburg-aviation"]
    assert "European Aerospace Cluster Partnership (EACP)" in marked["skywin"]
    existing = set(default_projection.partners_of(default_projection.resolve_cluster("aerospace-valley")))
    left = recommend_clusters(default_projection, "aerospace-valley", limit=20, include_existing=False)
    assert left.items and not {default_projection.resolve_cluster(i) for i in ids(left)} & existing


def test_medicon_valley_is_pointed_to_life_science_clusters(default_projection):
    result = recommend_clusters(default_projection, "Medicon Valley", limit=5)
    health = "https://w3id.org/clusterkg/id/industry/ecosystem-health"
    assert all(health in {i["iri"] for i in item.shared_industries} for item in result.items)


# -- command line ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_store(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("recommend") / "store")
    result = CliRunner().invoke(cli, ["--store", path, "init"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture()
def run(default_store):
    def invoke(*args):
        return CliRunner().invoke(cli, ["--store", default_store, "recommend", *args])

    return invoke


def test_cli_json(run):
    result = run("Silicon Saxony", "--limit", "3", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["cluster"]["id"] == "silicon-saxony" and len(data["items"]) == 3


def test_cli_csv_and_table(run):
    csv_result = run("aerospace-valley", "-n", "4", "--exclude-existing", "--format", "csv")
    assert csv_result.exit_code == 0, csv_result.output
    lines = csv_result.output.strip().splitlines()
    assert lines[0].startswith("rank,id,label,score") and len(lines) == 5
    assert "EACP" not in csv_result.output
    table = run("aerospace-valley", "-n", "4")
    assert table.exit_code == 0 and "complementarity" in table.output.splitlines()[0]


@pytest.mark.parametrize(("args", "message"), [
    (["Atlantis Valley"], "unknown cluster 'Atlantis Valley'"),
    (["valley"], "cluster name 'valley' is ambiguous"),
])
def test_cli_bad_input_exits_1(run, args, message):
    result = run(*args)
    assert result.exit_code == 1 and message in result.output


def test_cli_limit_must_be_positive(run):
    assert run("Silicon Saxony", "--limit", "0").exit_code == 2

