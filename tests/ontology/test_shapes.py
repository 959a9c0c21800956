"""The SHACL shapes accept every valid example, reject every invalid one, and explain why."""

import re

import pyshacl
import pytest
from rdflib import Graph, Literal
from rdflib.collection import Collection
from rdflib.namespace import DCAT, ORG, OWL, RDF, RDFS, SH, SKOS

from clusterkg.ontology import example_files, ontology_graph, shapes_graph
from clusterkg.ontology.namespace import CKG

VALID = example_files("valid")
INVALID = example_files("invalid")


@pytest.fixture(scope="module")
def shapes():
    return shapes_graph()


def _validate(data: Graph, shapes: Graph):
    conforms, results, text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=False
    )
    return conforms, results, text


def _parse(example) -> Graph:
    return Graph().parse(data=example.read_text(encoding="utf-8"), format="turtle")


def test_enough_examples_found():
    # An empty glob would make the parametrized tests below pass vacuously.
    assert len(VALID) >= 4
    assert len(INVALID) >= 8


@pytest.mark.parametrize("example", VALID, ids=lambda f: f.name)
def test_valid_example_conforms(example, shapes):
    conforms, _, text = _validate(_parse(example), shapes)
    assert conforms, text


def test_valid_examples_merged_conform(shapes):
    # Import batches are validated merged with the reference data they need.
    merged = Graph()
    for example in VALID:
        merged += _parse(example)
    conforms, _, text = _validate(merged, shapes)
    assert conforms, text


@pytest.mark.parametrize("example", INVALID, ids=lambda f: f.name)
def test_invalid_example_fails_with_one_clear_message(example, shapes):
    first_line = example.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# violates: "), "say which rule the file breaks"

    conforms, results, text = _validate(_parse(example), shapes)
    assert not conforms

    result_nodes = list(results.subjects(RDF.type, SH.ValidationResult))
    assert result_nodes
    messages = set()
    for node in result_nodes:
        node_messages = [str(m).strip() for m in results.objects(node, SH.resultMessage) if m.language is None]
        assert len(node_messages) == 1 and all(node_messages), f"result without one English message:\n{text}"
        messages.update(node_messages)
    # Each invalid example breaks exactly one rule.
    assert len(messages) == 1, f"{example.name} breaks more than one rule: {sorted(messages)}"


def _constraints(shapes: Graph):
    for node_shape in shapes.subjects(RDF.type, SH.NodeShape):
        for predicate in (SH.property, SH.sparql):
            for constraint in shapes.objects(node_shape, predicate):
                yield node_shape, predicate, constraint


def test_every_constraint_has_an_english_message(shapes):
    constraints = list(_constraints(shapes))
    assert len(constraints) > 50
    for node_shape, predicate, constraint in constraints:
        messages = [m for m in shapes.objects(constraint, SH.message) if isinstance(m, Literal)]
        assert messages, f"{node_shape} has an {predicate} without sh:message"
        english = [m for m in messages if m.language in (None, "en")]
        assert len(english) == 1 and len(str(english[0])) > 20, constraint


def _messages_by_holder(shapes: Graph) -> dict:
    holders: dict = {}
    for holder, message in shapes.subject_objects(SH.message):
        holders.setdefault(holder, []).append(message)
    return holders


def test_every_message_has_one_english_and_one_russian_twin(shapes):
    # A rejected import is said in Russian on a Russian page (and with --lang ru) from these twins.
    holders = _messages_by_holder(shapes)
    assert len(holders) > 150
    for holder, messages in holders.items():
        languages = sorted(str(m.language) for m in messages)
        assert languages == ["None", "ru"], f"{holder}: messages in {languages}, want one untagged and one @ru"
        english, russian = sorted(messages, key=lambda m: m.language is not None)
        # a translation, not a copy; Cyrillic text; the CURIEs the English names kept as they are
        assert str(russian) != str(english) and any("а" <= c <= "я" for c in str(russian).lower()), holder
        curies = set(re.findall(r"\b(?:ckg|dct|skos|rdfs|schema|org|xsd|dcat):[A-Za-z]+", str(english)))
        assert curies <= set(re.findall(r"\b(?:ckg|dct|skos|rdfs|schema|org|xsd|dcat):[A-Za-z]+", str(russian))), holder


def test_one_english_message_has_one_russian_wording(shapes):
    # the compiled shapes keep the Russian by the English message: the same English, the same Russian
    wording: dict = {}
    for messages in _messages_by_holder(shapes).values():
        english = next(str(m) for m in messages if m.language is None)
        russian = next(str(m) for m in messages if m.language == "ru")
        assert wording.setdefault(english, russian) == russian, english


def test_node_shapes_with_own_constraints_have_a_message(shapes):
    # A constraint put directly on a node shape (sh:or, sh:xone, ...) is explained by the node
    # shape's own sh:message.
    bookkeeping = {RDF.type, RDFS.comment, SH.message, SH.property, SH.sparql,
                   SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode}  # fmt: skip
    with_own_constraints = [
        node_shape
        for node_shape in shapes.subjects(RDF.type, SH.NodeShape)
        if set(shapes.predicates(node_shape)) - bookkeeping
    ]
    assert with_own_constraints, "expected the sh:or / sh:xone shapes"
    for node_shape in with_own_constraints:
        messages = list(shapes.objects(node_shape, SH.message))
        assert messages and all(len(str(m)) > 20 for m in messages), node_shape


def test_only_shacl_core(shapes):
    # pyshacl runs each SPARQL constraint as one rdflib query per focus node (8-60 ms each): a
    # 23k-triple batch took 114 s instead of 1 s. Rules that need SPARQL are checks/*.rq.
    assert not list(shapes.subject_objects(SH.sparql))


def test_ontology_itself_conforms(shapes):
    # The importer accepts the ontology file like any other Turtle file.
    conforms, _, text = _validate(ontology_graph(), shapes)
    assert conforms, text


SCHEME_OF_PATH = {
    CKG.affiliationType: CKG.AffiliationTypeScheme,
    CKG.level: CKG.CompetencyLevelScheme,
    CKG.stage: CKG.ClusterStageScheme,
    CKG.policyModel: CKG.PolicyModelScheme,
    CKG.supportInstrument: CKG.SupportInstrumentScheme,
    CKG.resourceKind: CKG.ResourceKindScheme,
}


@pytest.mark.parametrize("path, scheme", SCHEME_OF_PATH.items(), ids=lambda v: str(v).rsplit("#", 1)[-1])
def test_allowed_values_are_exactly_the_scheme(path, scheme, shapes):
    ontology = ontology_graph()
    concepts = set(ontology.subjects(SKOS.inScheme, scheme))
    top_level = {ps for _, _, ps in _constraints(shapes)}
    lists = [
        shapes.value(ps, SH["in"])
        for ps in shapes.subjects(SH.path, path)
        if ps in top_level and shapes.value(ps, SH["in"])
    ]
    assert lists, f"no sh:in for {path}"
    for head in lists:
        assert set(Collection(shapes, head)) == concepts


def test_classes_in_shapes_are_known(shapes):
    ontology = ontology_graph()
    external = {ORG.FormalOrganization, ORG.Membership, DCAT.Dataset}
    used = set(shapes.objects(None, SH.targetClass)) | set(shapes.objects(None, SH["class"]))
    for cls in used - external:
        assert (cls, RDF.type, OWL.Class) in ontology, f"{cls} is not a class of the ontology"
