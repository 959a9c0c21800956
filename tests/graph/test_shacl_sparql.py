"""The shapes compiled to SPARQL give pyshacl's verdict and messages, on every example and fixture.

pyshacl (``inference="none"``, as the importer ran it) is the reference: each test loads the
same rdflib graph into pyshacl and into a pyoxigraph store (blank node ids kept) and compares
the sets of (focus, path, message). The targeted tests state small worlds whose violations are
known by construction and compare them with pyshacl too.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
from rdflib import BNode, Graph
from rdflib.namespace import RDF, SH

from clusterkg.graph.dataset import default_sheet_paths
from clusterkg.graph.shacl_sparql import (
    FOCUS_CLASS,
    FOCUS_GRAPH,
    ShapeViolation,
    UnsupportedShape,
    _SharedProbes,
    compile_shapes,
    sorted_violations,
)
from clusterkg.graph.sheets import read_sheet_file
from clusterkg.graph.store import _to_ox
from clusterkg.ontology import example_files, ontology_graph, shapes_graph

DATA_DIR = Path(__file__).parent.parent / "data"
VALID = example_files("valid")
INVALID = example_files("invalid")
BROKEN_RDF = [p for p in sorted((DATA_DIR / "broken").glob("*.ttl")) if p.name != "syntax.ttl"]
BROKEN_SHEETS = sorted((DATA_DIR / "broken").glob("*.csv"))

PREFIXES = """
@prefix sh:  <http://www.w3.org/ns/shacl#> .
@prefix ex:  <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
"""


def _store(graph: Graph, focus: set[str] | None = None) -> ox.Store:
    store = ox.Store()
    store.extend([ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o)) for s, p, o in graph])
    for node in focus or ():
        store.add(ox.Quad(ox.NamedNode(node), ox.NamedNode(str(RDF.type)), ox.NamedNode(FOCUS_CLASS), ox.NamedNode(FOCUS_GRAPH)))
    return store


def _reference(data: Graph, shapes: Graph) -> tuple[bool, set[tuple[str, str | None, str]]]:
    conforms, results, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    found = set()
    for result in results.subjects(RDF.type, SH.ValidationResult):
        path = results.value(result, SH.resultPath)
        if isinstance(path, BNode):
            path = "^" + str(results.value(path, SH.inversePath))
        english = [m for m in results.objects(result, SH.resultMessage) if m.language in (None, "en")]  # (not the @ru twin)
        assert len(english) == 1
        found.add((str(results.value(result, SH.focusNode)), None if path is None else str(path), str(english[0])))
    return conforms, found


def _compiled(data: Graph, shapes: Graph | None = None) -> list[ShapeViolation]:
    """The violations by the grouped passes, which must be those of the plan for few targets
    (the constraints' own queries), the one these small graphs get by default."""
    compiled, store = compile_shapes(shapes), _store(data)
    grouped = compiled.violations(store, focus_graph=None, few=0)
    assert compiled.violations(store, focus_graph=None) == grouped
    return grouped


def _assert_parity(data: Graph, shapes: Graph | None = None) -> list[ShapeViolation]:
    conforms, expected = _reference(data, shapes if shapes is not None else shapes_graph())
    violations = _compiled(data, shapes)
    assert (not violations) == conforms
    assert {(v.focus, v.path, v.message) for v in violations} == expected
    return violations


def _parse(text: str) -> Graph:
    return Graph().parse(data=PREFIXES + text, format="turtle")


def test_fixtures_found():
    # a glob that finds nothing would make the parametrized tests pass vacuously
    assert len(VALID) >= 4 and len(INVALID) >= 8 and BROKEN_RDF and BROKEN_SHEETS


@pytest.mark.parametrize("example", VALID, ids=lambda f: f.name)
def test_valid_example_conforms_like_pyshacl(example):
    assert _assert_parity(Graph().parse(data=example.read_text(encoding="utf-8"), format="turtle")) == []


@pytest.mark.parametrize("example", INVALID, ids=lambda f: f.name)
def test_invalid_example_gives_pyshacls_violations(example):
    violations = _assert_parity(Graph().parse(data=example.read_text(encoding="utf-8"), format="turtle"))
    assert violations


@pytest.mark.parametrize("path", BROKEN_RDF, ids=lambda p: p.name)
def test_broken_rdf_fixture_like_pyshacl(path):
    assert _assert_parity(Graph().parse(path))


@pytest.mark.parametrize("path", BROKEN_SHEETS, ids=lambda p: p.name)
def test_broken_sheet_rows_like_pyshacl(path):
    # the rows with cell problems too: the shapes see what the sheet builder made of them (minus
    # triples with IRIs no store accepts, e.g. an id with a space; both engines get the same graph)
    sheet = read_sheet_file(path)
    data = Graph()
    for triple in sheet.graph + sheet.partial:
        try:
            [_to_ox(term) for term in triple]
        except ValueError:
            continue
        data.add(triple)
    assert len(data)
    _assert_parity(data)


def test_default_dataset_like_pyshacl():
    sheets = [read_sheet_file(path) for path in default_sheet_paths()]
    assert [p for sheet in sheets for p in sheet.problems] == []
    data = ontology_graph()
    for sheet in sheets:
        data += sheet.graph
    assert len(data) > 10_000
    assert _assert_parity(data) == []


def test_every_shapes_constraint_is_a_query():
    shapes = shapes_graph()
    queries = compile_shapes().queries
    top = [ps for ns in shapes.subjects(RDF.type, SH.NodeShape) for ps in shapes.objects(ns, SH.property)]
    assert len(queries) >= len(top) > 50
    assert all(q.sparql().lstrip().startswith("#") and "SELECT DISTINCT ?focus" in q.sparql() for q in queries)
    assert all(FOCUS_GRAPH in q.sparql() and FOCUS_GRAPH not in q.sparql(None) for q in queries)
    assert compile_shapes() is compile_shapes()  # the project's shapes are compiled once


# --------------------------------------------------------------------------- targeted


LOGIC_SHAPES = """
ex:S a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:message "S: exactly one of ex:a, ex:b" ;
    sh:xone ( [ sh:property [ sh:path ex:a ; sh:minCount 1 ] ] [ sh:property [ sh:path ex:b ; sh:minCount 1 ] ] ) ;
    sh:property [ sh:path ex:v ; sh:or ( [ sh:datatype xsd:integer ] [ sh:datatype xsd:date ] ) ;
                  sh:message "v: an integer or a date" ] ;
    sh:property [ sh:path ex:w ; sh:not [ sh:class ex:Bad ] ; sh:message "w: not a Bad" ] ;
    sh:property [ sh:path rdf:type ; sh:qualifiedValueShape [ sh:in ( ex:K1 ex:K2 ) ] ;
                  sh:qualifiedMinCount 1 ; sh:qualifiedMaxCount 1 ; sh:message "one kind" ] ;
    sh:property [ sh:path ex:label ; sh:uniqueLang true ; sh:message "one label per language" ] ;
    sh:property [ sh:path [ sh:inversePath ex:owns ] ; sh:minCount 1 ; sh:maxCount 1 ; sh:class ex:Owner ;
                  sh:message "one owner" ] .
"""
LOGIC_DATA = """
ex:Owner1 a ex:Owner ; ex:owns ex:good, ex:neither, ex:both, ex:badv, ex:badw, ex:kinds, ex:langs, ex:two_owners .
ex:Owner2 a ex:Owner ; ex:owns ex:two_owners .
ex:Notowner ex:owns ex:wrong_owner .
ex:good a ex:Thing, ex:K1 ; ex:a 1 ; ex:v 5, "2020-01-01"^^xsd:date ; ex:w ex:fine ; ex:label "x"@en, "y"@de .
ex:neither a ex:Thing, ex:K1 .
ex:both a ex:Thing, ex:K1 ; ex:a 1 ; ex:b 2 .
ex:badv a ex:Thing, ex:K1 ; ex:a 1 ; ex:v "five", "2020-02-30"^^xsd:date .
ex:badw a ex:Thing, ex:K1 ; ex:a 1 ; ex:w ex:evil . ex:evil a ex:Bad .
ex:kinds a ex:Thing, ex:K1, ex:K2 ; ex:a 1 .
ex:nokind a ex:Thing ; ex:a 1 .
ex:langs a ex:Thing, ex:K1 ; ex:a 1 ; ex:label "x"@en, "y"@EN, "z" .
ex:two_owners a ex:Thing, ex:K1 ; ex:a 1 .
ex:wrong_owner a ex:Thing, ex:K1 ; ex:a 1 .
"""
EX = "http://example.org/"


def test_logic_counts_languages_and_inverse_paths():
    found = {(v.focus.removeprefix(EX), v.message, v.value) for v in _assert_parity(_parse(LOGIC_DATA), _parse(LOGIC_SHAPES))}
    assert found == {
        ("neither", "S: exactly one of ex:a, ex:b", EX + "neither"),
        ("both", "S: exactly one of ex:a, ex:b", EX + "both"),
        ("badv", "v: an integer or a date", "five"),
        ("badv", "v: an integer or a date", "2020-02-30"),
        ("badw", "w: not a Bad", EX + "evil"),
        ("kinds", "one kind", None),
        ("nokind", "one kind", None),
        ("nokind", "one owner", None),
        ("langs", "one label per language", None),
        ("two_owners", "one owner", None),
        ("wrong_owner", "one owner", EX + "Notowner"),
    }


def test_inverse_path_is_reported_with_a_caret():
    violations = _compiled(_parse(LOGIC_DATA), _parse(LOGIC_SHAPES))
    assert {v.path for v in violations if v.message == "one owner"} == {"^" + EX + "owns"}
    assert {v.shape for v in violations} == {EX + "S"}


TYPED_SHAPES = """
ex:T a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:n ; sh:datatype xsd:integer ; sh:message "n" ] ;
    sh:property [ sh:path ex:n ; sh:minInclusive 0 ; sh:maxInclusive 8 ; sh:message "n range" ] ;
    sh:property [ sh:path ex:flag ; sh:datatype xsd:boolean ; sh:message "flag" ] ;
    sh:property [ sh:path ex:day ; sh:datatype xsd:date ; sh:message "day" ] ;
    sh:property [ sh:path ex:year ; sh:datatype xsd:gYear ; sh:message "year" ] ;
    sh:property [ sh:path ex:code ; sh:pattern "^[A-Z]{2}$" ; sh:minLength 2 ; sh:message "code" ] ;
    sh:property [ sh:path ex:name ; sh:languageIn ( "en" ) ; sh:message "name" ] ;
    sh:property [ sh:path ex:same ; sh:equals ex:other ; sh:message "same" ] ;
    sh:property [ sh:path ex:kind ; sh:in ( ex:K1 ex:K2 ) ; sh:hasValue ex:K1 ; sh:message "kind" ] ;
    sh:property [ sh:path ex:link ; sh:nodeKind sh:IRI ; sh:message "link" ] .
"""
TYPED_DATA = """
ex:ok a ex:Thing ; ex:n 3, " 4"^^xsd:integer ; ex:flag true, "0"^^xsd:boolean ; ex:day "2020-02-29"^^xsd:date ;
    ex:year "abc"^^xsd:gYear ; ex:code "DE" ; ex:name "x"@en-GB ; ex:same ex:a ; ex:other ex:a ;
    ex:kind ex:K1 ; ex:link ex:l .
ex:bad a ex:Thing ; ex:n "abc"^^xsd:integer, 9, -1, "3" ; ex:flag "maybe" ;
    ex:day "2021-02-29"^^xsd:date, "2021-01-01" ; ex:year "2021-01-01"^^xsd:date ; ex:code "de", "D", [] ;
    ex:name "x"@fr, "y" ; ex:same ex:a ; ex:other ex:b ; ex:kind ex:K3 ; ex:link "http://example.org/l" .
"""


def test_datatypes_ill_typed_literals_and_value_tests():
    violations = _assert_parity(_parse(TYPED_DATA), _parse(TYPED_SHAPES))
    assert {v.focus for v in violations} == {EX + "bad"}
    values = {(v.message, v.value) for v in violations if not v.focus_is_blank and v.value is not None}
    # ill-typed literals fail sh:datatype; "abc"^^xsd:gYear passes, as in pyshacl (rdflib cannot parse gYear)
    assert {("n", "abc"), ("n", "3"), ("flag", "maybe"), ("day", "2021-02-29"), ("day", "2021-01-01")} <= values
    assert {v for m, v in values if m == "n"} == {"abc", "3"}  # " 4"^^xsd:integer passes, as in Python's int()
    assert {v for m, v in values if m == "n range"} == {"abc", "9", "-1", "3"}  # incomparable values fail too
    assert ("year", "2021-01-01") in values and not any(m == "year" and v == "abc" for m, v in values)
    assert {("code", "de"), ("code", "D"), ("name", "x"), ("name", "y"), ("same", EX + "a"), ("same", EX + "b")} <= values
    assert ("kind", EX + "K3") in values and ("link", "http://example.org/l") in values


def test_ill_typed_boolean_read_by_pyoxigraph():
    # rdflib rewrites "True"^^xsd:boolean to "true" while parsing (and still calls it ill-typed),
    # so this case cannot go through an rdflib graph: pyoxigraph's parser keeps the lexical form.
    store = ox.Store()
    store.load(
        (PREFIXES + 'ex:a a ex:Thing ; ex:flag "True"^^xsd:boolean, "1"^^xsd:boolean, false .').encode(),
        format=ox.RdfFormat.TURTLE,
    )
    violations = compile_shapes(_parse(TYPED_SHAPES)).violations(store, focus_graph=None)
    assert [(v.focus, v.value) for v in violations if v.message == "flag"] == [(EX + "a", "True")]


def test_subclasses_in_the_data_count_for_targets_and_classes():
    shapes = _parse("""ex:S a sh:NodeShape ; sh:targetClass ex:Base ;
        sh:property [ sh:path ex:p ; sh:class ex:Base ; sh:message "p is a Base" ] .""")
    data = _parse("""ex:Sub rdfs:subClassOf ex:Mid . ex:Mid rdfs:subClassOf ex:Base .
        ex:x a ex:Sub ; ex:p ex:y, ex:z . ex:y a ex:Mid . ex:z a ex:Other .""")
    assert {(v.focus, v.value) for v in _assert_parity(data, shapes)} == {(EX + "x", EX + "z")}


def test_blank_node_focus():
    shapes = _parse("""ex:S a sh:NodeShape ; sh:targetClass ex:Thing ;
        sh:property [ sh:path ex:p ; sh:minCount 1 ; sh:message "needs p" ] .""")
    data = _parse("""[] a ex:Thing . ex:named a ex:Thing .""")
    violations = _assert_parity(data, shapes)
    assert sorted(v.focus_is_blank for v in violations) == [False, True]


# --------------------------------------------------------------------------- focus restriction

FOCUS_SHAPES = """ex:S a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "needs a name" ] ;
    sh:property [ sh:path ex:friend ; sh:class ex:Thing ; sh:message "friends are things" ] ."""
FOCUS_DATA = """ex:batch a ex:Thing ; ex:friend ex:context . ex:context a ex:Thing .
ex:typed_elsewhere ex:friend ex:stranger . ex:typed_elsewhere a ex:Thing ."""


def test_only_focus_candidates_are_reported():
    compiled = compile_shapes(_parse(FOCUS_SHAPES))
    store = _store(_parse(FOCUS_DATA), focus={EX + "batch", EX + "typed_elsewhere"})
    everything = {(v.focus, v.message) for v in compiled.violations(store, focus_graph=None)}
    assert (EX + "context", "needs a name") in everything  # a violating node ...
    focused = {(v.focus, v.message) for v in compiled.violations(store)}
    assert (EX + "context", "needs a name") not in focused  # ... not in the focus is not reported
    assert focused == {
        (EX + "batch", "needs a name"),
        # its type triple is context (not marked, not part of the batch), yet it is a focus candidate
        (EX + "typed_elsewhere", "needs a name"),
        (EX + "typed_elsewhere", "friends are things"),
    }


def test_a_focus_candidate_that_is_no_target_is_not_checked():
    compiled = compile_shapes(_parse(FOCUS_SHAPES))
    store = _store(_parse("ex:untyped ex:friend ex:x ."), focus={EX + "untyped"})
    assert compiled.violations(store) == []


def test_threads_do_not_change_the_answer():
    compiled = compile_shapes(_parse(LOGIC_SHAPES))
    store = _store(_parse(LOGIC_DATA))
    one = compiled.violations(store, focus_graph=None, threads=1)
    assert one and one == compiled.violations(store, focus_graph=None, threads=4)


# --------------------------------------------------------------------------- refused constructs


@pytest.mark.parametrize(
    "shape, named",
    [
        ('sh:property [ sh:path ex:p ; sh:maxLength 3 ; sh:message "m" ]', "sh:maxLength"),
        ('sh:closed true', "sh:closed"),
        ('sh:sparql [ sh:select "SELECT $this WHERE {}" ]', "sh:sparql"),
        ('sh:property [ sh:path ( ex:p ex:q ) ; sh:minCount 1 ; sh:message "m" ]', "sh:path"),
        ('sh:property [ sh:path ex:p ; sh:minCount 1 ]', "sh:message"),
        ('sh:property [ sh:path ex:p ; sh:severity sh:Warning ; sh:minCount 1 ; sh:message "m" ]', "sh:severity"),
        ('sh:property [ sh:path ex:p ; sh:datatype xsd:decimal ; sh:message "m" ]', "sh:datatype"),
    ],
)
def test_unsupported_construct_is_refused_by_name(shape, named):
    with pytest.raises(UnsupportedShape, match=named):
        compile_shapes(_parse(f"ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; {shape} ."))


def test_grouped_plan_gives_the_answer_of_one_query_per_constraint():
    # violations() runs the constraints grouped into few passes; each query of `queries` alone
    # must find the same: on all invalid examples together, and on the targeted worlds
    merged = Graph()
    for example in INVALID:
        merged.parse(data=example.read_text(encoding="utf-8"), format="turtle")
    cases = [(merged, None), (_parse(LOGIC_DATA), _parse(LOGIC_SHAPES)), (_parse(TYPED_DATA), _parse(TYPED_SHAPES))]
    for number, (data, shapes) in enumerate(cases):
        compiled = compile_shapes(shapes)
        focus = {str(s) for s in data.subjects() if not isinstance(s, BNode)}
        store = _store(data, focus=set(list(sorted(focus))[::2]))
        for focus_graph in (None, FOCUS_GRAPH):
            grouped = compiled.violations(store, focus_graph=focus_graph, few=0)
            assert grouped == compiled.violations_one_by_one(store, focus_graph=focus_graph)
        if number == 0:  # half the focus: some violations are not reported
            assert len(grouped) < len(compiled.violations(store, focus_graph=None, few=0))


def test_a_class_test_of_the_focus_in_an_or_joins_one_column():
    # in a grouped pass the focus node's sh:class is read from one joined pattern (its path);
    # the direct type would be a second pattern whose matches the path's include
    shapes = _parse("""ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:message "Base or p" ;
        sh:or ( [ sh:class ex:Base ] [ sh:path ex:p ; sh:minCount 1 ] ) .""")
    data = _parse("""ex:Sub rdfs:subClassOf ex:Base .
        ex:direct a ex:T, ex:Base . ex:inherited a ex:T, ex:Sub . ex:valued a ex:T ; ex:p 1 . ex:neither a ex:T, ex:Other .""")
    assert {v.focus for v in _assert_parity(data, shapes)} == {EX + "neither"}
    joined = [line for planned in compile_shapes(shapes)._plan for line in planned.template.splitlines()
              if "Base>" in line]
    assert len(joined) == 1 and "subClassOf>*" in joined[0], joined


def test_logic_of_classes_and_values_as_clauses_like_pyshacl():
    # node-level logic over lifted patterns runs as a product of sums: "an A is a B" is two
    # clauses of one literal (a join with the A's, an anti-join with the B's); "an A or has a p"
    # negated is one clause of two (the union of both sets); each a pass of its own (other targets)
    shapes = _parse("""
        ex:AB a sh:NodeShape ; sh:targetClass ex:T ; sh:message "an A is a B" ;
            sh:or ( [ sh:not [ sh:class ex:A ] ] [ sh:class ex:B ] ) .
        ex:Neither a sh:NodeShape ; sh:targetClass ex:U ; sh:message "neither an A nor with a p" ;
            sh:not [ sh:or ( [ sh:class ex:A ] [ sh:path ex:p ; sh:minCount 1 ] ) ] .""")
    data = _parse("""ex:SubA rdfs:subClassOf ex:A .
        ex:ab a ex:T, ex:U, ex:A, ex:B . ex:a a ex:T, ex:U, ex:SubA . ex:b a ex:T, ex:U, ex:B .
        ex:p a ex:T, ex:U ; ex:p 1 . ex:none a ex:T, ex:U . ex:other a ex:A .""")
    found = {(v.focus.removeprefix(EX), v.message) for v in _assert_parity(data, shapes)}
    assert found == {("a", "an A is a B"), ("ab", "neither an A nor with a p"), ("a", "neither an A nor with a p"),
                     ("p", "neither an A nor with a p")}
    passes = compile_shapes(shapes)._plan
    assert all("OPTIONAL" not in p.template for p in passes) and len(passes) == 2
    marked = _store(data, focus={EX + "a", EX + "b"})
    assert {v.focus for v in compile_shapes(shapes).violations(marked, few=0)} == {EX + "a"}


def test_class_probes_of_one_class_are_asked_once_for_every_pass():
    # passes testing the same sh:class share one probe (the class's instances built once); each
    # pass still learns alone whether one of its own values is no instance
    shapes = _parse("""
        ex:A a sh:NodeShape ; sh:targetClass ex:T ; sh:property [ sh:path ex:p ; sh:class ex:Org ; sh:message "p Org" ] .
        ex:B a sh:NodeShape ; sh:targetClass ex:T ; sh:property [ sh:path ex:q ; sh:class ex:Org ; sh:message "q Org" ] .
        ex:C a sh:NodeShape ; sh:targetClass ex:T ;
            sh:property [ sh:path [ sh:inversePath ex:r ] ; sh:class ex:Org ; sh:message "r Org" ] .""")
    data = _parse("""ex:SME rdfs:subClassOf ex:Org . ex:o1 a ex:Org . ex:o2 a ex:SME . ex:x a ex:Thing .
        ex:t1 a ex:T ; ex:p ex:o1 ; ex:q ex:x . ex:t2 a ex:T ; ex:p ex:o2 ; ex:q ex:o2 .
        ex:o1 ex:r ex:t1 . ex:x ex:r ex:t2 .""")
    violations = _assert_parity(data, shapes)
    assert {(v.focus, v.message) for v in violations} == {(EX + "t1", "q Org"), (EX + "t2", "r Org")}
    plan = compile_shapes(shapes)._plan
    shared = [planned.shared_probe for planned in plan if planned.shared_probe is not None]
    assert len(shared) == 3 and len({query for query, _ in shared}) == 1
    query = shared[0][0]
    tags = {planned.label.split()[0]: planned.shared_probe[1] for planned in plan if planned.shared_probe}
    assert _SharedProbes(_store(data)).tags(query) == {tags["B"], tags["C"]}


def test_a_value_among_listed_terms_is_looked_up_and_a_negated_list_scanned():
    # a qualified count of types among a list looks each listed type up (VALUES) instead of
    # grouping every rdf:type value; a list under sh:not is true for unlisted terms: still scanned
    shapes = _parse("""
        ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:property [ sh:path rdf:type ;
            sh:qualifiedValueShape [ sh:in ( ex:K1 ex:K2 ) ] ; sh:qualifiedMinCount 1 ; sh:qualifiedMaxCount 1 ;
            sh:message "one kind" ] .
        ex:N a sh:NodeShape ; sh:targetClass ex:T ; sh:property [ sh:path ex:p ;
            sh:qualifiedValueShape [ sh:not [ sh:in ( ex:a ex:b ) ] ] ; sh:qualifiedMaxCount 0 ;
            sh:message "only a or b" ] .""")
    data = _parse("""ex:one a ex:T, ex:K1 ; ex:p ex:a . ex:none a ex:T ; ex:p ex:b .
        ex:two a ex:T, ex:K1, ex:K2 . ex:other a ex:T, ex:K2 ; ex:p ex:c .""")
    found = {(v.focus.removeprefix(EX), v.message) for v in _assert_parity(data, shapes)}
    assert found == {("none", "one kind"), ("two", "one kind"), ("other", "only a or b")}
    compiled = compile_shapes(shapes)
    text = "\n".join(p.template + (p.probe or "") for p in compiled._plan)
    assert "VALUES" in text and "ex.org" not in text  # (the listed types, looked up)
    assert any("GROUP BY" in p.template and "<http://example.org/a>" in p.template for p in compiled._plan)
    store = _store(data, focus={EX + n for n in ("one", "none", "two", "other")})
    assert compiled.violations(store, focus_graph=FOCUS_GRAPH) == compiled.violations_one_by_one(store, focus_graph=FOCUS_GRAPH)


def test_a_count_of_tested_values_reads_only_the_nodes_with_several():
    # a maximum count of values passing a test (qualified, or per language) first finds the nodes
    # with two or more triples of the predicate; the answers are those of every node's values
    shapes = _parse("""
        ex:S a sh:NodeShape ; sh:targetClass ex:T ;
            sh:property [ sh:path rdfs:label ; sh:uniqueLang true ; sh:message "one per language" ] ;
            sh:property [ sh:path rdfs:label ; sh:qualifiedValueShape [ sh:languageIn ( "en" ) ] ;
                sh:qualifiedMaxCount 1 ; sh:message "one English" ] ;
            sh:property [ sh:path [ sh:inversePath ex:owns ] ; sh:qualifiedValueShape [ sh:nodeKind sh:IRI ] ;
                sh:qualifiedMaxCount 1 ; sh:message "one named owner" ] .""")
    data = _parse("""ex:ok a ex:T ; rdfs:label "a"@en, "b"@de .  ex:single a ex:T ; rdfs:label "a"@en .
        ex:twoen a ex:T ; rdfs:label "a"@en, "b"@en-GB .  ex:twode a ex:T ; rdfs:label "a"@de, "b"@DE, "c" .
        ex:x ex:owns ex:owned . ex:y ex:owns ex:owned . ex:owned a ex:T . _:b ex:owns ex:once . ex:z ex:owns ex:once .
        ex:once a ex:T .""")
    found = {(v.focus.removeprefix(EX), v.message) for v in _assert_parity(data, shapes)}
    assert found == {("twoen", "one English"), ("twode", "one per language"),
                     ("owned", "one named owner")}
    plan = compile_shapes(shapes)._plan
    assert sum("HAVING (COUNT(*) >= 2)" in (p.probe or "") for p in plan) == 3


class _Recording:
    """A store whose queries are recorded (pyoxigraph's own type takes no new attributes)."""

    def __init__(self, store: ox.Store) -> None:
        self.store, self.asked = store, []

    def query(self, query: str):
        self.asked.append(query)
        return self.store.query(query)


def test_a_pass_over_few_targets_runs_its_constraints_own_queries():
    # two targets without ex:p or ex:q: the grouped pass joins them with every ex:p and ex:q
    # triple; with fewer targets than `few`, each constraint's own query tests the targets
    shapes = _parse("""ex:S a sh:NodeShape ; sh:targetClass ex:T ;
        sh:property [ sh:path ex:p ; sh:minCount 1 ; sh:message "p" ] ;
        sh:property [ sh:path ex:q ; sh:minCount 1 ; sh:message "q" ] .""")
    data = _parse("ex:a a ex:T . ex:b a ex:T . ex:c ex:p 1 ; ex:q 2 .")
    compiled = compile_shapes(shapes)
    own = {query.template for query in compiled.queries}
    answers = {}
    for few in (0, 2, 3):
        store = _Recording(_store(data))
        answers[few] = sorted_violations(v for run in compiled.passes(store, focus_graph=None, few=few) for v in run())
        ran_own = own <= set(store.asked)
        assert ran_own == (few == 3), few  # two targets: fewer than 3, not fewer than 2
    assert answers[0] == answers[2] == answers[3]
    assert {(v.focus, v.message) for v in answers[0]} == {(f"http://example.org/{n}", m) for n in "ab" for m in "pq"}
    marked = _store(data, focus={"http://example.org/a"})  # (only ex:a is a focus candidate)
    assert compiled.violations(marked, few=3) == compiled.violations(marked, few=0) == \
        [v for v in answers[0] if v.focus == "http://example.org/a"]
