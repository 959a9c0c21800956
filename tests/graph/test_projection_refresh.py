"""The projection keeps up: a refresh after a change equals a full build of the changed store.

Each test changes a store with one SPARQL update (``DELETE DATA`` / ``INSERT DATA``), takes the
subjects of the triples it removed and added as the changed resources (what the history
records), refreshes the projection built before the change, and compares it field by field
with a full build of the store after the change — on a synthetic graph and on the real default
dataset.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from rdflib import Literal, URIRef

from clusterkg.graph.dataset import initialise
from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.projection import (
    HISTORY_GRAPH,
    Projection,
    ProjectionCache,
    build_projection,
    changes_between,
    refresh,
)
from clusterkg.graph import projection_refresh as refresh_module
from clusterkg.graph.store import DATA_VERSION_PREDICATE, META_GRAPH, OxigraphStore, sparql_term
from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic
from clusterkg.ontology.namespace import SCHEMA, XSD

CKG = "https://w3id.org/clusterkg/ns#"
RDF_TYPE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
NEW = "https://w3id.org/clusterkg/id/"

MATRICES = ("org_competency", "org_competency_up", "cluster_org", "cluster_competency", "cluster_needs", "org_needs")
TABLES = ("clusters", "organisations", "competencies", "industries", "partnerships", "resources", "developments", "ties")


def assert_same(refreshed: Projection, built: Projection) -> None:
    assert refreshed.version == built.version
    for name in TABLES:
        a, b = getattr(refreshed, name), getattr(built, name)
        if name == "ties":  # one row per affiliation, in no particular order
            a, b = (t.sort_values(list(t.columns), ignore_index=True) for t in (a, b))
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=name)
    for name in MATRICES:
        a, b = getattr(refreshed, name), getattr(built, name)
        assert a.shape == b.shape, name
        assert (a != b).nnz == 0, name
    assert refreshed.labels == built.labels
    assert_same_graph(refreshed.cluster_graph(), built.cluster_graph())
    assert_same_evidence(refreshed.evidence, built.evidence)


EVIDENCE_MATRICES = ("org_project", "coordinated", "claim_basis", "industry_related")
EVIDENCE_ARRAYS = ("project_iris", "project_years", "project_parts", "same_as", "relatedness_keys")


def assert_same_evidence(refreshed, built) -> None:
    """The evidence field by field (participations are one row per participation, in no order)."""
    for name in EVIDENCE_MATRICES:
        a, b = getattr(refreshed, name), getattr(built, name)
        assert a.shape == b.shape, name
        assert (a != b).nnz == 0, name
    for name in EVIDENCE_ARRAYS:
        assert np.array_equal(getattr(refreshed, name), getattr(built, name)), name
    ordered = lambda t: t.sort_values(list(t.columns), ignore_index=True)  # noqa: E731
    pd.testing.assert_frame_equal(ordered(refreshed.participations), ordered(built.participations), check_dtype=False,
                                  obj="participations")


def assert_same_graph(a, b) -> None:
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    edges = lambda g: {(min(x, y), max(x, y)): data for x, y, data in g.edges(data=True)}  # noqa: E731
    assert edges(a) == edges(b)


def triples_of(store: OxigraphStore, subject: str) -> list[tuple]:
    rows = store.select("SELECT ?p ?o WHERE { ?s ?p ?o }", bindings={"s": URIRef(subject)}).rows
    return [(URIRef(subject), p, o) for p, o in rows]


def change(store: OxigraphStore, delete: list[tuple] = (), insert: list[tuple] = ()) -> set[str]:
    """Apply the change in one update; the subjects of the triples it touches."""
    block = lambda triples: " ".join(" ".join(sparql_term(t) for t in triple) + " ." for triple in triples)  # noqa: E731
    store.update(f"DELETE DATA {{ {block(delete)} }} ; INSERT DATA {{ {block(insert)} }}")
    return {str(s) for s, _, _ in [*delete, *insert]}


def refreshed_equals_built(store: OxigraphStore, before: Projection, changed: set[str]) -> Projection:
    before.cluster_graph()  # so the refresh patches it rather than leaving it to be built
    after = refresh(before, store, changed)
    assert_same(after, build_projection(store))
    return after


def c(name: str) -> URIRef:
    return URIRef(CKG + name)


def one(store: OxigraphStore, query: str) -> tuple:
    return store.select_values(query)[1][0]


@pytest.fixture(scope="module")
def synthetic_nt() -> bytes:
    buffer = io.BytesIO()
    write_synthetic(SyntheticSpec(clusters=12, organisations=300, competencies=60, seed=3), buffer)
    return buffer.getvalue()


def loaded(ntriples: bytes):
    """A fixture's store: a new in-memory store holding ``ntriples``, closed after the test."""
    store = OxigraphStore()
    store.insert_ntriples(ntriples)
    yield store
    store.close()


@pytest.fixture()
def synthetic(synthetic_nt):
    yield from loaded(synthetic_nt)


@pytest.fixture(scope="module")
def real_dump() -> bytes:
    with OxigraphStore() as store:
        initialise(store, progress=False)
        return store.dump()


@pytest.fixture()
def real(real_dump):
    yield from loaded(real_dump)


@pytest.fixture(params=["synthetic", "real"])
def store(request):
    return request.getfixturevalue(request.param)


# -- changes of members, claims, clusters, organisations -------------------------------------------


def test_a_removed_member(store):
    before = build_projection(store)
    affiliation, = one(store, f"SELECT ?a WHERE {{ ?a <{CKG}cluster> ?c ; <{CKG}organisation> ?o }} ORDER BY ?a LIMIT 1")
    changed = change(store, delete=triples_of(store, affiliation))
    after = refreshed_equals_built(store, before, changed)
    assert after.cluster_org.nnz < before.cluster_org.nnz or after.cluster_org.sum() < before.cluster_org.sum()


def test_an_added_member_with_two_claims(store):
    before = build_projection(store)
    cluster = before.clusters.iri.iat[0]
    outsider = next(i for i in range(len(before.organisations)) if before.cluster_org[0, i] == 0)
    org = URIRef(before.organisations.iri.iat[outsider])
    held = set(before.org_competency.getrow(outsider).indices)
    new_competencies = [k for k in range(len(before.competencies)) if k not in held][:2]
    affiliation, claim = URIRef(NEW + "affiliation/refresh-test"), URIRef(NEW + "claim/refresh-test")
    insert = [(affiliation, RDF_TYPE, c("Affiliation")), (affiliation, c("cluster"), URIRef(cluster)),
              (affiliation, c("organisation"), org), (affiliation, c("affiliationType"), c("Member")),
              (org, c("affiliatedWith"), URIRef(cluster))]
    for n, k in enumerate(new_competencies):
        competency, node = URIRef(before.competencies.iri.iat[k]), URIRef(f"{claim}-{n}")
        insert += [(org, c("hasCompetency"), competency), (org, c("qualifiedCompetency"), node),
                   (node, RDF_TYPE, c("CompetencyClaim")), (node, c("competency"), competency),
                   (node, c("level"), c("LevelLeading"))]
    after = refreshed_equals_built(store, before, change(store, insert=insert))
    assert after.cluster_org[0, outsider] == 1.0
    assert all(after.org_competency[outsider, k] == 1.25 for k in new_competencies)


def test_a_need_whose_last_day_passed(store):
    """Only the need's ``schema:validThrough`` changes: its holder no longer needs the competency."""
    first = build_projection(store)
    holder, competency = URIRef(first.clusters.iri.iat[0]), URIRef(first.competencies.iri.iat[0])
    need, until = URIRef(NEW + "need/refresh-test"), URIRef(SCHEMA.validThrough)
    change(store, insert=[(holder, c("qualifiedNeed"), need), (holder, c("needsCompetency"), competency),
                          (need, RDF_TYPE, c("CompetencyNeed")), (need, c("competency"), competency),
                          (need, until, Literal("2999-12-31", datatype=XSD.date))])
    before = build_projection(store)
    assert before.cluster_needs[0, 0] > 0
    after = refreshed_equals_built(store, before, change(
        store, delete=[(need, until, Literal("2999-12-31", datatype=XSD.date))],
        insert=[(need, until, Literal("2001-01-01", datatype=XSD.date))]))
    assert after.cluster_needs[0, 0] == 0


def test_removed_claims_and_a_changed_level(store):
    before = build_projection(store)
    rows = store.select_values(f"SELECT ?o ?q ?c ?l WHERE {{ ?o <{CKG}qualifiedCompetency> ?q . ?q <{CKG}competency> ?c ; <{CKG}level> ?l }} ORDER BY ?q")[1]
    delete = []
    for o, q, k, _ in rows[:2]:
        delete += [(URIRef(o), c("hasCompetency"), URIRef(k)), (URIRef(o), c("qualifiedCompetency"), URIRef(q)),
                   *triples_of(store, q)]
    level_row = next(row for row in rows[2:] if row[0] not in (rows[0][0], rows[1][0]))
    _, q, _, level = level_row
    other = c("LevelBasic") if level != CKG + "LevelBasic" else c("LevelLeading")
    delete.append((URIRef(q), c("level"), URIRef(level)))
    changed = change(store, delete=delete, insert=[(URIRef(q), c("level"), other)])
    assert level_row[0] not in changed  # only the claim node: the refresh finds its organisation
    refreshed_equals_built(store, before, changed)


def test_an_added_and_a_removed_cluster(store):
    before = build_projection(store)
    gone = before.clusters.iri.iat[len(before.clusters) // 2]  # partnerships and ties still name it
    new = URIRef(NEW + "cluster/aaa-refresh-test")
    org = URIRef(before.organisations.iri.iat[3])
    affiliation = URIRef(NEW + "affiliation/aaa-refresh-test")
    insert = [(new, RDF_TYPE, c("Cluster")), (new, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("Refresh Valley")),
              (affiliation, c("cluster"), new), (affiliation, c("organisation"), org),
              (affiliation, c("affiliationType"), c("ProjectPartner"))]
    after = refreshed_equals_built(store, before, change(store, delete=triples_of(store, gone), insert=insert))
    assert after.resolve_cluster("Refresh Valley") == 0 and len(after.clusters) == len(before.clusters)


def test_an_added_and_a_removed_organisation(store):
    before = build_projection(store)
    partners = before.resources["organisation"].to_numpy()
    gone = before.organisations.iri.iat[int(partners[0]) if len(partners) and partners[0] >= 0 else 1]
    new = URIRef(NEW + "organisation/zzz-refresh-test")
    competency = URIRef(before.competencies.iri.iat[0])
    insert = [(new, RDF_TYPE, URIRef("http://www.w3.org/ns/org#FormalOrganization")), (new, RDF_TYPE, c("University")),
              (new, c("hasCompetency"), competency), (new, c("needsCompetency"), competency)]
    after = refreshed_equals_built(store, before, change(store, delete=triples_of(store, gone), insert=insert))
    assert after.organisations["type"].iat[after.resolve_organisation(str(new))] == "university"


def test_a_cluster_a_partnership_names_goes_and_comes_back(store):
    """Only the type of a participant goes, then comes back: the partnership must follow."""
    before = build_projection(store)
    partnership = next(row for row in before.partnerships.itertuples() if row.clusters)
    cluster = URIRef(before.clusters.iri.iat[partnership.clusters[0]])
    typed = [(cluster, RDF_TYPE, c("Cluster"))]
    middle = refreshed_equals_built(store, before, change(store, delete=typed))
    assert len(middle.clusters) == len(before.clusters) - 1
    refreshed_equals_built(store, middle, change(store, insert=typed))


def test_a_changed_partnership_and_competency(store):
    before = build_projection(store)
    partnership = before.partnerships.iri.iat[0]
    participant = URIRef(before.clusters.iri.iat[-1])
    competency = URIRef(before.competencies.iri.iat[-1])
    broader = URIRef(before.competencies.iri.iat[0])
    changed = change(store, delete=[t for t in triples_of(store, str(competency)) if t[1] == URIRef("http://www.w3.org/2004/02/skos/core#broader")],
                     insert=[(URIRef(partnership), c("participant"), participant),
                             (competency, URIRef("http://www.w3.org/2004/02/skos/core#broader"), broader)])
    refreshed_equals_built(store, before, changed)


def test_many_changes_at_once(synthetic):
    before = build_projection(synthetic)
    changed = set()
    for affiliation, in synthetic.select_values(f"SELECT ?a WHERE {{ ?a <{CKG}cluster> ?c }} ORDER BY ?a LIMIT 5")[1]:
        changed |= change(synthetic, delete=triples_of(synthetic, affiliation))
    for org in before.organisations.iri[:20]:
        changed |= change(synthetic, delete=[t for t in triples_of(synthetic, org) if t[1] == c("hasCompetency")])
    changed |= change(synthetic, delete=triples_of(synthetic, before.clusters.iri.iat[1]))
    refreshed_equals_built(synthetic, before, changed)


def test_nothing_changed_keeps_everything(synthetic):
    before = build_projection(synthetic)
    graph = before.cluster_graph()
    synthetic.update(f"INSERT DATA {{ <{NEW}source/unrelated> <http://purl.org/dc/terms/title> \"x\" }}")
    after = refresh(before, synthetic, [f"{NEW}source/unrelated"])
    assert_same(after, build_projection(synthetic))
    assert refresh(before, synthetic, []).cluster_graph() is graph


def test_a_malformed_iri_is_refused(synthetic):
    before = build_projection(synthetic)
    with pytest.raises(InvalidInput, match="not an IRI"):
        refresh(before, synthetic, ["https://example.org/a> } ; DROP ALL ; SELECT * {"])


# -- the history: which resources changed between two versions -----------------------------------


def recorded_write(store: OxigraphStore, delete: list[tuple] = (), insert: list[tuple] = (), listed: bool = True) -> str:
    """Change the data and record it in the history in one transaction, as the store's writer does.

    The shape: ``<activity> a prov:Activity ; ckg:dataVersion "new" ; ckg:previousDataVersion
    "old" ; ckg:changedResource <iri>, ...`` in the history graph (no resources when not ``listed``).
    """
    previous = store.data_version()
    new = f"v-{len(previous)}-{abs(hash((previous, len(insert), len(delete))))}"
    activity = f"<{NEW}activity/{new}>"
    subjects = sorted({str(s) for s, _, _ in [*delete, *insert]})
    resources = " ".join(f"; <{CKG}changedResource> <{s}>" for s in subjects) if listed else ""
    block = lambda triples: " ".join(" ".join(sparql_term(t) for t in triple) + " ." for triple in triples)  # noqa: E731
    store._store.update(  # one transaction: data, history and version together
        f"DELETE DATA {{ {block(delete)} }} ; INSERT DATA {{ {block(insert)} }} ;"
        f"INSERT DATA {{ GRAPH <{HISTORY_GRAPH}> {{ {activity} a <http://www.w3.org/ns/prov#Activity> ;"
        f" <{CKG}dataVersion> \"{new}\" ; <{CKG}previousDataVersion> \"{previous}\" {resources} . }} }} ;"
        f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{META_GRAPH}> <{DATA_VERSION_PREDICATE}> ?v }} }} ;"
        f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{META_GRAPH}> <{DATA_VERSION_PREDICATE}> \"{new}\" }} }}")
    assert store.data_version() == new
    return new


def test_changes_are_read_along_the_chain_of_writes(synthetic):
    start = synthetic.data_version()
    org = URIRef(NEW + "organisation/history-test")
    first = recorded_write(synthetic, insert=[(org, RDF_TYPE, URIRef("http://www.w3.org/ns/org#FormalOrganization"))])
    cluster = URIRef(NEW + "cluster/history-test")
    second = recorded_write(synthetic, insert=[(cluster, RDF_TYPE, c("Cluster"))])
    assert changes_between(synthetic, start, second) == {str(org), str(cluster)}
    assert changes_between(synthetic, first, second) == {str(cluster)}
    assert changes_between(synthetic, second, second) == set()
    assert changes_between(synthetic, "a version never recorded", second) is None
    recorded_write(synthetic, insert=[(org, c("country"), URIRef(NEW + "country/DE"))], listed=False)
    assert changes_between(synthetic, start, synthetic.data_version()) is None  # a write that did not list


def count_calls(monkeypatch, name: str) -> list:
    """Count calls of a real function where the refresh module calls it (it still runs)."""
    calls, real_function = [], getattr(refresh_module, name)
    monkeypatch.setattr(refresh_module, name, lambda *args, **kwargs: calls.append(1) or real_function(*args, **kwargs))
    return calls


@pytest.mark.parametrize("listed", [True, False])
def test_the_cache_refreshes_when_the_history_lists_the_change(synthetic, monkeypatch, listed):
    cache = ProjectionCache(synthetic)
    before = cache.get()
    builds, refreshes = count_calls(monkeypatch, "build_projection"), count_calls(monkeypatch, "refresh")
    affiliation, = one(synthetic, f"SELECT ?a WHERE {{ ?a <{CKG}cluster> ?c }} ORDER BY ?a LIMIT 1")
    recorded_write(synthetic, delete=triples_of(synthetic, affiliation), listed=listed)
    after = cache.get()
    assert (len(refreshes), len(builds)) == ((1, 0) if listed else (0, 1))
    monkeypatch.undo()
    assert after is not before and after.version == synthetic.data_version()
    assert_same(after, build_projection(synthetic))


@pytest.fixture()
def synthetic_on_disk(synthetic_nt, tmp_path):
    store = OxigraphStore(tmp_path / "store")  # stores in memory are not cached on disk
    store.insert_ntriples(synthetic_nt)
    yield store
    store.close()


def test_the_disk_cache_catches_up_from_an_earlier_version(synthetic_on_disk, tmp_path, monkeypatch):
    from clusterkg.graph.projection import load_or_build

    synthetic = synthetic_on_disk
    load_or_build(synthetic, tmp_path)
    org = URIRef(NEW + "organisation/disk-test")
    recorded_write(synthetic, insert=[(org, RDF_TYPE, URIRef("http://www.w3.org/ns/org#FormalOrganization"))])
    refreshes = count_calls(monkeypatch, "refresh")
    caught_up = load_or_build(synthetic, tmp_path)
    assert len(refreshes) == 1 and len(list(tmp_path.glob("projection-*.pickle"))) == 1
    monkeypatch.undo()
    assert_same(caught_up, build_projection(synthetic))


# -- the full build reads what the store says -------------------------------------------------------


def test_full_build_matches_plain_queries(store):
    """The matrices equal those computed from plain, one-row-per-fact queries and Python loops."""
    p = build_projection(store)
    o, k, cl = (p.index(kind) for kind in ("organisation", "competency", "cluster"))
    claims = np.zeros(p.org_competency.shape)
    for org, comp in store.select_values(f"SELECT ?o ?c WHERE {{ ?o <{CKG}hasCompetency> ?c }}")[1]:
        if org in o and comp in k:
            claims[o[org], k[comp]] = 1.0
    levels = {CKG + "LevelBasic": 0.75, CKG + "LevelAdvanced": 1.0, CKG + "LevelLeading": 1.25}
    for org, comp, level in store.select_values(
            f"SELECT ?o ?c ?l WHERE {{ ?o <{CKG}qualifiedCompetency> ?q . ?q <{CKG}competency> ?c ; <{CKG}level> ?l }}")[1]:
        if org in o and comp in k and claims[o[org], k[comp]] > 0:
            claims[o[org], k[comp]] += levels.get(level, 1.0) - 1.0
    assert np.array_equal(p.org_competency.toarray(), claims)
    ties = np.zeros(p.cluster_org.shape)
    strong = {CKG + t for t in ("Member", "FoundingMember", "BoardMember", "Resident")}
    for cluster, org, kind in store.select_values(
            f"SELECT ?c ?o ?t WHERE {{ ?a <{CKG}affiliationType> ?t ; <{CKG}cluster> ?c ; <{CKG}organisation> ?o }}")[1]:
        if cluster in cl and org in o:
            ties[cl[cluster], o[org]] += 1.0 if kind in strong else 0.5
    assert np.array_equal(p.cluster_org.toarray(), np.minimum(ties, 1.0))
    assert p.org_competency.nnz > 0 and p.cluster_org.nnz > 0
