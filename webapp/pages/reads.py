"""The one path every page, linked-data and explorer read takes to the store: bounded.

Datasette's model: a page's query runs like a query typed at ``/sparql``, in the app's query
runner (:mod:`clusterkg.webapp.query_runner`), so it is stopped at ``CLUSTERKG_QUERY_TIMEOUT``
and cut at ``CLUSTERKG_MAX_ROWS`` rows (or triples); a cut answer says so (``truncated``), and
the request thread never runs a query itself. Queries are constant text; the resource a page is
about is bound with the store's binding (a ``VALUES`` block first inside the WHERE group, its
terms written so they cannot break out), never pasted in.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from rdflib.plugins.sparql.results.jsonresults import JSONResultParser  # (loaded with the app: 0.3 s, not the first page's)
from rdflib.term import Node

from clusterkg.graph.store import _with_bindings
from clusterkg.webapp.extension import state
from clusterkg.webapp.query_runner import QueryAnswer, QueryJob

__all__ = ["Rows", "answer", "ask", "select"]

_RESULTS_JSON = "application/sparql-results+json"


@dataclass(frozen=True)
class Rows:
    """SELECT rows as rdflib terms (``None`` where unbound); ``truncated`` past the row cap."""

    variables: list[str]
    rows: list[tuple[Node | None, ...]]
    truncated: bool = False

    def __iter__(self):
        return iter(self.rows)


def answer(query: str, accept: str, bindings: dict[str, Node] | None = None,
           max_rows: int | None = None, base_iri: str | None = None) -> QueryAnswer:
    """Run one read through the app's runner, bound, time-limited and row-capped.

    ``accept`` is an ``Accept`` value: the first listed type that fits the query form is written.
    """
    ckg = state()
    job = QueryJob(_with_bindings(query, bindings), accept=accept, base_iri=base_iri,
                   max_rows=min(max_rows or ckg.max_rows, ckg.max_rows))
    return ckg.runner.run(job)


def select(query: str, bindings: dict[str, Node] | None = None, max_rows: int | None = None) -> Rows:
    """A SELECT query's rows, as rdflib terms."""
    reply = answer(query, _RESULTS_JSON, bindings, max_rows)
    result = JSONResultParser().parse(io.BytesIO(reply.body))
    variables = [str(v) for v in result.vars or []]
    return Rows(variables, [tuple(row) for row in result], reply.truncated)


def ask(query: str, bindings: dict[str, Node] | None = None) -> bool:
    """An ASK query's answer."""
    return bool(JSONResultParser().parse(io.BytesIO(answer(query, _RESULTS_JSON, bindings).body)).askAnswer)
