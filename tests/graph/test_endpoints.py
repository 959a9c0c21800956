"""Deriving a server's update and Graph Store URLs, against a real ``oxigraph serve``.

The layouts of Fuseki and Virtuoso are checked by the doctests of ``graph/endpoints.py``;
``clusterkg serve`` (told apart by its ``Server`` header) in tests/test_cli.py.
"""

from __future__ import annotations

from clusterkg.graph.endpoints import VIRTUOSO_DEFAULT_GRAPH, derive_endpoints
from clusterkg.graph.store import open_store

TRIPLE = b'<https://example.org/s> <https://example.org/p> "o" .\n'


def test_oxigraph_query_url_needs_no_request(oxigraph_server):
    urls = derive_endpoints(oxigraph_server.query_url)
    assert (urls.update, urls.graph_store, urls.server) == (oxigraph_server.update_url, oxigraph_server.store_url, "Oxigraph")


def test_an_ambiguous_path_is_settled_by_the_server_header(oxigraph_server, remote_store):
    """`oxigraph serve` also answers at /sparql; its `Server` header says which layout to use."""
    with open_store(endpoint=oxigraph_server.base_url + "/sparql") as store:
        assert (store.update_url, store.graph_store_url) == (oxigraph_server.update_url, oxigraph_server.store_url)
        store.insert_ntriples(TRIPLE)
    assert remote_store.triple_count() == 1


def test_explicit_urls_win(oxigraph_server):
    urls = derive_endpoints(oxigraph_server.query_url, update="http://127.0.0.1:9/u")
    assert (urls.update, urls.graph_store) == ("http://127.0.0.1:9/u", oxigraph_server.store_url)
    with open_store(endpoint=oxigraph_server.query_url, graph_store_endpoint="http://127.0.0.1:9/gsp") as store:
        assert store.graph_store_url == "http://127.0.0.1:9/gsp" and store.update_url == oxigraph_server.update_url


def test_an_unreachable_server_of_unknown_layout_is_read_only_not_an_error():
    urls = derive_endpoints("http://127.0.0.1:9/repositories/ckg")  # nothing listens on port 9
    assert (urls.update, urls.graph_store) == (None, None)


def test_virtuoso_is_told_by_its_server_header(virtuoso_server, virtuoso_store):
    """Virtuoso answers at /sparql like `clusterkg serve`; its data lives in a named graph."""
    urls = derive_endpoints(virtuoso_server.query_url)
    assert (urls.server, urls.update) == ("Virtuoso", virtuoso_server.query_url)
    assert urls.default_graph == VIRTUOSO_DEFAULT_GRAPH
    explicit = derive_endpoints(virtuoso_server.query_url, update=virtuoso_server.query_url, graph_store="http://127.0.0.1:9/g")
    assert explicit.default_graph == VIRTUOSO_DEFAULT_GRAPH  # explicit URLs do not lose it
    with open_store(endpoint=virtuoso_server.query_url) as store:
        store.insert_ntriples(TRIPLE)
        assert store.triple_count() == 1
        assert store.ask("ASK { GRAPH <%s> { ?s ?p \"o\" } }" % VIRTUOSO_DEFAULT_GRAPH)
