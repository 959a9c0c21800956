"""The update and Graph Store URLs of a SPARQL server, derived from its query URL.

People give clusterkg one URL, the one they query. Writing needs two more: the SPARQL 1.1
Update endpoint and, for fast atomic inserts, the Graph Store HTTP Protocol endpoint. Each
server product lays them out its own way:

=====================  ====================  ==================  ===================
server                 query URL             update URL          Graph Store URL
=====================  ====================  ==================  ===================
Oxigraph (``serve``)   ``/query``            ``/update``         ``/store``
Apache Jena Fuseki     ``/ds/sparql``,       ``/ds/update``      ``/ds/data``
                       ``/ds/query``
Virtuoso               ``/sparql``           ``/sparql``         ``/sparql-graph-crud``
``clusterkg serve``    ``/sparql``           ``/sparql``         ``/store``
=====================  ====================  ==================  ===================

The path tells Oxigraph and Fuseki apart. ``/sparql`` at the root is Virtuoso or
``clusterkg serve``: one ``GET`` of the query URL (which answers with the server's SPARQL
Service Description) tells them apart by the ``Server`` header. For any other URL the service
description decides: when it lists ``sd:SPARQL11Update`` the query URL takes updates too.
Settings given explicitly (``CLUSTERKG_UPDATE_ENDPOINT``, ``CLUSTERKG_GRAPH_STORE_ENDPOINT``)
always win. Without an update URL the store is read-only; without a Graph Store URL inserts
are sent as ``INSERT DATA``.

Virtuoso differs from SPARQL 1.1 in ways a client must know (7.2, Debian's package), all
handled here and in :class:`~clusterkg.graph.store.SparqlProtocolStore`, nowhere else:

- Its default graph is the union of every graph, its own system graphs included, and it cannot
  write to an unnamed default graph (``INSERT DATA`` without ``GRAPH`` is an error). So the data
  lives in one named graph, :data:`VIRTUOSO_DEFAULT_GRAPH`, sent as ``default-graph-uri`` with
  every request (:attr:`Endpoints.default_graph`).
- With a default graph given, ``GRAPH <iri>`` sees only graphs also given as
  ``named-graph-uri`` (while ``GRAPH ?g`` still sees every graph, Virtuoso's own and the graph
  standing in for the default graph included): :func:`dataset_parameters` names each graph
  the text mentions after ``GRAPH`` and, for a ``GRAPH ?g``, the store's own named graphs
  (as an embedded store shows them: without the bookkeeping graph).
- ``INSERT DATA`` refuses blank nodes ("not allowed in a constant clause"):
  :func:`blank_nodes_as_templates` sends such a block as ``INSERT { ... } WHERE {}``, which
  SPARQL 1.1 defines to do the same (one new blank node per label).
- A ``*`` property path loses its zero-length matches when the query also has ``ORDER BY``
  (a wrong answer, no error): :func:`star_paths_spelled_out` writes ``p*`` as the equivalent
  ``(p+|<unused>?)``, which it answers right.
- Its Graph Store (``/sparql-graph-crud``) reads ``?default`` as the union of all graphs: the
  store only writes there, into staging graphs; it reads through queries.
- ``DROP ALL`` fails on graphs it did not create explicitly and would reach its system graphs:
  the store drops its own graphs one by one instead. ``DROP GRAPH <g>`` and ``DROP DEFAULT``
  fail the same way ("has not been explicitly created"), while ``CLEAR`` works on every graph:
  :func:`drops_as_clears` sends them as ``CLEAR``, the same on a server where a graph exists
  only through its triples.
- A ``POST`` with ``Content-Type: application/sparql-query`` is never answered (Virtuoso issue
  842): queries are sent form-encoded, which every SPARQL 1.1 server takes.
- ``SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }`` can take a minute on a small store
  (seen after a clear and a reload) where ``... GROUP BY ?g`` takes milliseconds: the store
  lists graphs with the latter.
- Results are silently cut at the ini's ``[SPARQL] ResultSetMaxRows`` (or a request's ``maxrows``
  parameter); a cut SELECT result carries an ``X-SPARQL-MaxRows`` header (also when exactly
  that many rows existed), a cut CONSTRUCT or DESCRIBE result nothing at all. A query stopped at
  a request's ``timeout`` is answered ``200`` with the rows found so far and ``X-SQL-State:
  S1TAT`` (an "anytime" result); at the ini's ``MaxQueryExecutionTime`` it fails, mostly with
  "SR171: Transaction timed out", sometimes with "HY008 Error SR203: Async statement killed"
  (seen in CI): :func:`stopped_by_server` knows both.
  :func:`incomplete_answer` reads both headers: the store refuses such an answer, the web
  app's endpoint flags it as cut at its row cap or reports its time limit. The endpoint asks
  for at most one row more than its row cap (``maxrows``; Virtuoso builds the whole answer
  before it sends the first byte: 10 s for 60,000 rows on the shared test machine, 0.1 s for
  26), so a graph answer cut there is seen as cut; a ``ResultSetMaxRows`` below
  ``CLUSTERKG_MAX_ROWS`` would cut graph answers unseen (``docs/deployment.md``).
- Updates need ``GRANT SPARQL_UPDATE TO "SPARQL"`` on ``/sparql`` (anonymous), or its
  authenticated ``/sparql-auth`` endpoint.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox

from clusterkg.graph.sparql_text import expand_escapes, tokens

__all__ = ["Endpoints", "NO_NAMED_GRAPH", "VIRTUOSO_DEFAULT_GRAPH", "blank_nodes_as_templates", "dataset_parameters",
           "star_paths_spelled_out", "derive_endpoints", "drops_as_clears", "incomplete_answer",
           "from_layout", "from_service_description"]

VIRTUOSO_DEFAULT_GRAPH = "https://w3id.org/clusterkg/graph/default"
"""The named graph that plays the default graph on Virtuoso (see the module docstring)."""

PROBE_TIMEOUT_S = 5
_SD = "http://www.w3.org/ns/sparql-service-description#"


@dataclass(frozen=True)
class Endpoints:
    """Where to query, update and load; ``server`` says how it was worked out (for messages)."""

    query: str
    update: str | None
    graph_store: str | None
    server: str = "unknown"
    default_graph: str | None = None  # a named graph standing in for the default graph


def _sibling(url: str, segment: str) -> str:
    """``url`` with its last path segment replaced by ``segment`` (query string dropped)."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path[: path.rfind("/") + 1] + segment, "", ""))


def from_layout(query_url: str, server_header: str | None = None) -> Endpoints:
    """The endpoints a known server lays out beside ``query_url``, judged by the URL's path
    and, when known, the ``Server`` response header.

    >>> from_layout("http://127.0.0.1:7878/query")
    Endpoints(query='http://127.0.0.1:7878/query', update='http://127.0.0.1:7878/update', graph_store='http://127.0.0.1:7878/store', server='Oxigraph', default_graph=None)
    >>> from_layout("http://localhost:3030/ds/sparql")
    Endpoints(query='http://localhost:3030/ds/sparql', update='http://localhost:3030/ds/update', graph_store='http://localhost:3030/ds/data', server='Fuseki', default_graph=None)
    >>> from_layout("http://localhost:3030/ds/query").graph_store
    'http://localhost:3030/ds/data'
    >>> from_layout("http://localhost:8890/sparql", "Virtuoso/07.20.3240 (Linux) x86_64-pc-linux-gnu")
    Endpoints(query='http://localhost:8890/sparql', update='http://localhost:8890/sparql', graph_store='http://localhost:8890/sparql-graph-crud', server='Virtuoso', default_graph='https://w3id.org/clusterkg/graph/default')
    >>> from_layout("http://127.0.0.1:5000/sparql", "clusterkg")
    Endpoints(query='http://127.0.0.1:5000/sparql', update='http://127.0.0.1:5000/sparql', graph_store='http://127.0.0.1:5000/store', server='clusterkg serve', default_graph=None)
    >>> from_layout("https://example.org/api/v1/search").update is None
    True
    """
    product = (server_header or "").split("/", 1)[0].strip().lower()
    segments = [s for s in urlsplit(query_url).path.split("/") if s]
    oxigraph = Endpoints(query_url, _sibling(query_url, "update"), _sibling(query_url, "store"), "Oxigraph")
    fuseki = Endpoints(query_url, _sibling(query_url, "update"), _sibling(query_url, "data"), "Fuseki")
    virtuoso = Endpoints(query_url, query_url, _sibling(query_url, "sparql-graph-crud"), "Virtuoso", VIRTUOSO_DEFAULT_GRAPH)
    if product == "oxigraph":
        return oxigraph
    if "fuseki" in product:
        return fuseki
    if product == "clusterkg":
        return Endpoints(query_url, query_url, _sibling(query_url, "store"), "clusterkg serve")
    if product.startswith("virtuoso"):
        return virtuoso
    # the server did not say (or was not asked): judge by the path
    if segments == ["query"]:
        return oxigraph
    if len(segments) >= 2 and segments[-1] in ("query", "sparql"):
        return fuseki
    if segments == ["sparql"]:
        return virtuoso  # or `clusterkg serve` without its Graph Store: both take updates here
    return Endpoints(query_url, None, None)


def from_service_description(query_url: str, turtle: bytes) -> Endpoints:
    """The endpoints a SPARQL 1.1 Service Description names: an ``sd:Service`` whose
    ``sd:supportedLanguage`` includes ``sd:SPARQL11Update`` takes updates at its ``sd:endpoint``.

    >>> sd = b'''@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
    ... [] a sd:Service ; sd:endpoint <> ; sd:supportedLanguage sd:SPARQL11Query, sd:SPARQL11Update .'''
    >>> from_service_description("http://127.0.0.1:9999/rdf", sd).update
    'http://127.0.0.1:9999/rdf'
    >>> from_service_description("http://127.0.0.1:9999/rdf", sd.replace(b", sd:SPARQL11Update", b"")).update is None
    True
    """
    try:
        triples = list(ox.parse(turtle, format=ox.RdfFormat.TURTLE, base_iri=query_url))
    except (SyntaxError, ValueError):
        return Endpoints(query_url, None, None)
    update_language = ox.NamedNode(_SD + "SPARQL11Update")
    services = {t.subject for t in triples
                if t.predicate == ox.NamedNode(_SD + "supportedLanguage") and t.object == update_language}
    for t in triples:
        if t.subject in services and t.predicate == ox.NamedNode(_SD + "endpoint") \
                and isinstance(t.object, ox.NamedNode):
            return Endpoints(query_url, t.object.value, None, "service description")
    return Endpoints(query_url, query_url if services else None, None, "service description")


NO_NAMED_GRAPH = "urn:clusterkg:no-named-graph"
"""Named as the only named graph when there is none: without any ``named-graph-uri``,
Virtuoso's ``GRAPH ?g`` would see every graph."""


def dataset_parameters(text: str, default_graph: str,
                       named_graphs: Callable[[], list[str]] | None = None) -> list[tuple[str, str]]:
    """Protocol parameters that make ``default_graph`` the default graph of a query or update
    and keep every graph the text names after ``GRAPH`` reachable (see the module docstring).
    When the text has ``GRAPH ?var``, ``named_graphs()`` (asked only then) lists the graphs it
    may see.

    A text with its own ``FROM`` / ``USING`` clauses keeps its own dataset.

    >>> dataset_parameters('PREFIX m: <http://x/> SELECT * { GRAPH m:g { ?s ?p ?o } GRAPH <http://y> {} }', "http://d")
    [('default-graph-uri', 'http://d'), ('named-graph-uri', 'http://x/g'), ('named-graph-uri', 'http://y')]
    >>> dataset_parameters("SELECT * { GRAPH ?g { ?s ?p ?o } }", "http://d", lambda: ["http://g1"])
    [('default-graph-uri', 'http://d'), ('named-graph-uri', 'http://g1')]
    >>> dataset_parameters("SELECT * { GRAPH $g { ?s ?p ?o } }", "http://d", lambda: [])
    [('default-graph-uri', 'http://d'), ('named-graph-uri', 'urn:clusterkg:no-named-graph')]
    >>> dataset_parameters("SELECT * FROM <http://a> { ?s ?p ?o }", "http://d")
    []
    """
    toks = list(tokens(expand_escapes(text)))
    words = [t.text.upper() if t.kind == "word" else "" for t in toks]
    if "FROM" in words or "USING" in words:
        return []
    prefixes = {toks[i + 1].text: toks[i + 2].text[1:-1] for i, word in enumerate(words[:-2])
                if word == "PREFIX" and toks[i + 2].kind == "iri"}
    named: list[str] = []
    variable_graph = False
    for i, word in enumerate(words[:-1]):
        after = toks[i + 1]
        if word != "GRAPH":
            continue
        if after.kind == "var":
            variable_graph = True
            continue
        if after.kind == "iri":
            iri = after.text[1:-1]
        elif after.kind == "word" and ":" in after.text:
            prefix, _, local = after.text.partition(":")
            if prefix + ":" not in prefixes:
                continue
            iri = prefixes[prefix + ":"] + local
        else:
            continue
        if iri not in named:
            named.append(iri)
    if variable_graph and named_graphs is not None:
        named += [iri for iri in named_graphs() if iri not in named] or [NO_NAMED_GRAPH]
    return [("default-graph-uri", default_graph), *(("named-graph-uri", iri) for iri in named)]


def blank_nodes_as_templates(update: str) -> str:
    """Each ``INSERT DATA { ... }`` holding a blank node rewritten as ``INSERT { ... } WHERE {}``.

    >>> blank_nodes_as_templates('INSERT DATA { <a> <b> _:x . _:x <c> "INSERT DATA {" } ; INSERT DATA { <a> <b> <c> }')
    'INSERT { <a> <b> _:x . _:x <c> "INSERT DATA {" } WHERE {} ; INSERT DATA { <a> <b> <c> }'
    """
    if "_:" not in update and "[" not in update:
        return update
    toks = list(tokens(update))
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), in order
    i = 0
    while i < len(toks) - 2:
        if not (toks[i].text.upper() == "INSERT" and toks[i + 1].text.upper() == "DATA" and toks[i + 2].text == "{"):
            i += 1
            continue
        depth, j, blank = 0, i + 2, False
        for j in range(i + 2, len(toks)):
            text = toks[j].text
            depth += (text == "{") - (text == "}")
            blank = blank or text.startswith("_:") or text == "["
            if depth == 0:
                break
        if blank:
            edits.append((toks[i + 1].start, toks[i + 2].start, ""))  # drop DATA
            edits.append((toks[j].end, toks[j].end, " WHERE {}"))
        i = j + 1
    for start, end, replacement in reversed(edits):
        update = update[:start] + replacement + update[end:]
    return update


def drops_as_clears(update: str) -> str:
    """Each ``DROP [SILENT] GRAPH <g>`` / ``DROP [SILENT] DEFAULT`` written as ``CLEAR`` (see the
    module docstring); ``DROP ALL`` / ``DROP NAMED`` and text in strings are left alone.

    >>> drops_as_clears('DROP GRAPH <http://g> ; DROP SILENT DEFAULT ; INSERT DATA { <a> <b> "DROP GRAPH" }')
    'CLEAR GRAPH <http://g> ; CLEAR SILENT DEFAULT ; INSERT DATA { <a> <b> "DROP GRAPH" }'
    """
    if "DROP" not in update.upper():
        return update
    toks = list(tokens(update))
    starts = []
    for i, token in enumerate(toks[:-1]):
        if token.kind == "word" and token.text.upper() == "DROP":
            following = toks[i + 2] if toks[i + 1].text.upper() == "SILENT" and i + 2 < len(toks) else toks[i + 1]
            if following.text.upper() in ("GRAPH", "DEFAULT"):
                starts.append(token.start)
    for start in reversed(starts):
        update = update[:start] + "CLEAR" + update[start + 4:]
    return update


_ZERO_LENGTH = "<https://w3id.org/clusterkg/ns#zeroLengthPath>"  # a predicate no triple uses
_STARRED = re.compile(r"(<[^<>\s]*>|[A-Za-z_][\w.-]*:[^\s/|^*()<>]*)\*")  # a path element with its *


def star_paths_spelled_out(text: str) -> str:
    """Each ``p*`` (``p`` an IRI, a prefixed name or ``a``) written as ``(p+|<unused>?)``: the
    same paths, one or more steps or none (see the module docstring).

    >>> star_paths_spelled_out('SELECT * { ?o ex:has/skos:broader* ?c . ?c ?p "x*" } ORDER BY ?c')
    'SELECT * { ?o ex:has/(skos:broader+|<https://w3id.org/clusterkg/ns#zeroLengthPath>?) ?c . ?c ?p "x*" } ORDER BY ?c'
    """
    if "*" not in text:
        return text
    toks = list(tokens(text))
    edits = []  # (start, end, predicate)
    for before, star in zip(toks, toks[1:]):
        if star.text == "*" and star.start == before.end and (
                before.kind == "iri" or (before.kind == "word" and before.text == "a")):
            edits.append((before.start, star.end, before.text))
    for token in toks:  # the reader takes "ex:has/skos:broader*" as one prefixed name
        if token.kind == "word" and ":" in token.text and "*" in token.text:
            for match in _STARRED.finditer(token.text):
                edits.append((token.start + match.start(), token.start + match.end(), match.group(1)))
    for start, end, predicate in sorted(edits, reverse=True):
        text = f"{text[:start]}({predicate}+|{_ZERO_LENGTH}?){text[end:]}"
    return text


def incomplete_answer(headers: Mapping[str, str]) -> str | None:
    """Whether a server's ``200`` answer is only part of the answer, by its headers (Virtuoso:
    see the module docstring): ``"time"`` (stopped at a time limit), ``"rows"`` (cut at a row
    limit) or ``None`` (complete, as far as the headers say).

    >>> incomplete_answer({"X-SQL-State": "S1TAT", "X-SQL-Message": "RC...: Returning incomplete results"})
    'time'
    >>> incomplete_answer({"X-SPARQL-MaxRows": "50"}), incomplete_answer({"Content-Type": "text/csv"})
    ('rows', None)
    """
    if headers.get("X-SQL-State") == "S1TAT":
        return "time"
    if headers.get("X-SPARQL-MaxRows"):
        return "rows"
    return None


# how a server's error says it stopped a query at its own time limit: Virtuoso's SR171
# ("Transaction timed out") and SR203 ("Async statement killed", SQL state HY008, "operation
# cancelled"); other servers' "timeout" / "timed out"
_STOPPED_BY_SERVER = re.compile(r"time ?out|timed out|\bSR171\b|\bSR203\b|\bHY008\b", re.IGNORECASE)


def stopped_by_server(message: str) -> bool:
    """Whether a server's error message says it stopped the query at a time limit.

    >>> stopped_by_server("Virtuoso HY008 Error SR203: Async statement killed by user")
    True
    >>> stopped_by_server("Virtuoso S1T00 Error SR171: Transaction timed out")
    True
    >>> stopped_by_server("Virtuoso 37000 Error SP030: SPARQL compiler, line 1: syntax error")
    False
    """
    return _STOPPED_BY_SERVER.search(message) is not None


def _probe(query_url: str, headers: Mapping[str, str]) -> tuple[str | None, bytes]:
    """``GET`` the query URL without a query: (its ``Server`` header, its service description)."""
    request = urllib.request.Request(query_url, headers={**headers, "Accept": "text/turtle"})
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT_S) as response:
            body = response.read(1_000_000) if response.headers.get_content_type() == "text/turtle" else b""
            return response.headers.get("Server"), body
    except urllib.error.HTTPError as error:
        with error:
            return error.headers.get("Server"), b""
    except OSError:
        return None, b""  # unreachable now: the first real request will say so


def derive_endpoints(query_url: str, update: str | None = None, graph_store: str | None = None,
                     headers: Mapping[str, str] | None = None) -> Endpoints:
    """The endpoints to use: ``update``/``graph_store`` when given, else derived.

    Oxigraph's and Fuseki's layouts are known from the path alone; for anything else the
    server is asked once (see the module docstring), even when both URLs are given: Virtuoso
    also needs its default graph named. An unreachable server is not an error
    here: the URL's layout is used and the first query reports the failure.
    """
    derived = from_layout(query_url)
    if derived.server not in ("Oxigraph", "Fuseki"):
        server_header, description = _probe(query_url, headers or {})
        if server_header:
            derived = from_layout(query_url, server_header)
        if derived.update is None and description:
            derived = from_service_description(query_url, description)
    return replace(derived, update=update or derived.update, graph_store=graph_store or derived.graph_store)
