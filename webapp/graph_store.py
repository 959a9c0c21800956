"""The SPARQL 1.1 Graph Store HTTP Protocol at ``/store`` (``?default`` or ``?graph=IRI``).

Reads are open; PUT / POST / DELETE need the admin token and go through the store interface
(one SPARQL Update each, so a write is all or nothing and changes the data version).
"""

from __future__ import annotations

import uuid

import pyoxigraph as ox
from flask import Blueprint, Response, request
from rdflib import URIRef

from clusterkg.graph.reasons import N_, reason
from clusterkg.graph.store import BindingError, StoreError, sparql_term
from clusterkg.webapp.auth import require_admin
from clusterkg.webapp.errors import ApiError
from clusterkg.webapp.extension import state
from clusterkg.graph.iris import iri_error
from clusterkg.graph.media_types import MEDIA_TYPES
from clusterkg.webapp.negotiation import GRAPH_FORMATS, choose
from clusterkg.webapp.sparql import base_url
from clusterkg.webapp.query_runner import QueryJob
from clusterkg.webapp.sparql import TRUNCATED_HEADER

__all__ = ["bp"]

bp = Blueprint("graph_store", __name__)

#: RDF media types a body may be sent in (text/plain is N-Triples)
_INPUT_FORMATS = {m.media_type: m.ox_format for m in MEDIA_TYPES if m.is_graph}
# the store interface's media types for the synonyms
_STORE_MEDIA = {m.media_type: m.alias_of for m in MEDIA_TYPES if m.is_graph and m.alias_of}


def _target() -> str | None:
    """``None`` for the default graph, else the graph's IRI written for SPARQL (``<...>``)."""
    has_default = "default" in request.args
    graphs = request.args.getlist("graph")
    if has_default and graphs:
        raise ApiError(reason(N_("give either ?default or ?graph=IRI, not both")), 400)
    if len(graphs) > 1:
        raise ApiError(reason(N_("give one ?graph=IRI")), 400)
    if has_default:
        return None
    if not graphs:
        raise ApiError(reason(N_("name the graph: ?default or ?graph=IRI")), 400)
    iri = graphs[0]
    why = iri_error(iri)
    if why is not None:
        raise ApiError(reason(N_("the graph must be an absolute IRI, not %(iri)s (%(why)s)"), iri=repr(iri), why=why), 400)
    try:
        return sparql_term(URIRef(iri))
    except BindingError as error:
        raise ApiError(str(error), 400) from error


def _exists(graph: str) -> bool:
    return state().store.ask(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}")


def _triples_from_body(base_iri: str) -> str:
    media = request.mimetype
    if media not in _INPUT_FORMATS:
        raise ApiError(reason(N_("unsupported Content-Type %(media)s; send one of %(formats)s"), media=repr(media),
                              formats=list(_INPUT_FORMATS)), 415)
    try:
        quads = ox.parse(request.get_data(), format=_INPUT_FORMATS[media], base_iri=base_iri)
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    except (SyntaxError, ValueError) as error:
        raise ApiError(reason(N_("the %(media)s body does not parse: %(error)s"), media=media, error=str(error)), 400) from error
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")


def _write(update: str, agent: str) -> None:
    try:
        state().write(lambda store: store.update(update, agent=agent))
    except StoreError as error:
        raise ApiError(str(error), 400) from error


@bp.route("/store", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
def graph_store():
    if request.method == "POST" and "default" not in request.args and "graph" not in request.args:
        return _create_graph()
    graph = _target()
    if request.method in ("GET", "HEAD"):
        return _read(graph)
    agent = require_admin()
    if request.method == "DELETE":
        if graph is not None and not _exists(graph):
            raise ApiError(reason(N_("no graph %(graph)s"), graph=str(graph)), 404)
        _write("DROP DEFAULT" if graph is None else f"DROP GRAPH {graph}", agent)
        return Response(status=204)
    base = graph[1:-1] if graph else base_url()
    data = _triples_from_body(base)
    existed = graph is None or _exists(graph)
    into = (lambda body: f"INSERT DATA {{ {body} }}") if graph is None else (
        lambda body: f"INSERT DATA {{ GRAPH {graph} {{ {body} }} }}")
    if request.method == "PUT":
        drop = "DROP SILENT DEFAULT" if graph is None else f"DROP SILENT GRAPH {graph}"
        _write(f"{drop} ;\n{into(data)}", agent)
    else:
        _write(into(data), agent)
    return Response(status=204 if existed else 201)


def _create_graph() -> Response:
    """POST to the store itself: a new graph with a server-chosen IRI (Location header)."""
    agent = require_admin()
    iri = request.url_root + "store/graphs/" + uuid.uuid4().hex
    data = _triples_from_body(iri)
    _write(f"INSERT DATA {{ GRAPH <{iri}> {{ {data} }} }}", agent)
    return Response(status=201, headers={"Location": iri})


def _read(graph: str | None) -> Response:
    """A graph, read like any query: through the runner's time limit and row cap (a longer graph
    is cut at ``CLUSTERKG_MAX_ROWS`` triples and flagged with ``X-ClusterKG-Truncated``; the
    whole store is exported with ``clusterkg export``)."""
    media = choose(request.headers.get("Accept"), GRAPH_FORMATS)
    if media is None:
        raise ApiError(reason(N_("no acceptable RDF media type; this store offers %(formats)s"), formats=list(GRAPH_FORMATS)), 406)
    if graph is not None and not _exists(graph):
        raise ApiError(reason(N_("no graph %(graph)s"), graph=str(graph)), 404)
    pattern = "?s ?p ?o" if graph is None else f"GRAPH {graph} {{ ?s ?p ?o }}"
    ckg = state()
    answer = ckg.runner.run(QueryJob(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}",
                                     accept=_STORE_MEDIA.get(media, media), max_rows=ckg.max_rows))
    response = Response(answer.body, content_type=GRAPH_FORMATS[media].content_type, headers={"Vary": "Accept"})
    if answer.truncated:
        response.headers[TRUNCATED_HEADER] = str(ckg.max_rows)
    if request.method == "HEAD":
        response.set_data(b"")
        response.headers["Content-Length"] = str(len(answer.body))
    return response
