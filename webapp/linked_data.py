"""Linked data: every resource IRI of the dataset dereferences on this server.

Data IRIs are ``https://w3id.org/clusterkg/id/{kind}/{id}`` (see ontology/README.md). The w3id.org
redirect maps them to ``/id/{kind}/{id}`` on the server that publishes the data, so
``GET /id/{kind}/{id}`` answers for the IRI ``https://w3id.org/clusterkg/id/{kind}/{id}``:

- a browser (``Accept`` asks for ``text/html``): ``303 See Other`` to the resource's page —
  ``/clusters/{id}``, ``/organisations/{id}``, ``/competencies/{id}``, or the generic
  ``/resource?iri=...`` for every other kind;
- otherwise the resource's own triples (a DESCRIBE-like ``CONSTRUCT { ?s ?p ?o }`` with ``?s``
  bound to the IRI) in the format ``Accept`` asks for: Turtle (the default), JSON-LD,
  N-Triples or RDF/XML (:data:`clusterkg.webapp.negotiation.GRAPH_FORMATS`); 406 for others;
- 404 (the one JSON error shape) when the store holds no triple about the IRI.

Both reads go through :mod:`clusterkg.webapp.pages.reads` (time limit, row cap): a resource with
more than ``CLUSTERKG_MAX_ROWS`` triples is cut there, flagged by the ``X-ClusterKG-Truncated``
header as at ``/sparql``.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, redirect, request
from rdflib import URIRef

from clusterkg.graph.errors import NotFound
from clusterkg.webapp.errors import ApiError
from clusterkg.webapp.negotiation import GRAPH_FORMATS, choose
from clusterkg.webapp.sparql import TRUNCATED_HEADER
from clusterkg.webapp.pages import reads
from clusterkg.webapp.pages.common import DATA_IRI_BASE, entity_url
from clusterkg.webapp.pages.facts import exists

__all__ = ["bp", "iri_for"]

bp = Blueprint("linked_data", __name__)

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")
DESCRIBE = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"


def iri_for(kind: str, identifier: str) -> str:
    """The data IRI served at ``/id/{kind}/{identifier}``.

    >>> iri_for("cluster", "silicon-saxony")
    'https://w3id.org/clusterkg/id/cluster/silicon-saxony'
    """
    return f"{DATA_IRI_BASE}{kind}/{identifier}"


@bp.route("/id/<kind>/<identifier>")
def dereference(kind: str, identifier: str):
    if not (_SEGMENT.match(kind) and _SEGMENT.match(identifier)):
        raise NotFound("resource", f"/id/{kind}/{identifier}")
    iri = iri_for(kind, identifier)
    if not exists(iri):
        raise NotFound("resource", iri)
    accept = request.headers.get("Accept")
    chosen = choose(accept, GRAPH_FORMATS, extra=("text/html",))
    if chosen == "text/html" and "text/html" in (accept or ""):
        response = redirect(entity_url(iri), code=303)
        response.headers["Vary"] = "Accept"
        return response
    if chosen is None or chosen == "text/html":
        raise ApiError(f"cannot answer in {accept!r}; acceptable: text/html, {', '.join(GRAPH_FORMATS)}", 406)
    media_type = GRAPH_FORMATS[chosen].content_type.split(";")[0]  # text/plain is written as N-Triples
    reply = reads.answer(DESCRIBE, media_type, {"s": URIRef(iri)})
    response = Response(reply.body, content_type=GRAPH_FORMATS[chosen].content_type, headers={"Vary": "Accept"})
    if reply.truncated:
        response.headers[TRUNCATED_HEADER] = "true"
    return response
