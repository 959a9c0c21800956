"""The evidence keeps up: after a change, a refresh of the projection carries an evidence equal,
field by field, to the one a full build reads — on the default dataset with the shipped open
data (CORDIS participations, ``owl:sameAs`` links to funding records, claim bases, industry
relatedness).

Each test changes a copy of that store with one update, takes the subjects of the triples it
touched as the changed resources (what the history records), refreshes and compares with a full
build (``refreshed_equals_built`` compares the evidence too); then undoes the change and checks
that the refresh comes back to the first evidence.
"""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from clusterkg.graph.analysis.evidence import evidence_of
from clusterkg.graph.projection import build_projection
from clusterkg.graph.store import OxigraphStore
from tests.graph.test_projection_refresh import (
    RDF_TYPE, assert_same_evidence, c, change, loaded, refreshed_equals_built, triples_of,
)

ID = "https://w3id.org/clusterkg/id/"
OWL_SAME_AS = URIRef("http://www.w3.org/2002/07/owl#sameAs")


@pytest.fixture(scope="module")
def open_dump(open_store) -> bytes:
    return open_store.dump()


@pytest.fixture()
def world(open_dump):
    yield from loaded(open_dump)


def there_and_back(store: OxigraphStore, delete: list[tuple] = (), insert: list[tuple] = ()):
    """Apply the change, refresh (checked against a full build); undo it, refresh again (checked,
    and equal to the evidence before). The projections before and after the change."""
    before = build_projection(store)
    after = refreshed_equals_built(store, before, change(store, delete=delete, insert=insert))
    back = refreshed_equals_built(store, after, change(store, delete=insert, insert=delete))
    assert_same_evidence(back.evidence, before.evidence)
    return before, after


def rows(store: OxigraphStore, query: str) -> list[tuple]:
    return store.select_values("PREFIX ckg: <https://w3id.org/clusterkg/ns#> " + query)[1]


def test_a_member_with_claims_of_known_basis(world):
    p = build_projection(world)
    cluster = p.clusters.iri.iat[p.resolve_cluster("silicon-saxony")]
    row = next(i for i in range(len(p.organisations))
               if p.cluster_org[p.resolve_cluster("silicon-saxony"), i] == 0 and "/org/pic-" not in p.organisations.iri.iat[i])
    org = URIRef(p.organisations.iri.iat[row])
    held = set(p.org_competency.getrow(row).indices.tolist())
    new = [k for k in range(len(p.competencies)) if k not in held][:3]
    affiliation = URIRef(ID + "affiliation/evidence-test")
    insert = [(affiliation, RDF_TYPE, c("Affiliation")), (affiliation, c("cluster"), URIRef(cluster)),
              (affiliation, c("organisation"), org), (affiliation, c("affiliationType"), c("Member"))]
    bases = [c("BasisStated"), c("BasisClusterSpecialisation"), None]  # the third: no basis
    for n, (k, basis) in enumerate(zip(new, bases)):
        competency, claim = URIRef(p.competencies.iri.iat[k]), URIRef(f"{ID}claim/evidence-test-{n}")
        insert += [(org, c("hasCompetency"), competency), (org, c("qualifiedCompetency"), claim),
                   (claim, RDF_TYPE, c("CompetencyClaim")), (claim, c("competency"), competency)]
        insert += [(claim, c("claimBasis"), basis)] if basis is not None else []
    _, after = there_and_back(world, insert=insert)
    assert [evidence_of(after).basis_of(row, k) for k in new] == ["stated", "cluster_specialisation", "unspecified"]


def test_a_claim_changes_its_basis(world):
    claim, basis = rows(world, "SELECT ?q ?b WHERE { ?q ckg:claimBasis ?b } ORDER BY ?q LIMIT 1")[0]
    other = c("BasisProjectParticipation")
    before, after = there_and_back(world, delete=[(URIRef(claim), c("claimBasis"), URIRef(basis))],
                                   insert=[(URIRef(claim), c("claimBasis"), other)])
    org, competency = rows(world, f"SELECT ?o ?c WHERE {{ ?o ckg:qualifiedCompetency <{claim}> . <{claim}> ckg:competency ?c }}")[0]
    o, k = after.index("organisation")[org], after.index("competency")[competency]
    assert evidence_of(after).basis_of(o, k) == "project_participation" != evidence_of(before).basis_of(o, k)


def test_a_participation_and_a_new_project(world):
    """A curated organisation coordinates an existing project; a funding record linked to another
    takes part in a new project, which that organisation then counts as its own."""
    p = build_projection(world)
    evidence = evidence_of(p)
    record, curated = rows(world, "SELECT ?b ?a WHERE { ?a <http://www.w3.org/2002/07/owl#sameAs> ?b . "
                                  "?b a <http://www.w3.org/ns/org#FormalOrganization> } ORDER BY ?a LIMIT 1")[0]
    lonely = next(i for i in range(len(p.organisations)) if evidence.org_project[i].nnz == 0 and evidence.same_as[i] < 0)
    org, project = URIRef(p.organisations.iri.iat[lonely]), URIRef(evidence.project_iris[0])
    new_project = URIRef(ID + "project/cordis-evidence-test")
    one, two = URIRef(ID + "participation/evidence-test-1"), URIRef(ID + "participation/evidence-test-2")
    insert = [(one, RDF_TYPE, c("Participation")), (one, c("project"), project), (one, c("organisation"), org),
              (one, c("participationRole"), c("RoleCoordinator")),
              (new_project, RDF_TYPE, c("Project")),
              (new_project, URIRef("https://schema.org/startDate"), Literal("2031-01-01", datatype=XSD.date)),
              (two, RDF_TYPE, c("Participation")), (two, c("project"), new_project), (two, c("organisation"), URIRef(record)),
              (two, c("participationRole"), c("RoleParticipant"))]
    _, after = there_and_back(world, insert=insert)
    e = evidence_of(after)
    column = list(e.project_iris).index(str(new_project))
    assert e.org_project[lonely, list(e.project_iris).index(str(project))] == 1 == e.coordinated[lonely].nnz
    assert e.org_project[after.index("organisation")[curated], column] == 1 and e.project_years[column, 0] == 2031


def test_a_participation_and_a_project_removed(world):
    participation, project = rows(world, "SELECT ?x ?p WHERE { ?x ckg:project ?p } ORDER BY ?x LIMIT 1")[0]
    before = build_projection(world)
    middle = refreshed_equals_built(world, before, change(world, delete=triples_of(world, participation)))
    after = refreshed_equals_built(world, middle, change(world, delete=triples_of(world, project)))
    assert project in set(before.evidence.project_iris) - set(after.evidence.project_iris)


def test_a_link_to_a_funding_record_goes_and_so_does_a_curated_organisation(world):
    curated, record = rows(world, "SELECT ?a ?b WHERE { ?a <http://www.w3.org/2002/07/owl#sameAs> ?b . "
                                  "?b a <http://www.w3.org/ns/org#FormalOrganization> } ORDER BY ?a LIMIT 2")[1]
    before, after = there_and_back(world, delete=[(URIRef(curated), OWL_SAME_AS, URIRef(record))])
    assert evidence_of(after).same_as[after.index("organisation")[record]] == -1
    assert evidence_of(before).same_as[before.index("organisation")[record]] == before.index("organisation")[curated]
    # a second curated organisation says the same record is it; then the first goes: the record is the second's
    second = next(iri for iri in before.organisations.iri if iri > curated and "/org/pic-" not in iri)
    both = refreshed_equals_built(world, before, change(world, insert=[(URIRef(second), OWL_SAME_AS, URIRef(record))]))
    assert evidence_of(both).same_as[both.index("organisation")[record]] == both.index("organisation")[curated]  # the first
    gone = refreshed_equals_built(world, both, change(world, delete=triples_of(world, curated)))
    assert evidence_of(gone).same_as[gone.index("organisation")[record]] == gone.index("organisation")[second]


def test_a_relatedness_record_goes_and_comes_back(world):
    record, = rows(world, "SELECT ?r WHERE { ?r a ckg:IndustryRelatedness ; ckg:relatednessPercentile ?x "
                          "FILTER(<http://www.w3.org/2001/XMLSchema#decimal>(?x) >= 95) } ORDER BY ?r LIMIT 1")[0]
    before, after = there_and_back(world, delete=triples_of(world, record))
    assert evidence_of(after).industry_related.nnz == evidence_of(before).industry_related.nnz - 2
