"""The OWL ontology: it parses, declares every term the project uses, and documents each one."""

import re
from pathlib import Path

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, OWL, RDF, RDFS, SKOS

from clusterkg.ontology import ontology_graph, resource_text
from clusterkg.ontology.namespace import CKG

NS = "https://w3id.org/clusterkg/ns#"
ONTOLOGY_IRI = URIRef("https://w3id.org/clusterkg/ns")
README = Path(__file__).resolve().parents[2] / "ontology" / "README.md"
CKG_TERM = re.compile(r"\bckg:([A-Za-z_][A-Za-z0-9_]*)")

OWL_TERM_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}
SKOS_TERM_TYPES = {SKOS.Concept, SKOS.ConceptScheme}


@pytest.fixture(scope="module")
def graph():
    return ontology_graph()


@pytest.fixture(scope="module")
def declared(graph):
    """Local names of every ckg: term that clusterkg.ttl describes."""
    return {str(s)[len(NS) :] for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(NS)}


def test_parses_into_an_owl_ontology(graph):
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in graph
    assert len(graph) > 300


def test_accessor_returns_independent_graphs():
    first = ontology_graph()
    first.remove((None, None, None))
    assert len(ontology_graph()) > 0


def test_every_term_has_exactly_one_kind(graph, declared):
    for name in declared:
        kinds = set(graph.objects(CKG[name], RDF.type)) & (OWL_TERM_TYPES | SKOS_TERM_TYPES)
        assert len(kinds) == 1, f"ckg:{name} has kinds {kinds}"


@pytest.mark.parametrize("source", ["shapes.ttl", "README.md"])
def test_terms_used_in_text_are_declared(source, declared):
    text = README.read_text(encoding="utf-8") if source == "README.md" else resource_text(source)
    used = set(CKG_TERM.findall(text))
    assert used, f"no ckg: terms found in {source}"
    assert used - declared == set(), f"{source} uses undeclared terms"


def test_namespace_matches_ontology_both_ways(declared):
    in_namespace = {name for name in CKG.__annotations__ if not name.startswith("_")}
    assert in_namespace - declared == set(), "namespace.py has terms clusterkg.ttl lacks"
    assert declared - in_namespace == set(), "clusterkg.ttl has terms namespace.py lacks"


def test_namespace_is_closed():
    assert CKG.Cluster == URIRef(NS + "Cluster")
    with pytest.raises(AttributeError):
        CKG.Clustr  # noqa: B018 - the typo is the point


def _non_empty_english(graph, subject, predicate):
    values = [v for v in graph.objects(subject, predicate) if isinstance(v, Literal)]
    return any(v.language in (None, "en") and str(v).strip() for v in values)


def test_every_class_and_property_has_label_comment_and_defined_by(graph, declared):
    for name in declared:
        term = CKG[name]
        if not set(graph.objects(term, RDF.type)) & OWL_TERM_TYPES:
            continue
        assert _non_empty_english(graph, term, RDFS.label), f"ckg:{name} has no rdfs:label"
        assert _non_empty_english(graph, term, RDFS.comment), f"ckg:{name} has no rdfs:comment"
        assert (term, RDFS.isDefinedBy, ONTOLOGY_IRI) in graph, f"ckg:{name} has no rdfs:isDefinedBy"


def test_every_concept_and_scheme_has_label_and_definition(graph, declared):
    for name in declared:
        term = CKG[name]
        if not set(graph.objects(term, RDF.type)) & SKOS_TERM_TYPES:
            continue
        assert _non_empty_english(graph, term, SKOS.prefLabel), f"ckg:{name} has no skos:prefLabel"
        assert _non_empty_english(graph, term, SKOS.definition), f"ckg:{name} has no skos:definition"


@pytest.mark.parametrize(
    "sub, relation, sup",
    [
        (CKG.Cluster, RDFS.subClassOf, ORG.OrganizationalCollaboration),
        (CKG.Partnership, RDFS.subClassOf, ORG.OrganizationalCollaboration),
        (CKG.participant, RDFS.subPropertyOf, ORG.hasMember),
        (CKG.projectPartnerOf, RDFS.subPropertyOf, CKG.affiliatedWith),
        (CKG.locatedInRegionOf, RDFS.subPropertyOf, CKG.affiliatedWith),
        (CKG.Competency, RDFS.subClassOf, SKOS.Concept),
        (CKG.Industry, RDFS.subClassOf, SKOS.Concept),
        (CKG.Country, RDFS.subClassOf, SKOS.Concept),
        (CKG.Region, RDFS.subClassOf, SKOS.Concept),
    ],
)
def test_alignment_to_reused_vocabularies(graph, sub, relation, sup):
    assert (sub, relation, sup) in graph


ORGANISATION_TYPES = [
    CKG.SME, CKG.LargeEnterprise, CKG.University, CKG.ResearchInstitute, CKG.Technopark,
    CKG.PublicBody, CKG.Association, CKG.Investor, CKG.ClusterManagementOrganisation,
    CKG.Hospital, CKG.OtherOrganisation,
]  # fmt: skip
PARTNERSHIP_LEVELS = [CKG.CrossClusterProject, CKG.SuperRegionalCluster, CKG.MetaCluster, CKG.CooperationAgreement]


def test_organisation_types_and_partnership_levels_are_subclasses(graph):
    for cls in ORGANISATION_TYPES:
        assert (cls, RDFS.subClassOf, ORG.FormalOrganization) in graph, cls
    for cls in PARTNERSHIP_LEVELS:
        assert (cls, RDFS.subClassOf, CKG.Partnership) in graph, cls


SCHEME_SIZES = {
    CKG.AffiliationTypeScheme: 6,
    CKG.CompetencyLevelScheme: 3,
    CKG.ClusterStageScheme: 3,
    CKG.PolicyModelScheme: 3,
    CKG.SupportInstrumentScheme: 8,
    CKG.ResourceKindScheme: 6,
}


@pytest.mark.parametrize("scheme, size", SCHEME_SIZES.items(), ids=lambda v: str(v).rsplit("#", 1)[-1])
def test_fixed_schemes_are_complete_and_consistent(graph, scheme, size):
    in_scheme = set(graph.subjects(SKOS.inScheme, scheme))
    assert len(in_scheme) == size
    assert set(graph.objects(scheme, SKOS.hasTopConcept)) == in_scheme
    assert set(graph.subjects(SKOS.topConceptOf, scheme)) == in_scheme
    notations = [graph.value(concept, SKOS.notation) for concept in in_scheme]
    assert None not in notations and len(set(notations)) == size


def test_policy_concepts_cite_the_paper(graph):
    policy_concepts = set(graph.subjects(SKOS.inScheme, CKG.PolicyModelScheme)) | set(
        graph.subjects(SKOS.inScheme, CKG.SupportInstrumentScheme)
    )
    assert len(policy_concepts) == 11
    for concept in policy_concepts:
        source = graph.value(concept, DCTERMS.source)
        assert isinstance(source, BNode), f"{concept} should cite the paper as a bibliographic citation"
        citation = str(graph.value(source, DCTERMS.bibliographicCitation))
        assert "Development and implementation of cluster policy" in citation


@pytest.mark.parametrize(
    "scheme", ["competencies", "eu-emerging-industries", "eu-industrial-ecosystems", "nace-sections"]
)
def test_data_schemes_are_declared(graph, scheme):
    iri = URIRef(f"https://w3id.org/clusterkg/id/scheme/{scheme}")
    assert (iri, RDF.type, SKOS.ConceptScheme) in graph
    assert _non_empty_english(graph, iri, SKOS.prefLabel)
