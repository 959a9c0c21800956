"""The synthetic generator: deterministic, well-formed, labelled synthetic, shaped like data."""

from __future__ import annotations

import io
from importlib import resources

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import RDF, RDFS, SKOS, XSD, Literal, URIRef

from clusterkg.graph.synthetic import SYNTHETIC_BASE, SyntheticSpec, synthetic_triples, \
    write_synthetic

CKG = "https://w3id.org/clusterkg/ns#"
ID_BASE = "https://w3id.org/clusterkg/id/"
SMALL = SyntheticSpec(clusters=20, organisations=600, competencies=80, countries=5, seed=7)
PREFIXES = f"""
PREFIX ckg: <{CKG}>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
"""
CONTRACT_KINDS = {"cluster", "org", "competency", "industry", "region", "country", "partnership",
                  "affiliation", "claim", "need", "policy", "resource", "development", "scheme",
                  "dataset"}


def as_bytes(spec: SyntheticSpec) -> bytes:
    buffer = io.BytesIO()
    write_synthetic(spec, buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def small_nt() -> bytes:
    return as_bytes(SMALL)


@pytest.fixture(scope="module")
def small_graph(small_nt: bytes) -> rdflib.Graph:
    return rdflib.Graph().parse(data=small_nt.decode("utf-8"), format="nt")


@pytest.fixture(scope="module")
def small_store(small_nt: bytes) -> ox.Store:
    store = ox.Store()
    store.load(small_nt, format=ox.RdfFormat.N_TRIPLES)
    return store


def select(store: ox.Store, query: str) -> list[tuple]:
    return [tuple(row[i] for i in range(len(row))) for row in store.query(PREFIXES + query)]


def count(store: ox.Store, query: str) -> int:
    return int(select(store, query)[0][0].value)


def test_same_seed_gives_identical_bytes(small_nt: bytes) -> None:
    assert as_bytes(SMALL) == small_nt


def test_different_seeds_give_different_graphs(small_nt: bytes) -> None:
    other = as_bytes(SyntheticSpec(clusters=20, organisations=600, competencies=80, countries=5,
                                   seed=8))
    assert other != small_nt
    # ids carry the seed, so two seeds loaded together never merge nodes
    assert f"{SYNTHETIC_BASE}org/8-0>".encode() in other
    assert f"{SYNTHETIC_BASE}org/7-0>".encode() not in other


def test_write_counts_lines_and_path_output(tmp_path, small_nt: bytes) -> None:
    target = tmp_path / "small.nt"
    n = write_synthetic(SMALL, target)
    assert target.read_bytes() == small_nt
    assert n == small_nt.count(b"\n") == len(list(synthetic_triples(SMALL)))


def test_parses_with_rdflib_without_duplicates(small_graph: rdflib.Graph,
                                               small_nt: bytes) -> None:
    assert len(small_graph) == small_nt.count(b"\n")


def test_loads_into_pyoxigraph(small_store: ox.Store, small_nt: bytes) -> None:
    assert len(small_store) == small_nt.count(b"\n")


@pytest.mark.parametrize("cls, expected", [("ckg:Cluster", SMALL.clusters),
                                           ("org:FormalOrganization", SMALL.organisations),
                                           ("ckg:Competency", SMALL.competencies)])
def test_entity_counts_equal_spec(small_store: ox.Store, cls: str, expected: int) -> None:
    assert count(small_store, f"SELECT (COUNT(DISTINCT ?x) AS ?n) {{ ?x a {cls} }}") == expected


def test_dataset_node_says_synthetic(small_graph: rdflib.Graph) -> None:
    ds = URIRef(f"{SYNTHETIC_BASE}dataset/{SMALL.seed}")
    assert (ds, URIRef(CKG + "synthetic"), Literal(True)) in small_graph
    title = small_graph.value(ds, URIRef("http://purl.org/dc/terms/title"))
    assert str(title) == "Synthetic clusterkg graph (seed 7) — not real data"


def test_generated_iris_are_in_the_synthetic_namespace(small_graph: rdflib.Graph) -> None:
    real = {str(s) for s in small_graph.subjects() if not str(s).startswith(SYNTHETIC_BASE)}
    assert real, "the reused industries are missing"
    for iri in real:  # only the reused reference entities live outside it
        kind = iri.removeprefix(ID_BASE).split("/")[0]
        assert iri.startswith(ID_BASE) and kind in {"industry", "scheme"}, iri
    for iri in {str(s) for s in small_graph.subjects()} - real:
        kind, local = iri.removeprefix(SYNTHETIC_BASE).split("/")
        assert kind in CONTRACT_KINDS and local.split("-")[0] == str(SMALL.seed), iri


def test_every_generated_label_starts_with_synthetic(small_graph: rdflib.Graph) -> None:
    labels = 0
    for prop in (RDFS.label, SKOS.prefLabel, SKOS.altLabel):
        for node, label in small_graph.subject_objects(prop):
            if str(node).startswith(SYNTHETIC_BASE):
                labels += 1
                assert str(label).startswith("Synthetic "), (node, label)
    assert labels > SMALL.organisations


def test_every_node_has_an_explicit_type(small_store: ox.Store) -> None:
    untyped = select(small_store, "SELECT DISTINCT ?s { ?s ?p ?o FILTER NOT EXISTS { ?s a ?t } }")
    assert untyped == []


@pytest.mark.parametrize("cls", ["ckg:Cluster", "org:FormalOrganization", "ckg:Affiliation",
                                 "ckg:CompetencyClaim", "ckg:CompetencyNeed", "ckg:Partnership",
                                 "ckg:SharedResource", "ckg:Development", "ckg:ClusterPolicy",
                                 "ckg:Region"])
def test_nodes_cite_the_synthetic_dataset(small_store: ox.Store, cls: str) -> None:
    ds = f"<{SYNTHETIC_BASE}dataset/{SMALL.seed}>"
    assert count(small_store, f"SELECT (COUNT(*) AS ?n) {{ ?x a {cls} }}") > 0
    missing = select(small_store, f"SELECT ?x {{ ?x a {cls} FILTER NOT EXISTS "
                                  f"{{ ?x dct:source {ds} }} }}")
    assert missing == []


def test_organisations_have_exactly_one_type_class(small_store: ox.Store) -> None:
    types = ("ckg:SME ckg:LargeEnterprise ckg:University ckg:ResearchInstitute ckg:Technopark "
             "ckg:PublicBody ckg:Association ckg:Investor ckg:ClusterManagementOrganisation "
             "ckg:Hospital ckg:OtherOrganisation")
    rows = select(small_store, f"""
        SELECT ?o (COUNT(?t) AS ?n) {{ ?o a org:FormalOrganization .
          OPTIONAL {{ VALUES ?t {{ {types} }} ?o a ?t }} }} GROUP BY ?o HAVING (COUNT(?t) != 1)""")
    assert rows == []
    by_type = dict((t.value.rsplit("#")[1], int(n.value)) for t, n in select(small_store, f"""
        SELECT ?t (COUNT(?o) AS ?n) {{ VALUES ?t {{ {types} }} ?o a ?t }} GROUP BY ?t"""))
    assert max(by_type, key=by_type.get) == "SME"
    assert by_type["ClusterManagementOrganisation"] == SMALL.clusters


def test_some_organisations_are_in_several_clusters(small_store: ox.Store) -> None:
    multi = count(small_store, """SELECT (COUNT(*) AS ?n) { SELECT ?o {
        ?o ckg:affiliatedWith ?c } GROUP BY ?o HAVING (COUNT(DISTINCT ?c) >= 2) }""")
    assert multi >= 0.05 * SMALL.organisations


def test_affiliation_shortcuts_match_qualified_nodes(small_store: ox.Store) -> None:
    no_node = select(small_store, """SELECT ?o ?c { ?o ckg:affiliatedWith ?c FILTER NOT EXISTS {
        ?f ckg:organisation ?o ; ckg:cluster ?c } }""")
    assert no_node == []
    memberships = """VALUES ?k { ckg:Member ckg:FoundingMember ckg:BoardMember ckg:Resident }
        ?f a ckg:Affiliation ; ckg:affiliationType ?k ; ckg:organisation ?o ; ckg:cluster ?c"""
    not_membership = select(small_store, f"""SELECT ?f {{ {memberships} FILTER NOT EXISTS {{
        ?f a org:Membership ; org:member ?o ; org:organization ?c . ?o org:memberOf ?c }} }}""")
    assert not_membership == []
    partners = select(small_store, """SELECT ?f { ?f ckg:affiliationType ckg:ProjectPartner ;
        ckg:organisation ?o ; ckg:cluster ?c FILTER NOT EXISTS { ?o ckg:projectPartnerOf ?c } }""")
    assert partners == []
    assert count(small_store, "SELECT (COUNT(*) AS ?n) { ?o ckg:projectPartnerOf ?c }") > 0


def test_every_competency_shortcut_has_a_qualified_claim(small_store: ox.Store) -> None:
    assert count(small_store, "SELECT (COUNT(*) AS ?n) { ?o ckg:hasCompetency ?c }") >= \
        0.8 * SMALL.competencies_per_org_mean * SMALL.organisations
    unqualified = select(small_store, """SELECT ?o ?c { ?o ckg:hasCompetency ?c FILTER NOT EXISTS {
        ?o ckg:qualifiedCompetency ?q . ?q a ckg:CompetencyClaim ; ckg:competency ?c } }""")
    assert unqualified == []
    no_shortcut = select(small_store, """SELECT ?q { ?o ckg:qualifiedCompetency ?q .
        ?q ckg:competency ?c FILTER NOT EXISTS { ?o ckg:hasCompetency ?c } }""")
    assert no_shortcut == []


def test_competency_popularity_is_skewed() -> None:
    store = ox.Store()
    store.load(as_bytes(SyntheticSpec(clusters=50, organisations=4000, competencies=400,
                                      seed=3)), format=ox.RdfFormat.N_TRIPLES)
    counts = sorted((int(n.value) for (n,) in select(store, """SELECT (COUNT(?o) AS ?n) {
        ?c a ckg:Competency OPTIONAL { ?o ckg:hasCompetency ?c } } GROUP BY ?c""")),
                    reverse=True)
    assert len(counts) == 400
    assert sum(counts[:40]) > 0.3 * sum(counts)


def test_cluster_sizes_vary(small_store: ox.Store) -> None:
    sizes = [int(n.value) for (n,) in select(small_store, """SELECT (COUNT(?o) AS ?n) {
        ?o org:memberOf ?c } GROUP BY ?c""")]
    assert len(sizes) == SMALL.clusters
    assert max(sizes) >= 4 * min(sizes)


def test_competencies_follow_the_cluster_industries(small_graph: rdflib.Graph) -> None:
    """Claims fit the holder's cluster industries far more often than another cluster's."""
    ckg = rdflib.Namespace(CKG)
    clusters = sorted(set(small_graph.subjects(RDF.type, ckg.Cluster)))
    industries = {k: set(small_graph.objects(k, ckg.industry)) for k in clusters}
    applied = {c: set(small_graph.objects(c, ckg.appliedIn))
               for c in small_graph.subjects(RDF.type, ckg.Competency)}

    def fitting_share(cluster_of) -> float:
        claims = list(small_graph.subject_objects(ckg.hasCompetency))
        fit = sum(any(applied[c] & industries[cluster_of(k)]
                      for k in small_graph.objects(o, ckg.affiliatedWith)) for o, c in claims)
        return fit / len(claims)

    own = fitting_share(lambda k: k)
    shifted = fitting_share(lambda k: clusters[(clusters.index(k) + 1) % len(clusters)])
    assert own > 0.55
    assert own > 1.5 * shifted


def test_competency_hierarchy_has_two_to_three_levels(small_store: ox.Store) -> None:
    tops = count(small_store, """SELECT (COUNT(*) AS ?n) { ?c a ckg:Competency ;
        skos:topConceptOf ?scheme
        FILTER NOT EXISTS { ?c skos:broader ?b } }""")
    assert 1 <= tops < SMALL.competencies
    orphans = select(small_store, """SELECT ?c { ?c a ckg:Competency FILTER NOT EXISTS {
        ?c skos:topConceptOf ?s } FILTER NOT EXISTS { ?c skos:broader ?b } }""")
    assert orphans == []
    depth3 = count(small_store, """SELECT (COUNT(*) AS ?n) { ?c skos:broader/skos:broader ?t .
        ?t skos:topConceptOf ?s }""")
    assert depth3 > 0
    deeper = count(small_store, """SELECT (COUNT(*) AS ?n) {
        ?c skos:broader/skos:broader/skos:broader ?t }""")
    assert deeper == 0
    assert count(small_store, "SELECT (COUNT(*) AS ?n) { ?c ckg:appliedIn ?i }") >= \
        SMALL.competencies


def test_needs_are_real_gaps_that_someone_else_can_fill(small_store: ox.Store) -> None:
    needs = count(small_store, """SELECT (COUNT(*) AS ?n) { ?k ckg:needsCompetency ?c ;
        ckg:qualifiedNeed ?q . ?q a ckg:CompetencyNeed ; ckg:competency ?c }""")
    assert needs == count(small_store,
                          "SELECT (COUNT(*) AS ?n) { ?k ckg:needsCompetency ?c }") > 0
    held_inside = select(small_store, """SELECT ?k ?c { ?k ckg:needsCompetency ?c .
        ?o ckg:affiliatedWith ?k ; ckg:hasCompetency ?c }""")
    assert held_inside == []
    fillable = count(small_store, """SELECT (COUNT(DISTINCT ?c) AS ?n) {
        ?k ckg:needsCompetency ?c . ?o ckg:hasCompetency ?c }""")
    assert fillable > 0


def test_partnerships_of_all_four_levels(small_store: ox.Store) -> None:
    levels = {t.value.rsplit("#")[1] for (t,) in select(small_store, """SELECT DISTINCT ?t {
        ?p a ckg:Partnership , ?t FILTER (?t != ckg:Partnership) }""")}
    assert levels == {"CrossClusterProject", "SuperRegionalCluster", "MetaCluster",
                      "CooperationAgreement"}
    assert count(small_store, "SELECT (COUNT(*) AS ?n) { ?p a ckg:Partnership }") == \
        SMALL.clusters // 2
    too_small = select(small_store, """SELECT ?p { ?p a ckg:Partnership
        OPTIONAL { ?p ckg:participant ?c } } GROUP BY ?p HAVING (COUNT(?c) < 2)""")
    assert too_small == []


def test_reused_industries_are_self_contained(small_graph: rdflib.Graph) -> None:
    industries = set(small_graph.subjects(RDF.type, URIRef(CKG + "Industry")))
    assert len(industries) == 45
    for industry in industries:
        assert str(industry).startswith(ID_BASE + "industry/")
        assert small_graph.value(industry, SKOS.prefLabel) is not None
        assert small_graph.value(industry, SKOS.inScheme) is not None
    used = set(small_graph.objects(None, URIRef(CKG + "industry")))
    assert used and used <= industries


def test_literals_are_well_typed(small_graph: rdflib.Graph) -> None:
    for year in small_graph.objects(None, URIRef("https://schema.org/foundingDate")):
        assert year.datatype == XSD.gYear
    for n in small_graph.objects(None, URIRef(CKG + "memberCount")):
        assert n.datatype == XSD.integer and n.toPython() >= 0


def test_every_ckg_term_is_declared_in_the_ontology(small_graph: rdflib.Graph) -> None:
    ontology = rdflib.Graph()
    with resources.files("clusterkg.ontology").joinpath("clusterkg.ttl").open("rb") as stream:
        ontology.parse(stream, format="turtle")
    declared = {str(s) for s in ontology.subjects() if str(s).startswith(CKG)}
    used = {str(t) for triple in small_graph for t in triple
            if isinstance(t, URIRef) and str(t).startswith(CKG)}
    assert len(used) > 50
    assert used <= declared, sorted(used - declared)


@pytest.mark.parametrize("bad", [dict(clusters=0), dict(competencies=0), dict(countries=0),
                                 dict(countries=500), dict(industries_per_cluster=(3, 1)),
                                 dict(multi_cluster_share=1.5), dict(partnerships=-1),
                                 dict(seed=-1)])
def test_bad_specs_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        SyntheticSpec(**bad)


def test_tiny_specs_still_work() -> None:
    graph = rdflib.Graph().parse(
        data=as_bytes(SyntheticSpec(clusters=1, organisations=0, competencies=1,
                                    countries=1)).decode(), format="nt")
    assert len(set(graph.subjects(RDF.type, URIRef(CKG + "Cluster")))) == 1
    assert not set(graph.subjects(RDF.type, URIRef(CKG + "Partnership")))


VIOLATION_CHECKS = sorted(
    (f for f in resources.files("clusterkg.ontology").joinpath("checks").iterdir()
     if f.name.endswith("-violation.rq")), key=lambda f: f.name)


@pytest.mark.parametrize("check", VIOLATION_CHECKS, ids=lambda f: f.name)
def test_violation_checks_find_nothing(small_store: ox.Store, check) -> None:
    """Every ontology check query returns no rows on a synthetic graph."""
    assert list(small_store.query(check.read_text(encoding="utf-8"))) == []


def test_small_synthetic_graph_conforms_to_the_shapes() -> None:
    import pyshacl

    spec = SyntheticSpec(clusters=4, organisations=40, competencies=12, countries=2,
                         shared_resources=3, developments=3, seed=1)
    data = rdflib.Graph().parse(data=as_bytes(spec).decode(), format="nt")
    shapes = rdflib.Graph()
    with resources.files("clusterkg.ontology").joinpath("shapes.ttl").open("rb") as stream:
        shapes.parse(stream, format="turtle")
    conforms, _, text = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    assert conforms, text
    # and the shapes do look at this data: one organisation without its label fails them
    data.remove((URIRef(f"{SYNTHETIC_BASE}org/1-5"), RDFS.label, None))
    assert not pyshacl.validate(data, shacl_graph=shapes, inference="none")[0]
