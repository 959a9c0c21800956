"""The projection's identity: a write that touches nothing it holds keeps its content (and what
was derived from it); a write that does touch it gives a new content. Either way the refreshed
projection equals a full build, and it says which subjects were written since an earlier version.
"""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef

from clusterkg.graph.projection import build_projection, refresh
from clusterkg.graph.store import OxigraphStore

from tests.graph.test_projection_refresh import (  # noqa: F401 (fixtures)
    CKG, NEW, RDF_TYPE, assert_same, c, change, loaded, one, synthetic, synthetic_nt, triples_of,
)

RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")


def computations(p) -> list:
    """Count the computations of one derived value kept in the projection's memo."""
    calls: list = []
    p.cached("test.derived", lambda: calls.append(1) or len(calls))
    return calls


def refreshed(store: OxigraphStore, before, changed: set[str]):
    after = refresh(before, store, changed)
    assert_same(after, build_projection(store))
    return after


def test_a_write_elsewhere_keeps_the_content_and_what_was_derived(synthetic):
    before = build_projection(synthetic)
    calls = computations(before)
    graph = before.cluster_graph()
    changed = change(synthetic, insert=[(URIRef("urn:clusterkg:load:1"), URIRef("urn:clusterkg:load:written"), Literal(1))])
    after = refreshed(synthetic, before, changed)
    assert after.version != before.version
    assert after.content == before.content
    assert after.cached("test.derived", lambda: calls.append(1) or len(calls)) == 1 and calls == [1]
    assert after.cluster_graph() is graph


@pytest.mark.parametrize("write", ["claim", "member", "label in another language", "cluster fact", "competency"])
def test_a_write_that_touches_the_projection_gives_a_new_content(synthetic, write):
    before = build_projection(synthetic)
    calls = computations(before)
    cluster, organisation = URIRef(before.clusters.iri.iat[0]), URIRef(before.organisations.iri.iat[0])
    competency = URIRef(before.competencies.iri.iat[0])
    insert = {
        "claim": [(organisation, c("hasCompetency"), URIRef(before.competencies.iri.iat[-1]))],
        "member": [(URIRef(NEW + "affiliation/content-test"), c("cluster"), cluster),
                   (URIRef(NEW + "affiliation/content-test"), c("organisation"), organisation),
                   (URIRef(NEW + "affiliation/content-test"), c("affiliationType"), c("Member"))],
        "label in another language": [(cluster, RDFS_LABEL, Literal("кластер", lang="ru"))],
        "cluster fact": [(cluster, URIRef("https://schema.org/foundingDate"), Literal("1999"))],
        "competency": [(competency, URIRef("http://www.w3.org/2004/02/skos/core#altLabel"), Literal("another name"))],
    }[write]
    changed = change(synthetic, insert=insert)
    after = refreshed(synthetic, before, changed)
    assert after.content != before.content
    after.cached("test.derived", lambda: calls.append(1) or len(calls))
    assert calls == [1, 1]
    # the written subjects, and a cluster that gained a member (its new affiliation is a subject of its own)
    assert after.changed_since(before.version) == changed | ({str(cluster)} if write == "member" else set())


def test_a_cluster_that_lost_a_member_counts_as_changed(synthetic):
    before = build_projection(synthetic)
    affiliation, cluster = one(synthetic, f"SELECT ?a ?c WHERE {{ ?a <{CKG}cluster> ?c ; <{CKG}organisation> ?o }} ORDER BY ?a LIMIT 1")
    after = refreshed(synthetic, before, change(synthetic, delete=triples_of(synthetic, affiliation)))
    assert after.changed_since(before.version) == {str(affiliation), str(cluster)}


def test_a_removed_organisation_gives_a_new_content(synthetic):
    before = build_projection(synthetic)
    offering = set(before.resources["organisation"]) | set(before.developments["organisation"])
    organisation = next(iri for row, iri in enumerate(before.organisations.iri) if row not in offering)
    after = refreshed(synthetic, before, change(synthetic, delete=triples_of(synthetic, organisation)))
    assert organisation not in set(after.organisations.iri)
    assert after.content != before.content


def test_a_write_to_the_evidence_gives_a_new_content(synthetic):
    before = build_projection(synthetic)
    project, participation = URIRef(NEW + "project/content-test"), URIRef(NEW + "participation/content-test")
    insert = [(project, RDF_TYPE, c("Project")), (participation, c("project"), project),
              (participation, c("organisation"), URIRef(before.organisations.iri.iat[0]))]
    after = refreshed(synthetic, before, change(synthetic, insert=insert))
    assert after.content != before.content
    assert str(project) in set(after.evidence.project_iris) - set(before.evidence.project_iris)


def test_the_subjects_written_since_an_earlier_version(synthetic):
    start = build_projection(synthetic)
    one_subject = {"urn:clusterkg:test:a"}
    first = refreshed(synthetic, start, change(synthetic, insert=[(URIRef("urn:clusterkg:test:a"), RDFS_LABEL, Literal("a"))]))
    cluster = URIRef(start.clusters.iri.iat[1])
    second = refreshed(synthetic, first, change(synthetic, delete=triples_of(synthetic, str(cluster))[:1]))
    assert second.changed_since(start.version) == one_subject | {str(cluster)}
    assert second.changed_since(first.version) == {str(cluster)}
    assert second.changed_since(second.version) == frozenset()
    assert second.changed_since("a version never seen") is None
    assert build_projection(synthetic).changed_since(first.version) is None  # a full build keeps no record
