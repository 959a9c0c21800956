"""The same behaviour from every store backend: in memory, on disk and a real Oxigraph server."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import warnings
import xml.etree.ElementTree as ET

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef, Variable
from rdflib.compare import isomorphic
from rdflib.namespace import ORG, RDF, RDFS, XSD

from clusterkg.graph.history import HISTORY_GRAPH
from clusterkg.graph.store import (
    GRAPH_MEDIA_TYPES,
    META_GRAPH,
    RESULTS_MEDIA_TYPES,
    BindingError,
    KnowledgeStore,
    OxigraphStore,
    SparqlProtocolStore,
    StoreError,
    open_store,
)

CKG = Namespace("https://w3id.org/clusterkg/ns#")
SCHEMA = Namespace("https://schema.org/")
SYN = Namespace("https://w3id.org/clusterkg/synthetic/")
C1, C2 = SYN["cluster/c1"], SYN["cluster/c2"]
O1, O2, O3 = SYN["org/o1"], SYN["org/o2"], SYN["org/o3"]
TRICKY_LABEL = 'Org "One" {braces} } # not a comment\nsecond line \\ backslash'

PREFIXES = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX ckg: <https://w3id.org/clusterkg/ns#>
"""
MEMBERS_QUERY = PREFIXES + "SELECT ?org ?label WHERE { ?org org:memberOf ?cluster ; rdfs:label ?label }"


def sample_graph() -> Graph:
    """Synthetic clusters and organisations with the literal kinds the importers write."""
    g = Graph()
    address = BNode()
    for triple in [
        (C1, RDF.type, CKG.Cluster),
        (C1, RDFS.label, Literal("Synthetic Cluster One")),
        (C1, SCHEMA.foundingDate, Literal("2001", datatype=XSD.gYear)),
        (C1, CKG.memberCount, Literal(42)),
        (C1, SCHEMA.address, address),
        (address, SCHEMA.addressLocality, Literal("Synthetic City")),
        (C2, RDF.type, CKG.Cluster),
        (C2, RDFS.label, Literal("Synthetic Cluster Two", lang="en")),
        (O1, RDF.type, CKG.SME),
        (O1, RDFS.label, Literal(TRICKY_LABEL)),
        (O1, ORG.memberOf, C1),
        (O2, RDF.type, CKG.University),
        (O2, RDFS.label, Literal("Org Two")),
        (O2, ORG.memberOf, C1),
        (O2, ORG.memberOf, C2),
        (O3, RDF.type, CKG.SME),
        (O3, RDFS.label, Literal("Org Three")),
    ]:
        g.add(triple)
    return g


@pytest.fixture
def loaded(any_store: KnowledgeStore) -> KnowledgeStore:
    any_store.insert_graph(sample_graph())
    return any_store


RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}


def parse_rdf(body: bytes, media_type: str) -> Graph:
    """Parse a serialised graph back with rdflib, an independent reader."""
    with warnings.catch_warnings():
        # rdflib 7.6's own JSON-LD parser uses its deprecated ConjunctiveGraph internally.
        warnings.filterwarnings("ignore", r".* is deprecated", DeprecationWarning, r"rdflib\.")
        return Graph().parse(data=body, format=RDFLIB_FORMATS[media_type])


# --------------------------------------------------------------------------- reading


def test_insert_graph_then_triple_count(any_store):
    assert any_store.triple_count() == 0
    any_store.insert_graph(sample_graph())
    assert any_store.triple_count() == len(sample_graph()) == 17


def test_select_returns_rdflib_terms(loaded):
    result = loaded.select(MEMBERS_QUERY + " ORDER BY ?org ?label")
    assert result.variables == ["org", "label"]
    assert sorted(result.rows) == sorted(
        [(O1, Literal(TRICKY_LABEL)), (O2, Literal("Org Two")), (O2, Literal("Org Two"))]
    )
    assert list(result.dicts())[0].keys() == {"org", "label"}
    assert len(result) == 3


def test_select_keeps_language_and_datatype(loaded):
    result = loaded.select(
        PREFIXES + "SELECT ?c ?label ?n WHERE { ?c rdfs:label ?label OPTIONAL { ?c ckg:memberCount ?n } }"
        " VALUES ?c { <%s> <%s> }" % (C1, C2)
    )
    rows = {row[0]: row[1:] for row in result.rows}
    assert rows[C1] == (Literal("Synthetic Cluster One"), Literal(42))
    assert rows[C2] == (Literal("Synthetic Cluster Two", lang="en"), None)


def test_select_values_gives_plain_strings(loaded):
    variables, rows = loaded.select_values(
        PREFIXES + "SELECT ?c ?label ?n WHERE { ?c a ckg:Cluster ; rdfs:label ?label "
        "OPTIONAL { ?c ckg:memberCount ?n } } ORDER BY ?c"
    )
    assert variables == ["c", "label", "n"]
    assert rows == [(str(C1), "Synthetic Cluster One", "42"), (str(C2), "Synthetic Cluster Two", None)]


def test_queries_see_only_the_default_graph_data(loaded):
    _, rows = loaded.select_values("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    assert len(rows) == 17
    assert all(META_GRAPH not in row for row in rows)
    assert not loaded.ask(f"ASK {{ <{META_GRAPH}> ?p ?o }}")


def test_embedded_graph_patterns_do_not_see_the_meta_graph(memory_store):
    memory_store.insert_graph(sample_graph())
    memory_store.update(f'INSERT DATA {{ GRAPH <{SYN}graph/g> {{ <{C1}> <{RDFS.comment}> "named" }} }}')
    _, rows = memory_store.select_values("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    # the change history is a named graph like any other; the data version is not
    assert sorted(rows) == [(HISTORY_GRAPH,), (f"{SYN}graph/g",)]
    assert memory_store.triple_count() == 17  # named graphs are not the default graph


def test_ask(loaded):
    assert loaded.ask(PREFIXES + f"ASK {{ <{O2}> org:memberOf <{C2}> }}")
    assert not loaded.ask(PREFIXES + f"ASK {{ <{O1}> org:memberOf <{C2}> }}")


def test_construct_returns_a_graph(loaded):
    graph = loaded.construct(PREFIXES + "CONSTRUCT { ?o org:memberOf ?c } WHERE { ?o org:memberOf ?c }")
    expected = Graph()
    for triple in [(O1, ORG.memberOf, C1), (O2, ORG.memberOf, C1), (O2, ORG.memberOf, C2)]:
        expected.add(triple)
    assert isomorphic(graph, expected)


def test_query_form_must_match_the_method(loaded):
    with pytest.raises(StoreError, match="SELECT"):
        loaded.ask("SELECT * WHERE { ?s ?p ?o }")
    with pytest.raises(StoreError, match="ASK"):
        loaded.select("ASK { ?s ?p ?o }")


def _parse_select_bytes(body: bytes, media_type: str) -> set[tuple[str, str]]:
    """(org IRI, label lexical form) pairs, parsed back from each results format."""
    if media_type == "application/sparql-results+json":
        data = json.loads(body)
        assert data["head"]["vars"] == ["org", "label"]
        return {(b["org"]["value"], b["label"]["value"]) for b in data["results"]["bindings"]}
    if media_type == "application/sparql-results+xml":
        ns = {"r": "http://www.w3.org/2005/sparql-results#"}
        root = ET.fromstring(body)
        pairs = set()
        for result in root.iterfind("r:results/r:result", ns):
            cells = {b.get("name"): b[0].text for b in result.iterfind("r:binding", ns)}
            pairs.add((cells["org"], cells["label"]))
        return pairs
    if media_type == "text/csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
        assert rows[0] == ["org", "label"]
        return {tuple(row) for row in rows[1:]}
    assert media_type == "text/tab-separated-values"
    lines = body.decode("utf-8").split("\n")
    assert lines[0] == "?org\t?label"
    pairs = set()
    for line in filter(None, lines[1:]):
        org, label = line.split("\t")
        # TSV cells are terms in Turtle syntax; parse them back with rdflib
        parsed = Graph().parse(data=f"{org} <{RDFS.label}> {label} .", format="turtle")
        ((subject, _, literal),) = parsed
        pairs.add((str(subject), str(literal)))
    return pairs


@pytest.mark.parametrize("media_type", list(RESULTS_MEDIA_TYPES))
def test_query_bytes_select_in_every_results_format(loaded, media_type):
    body = loaded.query_bytes(MEMBERS_QUERY, media_type)
    assert _parse_select_bytes(body, media_type) == {
        (str(O1), TRICKY_LABEL),
        (str(O2), "Org Two"),
    }


@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "application/sparql-results+xml"])
def test_query_bytes_ask(loaded, media_type):
    body = loaded.query_bytes(f"ASK {{ <{O1}> ?p ?o }}", media_type)
    if media_type.endswith("json"):
        assert json.loads(body)["boolean"] is True
    else:
        root = ET.fromstring(body)
        assert root.find("{http://www.w3.org/2005/sparql-results#}boolean").text == "true"


@pytest.mark.parametrize("media_type", list(GRAPH_MEDIA_TYPES))
def test_query_bytes_construct_in_every_graph_format(loaded, media_type):
    body = loaded.query_bytes("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", media_type)
    assert isomorphic(parse_rdf(body, media_type), sample_graph())


def test_query_bytes_refuses_a_format_that_does_not_fit(loaded):
    with pytest.raises(StoreError):
        loaded.query_bytes("SELECT * WHERE { ?s ?p ?o }", "text/turtle")
    with pytest.raises(StoreError, match="unsupported media type"):
        loaded.query_bytes("SELECT * WHERE { ?s ?p ?o }", "image/png")


@pytest.mark.parametrize("media_type", list(GRAPH_MEDIA_TYPES))
def test_dump_round_trips(loaded, media_type):
    dumped = parse_rdf(loaded.dump(media_type), media_type)
    assert isomorphic(dumped, sample_graph())  # and no meta triple leaked into the dump


# --------------------------------------------------------------------------- writing


def test_update_and_clear(loaded):
    loaded.update(PREFIXES + f"DELETE DATA {{ <{O2}> org:memberOf <{C2}> }}")
    assert loaded.triple_count() == 16
    loaded.update(PREFIXES + f'INSERT DATA {{ <{O3}> org:memberOf <{C2}> ; rdfs:comment "new" }}')
    assert loaded.triple_count() == 18
    assert loaded.ask(PREFIXES + f"ASK {{ <{O3}> org:memberOf <{C2}> }}")
    loaded.clear()
    assert loaded.triple_count() == 0
    assert loaded.dump("application/n-triples").strip() == b""


def test_insert_ntriples(any_store):
    data = sample_graph().serialize(format="nt", encoding="utf-8")
    any_store.insert_ntriples(data)
    assert any_store.triple_count() == 17
    assert isomorphic(Graph().parse(data=any_store.dump("text/turtle"), format="turtle"), sample_graph())


def test_data_version_changes_after_every_write(any_store):
    versions = [any_store.data_version()]
    any_store.insert_graph(sample_graph())
    versions.append(any_store.data_version())
    any_store.insert_ntriples(f'<{O3}> <{RDFS.comment}> "x" .\n'.encode())
    versions.append(any_store.data_version())
    any_store.update(f"DELETE WHERE {{ <{O3}> <{RDFS.comment}> ?c }}")
    versions.append(any_store.data_version())
    any_store.clear()
    versions.append(any_store.data_version())
    assert len(set(versions)) == len(versions) == 5
    assert any_store.data_version() == versions[-1]  # reading does not change it


def test_data_version_is_zero_for_a_new_store(memory_store):
    assert memory_store.data_version() == "0"


def test_data_version_is_seen_by_a_second_client_of_the_server(remote_server):
    remote_store = remote_server.connect()
    remote_store.clear()
    remote_store.insert_graph(sample_graph())
    with remote_server.connect() as other:
        assert other.data_version() == remote_store.data_version() != "0"
        other.update(f"DELETE DATA {{ <{O2}> <{ORG.memberOf}> <{C2}> }}")
        assert remote_store.data_version() == other.data_version()
        assert remote_store.triple_count() == 16


def test_disk_store_reopens_read_only_with_data_and_version(tmp_path):
    path = tmp_path / "nested" / "store"
    with OxigraphStore(path) as store:
        store.insert_graph(sample_graph())
        version = store.data_version()
    with OxigraphStore.read_only(path) as reopened:
        assert reopened.data_version() == version
        assert reopened.triple_count() == 17
        assert not reopened.writable
        with pytest.raises(StoreError, match="read-only"):
            reopened.update(f"INSERT DATA {{ <{O1}> <{RDFS.comment}> 'x' }}")
        with pytest.raises(StoreError, match="read-only"):
            reopened.insert_graph(sample_graph())


def test_disk_store_reopens_read_write_after_close(tmp_path):
    path = tmp_path / "store"
    OxigraphStore(path).close()
    with OxigraphStore(path) as store:
        store.insert_graph(sample_graph())
    with OxigraphStore(path) as store:
        assert store.triple_count() == 17


def test_read_only_open_of_a_missing_store_fails_clearly(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        OxigraphStore.read_only(tmp_path / "missing")


# --------------------------------------------------------------------------- bindings


EVIL_STRINGS = [
    'a"b',
    'x" } ; DROP ALL ; #',
    '" ) } } INSERT DATA { <http://evil/s> <http://evil/p> "o" } #',
    "line one\nline two\r\nline three",
    "\\u0022 } \\",
    "'''\"\"\"",
    "Müller & Söhne — 東京",
    "",
]


@pytest.mark.parametrize("text", EVIL_STRINGS)
def test_bound_literals_cannot_break_out(any_store, text):
    subject = SYN["org/evil"]
    graph = Graph()
    graph.add((subject, RDFS.label, Literal(text)))
    any_store.insert_graph(graph)
    result = any_store.select("SELECT ?s WHERE { ?s ?p ?label }", bindings={"label": Literal(text)})
    assert result.rows == [(subject,)]
    echoed = any_store.select("SELECT ?x WHERE { }", bindings={"x": Literal(text)})
    assert echoed.rows == [(Literal(text),)]
    assert any_store.triple_count() == 1


def test_bindings_of_every_term_kind(loaded):
    query = PREFIXES + "SELECT ?c WHERE { ?c rdfs:label ?label }"
    assert loaded.select(query, {"label": Literal("Synthetic Cluster Two", lang="en")}).rows == [(C2,)]
    assert loaded.select(query, {"label": Literal("Synthetic Cluster Two")}).rows == []
    assert loaded.select(
        "SELECT ?c WHERE { ?c ?p ?year }", {"?year": Literal("2001", datatype=XSD.gYear)}
    ).rows == [(C1,)]
    assert loaded.ask(PREFIXES + "ASK { ?o org:memberOf ?c }", {"o": O1, "c": C1})
    assert not loaded.ask(PREFIXES + "ASK { ?o org:memberOf ?c }", {"o": O1, "c": C2})
    graph = loaded.construct(PREFIXES + "CONSTRUCT { ?o org:memberOf ?c } WHERE { ?o org:memberOf ?c }",
                             {"o": O2})
    assert set(graph) == {(O2, ORG.memberOf, C1), (O2, ORG.memberOf, C2)}
    _, rows = loaded.select_values(MEMBERS_QUERY, {"cluster": C2})
    assert rows == [(str(O2), "Org Two")]


def test_binding_a_group_key_restricts_an_aggregate(loaded):
    query = PREFIXES + (
        "SELECT ?cluster (COUNT(?org) AS ?n) WHERE { ?org org:memberOf ?cluster } GROUP BY ?cluster"
    )
    assert loaded.select_values(query, {"cluster": C1})[1] == [(str(C1), "2")]


@pytest.mark.parametrize(
    "bindings",
    [
        {"x": URIRef("http://example.org/a> } DROP ALL #")},
        {"x": URIRef("http://example.org/a b")},
        {"x": BNode()},
        {"x } DROP ALL": Literal("a")},
        {"x": Variable("y")},
    ],
)
def test_unsafe_bindings_are_refused(memory_store, bindings):
    with pytest.raises(BindingError):
        memory_store.select("SELECT ?x WHERE { }", bindings)


# --------------------------------------------------------------------------- errors


def test_syntax_errors_become_store_errors(any_store):
    with pytest.raises(StoreError) as query_error:
        any_store.select("SELEC ?s WHERE { ?s ?p ?o }")
    message = str(query_error.value)
    # the parser's own explanation (Virtuoso's names the line and quotes the text instead)
    assert re.search(r"(?i)expected|SPARQL compiler, line \d+", message)
    where = any_store.query_url if isinstance(any_store, SparqlProtocolStore) else any_store.description
    assert where in message
    with pytest.raises(StoreError, match=r"(?i)expected|SPARQL compiler, line \d+"):
        any_store.update("INSERT DATUM { }")


def test_remote_errors_carry_the_http_status(remote_server):
    with pytest.raises(StoreError, match="HTTP 400"):
        remote_server.connect().ask("ASK { ?s ?p }")


def test_unreachable_server_is_a_store_error():
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens there
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/query"
    with pytest.raises(StoreError, match="cannot reach the server"):
        SparqlProtocolStore(url, timeout=2).triple_count()


def test_a_write_waits_longer_than_a_read_for_a_slow_server():
    """A client that stops waiting on a write cannot tell whether it landed: writes get
    ``write_timeout``, reads ``timeout``. A loopback server that answers updates and queries
    naming SLOW after 0.5 s, other queries at once with no rows."""
    import http.server
    import threading

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if body.startswith(b"update=") or b"SLOW" in body:
                threading.Event().wait(0.5)
            if body.startswith(b"update="):
                self.send_response(204)
                self.end_headers()
                return
            answer = b'{"head": {"vars": ["v"]}, "results": {"bindings": []}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        store = SparqlProtocolStore(url, url, timeout=0.2, write_timeout=5)
        store.update("INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }")  # (answered after 0.5 s: waited for)
        with pytest.raises(StoreError, match="cannot reach the server: timed out"):
            store.select("SELECT ?v WHERE { ?v ?p 'SLOW' }")
        with pytest.raises(StoreError, match="cannot reach the server: timed out"):
            SparqlProtocolStore(url, url, timeout=0.2, write_timeout=0.2).update("INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }")
    finally:
        server.shutdown()
        server.server_close()


def test_failed_insert_ntriples_leaves_the_store_unchanged(loaded):
    version = loaded.data_version()
    before = Graph().parse(data=loaded.dump("application/n-triples"), format="nt")
    batch = (
        f'<{O3}> <{ORG.memberOf}> <{C1}> .\n'
        f'<{O3}> <{RDFS.comment}> "first lines are valid" .\n'
        f'<{SYN}org/bad iri> <{RDFS.label}> "invalid: space in IRI" .\n'
    ).encode()
    with pytest.raises(StoreError, match="(?i)nothing inserted|HTTP 400"):
        loaded.insert_ntriples(batch)
    assert loaded.triple_count() == 17
    assert isomorphic(Graph().parse(data=loaded.dump("application/n-triples"), format="nt"), before)
    assert loaded.data_version() == version


def test_failed_insert_graph_leaves_the_store_unchanged(loaded):
    version = loaded.data_version()
    batch = Graph()
    batch.add((O3, ORG.memberOf, C1))
    batch.add((O3, RDFS.comment, Literal("valid")))
    batch.add((URIRef(f"{SYN}org/bad iri"), RDFS.label, Literal("invalid: space in IRI")))
    with pytest.raises(StoreError):
        loaded.insert_graph(batch)
    assert loaded.triple_count() == 17
    assert not loaded.ask(f"ASK {{ <{O3}> ?p <{C1}> }}")
    assert loaded.data_version() == version


def test_closed_store_refuses_work(any_store):
    any_store.close()
    any_store.close()  # closing twice is harmless
    with pytest.raises(StoreError, match="closed"):
        any_store.triple_count()


def test_second_read_write_opener_of_a_path_fails_clearly(disk_store):
    with pytest.raises(StoreError, match="read-only or write through that server"):
        OxigraphStore(disk_store.path)


def test_remote_store_without_update_endpoint_is_read_only(remote_server):
    with remote_server.connect() as writer:
        writer.clear()
        writer.insert_graph(sample_graph())
    reader = open_store(endpoint=remote_server.query_url, read_only=True)
    assert reader.update_url is None
    assert reader.triple_count() == 17
    with pytest.raises(StoreError, match="no update endpoint"):
        reader.clear()


def test_remote_insert_without_graph_store_uses_insert_data(remote_server):
    store = remote_server.connect()
    store.graph_store_url = None  # Virtuoso has none anyway
    store.clear()
    store.insert_graph(sample_graph())
    assert isomorphic(Graph().parse(data=store.dump("text/turtle"), format="turtle"), sample_graph())
    with pytest.raises(StoreError, match="invalid N-Triples"):
        store.insert_ntriples(b"} ; DROP ALL ; INSERT DATA {")
    assert store.triple_count() == 17


# --------------------------------------------------------------------------- factory


def test_open_store_picks_the_backend(tmp_path, oxigraph_server, remote_store):
    with open_store() as memory:
        assert isinstance(memory, OxigraphStore) and memory.path is None
    with open_store(tmp_path / "s") as disk:
        assert isinstance(disk, OxigraphStore) and disk.path == tmp_path / "s"
    with open_store(
        endpoint=oxigraph_server.query_url,
        update_endpoint=oxigraph_server.update_url,
        graph_store_endpoint=oxigraph_server.store_url,
        token="secret",
    ) as remote:
        assert isinstance(remote, SparqlProtocolStore)
        assert remote.headers == {"Authorization": "Bearer secret"}
        remote.insert_graph(sample_graph())
        assert remote_store.triple_count() == 17  # the same server as the fixture's client
    with pytest.raises(StoreError, match="not both"):
        open_store(tmp_path / "s", endpoint=oxigraph_server.query_url)


def _graphs(store) -> set[str]:
    return {g for (g,) in store.select_values("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")[1]}


@pytest.mark.parametrize("through", ["graph store", "insert data"])
def test_virtuoso_takes_a_large_insert_in_one_write_or_none(virtuoso_store, through):
    """Virtuoso refuses INSERT DATA past ~10,000 lines of generated SQL: the store stages the
    data (through its Graph Store, or without one in INSERT DATA chunks), then copies it."""
    if through == "insert data":
        virtuoso_store.graph_store_url = None
    lines = [f'<https://example.org/s{i}> <https://example.org/p> "{i}"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
             f'<https://example.org/s{i}> <https://example.org/q> "label {i}"@en .\n'
             f'<https://example.org/s{i}> <https://example.org/r> _:b{i % 7} .\n' for i in range(1500)]
    graphs_before = _graphs(virtuoso_store)
    virtuoso_store.insert_ntriples("".join(lines).encode())
    assert virtuoso_store.triple_count() == 4500
    assert virtuoso_store.select_values("SELECT (COUNT(DISTINCT ?b) AS ?n) { ?s <https://example.org/r> ?b }")[1] == [("7",)]
    version = virtuoso_store.data_version()
    big = "INSERT DATA {\n" + "".join(line for line in lines if "/q>" in line) + "}"
    with pytest.raises(StoreError, match="HTTP 400"):
        virtuoso_store.update(big.replace("label", "again") + " ;\nINSERT DATUM { }")
    assert virtuoso_store.triple_count() == 4500 and virtuoso_store.data_version() == version
    # no staging graph is left; a query's GRAPH ?g sees the history, not the bookkeeping graph,
    # nor the graph standing in for the default graph (as on an embedded store)
    assert _graphs(virtuoso_store) == graphs_before | {"https://w3id.org/clusterkg/graph/history"}
