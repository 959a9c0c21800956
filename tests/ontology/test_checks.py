"""The consistency checks (checks/*-violation.rq): silent on consistent data, loud on broken data;
their focused forms (checks/focused/): the same rows for the marked nodes."""

import pyoxigraph as ox
import pytest

from clusterkg.graph.shacl_sparql import FOCUS_CLASS, FOCUS_GRAPH
from clusterkg.graph.validation import _consistency_names, _focused_forms
from clusterkg.ontology import check_queries, example_files, resource_text

CHECKS = check_queries()

PREFIXES = """
@prefix ckg:     <https://w3id.org/clusterkg/ns#> .
@prefix org:     <http://www.w3.org/ns/org#> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix schema:  <https://schema.org/> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix ex:      <https://w3id.org/clusterkg/synthetic/> .
"""

# Reference nodes the broken graphs point to, so each graph breaks one thing only.
CONTEXT = """
ex:cluster-a a ckg:Cluster .
ex:cluster-b a ckg:Cluster .
ex:org-a a org:FormalOrganization, ckg:SME .
ex:competency-a a ckg:Competency .
"""

# For every check, graphs that are broken in the way the check looks for.
BROKEN = {
    "competency-shortcut-mismatch-violation": [
        "ex:org-a ckg:hasCompetency ex:competency-a .",
        """ex:org-a ckg:qualifiedCompetency ex:claim-a .
           ex:claim-a a ckg:CompetencyClaim ; ckg:competency ex:competency-a .""",
    ],
    "need-shortcut-mismatch-violation": [
        "ex:cluster-a ckg:needsCompetency ex:competency-a .",
        """ex:cluster-a ckg:qualifiedNeed ex:need-a .
           ex:need-a a ckg:CompetencyNeed ; ckg:competency ex:competency-a .""",
    ],
    "affiliation-shortcut-missing-violation": [
        # a member with ckg:affiliatedWith but without org:memberOf
        """ex:affiliation-a a ckg:Affiliation, org:Membership ;
               ckg:organisation ex:org-a ; ckg:cluster ex:cluster-a ; ckg:affiliationType ckg:Member ;
               org:member ex:org-a ; org:organization ex:cluster-a .
           ex:org-a ckg:affiliatedWith ex:cluster-a .""",
        # a project partner without any shortcut
        """ex:affiliation-a a ckg:Affiliation ;
               ckg:organisation ex:org-a ; ckg:cluster ex:cluster-a ; ckg:affiliationType ckg:ProjectPartner .""",
    ],
    "shortcut-without-affiliation-violation": [
        "ex:org-a ckg:affiliatedWith ex:cluster-a .",
        # ckg:projectPartnerOf backed only by a membership affiliation
        """ex:affiliation-a a ckg:Affiliation, org:Membership ;
               ckg:organisation ex:org-a ; ckg:cluster ex:cluster-a ; ckg:affiliationType ckg:Member ;
               org:member ex:org-a ; org:organization ex:cluster-a .
           ex:org-a ckg:affiliatedWith ex:cluster-a ; org:memberOf ex:cluster-a ;
               ckg:projectPartnerOf ex:cluster-a .""",
    ],
    "member-of-without-membership-violation": [
        "ex:org-a org:memberOf ex:cluster-a .",
        # the membership exists, but for another cluster
        """ex:org-a org:memberOf ex:cluster-a .
           ex:membership-b a org:Membership ; org:member ex:org-a ; org:organization ex:cluster-b .""",
    ],
    "broader-cycle-violation": [
        "ex:competency-a skos:broader ex:competency-a .",
        """ex:competency-b a ckg:Competency ; skos:broader ex:competency-c .
           ex:competency-c a ckg:Competency ; skos:broader ex:competency-d .
           ex:competency-d a ckg:Competency ; skos:broader ex:competency-b .""",
    ],
    "participant-not-cluster-violation": [
        """ex:partnership-a a ckg:Partnership, ckg:CooperationAgreement ;
               ckg:participant ex:cluster-a, ex:org-a .""",
    ],
    "ends-before-start-violation": [
        """ex:partnership-a schema:startDate "2013"^^xsd:gYear ; schema:endDate "2012"^^xsd:gYear .""",
        """ex:affiliation-a schema:startDate "2010-05-01"^^xsd:date ; schema:endDate "2009"^^xsd:gYear .""",
    ],
    "dangling-reference-violation": [
        """ex:affiliation-a a ckg:Affiliation ; ckg:organisation ex:org-a ; ckg:cluster ex:removed-cluster .""",
        "ex:cluster-a ckg:country ex:unknown-country .",
    ],
}


def _store(*turtle_documents: bytes) -> ox.Store:
    store = ox.Store()
    for document in turtle_documents:
        store.load(document, format=ox.RdfFormat.TURTLE)
    return store


def _rows(store: ox.Store, name: str) -> list:
    return list(store.query(CHECKS[name]))


def test_every_check_file_is_found():
    """Every ``*-violation.rq`` shipped is loaded (a glob that finds fewer passes nothing)."""
    from importlib import resources

    shipped = {p.name.removesuffix(".rq") for p in resources.files("clusterkg.ontology").joinpath("checks").iterdir()
               if p.name.endswith("-violation.rq")}
    assert len(shipped) == 9 and set(CHECKS) == shipped


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_check_says_what_it_finds(name):
    first_line = CHECKS[name].lstrip().splitlines()[0]
    assert first_line.startswith("# Finds "), name
    assert "SELECT" in CHECKS[name]


def test_every_check_has_a_broken_case():
    assert set(BROKEN) == set(CHECKS)


@pytest.mark.parametrize("example", example_files("valid"), ids=lambda f: f.name)
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_check_is_silent_on_valid_example(name, example):
    assert _rows(_store(example.read_bytes()), name) == []


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_check_is_silent_on_all_valid_examples_with_the_ontology(name):
    documents = [example.read_bytes() for example in example_files("valid")]
    documents.append(resource_text("clusterkg.ttl").encode("utf-8"))
    assert _rows(_store(*documents), name) == []


@pytest.mark.parametrize(
    "name, broken",
    [(name, broken) for name, cases in BROKEN.items() for broken in cases],
    ids=lambda v: v if v in BROKEN else "",
)
def test_check_finds_broken_data(name, broken):
    store = _store((PREFIXES + CONTEXT + broken).encode("utf-8"))
    assert len(_rows(store, name)) >= 1


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_check_is_silent_on_the_context_alone(name):
    # Guards the broken cases: the shared context must not trip a check by itself.
    assert _rows(_store((PREFIXES + CONTEXT).encode("utf-8")), name) == []


# --------------------------------------------------------------------------- focused forms


#: The nodes a check's row is about (its other columns are vocabulary: a shortcut predicate).
FOCUS_VARIABLES = {
    "affiliation-shortcut-missing-violation": {"affiliation", "organisation", "cluster"},
    "broader-cycle-violation": {"competency"},
    "competency-shortcut-mismatch-violation": {"organisation", "competency"},
    "ends-before-start-violation": {"subject"},
    "member-of-without-membership-violation": {"organisation", "cluster"},
    "need-shortcut-mismatch-violation": {"holder", "competency"},
    "participant-not-cluster-violation": {"partnership", "participant"},
    "shortcut-without-affiliation-violation": {"organisation", "cluster"},
}


def test_every_check_an_import_runs_has_a_focused_form_starting_from_each_node_of_a_row():
    forms = _focused_forms()
    assert set(forms) == set(_consistency_names()) == set(FOCUS_VARIABLES)
    for name, (sparql, variables) in forms.items():
        assert variables == FOCUS_VARIABLES[name], name
        assert variables <= {v.value for v in ox.Store().query(sparql).variables}, name


def _marked(store: ox.Store, nodes) -> ox.Store:
    store.update(f"DROP SILENT GRAPH <{FOCUS_GRAPH}>")
    store.extend(ox.Quad(node, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(FOCUS_CLASS),
                         ox.NamedNode(FOCUS_GRAPH)) for node in nodes)
    return store


def _rows_involving(store: ox.Store, sparql: str, variables: frozenset[str], nodes: set) -> set[tuple]:
    solutions = store.query(sparql)
    names = [v.value for v in solutions.variables]
    return {tuple(row) for row in map(tuple, solutions)
            if any(value in nodes for name, value in zip(names, row) if name in variables)}


@pytest.mark.parametrize(
    "name, broken",
    [(name, broken) for name, cases in BROKEN.items() for broken in cases if name in _focused_forms()],
    ids=lambda v: v if v in BROKEN else "",
)
def test_focused_form_gives_the_checks_rows_for_each_marked_node(name, broken):
    """Marked one at a time, then all at once: every node of the broken graph gets from the
    focused form exactly the check's rows that bind it in a focus variable (and some get rows)."""
    sparql, variables = _focused_forms()[name]
    store = _store((PREFIXES + CONTEXT + broken).encode("utf-8"))
    nodes = {term for quad in store for term in (quad.subject, quad.object) if isinstance(term, ox.NamedNode | ox.BlankNode)}
    found = 0
    for marked in [{node} for node in sorted(nodes, key=str)] + [nodes]:
        expected = _rows_involving(store, CHECKS[name], variables, marked)
        assert {tuple(row) for row in _marked(store, marked).query(sparql)} == expected, (name, marked)
        found += len(expected)
    assert found > 0
