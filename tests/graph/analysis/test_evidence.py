"""The evidence beside the projection, checked against the store by independent SPARQL queries.

On the default dataset with the shipped open data: members' co-participation in Horizon 2020
projects (a curated organisation counts the projects of the CORDIS record it is linked to),
track records in partner search, the basis of every shipped competency claim, the relatedness
of industries and the cold start of clusters with no recorded competencies.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest

from clusterkg.graph.analysis import evidence as evidence_module
from clusterkg.graph.analysis.evidence import BASIS, choose_template, evidence_of, related_industry_profiles
from clusterkg.graph.analysis.gaps import find_gaps
from clusterkg.graph.analysis.partners import search_partners
from clusterkg.graph.analysis.recommend import recommend_clusters
from clusterkg.graph.sheets import build_rows
from clusterkg.graph.projection import build_projection, catch_up
from clusterkg.graph.store import OxigraphStore
from clusterkg.ontology.namespace import sparql_prefixes

SHEETS = Path(__file__).parents[3] / "data" / "sheets"
PREFIXES = sparql_prefixes("ckg", "owl", "schema")


def shared_projects(store, cluster_a: str, cluster_b: str) -> set[str]:
    """Projects in which members of both clusters (or the records linked to them) took part."""
    query = PREFIXES + f"""SELECT DISTINCT ?project WHERE {{
      ?ta ckg:cluster <{cluster_a}> ; ckg:organisation ?a . ?a (owl:sameAs)? ?ra .
      ?pa ckg:organisation ?ra ; ckg:project ?project .
      ?tb ckg:cluster <{cluster_b}> ; ckg:organisation ?b . ?b (owl:sameAs)? ?rb .
      ?pb ckg:organisation ?rb ; ckg:project ?project . }}"""
    return {row[0] for row in open_store_rows(store, query)}


def open_store_rows(store, query):
    return store.select_values(query)[1]


def test_members_co_participation_is_counted_and_dated_in_recommend(open_store, open_projection):
    p = open_projection
    result = recommend_clusters(p, "medicon-valley", limit=10)
    with_record = [item for item in result.items if item.collaboration]
    assert with_record, "no recommended cluster shares a project with Medicon Valley's members"
    for item in with_record:
        projects = shared_projects(open_store, p.clusters["iri"].iat[p.resolve_cluster("medicon-valley")], item.iri)
        assert item.collaboration["projects"] == len(projects) > 0
        years = [int(row[0][:4]) for row in open_store_rows(open_store, PREFIXES + "SELECT ?d WHERE { VALUES ?p { "
                 + " ".join(f"<{x}>" for x in projects) + " } ?p schema:startDate|schema:endDate ?d }")]
        assert (item.collaboration["first_year"], item.collaboration["last_year"]) == (min(years), max(years))
        assert f"members worked together in {len(projects)} H2020 project" in item.why
        assert "project co-participation" in item.evidence


def test_existing_partners_are_kept_however_low_they_rank(open_projection):
    # the example: Medicon Valley's two agreements with the Massachusetts life sciences cluster
    result = recommend_clusters(open_projection, "medicon-valley", limit=3)
    massachusetts = [item for item in result.items if item.id == "massachusetts-life-sciences-cluster"]
    assert len(massachusetts) == 1 and len(massachusetts[0].existing_partnerships) == 2
    assert "already partners via" in massachusetts[0].why


def test_every_cluster_gets_recommendations_with_reasons(open_projection):
    p = open_projection
    for row in range(0, len(p.clusters), 7):
        result = recommend_clusters(p, p.clusters["id"].iat[row], limit=5)
        assert result.items and all(item.why and item.evidence for item in result.items), p.clusters["id"].iat[row]


def test_track_record_is_a_why_line_and_counts_the_real_projects(open_store, open_projection):
    p = open_projection
    search = search_partners(p, "aerospace-valley", limit=10)
    dlr = next(x for x in search.partners if x.organisation["id"] == "german-aerospace-center-dlr")
    record = dlr.track_record
    members = {m["iri"] for m in record["members"]}
    cluster = p.clusters["iri"].iat[p.resolve_cluster("aerospace-valley")]
    query = PREFIXES + f"""SELECT DISTINCT ?project ?member ?role WHERE {{
      <{dlr.organisation['iri']}> (owl:sameAs)? ?r . ?x ckg:organisation ?r ; ckg:project ?project ; ckg:participationRole ?role .
      ?t ckg:cluster <{cluster}> ; ckg:organisation ?member . ?member (owl:sameAs)? ?mr .
      ?y ckg:organisation ?mr ; ckg:project ?project . }}"""
    rows = open_store_rows(open_store, query)
    assert {row[1] for row in rows} == members and record["projects"] == len({row[0] for row in rows}) > 1
    coordinated = {row[0] for row in rows if row[2].endswith("RoleCoordinator")}
    assert record["coordinated"] == len(coordinated)
    text = f"worked with {len(members)} of your members in {record['projects']} H2020 projects"
    assert text in dlr.why and "project co-participation" in dlr.evidence
    # a track record raises the score: without the preference the same candidate scores less
    from clusterkg.graph.analysis.partners import PartnerPreferences
    plain = search_partners(p, "aerospace-valley", limit=50, preferences=PartnerPreferences(prefer_track_record=0))
    assert next(x for x in plain.partners if x.organisation["id"] == dlr.organisation["id"]).score < dlr.score


def test_shipped_claims_say_how_they_are_known(open_projection):
    p = open_projection
    evidence = evidence_of(p)
    with (SHEETS / "organisation_competencies.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["basis"] for row in rows} == {"stated", "cluster_specialisation"}
    for row in rows:
        o, k = p.resolve_organisation(row["organisation"]), p.resolve_competency(row["competency"])
        assert evidence.basis_of(o, k) == row["basis"]
    stated = [row for row in rows if row["basis"] == "stated"]
    assert 90 <= len(stated) <= 110
    # a stated claim's quote names the competency (a word of its label or of an alternative label)
    for row in stated[:20]:
        assert re.search(r"\w{4,}", row["source_quote"])


def test_a_stated_claim_outranks_an_inferred_one(make_projection):
    src = "https://example.org/test"
    world = make_projection({
        "countries": [{"code": "DE", "name": "Germany"}],
        "competencies": [{"id": "chips", "label": "Chips"}],
        "clusters": [{"id": c, "name": c.title(), "countries": "DE"} for c in ("home", "away")],
        "organisations": [{"id": o, "name": o.title(), "type": "sme"} for o in ("said", "guessed", "mine")],
        "affiliations": [{"cluster": c, "organisation": o, "relation": "member"}
                         for c, o in (("away", "said"), ("away", "guessed"), ("home", "mine"))],
        "organisation_competencies": [{"organisation": "said", "competency": "chips", "basis": "stated", "source_url": src},
                                      {"organisation": "guessed", "competency": "chips", "basis": "cluster_specialisation",
                                       "source_url": src}],
    })
    search = search_partners(world, "home", competencies=["chips"])
    assert [x.organisation["id"] for x in search.partners] == ["said", "guessed"]
    assert search.partners[0].score > search.partners[1].score
    assert "inferred from its cluster's specialisation" in search.partners[1].why
    assert search.partners[0].covers[0]["basis"] == ["stated"]


def test_a_claim_basis_outside_the_list_is_refused_with_its_row():
    _, problems = build_rows("organisation_competencies", [
        {"organisation": "a", "competency": "b", "basis": "hearsay", "source_url": "https://example.org/x"}],
        "organisation_competencies.csv")
    assert any("basis" in str(problem) and "hearsay" in str(problem) for problem in problems), problems


def test_industries_of_other_schemes_meet_through_relatedness(open_projection):
    p = open_projection
    evidence = evidence_of(p)
    industry = p.index("industry")
    us_biopharma = [i for i, label in enumerate(p.industries["label"]) if label == "Biopharmaceuticals"
                    and p.industries["iri"].iat[i].rsplit("/", 1)[-1].startswith("us-cmp")]
    assert us_biopharma
    related = evidence.industry_related[us_biopharma[0]]
    assert related.nnz and np.all(related.data > 0) and np.all(related.data <= 1)
    assert evidence.industry_related.T.toarray().tolist() == evidence.industry_related.toarray().tolist()  # symmetric
    widened = related_industry_profiles(p)
    assert np.allclose(np.asarray(widened.multiply(widened).sum(axis=1)).ravel()[np.diff(widened.indptr) > 0], 1.0)
    assert industry  # the index is built


def test_cold_start_gaps_come_from_industries_and_a_chosen_template(open_projection):
    p = open_projection
    cold = [row for row in range(len(p.clusters)) if p.cluster_competency[row].nnz == 0]
    assert len(cold) > 100  # the US Cluster Mapping clusters and the curated clusters without members
    answered = 0
    for row in cold:
        report = find_gaps(p, row)
        if not report.combined:
            continue
        answered += 1
        assert "peers" in report.notes and "closest by industry" in report.notes["peers"]
        for gap in report.gaps.get("peers", ()):
            assert gap.evidence["basis"] == "industries" and "same or related industries" in gap.why
        if report.template is not None:
            assert report.template["chosen"] and "chosen for the cluster's industries" in report.template["chosen"]
        search = search_partners(p, row, gaps=report, limit=5)
        assert search.partners and all(x.why for x in search.partners)
    assert answered >= 0.95 * len(cold)
    template, fit = choose_template(p, p.resolve_cluster("silicon-saxony"))
    assert template.id == "semiconductors" and fit >= evidence_module.MIN_TEMPLATE_FIT


def test_a_store_without_open_data_has_empty_evidence(make_projection):
    world = make_projection({"countries": [{"code": "DE", "name": "Germany"}],
                             "clusters": [{"id": "a", "name": "A", "countries": "DE"}]})
    evidence = evidence_of(world)
    assert evidence.org_project.shape == (0, 0) and evidence.claim_basis.nnz == 0
    assert list(BASIS) == ["unspecified", "stated", "cluster_specialisation", "programme_specialisation", "project_participation"]


def test_a_refresh_reads_the_evidence_again():
    src = "https://example.org/test"
    store = OxigraphStore()
    rows = {"countries": [{"code": "DE", "name": "Germany"}],
            "competencies": [{"id": "chips", "label": "Chips"}],
            "organisations": [{"id": "o", "name": "O", "type": "sme", "source_url": src}],
            "organisation_competencies": [{"organisation": "o", "competency": "chips", "source_url": src}]}
    for sheet, sheet_rows in rows.items():
        store.insert_graph(build_rows(sheet, sheet_rows, sheet + ".csv")[0])
    before = build_projection(store)
    assert evidence_of(before).basis_of(0, 0) == "unspecified"
    graph, problems = build_rows("organisation_competencies", [
        {"organisation": "o", "competency": "chips", "basis": "stated", "source_url": src}], "organisation_competencies.csv")
    assert problems == []
    store.insert_graph(graph)  # a recorded write: the projection is refreshed, not rebuilt
    after = catch_up(before, store)
    assert after.version != before.version and evidence_of(after).basis_of(0, 0) == "stated"
