"""Round tables and project working groups on a planted world whose answers are known."""

from __future__ import annotations

import pytest

from clusterkg.graph.analysis.project_groups import find_project_group
from clusterkg.graph.analysis.roundtable import plan_round_table, resolve_theme
from clusterkg.graph.errors import InvalidInput, NotFound
from clusterkg.graph.projection import build_projection
from clusterkg.graph.sheets import SHEETS, build_rows
from clusterkg.graph.store import OxigraphStore
from clusterkg.ontology.namespace import CKG, DATA, OWL, RDF, RDFS
from rdflib import Graph, Literal

ECO = "eu-industrial-ecosystems"
CLUSTERS = {  # id: (industry, country, members)
    "photon-a": ("electronics", "DE", ["a-optics", "investor-w"]),
    "photon-b": ("electronics", "FR", ["b-lasers"]),
    "bio-c": ("health", "DE", ["c-genomics"]),
    "bio-d": ("agri;space", "NL", ["d-biotech"]),
    "bridge-e": ("health", "FR", ["e-both"]),
}
ORGS = {  # id: (type, country, competencies)
    "a-optics": ("sme", "DE", ["optics"]),
    "investor-w": ("investor", "DE", []),
    "b-lasers": ("sme", "FR", ["lasers"]),
    "c-genomics": ("sme", "DE", ["genomics"]),
    "d-biotech": ("sme", "NL", ["biotech"]),
    "e-both": ("sme", "FR", ["lasers", "genomics"]),
    "uni-x": ("university", "DE", ["lasers", "genomics"]),
    "inst-y": ("research_institute", "FR", ["optics"]),
    "body-z": ("public_body", "NL", ["biotech"]),
    "sme-v": ("sme", "DE", ["optics"]),  # no cluster, not a stakeholder type: never invited
}


def world() -> dict:
    return {
        "countries": [{"code": c, "name": c} for c in ("DE", "FR", "NL")],
        "industries": [{"id": i, "scheme": ECO, "notation": i, "label": i.title()} for i in ("electronics", "health", "agri", "space")],
        "competencies": [{"id": "optics", "label": "Optics", "industries": "electronics;health"},
                         {"id": "lasers", "label": "Lasers", "broader": "optics", "industries": "electronics;space"},
                         {"id": "biotech", "label": "Biotech", "industries": "health;agri"},
                         {"id": "genomics", "label": "Genomics", "broader": "biotech", "industries": "health"}],
        "clusters": [{"id": c, "name": c.title(), "countries": country, "industries": industry}
                     for c, (industry, country, _) in CLUSTERS.items()],
        "organisations": [{"id": o, "name": o.title(), "type": t, "country": country} for o, (t, country, _) in ORGS.items()],
        "affiliations": [{"cluster": c, "organisation": o, "relation": "member"} for c, (_, _, members) in CLUSTERS.items() for o in members],
        "organisation_competencies": [{"organisation": o, "competency": k} for o, (_, _, ks) in ORGS.items() for k in ks],
        "needs": [{"organisation": "a-optics", "competency": "genomics"}],
        "partnerships": [{"id": "b-e", "name": "B-E agreement", "level": "cooperation_agreement",
                          "participants": "photon-b;bridge-e"}],
    }


@pytest.fixture()
def planted(make_projection):
    return make_projection(world())


def test_theme_is_a_competency_with_its_narrower_ones_or_an_industry(planted):
    optics = resolve_theme(planted, "optics")
    assert optics.kind == "competency" and {planted.competencies["id"].iat[k] for k in optics.columns} == {"optics", "lasers"}
    space = resolve_theme(planted, "space")
    assert space.kind == "industry" and {planted.competencies["id"].iat[k] for k in space.columns} == {"lasers"}
    with pytest.raises(NotFound, match="theme"):
        resolve_theme(planted, "nothing-like-this")


def test_round_table_spans_the_themes_and_industries(planted):
    plan = plan_round_table(planted, ["optics", "biotech"], size=6)
    clusters = [i for i in plan.invitees if i["kind"] == "cluster"]
    # turn by turn: the bridge (holds both) for optics, Bio-D (new industry, new country) for
    # biotech, Photon-A (new industry) for optics, then Bio-C, the last biotech cluster
    assert [c["id"] for c in clusters] == ["bridge-e", "bio-d", "photon-a", "bio-c"]
    assert all(any(theme in i["themes"] for i in clusters) for theme in ("optics", "biotech"))
    assert {ind for c in clusters for ind in c["industries"]} == {"Health", "Agri", "Space", "Electronics"}
    assert clusters[0]["reason"].startswith("seated for Optics: holds Optics (E-Both); holds Biotech (E-Both)")
    stakeholders = [i for i in plan.invitees if i["kind"] == "stakeholder"]
    assert [s["id"] for s in stakeholders] == ["uni-x", "body-z"]  # both themes first, then a new country
    assert "university: holds Lasers (Optics); holds Genomics (Biotech); DE" == stakeholders[0]["reason"]
    assert len(plan.invitees) == 6 and [i["seat"] for i in plan.invitees] == list(range(1, 7))
    assert plan.balance["countries"] == {"DE": 3, "NL": 2, "FR": 1}
    industries = [t["label"] for t in plan.talking_points if t["kind"] == "industry"]
    assert industries[0] == "Health"  # both themes are applied in health
    # then optics (lasers) applied in space, where a biotech cluster (Bio-D) is; nothing applies electronics
    # to biotech clusters
    assert industries == ["Health", "Space"]
    assert plan.talking_points[1]["why"] == "Optics is applied in Space, the industry of clusters holding Biotech"


def test_round_table_investor_joins_through_a_seated_cluster(planted):
    plan = plan_round_table(planted, ["optics", "biotech"], size=12, stakeholder_seats=5)
    ids = [i["id"] for i in plan.invitees]
    assert "investor-w" in ids and "sme-v" not in ids and "a-optics" not in ids
    investor = next(i for i in plan.invitees if i["id"] == "investor-w")
    assert investor["reason"] == "investor: investor in Photon-A, a cluster at the table; DE"


def test_round_table_refuses_bad_input(planted):
    with pytest.raises(InvalidInput, match="at least 2 theme"):
        plan_round_table(planted, ["optics"])
    with pytest.raises(InvalidInput, match="named twice"):
        plan_round_table(planted, ["optics", "Optics"])
    with pytest.raises(InvalidInput, match="at least 2 seats"):
        plan_round_table(planted, ["optics", "biotech"], size=1)


def test_project_group_fills_the_gap_from_several_clusters(planted):
    group = find_project_group(planted, "optics", size=5)
    ids = [m["id"] for m in group.members]
    # profile: optics, lasers and genomics (A-Optics, a holder, needs it); uni-x holds two of
    # them but belongs to no cluster: not a candidate
    assert {p["id"] for p in group.profile if p["why"] == "theme"} == {"optics", "lasers"}
    assert [p["id"] for p in group.profile if p["why"] == "needed by holders"] == ["genomics"]
    assert "uni-x" not in ids and "sme-v" not in ids
    # E-Both claims lasers and genomics (the largest gain), A-Optics the optics left; then a
    # second holder from a new cluster adds depth: B-Lasers before C-Genomics (equal depth) as
    # its cluster already partners with E-Both's
    assert ids == ["e-both", "a-optics", "b-lasers", "c-genomics"]
    assert [m["why"] for m in group.members[:3]] == [
        "fills Genomics, Lasers", "fills Optics; brings Photon-A into the group",
        "adds depth in Lasers; brings Photon-B into the group; Photon-B partners with Bridge-E (E-Both) via B-E agreement"]
    assert group.members[2]["gain"] > group.members[3]["gain"]
    assert group.to_json()["clusters"] == 4 and group.remaining_gap == ()
    small = find_project_group(planted, "biotech", size=2)
    assert len(small.members) == 2
    with pytest.raises(InvalidInput, match="at least 2 members"):
        find_project_group(planted, "biotech", size=1)


def test_project_group_counts_joint_funded_projects(make_projection):
    """Open data: C-Genomics' record and E-Both took part in one project; with the store's
    reader that is evidence: named, and worth the evidence factor."""
    store = OxigraphStore()
    for sheet, rows in world().items():
        needs_source = any(c.name == "source_url" and c.required for c in SHEETS[sheet].columns)
        graph, problems = build_rows(sheet, [{"source_url": "https://example.org/t", **r} if needs_source else r for r in rows])
        assert problems == []
        store.insert_graph(graph)
    record, project = DATA["org/pic-123456789"], DATA["project/cordis-1"]
    joint = Graph()
    joint.add((DATA["org/c-genomics"], OWL.sameAs, record))
    joint.add((project, RDFS.label, Literal("Genome optics")))
    for name, who in (("p1", record), ("p2", DATA["org/e-both"])):
        joint.add((DATA[f"participation/{name}"], RDF.type, CKG.Participation))
        joint.add((DATA[f"participation/{name}"], CKG.organisation, who))
        joint.add((DATA[f"participation/{name}"], CKG.project, project))
    store.insert_graph(joint)
    projection = build_projection(store)
    without = find_project_group(projection, "optics", size=4)
    group = find_project_group(projection, "optics", size=4, select=store.select)
    assert [m["id"] for m in group.members] == [m["id"] for m in without.members] == ["e-both", "a-optics", "b-lasers", "c-genomics"]
    assert "funded project" not in without.members[3]["why"]
    assert group.members[3]["why"].endswith("took part in 1 funded project(s) with E-Both (Genome optics)")
    assert group.members[3]["gain"] == pytest.approx(without.members[3]["gain"] * 1.25)
