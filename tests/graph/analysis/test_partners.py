"""Partner search on the planted world (tests/data/planted_gaps/) and on the real data.

Planted facts used here: Home Cluster (DE) lacks Xeno and Yotta tech. Best Partner Institute
(research institute, Peer Three, FR) is the only clustered organisation with both (Xeno through
Narrow xeno) and offers a test bed for it; every other peer organisation has one of them. Peer Two
(DE) partners with Home ("Home–Peer Two agreement"); Peer Four (AT) shares a member with it; Peer
One's organisations are in Bavaria. Far Cluster (US, another industry) has Quanta tech and the
Needed skill; so does Peer Four Beta (Quanta). Loner Lab (DE) has both gap competencies directly
but no cluster: a candidate all the same, marked as outside any cluster.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from clusterkg.cli import cli
from clusterkg.graph.analysis.gaps import find_gaps
from clusterkg.graph.analysis import partners as partners_module
from clusterkg.graph.analysis.partners import PartnerFilters, PartnerPreferences, search_partners
from clusterkg.graph.errors import AmbiguousName, ClusterNotFound, InvalidInput, NotFound

DATA = Path(__file__).parents[2] / "data"
PLANTED = DATA / "planted_gaps"
GAP = ["xeno-tech", "yotta-tech"]

def planted_rows() -> dict[str, list[dict[str, str]]]:
    rows = {}
    for path in sorted(PLANTED.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows[path.stem] = [{k: v for k, v in row.items() if v} for row in csv.DictReader(handle)]
    return rows


@pytest.fixture()
def world(make_projection):
    return make_projection(planted_rows())


def org_ids(search) -> list[str]:
    return [p.organisation["id"] for p in search.partners]


def test_direct_holders_first_then_the_one_covering_through_a_narrower_competency(world):
    search = search_partners(world, "home", competencies=GAP)
    loner, best = search.partners[:2]
    # Loner Lab holds both directly: full credit; it belongs to no cluster and says so
    assert loner.organisation["id"] == "loner" and loner.coverage == 1.0 and loner.score == 1.0
    assert loner.outside_clusters and loner.clusters == () and "outside any cluster" in loner.why
    # Best Partner Institute covers all of the gap too, Xeno only through Narrow xeno: less credit
    assert best.organisation["id"] == "best" and best.coverage == 1.0 and not best.outside_clusters
    weights = {c["id"]: c["weight"] for c in search.gap["competencies"]}
    expected = (partners_module.NARROWER_CREDIT * weights["xeno-tech"] + weights["yotta-tech"]) / sum(weights.values())
    assert best.score == pytest.approx(expected, abs=1e-6) and best.score < 1.0
    assert [c["competency"]["id"] for c in best.covers] == GAP
    xeno = best.covers[0]
    assert [v["id"] for v in xeno["via"]] == ["narrow-xeno"] and not xeno["direct"]  # through its narrower competency
    assert best.covers[1]["direct"]
    assert "covers Xeno tech (via Narrow xeno), Yotta tech; Peer Three (FR)" in best.why
    # the smallest covering set takes one of them: equal gain, the higher score
    assert [c["organisation"]["id"] for c in search.cover.partners] == ["loner"]
    assert search.cover.covered_share == 1.0 and search.cover.uncovered == ()
    assert loner.in_cover and not any(p.in_cover for p in search.partners[1:])
    # the half-covering direct holders: every one below the two full ones
    assert all(p.coverage == 0.5 for p in search.partners[2:])


def test_organisations_of_other_clusters_and_of_none_are_candidates(world):
    search = search_partners(world, "home", competencies=GAP)
    found = set(org_ids(search))
    assert found == {"best", "p1a", "p1b", "p2a", "p2b", "p4a", "p4b", "loner"}
    assert not found & {"h1", "h2", "shared-org"}  # tied to Home
    assert search.candidates == 8
    assert [p.organisation["id"] for p in search.partners if p.outside_clusters] == ["loner"]
    assert all(len(p.covers) >= 1 for p in search.partners)


def test_existing_ties_are_explained_and_preferred(world):
    search = search_partners(world, "home", competencies=GAP)
    by_id = {p.organisation["id"]: p for p in search.partners}
    p2a = by_id["p2a"]
    assert p2a.ties[0]["partnerships"] == ["Home–Peer Two agreement"]
    assert "Peer Two already partners via Home–Peer Two agreement" in p2a.why
    assert p2a.score == pytest.approx(0.5 * 1.25)  # half the gap, partnering bonus 0.25
    p4b = by_id["p4b"]
    assert p4b.ties[0]["shared_members"] == 1 and "Peer Four shares 1 member(s) with this cluster" in p4b.why
    assert by_id["p1a"].score == pytest.approx(0.5) and by_id["p1a"].ties == ()
    neutral = search_partners(world, "home", competencies=GAP, preferences=PartnerPreferences(prefer_partnering_clusters=0))
    assert {p.score for p in neutral.partners[2:]} == {0.5}


def test_domestic_filter_and_preference(world):
    search = search_partners(world, "home", competencies=GAP, filters=PartnerFilters(domestic=True))
    assert set(org_ids(search)) == {"p1a", "p1b", "p2a", "p2b", "loner"}
    assert all(p.organisation["country"] == "DE" and p.domestic for p in search.partners)
    assert len(search.cover.partners) == 1 and search.cover.covered_share == 1.0
    preferred = search_partners(world, "home", competencies=GAP, preferences=PartnerPreferences(prefer_domestic=0.5),
                                filters=PartnerFilters(exclude_clusters=("peer-three",)))
    # half coverage with both bonuses (0.5 × 1.75) ranks above half coverage with one, then none
    assert org_ids(preferred) == ["loner", "p2a", "p2b", "p1a", "p1b", "p4a", "p4b"]
    strongly = search_partners(world, "home", competencies=GAP, preferences=PartnerPreferences(prefer_domestic=1.0))
    assert strongly.partners[0].organisation["id"] == "loner" and strongly.partners[0].score == pytest.approx(2.0)
    assert strongly.partners[1].organisation["id"] == "p2a" and strongly.partners[1].score == pytest.approx(0.5 * 2.25)


@pytest.mark.parametrize(("filters", "expected"), [
    (PartnerFilters(countries=("FR",)), {"best"}),
    (PartnerFilters(countries=("at", "FR")), {"best", "p4a", "p4b"}),
    (PartnerFilters(regions=("bavaria",)), {"p1a", "p1b"}),
    (PartnerFilters(org_types=("sme",)), {"p1a", "p1b", "p2a", "p4a", "p4b", "loner"}),
    (PartnerFilters(org_types=("university", "research_institute")), {"p2b", "best"}),
    (PartnerFilters(exclude_clusters=("Peer Three", "peer-one")), {"p2a", "p2b", "p4a", "p4b", "loner"}),
    (PartnerFilters(industries=("planted-services",)), set()),
])
def test_filters_remove_the_right_organisations(world, filters, expected):
    assert set(org_ids(search_partners(world, "home", competencies=GAP, filters=filters))) == expected


def test_industry_filter_uses_the_industries_of_the_organisations_clusters(world):
    quanta = ["Quanta"]  # by part of its label
    assert set(org_ids(search_partners(world, "home", competencies=quanta))) == {"f1", "p4b"}
    services = search_partners(world, "home", competencies=quanta, filters=PartnerFilters(industries=("planted-services",)))
    assert org_ids(services) == ["f1"]
    making = search_partners(world, "home", competencies=quanta, filters=PartnerFilters(industries=("Manufacturing",)))
    assert org_ids(making) == ["p4b"]


def test_shareable_resources_matching_the_gap(world):
    search = search_partners(world, "home", competencies=["xeno-tech"])
    assert [r.resource["label"] for r in search.resources] == ["Xeno test bed"]  # not Home's own lab
    match = search.resources[0]
    assert match.organisation["id"] == "best" and [c["id"] for c in match.covers] == ["xeno-tech"]
    assert match.score == 1.0 and match.why == "test bed of Best Partner Institute (Peer Three) for Xeno tech"
    assert search_partners(world, "home", competencies=["yotta-tech"]).resources == ()
    filtered = search_partners(world, "home", competencies=["xeno-tech"], filters=PartnerFilters(domestic=True))
    assert filtered.resources == ()


def test_gap_driven_search_uses_the_gap_scores(world):
    search = search_partners(world, "home", lens="peers")
    report = find_gaps(world, "home", lens="peers")
    assert [c["id"] for c in search.gap["competencies"]] == [g.competency_id for g in report.combined]
    assert [c["weight"] for c in search.gap["competencies"]] == pytest.approx([g.score for g in report.combined], abs=1e-6)
    # Best covers the most gap weight, part of it only through a narrower competency, so it is not first
    assert max(search.partners, key=lambda p: p.coverage).organisation["id"] == "best"
    assert search.partners[0].organisation["id"] != "best"
    assert search.cover.covered_share == 1.0
    demand = search_partners(world, "home", lens="demand")
    assert org_ids(demand)[0] == "f1" and demand.partners[0].coverage == 1.0
    assert [c["organisation"]["id"] for c in demand.cover.partners] == ["f1"]


def test_gaps_found_before_are_reused(world):
    report = find_gaps(world, "home", lens="peers", limit=3)
    search = search_partners(world, "home", gaps=report)
    assert [c["id"] for c in search.gap["competencies"]] == [g.competency_id for g in report.combined]
    assert search.gap["lens"] == "peers"
    assert org_ids(search) == org_ids(search_partners(world, "home", lens="peers", gap_limit=3))
    with pytest.raises(InvalidInput, match="the gaps given are those of Home Cluster, not of Peer One"):
        search_partners(world, "peer-one", gaps=report)


def test_cover_reports_what_nobody_has(world):
    search = search_partners(world, "home", competencies=["xeno-tech", "tera-tech"])
    assert [c["id"] for c in search.cover.uncovered] == ["tera-tech"]
    weights = {c["id"]: c["weight"] for c in search.gap["competencies"]}
    assert search.cover.covered_share == pytest.approx(weights["xeno-tech"] / sum(weights.values()), abs=1e-6)


def test_nothing_missing_means_nothing_to_search(make_projection):
    # two clusters whose members have the same single competency, and no declared needs: no gaps
    twins = make_projection({
        "countries": [{"code": "DE", "name": "Germany"}],
        "competencies": [{"id": "same", "label": "Same"}],
        "clusters": [{"id": "one", "name": "One", "countries": "DE"}, {"id": "two", "name": "Two", "countries": "DE"}],
        "organisations": [{"id": "a", "name": "A", "type": "sme"}, {"id": "b", "name": "B", "type": "sme"}],
        "affiliations": [{"cluster": "one", "organisation": "a", "relation": "member"},
                         {"cluster": "two", "organisation": "b", "relation": "member"}],
        "organisation_competencies": [{"organisation": "a", "competency": "same"}, {"organisation": "b", "competency": "same"}],
    })
    search = search_partners(twins, "one")
    assert search.partners == () and search.gap["competencies"] == [] and search.cover.covered_share == 0.0
    assert "no missing competencies found, so there is nothing to search partners for" in search.notes
    assert [p.organisation["id"] for p in search_partners(twins, "one", competencies=["same"]).partners] == ["b"]
    with pytest.raises(InvalidInput, match="unknown organisation type"):  # filters are checked all the same
        search_partners(twins, "one", filters=PartnerFilters(org_types=("spaceship",)))


def test_given_competencies_the_cluster_has_are_marked(world):
    search = search_partners(world, "home", competencies=["alpha-skill", "xeno-tech"])
    assert [(c["id"], c["in_cluster"]) for c in search.gap["competencies"]] == [("alpha-skill", True), ("xeno-tech", False)]
    assert search.gap["competencies"][0]["weight"] == pytest.approx(float(world.competency_specificity[world.resolve_competency("alpha-skill")]), abs=1e-6)


def test_scores_are_sorted_and_coverage_is_a_share(world):
    search = search_partners(world, "home")
    scores = [p.score for p in search.partners]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < p.coverage <= 1 for p in search.partners)


def test_json_and_frame_shapes(world):
    search = search_partners(world, "home", competencies=GAP, limit=3)
    data = json.loads(json.dumps(search.to_json()))
    assert set(data) == {"cluster", "gap", "filters", "preferences", "candidates", "partners", "cover", "resources", "notes"}
    assert data["cluster"]["countries"] == ["DE"] and data["gap"]["source"] == "given"
    assert set(data["partners"][0]) == {"organisation", "score", "coverage", "covers", "clusters", "ties", "domestic",
                                        "in_cover", "track_record", "outside_clusters", "evidence", "why"}
    assert data["partners"][0]["clusters"] == [] and data["partners"][0]["outside_clusters"]
    assert data["partners"][1]["clusters"][0]["id"] == "peer-three"
    assert data["partners"][1]["covers"][0]["basis"] == ["unspecified"]
    assert data["preferences"] == {"prefer_domestic": 0.0, "prefer_partnering_clusters": 0.25, "prefer_track_record": 0.25}
    assert len(data["partners"]) == 3
    frame = search.to_frame()
    assert list(frame["organisation_id"]) == [p["organisation"]["id"] for p in data["partners"]]


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"competencies": []}, InvalidInput, "the competency list is empty"),
    ({"competencies": ["  "]}, InvalidInput, "the competency list is empty"),
    ({"competencies": ["warp drive"]}, NotFound, "unknown competency 'warp drive'"),
    ({"competencies": ["tech"]}, AmbiguousName, "competency name 'tech' is ambiguous"),
    ({"cluster": "atlantis"}, ClusterNotFound, "unknown cluster 'atlantis'"),
    ({"filters": PartnerFilters(org_types=("spaceship",))}, InvalidInput, "unknown organisation type"),
    ({"filters": PartnerFilters(countries=("ZZ",))}, NotFound, "unknown country 'ZZ'"),
    ({"filters": PartnerFilters(regions=("atlantis",))}, NotFound, "unknown region 'atlantis'"),
    ({"filters": PartnerFilters(industries=("nothing-like-it",))}, NotFound, "unknown industry"),
    ({"filters": PartnerFilters(exclude_clusters=("Peer",))}, AmbiguousName, "ambiguous"),
    ({"preferences": PartnerPreferences(prefer_domestic=-1)}, InvalidInput, "prefer_domestic"),
    ({"limit": 0}, InvalidInput, "limit"),
])
def test_bad_arguments_raise_typed_errors(world, kwargs, error, message):
    with pytest.raises(error, match=message):
        search_partners(world, kwargs.pop("cluster", "home"), **kwargs)


# -- the real dataset -----------------------------------------------------------------------------


def _check_sensible(p, cluster: str, search) -> None:
    row = p.resolve_cluster(cluster)
    members = set(p.members_of(row).tolist())
    gap_ids = {c["id"] for c in search.gap["competencies"]}
    assert search.partners, "no partner found"
    for partner in search.partners:
        org = p.resolve_organisation(partner.organisation["iri"])
        assert org not in members and row not in set(p.clusters_of(org).tolist())
        assert (len(p.clusters_of(org)) >= 1) != partner.outside_clusters
        assert partner.covers and {c["competency"]["id"] for c in partner.covers} <= gap_ids
        for cover in partner.covers:  # really has it, or a narrower one
            assert p.org_competency_up[org, p.resolve_competency(cover["competency"]["id"])] > 0
            assert cover["via"]
    scores = [x.score for x in search.partners]
    assert scores == sorted(scores, reverse=True)
    assert 0 < search.cover.covered_share <= 1
    assert len(search.cover.partners) <= len(gap_ids)


def test_partners_for_medicon_valley(default_projection):
    search = search_partners(default_projection, "Medicon Valley")
    _check_sensible(default_projection, "medicon-valley", search)
    assert search.gap["source"] == "gaps" and len(search.gap["competencies"]) >= 3
    assert "demand: no declared needs for this cluster" in search.notes


def test_partners_for_silicon_saxony_semiconductor_gaps(default_projection):
    search = search_partners(default_projection, "silicon-saxony", template="semiconductors")
    _check_sensible(default_projection, "silicon-saxony", search)
    domestic = search_partners(default_projection, "silicon-saxony", template="semiconductors",
                               filters=PartnerFilters(domestic=True))
    assert domestic.partners and all(p.organisation["country"] == "DE" for p in domestic.partners)
    assert domestic.candidates < search.candidates


def test_real_shared_members_show_up_in_why(default_projection):
    # Cool Silicon and Silicon Saxony share members (both Dresden microelectronics clusters)
    search = search_partners(default_projection, "silicon-saxony", competencies=["semiconductor-foundry"])
    _check_sensible(default_projection, "silicon-saxony", search)
    tied = [p for p in search.partners if any(t["shared_members"] or t["partnerships"] for t in p.ties)]
    assert tied and all("shares" in p.why or "already partners" in p.why for p in tied)


def test_every_real_cluster_gets_sensible_partners(default_projection):
    p = default_projection
    with_profile = np.flatnonzero(np.diff(p.cluster_competency.indptr) > 0)
    searched = 0
    for row in with_profile:
        search = search_partners(p, int(row), limit=5)
        if search.partners:
            _check_sensible(p, p.clusters["id"].iat[row], search)
            searched += 1
    assert searched >= len(with_profile) // 2


def _credit_by_definition(p, claim_basis) -> dict[tuple[int, int], float]:
    """Each (organisation, competency) it holds: the basis weight of its direct claim, else
    NARROWER_CREDIT times its narrower claims' weights (summed, at most 1), else 0."""
    weights = (0.0,) + tuple(partners_module.BASIS_WEIGHTS[b] for b in partners_module.BASIS)
    broader = p.competencies["broader"].to_numpy()

    def itself_and_broader(c):
        while c >= 0:
            yield int(c)
            c = broader[c]

    holds, expected = p.org_competency_up.tocoo(), {}
    basis = claim_basis.tocsr()
    for o, g in zip(holds.row.tolist(), holds.col.tolist()):
        claims = {int(c): weights[int(code)] for c, code in zip(basis.indices[basis.indptr[o]:basis.indptr[o + 1]],
                                                                 basis.data[basis.indptr[o]:basis.indptr[o + 1]])}
        narrower = sum(w for c, w in claims.items() if c != g and g in itself_and_broader(c))
        expected[o, g] = claims.get(g) or partners_module.NARROWER_CREDIT * min(narrower, 1.0)
    return expected


def _credit_entries(p) -> dict[tuple[int, int], float]:
    credit = partners_module._credit_csc(p).tocoo()
    return {(int(o), int(g)): float(v) for o, g, v in zip(credit.row, credit.col, credit.data)}


def test_the_credit_of_every_holding_follows_its_definition(default_projection):
    p = default_projection
    assert p.evidence.claim_basis.nnz > 100 and (p.evidence.claim_basis.data > 1).any()  # stated bases, not only "claimed"
    found, expected = _credit_entries(p), _credit_by_definition(p, p.evidence.claim_basis)
    assert found.keys() == expected.keys()
    assert all(found[key] == pytest.approx(value, abs=1e-12) for key, value in expected.items())
    assert {round(v, 6) for v in found.values()} >= {1.0, partners_module.NARROWER_CREDIT}


def test_a_holding_without_a_claim_behind_it_is_kept_with_no_credit(default_projection):
    import copy
    import dataclasses

    p = copy.copy(default_projection)
    p._start_memo()  # its own derived values, not the shared projection's
    basis = p.evidence.claim_basis.tocsr(copy=True)
    leaves = np.flatnonzero(np.diff(p.competency_ancestors.indptr) > 1)  # competencies with a broader one
    o = next(o for o in range(basis.shape[0]) if np.isin(basis.indices[basis.indptr[o]:basis.indptr[o + 1]], leaves).any())
    g = int(next(c for c in basis.indices[basis.indptr[o]:basis.indptr[o + 1]] if c in set(leaves)))
    basis[o, g] = 0
    basis.eliminate_zeros()
    p.evidence = dataclasses.replace(p.evidence, claim_basis=basis)
    found, expected = _credit_entries(p), _credit_by_definition(p, basis)
    assert found.keys() == expected.keys() and found[o, g] == 0.0  # still held (org_competency_up), with no credit
    assert all(found[key] == pytest.approx(value, abs=1e-12) for key, value in expected.items())


def test_fast_enough_on_the_real_data(default_projection):
    search_partners(default_projection, "medicon-valley")  # warm the caches
    started = time.perf_counter()
    for _ in range(5):
        find_gaps(default_projection, "medicon-valley")
        search_partners(default_projection, "medicon-valley")
    assert (time.perf_counter() - started) / 5 < 0.5


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
    result = planted_store("partners", "Home Cluster", "--competency", "xeno-tech", "--competency", "Yotta", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [p["organisation"]["id"] for p in data["partners"][:2]] == ["loner", "best"]
    assert [c["organisation"]["id"] for c in data["cover"]["partners"]] == ["loner"]
    assert data["resources"][0]["resource"]["label"] == "Xeno test bed"


def test_cli_filters_and_csv(planted_store):
    result = planted_store("partners", "home", "--competency", "xeno-tech", "--competency", "yotta-tech",
                           "--domestic", "--org-type", "sme", "--prefer-partnering", "0", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.output.splitlines()))
    assert [r["organisation_id"] for r in rows][0] == "loner" and float(rows[0]["score"]) == 1.0
    assert {r["organisation_id"] for r in rows[1:]} == {"p1a", "p1b", "p2a"}
    assert all(r["country"] == "DE" and r["type"] == "sme" for r in rows)
    assert all(float(r["score"]) == 0.5 for r in rows[1:])


def test_cli_table(planted_store):
    result = planted_store("partners", "home", "--lens", "demand", "--exclude-cluster", "peer-four")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "organisation_id" in lines[0] and "f1" in lines[1] and lines[2] == ""
    assert "smallest covering set (100% of the gap weight): Far Company" in lines
    full = planted_store("partners", "home", "--competency", "xeno-tech", "--competency", "tera-tech")
    assert "nobody found for: Tera tech" in full.output
    assert "resource: Xeno test bed — test bed of Best Partner Institute (Peer Three) for Xeno tech" in full.output


@pytest.mark.parametrize(("args", "message"), [
    (["partners", "atlantis"], "unknown cluster 'atlantis'"),
    (["partners", "Peer"], "cluster name 'Peer' is ambiguous"),
    (["partners", "home", "--competency", ""], "the competency list is empty"),
    (["partners", "home", "--competency", "warp drive"], "unknown competency 'warp drive'"),
    (["partners", "home", "--region", "atlantis"], "unknown region 'atlantis'"),
    (["partners", "home", "--template", "no-such"], "unknown template 'no-such'"),
])
def test_cli_errors_exit_1_with_a_specific_message(planted_store, args, message):
    result = planted_store(*args)
    assert result.exit_code == 1 and message in result.output, result.output

