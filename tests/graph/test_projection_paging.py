"""The projection built in pages from a real ``oxigraph serve``: no answer is large, and the
result equals the build that reads every answer whole."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from clusterkg.graph.errors import InvalidInput
from clusterkg.graph import projection
from clusterkg.graph.projection import build_projection
from clusterkg.graph.store import SparqlProtocolStore
from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic

PAGE = 40  # rows per answer


def counting(store: SparqlProtocolStore) -> SparqlProtocolStore:
    """The real protocol store, noting how many rows each CSV answer the projection read had."""
    store.answers = []
    read = store.select_csv

    def select_csv(query: str) -> bytes:
        body = read(query)
        store.answers.append((query, body.count(b"\n") - 1))  # CSV: a header, then a line per row
        return body

    store.select_csv = select_csv
    return store


@pytest.fixture(scope="module")
def graph() -> bytes:
    buffer = io.BytesIO()
    write_synthetic(SyntheticSpec(clusters=12, organisations=300, competencies=60, seed=3), buffer)
    return buffer.getvalue()


@pytest.fixture(params=["oxigraph", "virtuoso"])
def remote_server(request):
    """``oxigraph serve`` (shared) or a Virtuoso of this module's own (``module_virtuoso_server``):
    after these builds had read a graph in pages and the graph was cleared, the session's shared
    Virtuoso 7.2 answered a later test's ``ckg:hasCompetency/skos:broader*`` query without its
    zero-length matches (seen in CI, not explained yet; a fresh server answers it right)."""
    return request.getfixturevalue("oxigraph_server" if request.param == "oxigraph" else "module_virtuoso_server")


@pytest.fixture()
def served(remote_server, graph):
    """A counting store on each test server (``oxigraph serve``, Virtuoso), holding a small synthetic graph."""
    with remote_server.connect(timeout=30) as store:
        store.clear()
        store.insert_ntriples(graph)
        yield counting(store)
        store.clear()  # the server is shared: leave it empty


def largest_degree(store: SparqlProtocolStore) -> int:
    """The most triples any one resource is the subject of (bounds the rows one subject gives)."""
    _, rows = store.select_values("SELECT (MAX(?n) AS ?m) WHERE { { SELECT ?s (COUNT(*) AS ?n) WHERE { "
                                  "?s ?p ?o } GROUP BY ?s } }")
    return int(rows[0][0])


def same_projection(a, b) -> None:
    for name in ("clusters", "organisations", "competencies", "industries", "partnerships", "resources", "developments"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
    ordered = lambda ties: ties.sort_values(list(ties.columns), ignore_index=True)  # noqa: E731 (rows in no order)
    pd.testing.assert_frame_equal(ordered(a.ties), ordered(b.ties), obj="ties")
    for name in ("org_competency", "org_competency_up", "cluster_org", "cluster_competency", "cluster_needs", "org_needs"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape and (x != y).nnz == 0, name
    assert a.labels == b.labels


def test_paged_build_equals_the_embedded_build(served, graph, memory_store):
    memory_store.insert_ntriples(graph)
    embedded = build_projection(memory_store)
    paged = build_projection(served, page_size=PAGE)
    same_projection(paged, embedded)
    assert paged.org_competency.nnz > 1000 and len(paged.organisations) >= 300


def test_paged_build_equals_the_whole_build_and_no_answer_is_large(served):
    whole = build_projection(served, page_size=0)
    # the largest whole answer in pairs: the claims (a whole build reads them a row per
    # organisation, its claims joined: fewer rows, each longer)
    whole_largest = max(max(rows for _, rows in served.answers), whole.org_competency.nnz)
    served.answers.clear()
    paged = build_projection(served, page_size=PAGE)

    assert paged.version == whole.version
    same_projection(paged, whole)
    assert paged.org_competency.nnz > 1000 and len(paged.organisations) >= 300

    sliced = [rows for query, rows in served.answers if "LIMIT" in query]
    by_subjects = [(query, rows) for query, rows in served.answers if "VALUES ?c {" in query]
    assert len(sliced) > 300 / PAGE and max(sliced) <= PAGE < whole_largest
    assert len(by_subjects) >= 2
    assert all(query.split("VALUES ?c {", 1)[1].split("}", 1)[0].count("<") <= PAGE and rows < whole_largest
               for query, rows in by_subjects)
    assert all("LIMIT" in query or "VALUES" in query for query, _ in served.answers if "COUNT" not in query)


def test_slices_that_do_not_add_up_are_read_again_by_subjects(served, graph, memory_store):
    """A server whose unsorted answer comes in another order for one slice (here: the first
    slice of the claims one row late, so one row is missed and one read twice)."""
    read = served.select_csv

    def shifted(query: str) -> bytes:
        if "hasCompetency" in query and f"OFFSET 0 LIMIT {PAGE}" in query:
            query = query.replace(f"OFFSET 0 LIMIT {PAGE}", f"OFFSET 1 LIMIT {PAGE}")
        return read(query)

    served.select_csv = shifted
    assert projection._fetch_sliced(served, "claims", PAGE) is None
    memory_store.insert_ntriples(graph)
    same_projection(build_projection(served, page_size=PAGE), build_projection(memory_store))
    assert any("VALUES ?o" in query and "hasCompetency" in query for query, _ in served.answers)


def test_the_remote_store_is_read_in_pages_by_default(served):
    build_projection(served)
    assert any("LIMIT" in query for query, _ in served.answers)
    served.answers.clear()
    build_projection(served, page_size=0)
    assert not any("LIMIT" in query for query, _ in served.answers)


def test_subjects_listed_in_slices_and_in_keyset_order_agree(served):
    slices = projection._list_subjects(served, "org:FormalOrganization", PAGE)
    ordered = projection._list_subjects_in_order(served, "?s a org:FormalOrganization FILTER(isIRI(?s))", PAGE)
    assert slices == ordered and len(ordered) >= 300
    assert any("ORDER BY" in query for query, _ in served.answers)
    assert max(rows for query, rows in served.answers if "LIMIT" in query) <= PAGE


def test_a_page_size_below_one_is_refused(served):
    with pytest.raises(InvalidInput, match="page size must be a positive number"):
        build_projection(served, page_size=-3)
