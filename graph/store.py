"""One interface over the embedded pyoxigraph store and any remote SPARQL 1.1 server.

Everything above this module (importers, analyses, the web app, the CLI) talks to a
:class:`KnowledgeStore` and never needs to know whether the triples live in an embedded
pyoxigraph store (in memory or on disk) or behind a SPARQL 1.1 Protocol / Graph Store HTTP
Protocol server such as ``oxigraph serve``.

Data lives in the default graph. A single bookkeeping triple lives in the named graph
:data:`META_GRAPH`: a uuid4 that changes after every write made through this interface, so
a process that caches a projection of the data (see ``graph/``) can tell when to rebuild it,
even if another process made the write.
"""

from __future__ import annotations

import abc
import fcntl
import json
import os
import re
import shutil
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import pyoxigraph as ox
import rdflib
from rdflib.term import BNode, Literal, Node, URIRef

from clusterkg.graph.endpoints import incomplete_answer, stopped_by_server
from clusterkg.graph.errors import StoreFailure
from clusterkg.graph.history import Activity, default_agent
from clusterkg.graph.iris import iri_error
from clusterkg.graph.media_types import GRAPH_MEDIA_TYPES, RDFLIB_FORMATS, RESULTS_MEDIA_TYPES
from clusterkg.graph.media_types import bare as _bare_media_type
from clusterkg.graph.sparql_text import tokens, where_group
from clusterkg.ontology.namespace import OWL, RDF, VOID, XSD

__all__ = [
    "DATA_VERSION_PREDICATE",
    "GENERATION_FILE",
    "GRAPH_MEDIA_TYPES",
    "META_GRAPH",
    "RESULTS_MEDIA_TYPES",
    "BindingError",
    "KnowledgeStore",
    "OxigraphStore",
    "SelectResult",
    "SparqlProtocolStore",
    "StoreError",
    "STORAGE_GONE",
    "TRIPLE_COUNT_PREDICATE",
    "VIEW_FILE",
    "open_read_only",
    "open_store",
    "reading_directory",
    "release_view",
    "sparql_term",
    "store_directory",
]

META_GRAPH = "https://w3id.org/clusterkg/graph/meta"
"""Named graph holding the store's bookkeeping (the data version, the count at it); never user data."""

DATA_VERSION_PREDICATE = str(OWL.versionInfo)
"""``<META_GRAPH> owl:versionInfo "uuid4"`` in :data:`META_GRAPH` is the data version."""

TRIPLE_COUNT_PREDICATE = str(VOID.triples)
"""``<META_GRAPH/version/uuid4> void:triples n`` in :data:`META_GRAPH`: the default graph's triples
at that data version, written by a write that knew them exactly (every write removes the earlier
one; its subject names the version, so one left by an older clusterkg is never taken for the
current one): a count reads every triple, 2.6 s at 10M triples."""

#: What RocksDB says when a read-only opener meets a file removed since it read the store's
#: pointers (a superseded view the writer removed before the reader held it): open again (a
#: fresh opener opens the newest view).
STORAGE_GONE = re.compile(r"Corruption|IO error|No such file", re.IGNORECASE)
_READ_ONLY_ATTEMPTS = 10

_XSD_STRING = str(XSD.string)
_RDF_LANG_STRING = str(RDF.langString)
_VERSION_QUERY = (
    f"SELECT ?version WHERE {{ GRAPH <{META_GRAPH}> "
    f"{{ <{META_GRAPH}> <{DATA_VERSION_PREDICATE}> ?version }} }}"
)
_VERSION_AND_COUNT_QUERY = (
    f"SELECT ?version ?at ?triples WHERE {{ GRAPH <{META_GRAPH}> {{ <{META_GRAPH}> <{DATA_VERSION_PREDICATE}> ?version "
    f"OPTIONAL {{ ?at <{TRIPLE_COUNT_PREDICATE}> ?triples }} }} }}"
)
_COUNT_QUERY = "SELECT (COUNT(*) AS ?count) WHERE { ?s ?p ?o }"
_DUMP_QUERY = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"


class StoreError(StoreFailure):
    """A store operation failed; the message names the store (server URL or path) and why."""


class BindingError(StoreError, ValueError):
    """A binding cannot be put into a query safely (bad variable name, IRI or term kind)."""


@dataclass(frozen=True)
class SelectResult:
    """Rows of a SELECT query as rdflib terms, ``None`` where a variable is unbound.

    ``variables`` are the projected variable names without ``?``; ``rows`` are tuples in the
    same order.
    """

    variables: list[str]
    rows: list[tuple[Node | None, ...]] = field(default_factory=list)

    def dicts(self) -> Iterator[dict[str, Node | None]]:
        """Yield each row as ``{variable: term or None}`` (every variable is a key)."""
        for row in self.rows:
            yield dict(zip(self.variables, row))

    def __iter__(self) -> Iterator[tuple[Node | None, ...]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


# --------------------------------------------------------------------------- bindings

_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# IRIREF in SPARQL 1.1 excludes these characters; refusing them keeps an IRI inside its <>.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]+(-[A-Za-z0-9]+)*")
_STRING_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def sparql_term(node: Node) -> str:
    """Write an IRI or literal as SPARQL text that cannot break out of its place.

    Used for ``VALUES`` blocks built from user input. Blank nodes and variables are refused:
    SPARQL does not allow them in ``VALUES``.

    >>> sparql_term(Literal('say "hi" } #'))
    '"say \\\\"hi\\\\" } #"'
    >>> sparql_term(URIRef("https://w3id.org/clusterkg/id/cluster/x"))
    '<https://w3id.org/clusterkg/id/cluster/x>'
    """
    if isinstance(node, URIRef):
        reason = iri_error(str(node))
        if reason is not None:
            raise BindingError(f"not a valid IRI for a SPARQL query: {str(node)!r} ({reason})")
        return f"<{node}>"
    if isinstance(node, Literal):
        text = '"' + str(node).translate(_STRING_ESCAPES) + '"'
        if node.language:
            if not _LANGUAGE_TAG.fullmatch(node.language):
                raise BindingError(f"not a valid language tag: {node.language!r}")
            return f"{text}@{node.language}"
        if node.datatype is not None and str(node.datatype) != _XSD_STRING:
            return f"{text}^^{sparql_term(URIRef(node.datatype))}"
        return text
    raise BindingError(f"only IRIs and literals can be bound, not {type(node).__name__} {node!r}")


def _with_bindings(query: str, bindings: Mapping[str, Node] | None) -> str:
    """Write ``VALUES (?a ?b) { (...) }`` first inside the query's outermost WHERE group.

    There the bound variables restrict the pattern before any aggregate or projection: with
    ``c`` bound, ``SELECT (COUNT(?o) AS ?n) { ?o m ?c }`` counts the rows of that ``c`` only
    (a trailing ``VALUES`` joins after the aggregate, where ``?c`` is out of scope, and so
    counts every row), and the engine starts from the bound terms instead of joining them
    last. Terms are written by :func:`sparql_term`, so they cannot break out of the block.

    >>> _with_bindings("SELECT (COUNT(?o) AS ?n) WHERE { ?o ?m ?c }", {"c": URIRef("http://x/c")})
    'SELECT (COUNT(?o) AS ?n) WHERE { VALUES (?c) { (<http://x/c>) }\\n ?o ?m ?c }'
    """
    if not bindings:
        return query
    names, terms = [], []
    for name, node in bindings.items():
        bare = name[1:] if name[:1] in "?$" else name
        if not _VARIABLE_NAME.fullmatch(bare):
            raise BindingError(f"not a valid SPARQL variable name: {name!r}")
        names.append("?" + bare)
        terms.append(sparql_term(node))
    values = f"VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"
    group = where_group(query)
    if group is None:
        raise BindingError("cannot bind variables: the query has no WHERE group")
    opened, closed = group
    before, inside, after = query[:opened], query[opened + 1:closed], query[closed + 1:]
    last = list(tokens(before))[-2:]
    first = next(tokens(inside), None)
    if [t.text.upper() for t in last] == ["CONSTRUCT", "WHERE"]:
        # the short form's pattern is its template too, which cannot hold VALUES: write both
        before = before[:last[1].start] + "{" + inside + "} WHERE "
    elif first is not None and first.kind == "word" and first.text.upper() == "SELECT":
        inside = " {" + inside + "} "  # a group that is one sub-select
    # The newline ends a "#" comment the inserted block would otherwise sit in.
    return f"{before}{{ {values}\n{inside}}}{after}"


def _version_update(version: str, triples: int | None = None) -> str:
    """The new data version (and, if known, the default graph's triples at it) in place of the old."""
    count = f' . <{_counted_at(version)}> <{TRIPLE_COUNT_PREDICATE}> {int(triples)}' if triples is not None else ""
    return (
        f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{META_GRAPH}> <{DATA_VERSION_PREDICATE}> ?v }} }} ;\n"
        f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ ?at <{TRIPLE_COUNT_PREDICATE}> ?n }} }} ;\n"
        f'INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{META_GRAPH}> <{DATA_VERSION_PREDICATE}> "{version}"{count} }} }}'
    )


def _counted_at(version: str) -> str:
    """The node that :data:`TRIPLE_COUNT_PREDICATE` describes for ``version`` (a uuid4)."""
    return f"{META_GRAPH}/version/{version}"


def _insert_data(quads) -> str:
    """``INSERT DATA`` of pyoxigraph quads, written by pyoxigraph (so no term can break out)."""
    return _data_block("INSERT", quads)


def _data_block(verb: str, quads) -> str:
    """``INSERT DATA`` / ``DELETE DATA`` with one ``GRAPH`` block per named graph."""
    by_graph: dict[object, list[ox.Triple]] = {}
    for quad in quads:
        by_graph.setdefault(quad.graph_name, []).append(ox.Triple(quad.subject, quad.predicate, quad.object))
    if not by_graph:
        return ""
    parts = []
    for graph, triples in by_graph.items():
        text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
        parts.append(text if isinstance(graph, ox.DefaultGraph) else f"GRAPH {graph} {{\n{text}}}\n")
    return f"{verb} DATA {{\n" + "".join(parts) + "}"


def _graph_media_type(media_type: str) -> str:
    bare = _bare_media_type(media_type)
    if bare not in GRAPH_MEDIA_TYPES:
        raise StoreError(
            f"unsupported RDF media type {media_type!r}; use one of {', '.join(GRAPH_MEDIA_TYPES)}"
        )
    return bare


# --------------------------------------------------------------------------- the interface


class KnowledgeStore(abc.ABC):
    """The RDF store of the knowledge graph, embedded or remote.

    Queries see the default graph, which holds the data. Every write through this interface
    changes :meth:`data_version`. Subclasses provide the ``_``-prefixed primitives; the public
    methods add bindings, checks and the version bump so both backends behave alike.
    """

    _closed: bool = False
    #: ``(data version, triples)`` of the last count: a count reads every triple (2.6 s at 10M
    #: triples), and an import reports the store's size before and after an editor's small save.
    _counted: tuple[str, int] | None = None
    #: Whether :meth:`triple_count` is kept per data version (in memory, and with the version as
    #: :data:`TRIPLE_COUNT_PREDICATE`): an embedded store, whose version is read from its own
    #: files and written by this object alone (a remote one may hide its version, or be written
    #: by others between reading the version and writing).
    _counts_by_version = False

    # -- reading

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> SelectResult:
        """Run a SELECT query; ``bindings`` fix variables to terms (see :func:`sparql_term`)."""
        self._require_open()
        return self._select(_with_bindings(query, bindings))

    def select_values(
        self, query: str, bindings: Mapping[str, Node] | None = None
    ) -> tuple[list[str], list[tuple[str | None, ...]]]:
        """Run a SELECT query and return plain strings, for building projections fast.

        Each cell is the IRI string, the literal's lexical form, the blank node label
        (without ``_:``) or ``None`` when unbound. No rdflib terms are built, so millions of
        rows stay cheap.
        """
        self._require_open()
        return self._select_values(_with_bindings(query, bindings))

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        """Run an ASK query."""
        self._require_open()
        return self._ask(_with_bindings(query, bindings))

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> rdflib.Graph:
        """Run a CONSTRUCT or DESCRIBE query and return the triples as an rdflib graph."""
        self._require_open()
        return self._construct(_with_bindings(query, bindings))

    def query_bytes(
        self, query: str, media_type: str, bindings: Mapping[str, Node] | None = None
    ) -> bytes:
        """Run any query and return its results serialised in ``media_type``.

        SELECT / ASK take :data:`RESULTS_MEDIA_TYPES`; CONSTRUCT / DESCRIBE take
        :data:`GRAPH_MEDIA_TYPES`. A media type that does not fit the query form is a
        :class:`StoreError`.
        """
        self._require_open()
        bare = _bare_media_type(media_type)
        if bare not in RESULTS_MEDIA_TYPES and bare not in GRAPH_MEDIA_TYPES:
            supported = ", ".join([*RESULTS_MEDIA_TYPES, *GRAPH_MEDIA_TYPES])
            raise StoreError(f"unsupported media type {media_type!r}; use one of {supported}")
        return self._query_bytes(_with_bindings(query, bindings), bare)

    def triple_count(self) -> int:
        """Number of triples in the default graph (counted once per data version)."""
        self._require_open()
        version = None
        if self._counts_by_version:
            _, rows = self._select_values(_VERSION_AND_COUNT_QUERY, see_meta=True)
            version = rows[0][0] if rows else "0"
            kept = next((triples for _, at, triples in rows if at == _counted_at(version)), None)
            if kept is not None:
                self._counted = (version, int(kept))
            if self._counted is not None and self._counted[0] == version:
                return self._counted[1]
        _, rows = self._select_values(_COUNT_QUERY)
        count = int(rows[0][0]) if rows and rows[0][0] is not None else 0
        self._counted = None if version is None else (version, count)
        return count

    def _count_after(self, previous: str, activity: Activity, exact: bool) -> int | None:
        """The default graph's triples after ``activity`` changed version ``previous``, if known:
        its ``added`` and ``removed`` are ``exact`` and the count at ``previous`` is known, and no
        other process can have written in between (:attr:`_counts_by_version`)."""
        if exact and self._counts_by_version and self._counted is not None and self._counted[0] == previous:
            return self._counted[1] + activity.added - activity.removed
        return None

    def dump(self, media_type: str = "application/n-triples") -> bytes:
        """The default graph serialised as one of :data:`GRAPH_MEDIA_TYPES`."""
        self._require_open()
        return self._dump(_graph_media_type(media_type))

    def dump_to(self, output: BinaryIO, media_type: str = "application/n-triples",
                prefixes: Mapping[str, str] | None = None) -> None:
        """Write the default graph to ``output`` as one of :data:`GRAPH_MEDIA_TYPES`, with
        ``prefixes`` where the syntax has them. An embedded store streams it (memory stays flat
        at any size); other stores write what :meth:`dump` returns."""
        self._require_open()
        self._dump_to(output, _graph_media_type(media_type), prefixes or {})

    def _dump_to(self, output: BinaryIO, media_type: str, prefixes: Mapping[str, str]) -> None:
        output.write(self._dump(media_type))

    def data_version(self) -> str:
        """An opaque token that changes after every write; ``"0"`` if nothing was written.

        It is stored in the store itself, so another process (or another client of the same
        server) sees the same value.
        """
        self._require_open()
        _, rows = self._select_values(_VERSION_QUERY, see_meta=True)
        return rows[0][0] if rows and rows[0][0] is not None else "0"

    # -- writing
    # Every write changes the data version and records a history activity in the SAME
    # transaction as the data (one SPARQL Update, or one swapped generation on disk), so a crash
    # can never leave new data with an old version, or a version without its data.

    def update(self, sparql_update: str, *, agent: str | None = None, changed: Iterable[str] | None = None) -> None:
        """Run a SPARQL 1.1 Update, the new data version and its history record as one write.

        ``changed``: the subject IRIs it writes to, when the caller knows them (the history lists
        them; ``None``: not listed)."""
        self._require_writable()
        activity = self._activity("update", agent)
        activity.changed = changed
        self.commit_update(sparql_update, activity)

    def insert_graph(self, graph: rdflib.Graph, *, agent: str | None = None,
                     files: Iterable[tuple[str, str]] = ()) -> None:
        """Add every triple of ``graph`` to the default graph, or none if anything fails.

        ``files``: the (name, SHA-256) of the files ``graph`` was read from, for the history.
        """
        self._require_writable()
        quads = _checked_quads(graph, self.description)
        activity = self._activity("update", agent)
        activity.files = list(files)
        activity.changed = sorted({q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)})
        self.commit_update(_insert_data(quads), activity)

    def insert_ntriples(self, data: bytes | Path, *, agent: str | None = None) -> None:
        """Add N-Triples (bytes, or a file for big loads) to the default graph: all or none."""
        self._require_writable()
        self._insert_ntriples(data, self._activity("load", agent))

    def clear(self, *, agent: str | None = None) -> None:
        """Remove all data (every graph, the history too), recording the clear as one write."""
        self._require_writable()
        self._clear(self._activity("clear", agent))

    def commit_update(self, sparql_update: str, activity: Activity, *, exact: bool = False) -> None:
        """Run ``sparql_update`` plus the version change and ``activity``'s record as ONE update.

        The building block of every write: the importer uses it for in-memory and remote
        stores. ``sparql_update`` must already be safe (built by this package, or the user's
        own update on a store they may write to). ``exact``: ``activity``'s ``added`` and
        ``removed`` are the default graph's exact change, so the store's count is carried over to
        the new version (a revert: it adds and removes only triples it found absent and present).
        """
        self._require_writable()
        previous = self.data_version()
        version = str(uuid.uuid4())
        triples = self._count_after(previous, activity, exact)
        parts = [sparql_update.strip(), _version_update(version, triples),
                 _insert_data(activity.quads(version, previous))]
        # the newline ends a trailing "#" comment of the user's update
        self._update("\n;\n".join(part for part in parts if part))
        if triples is not None:
            self._counted = (version, triples)

    @staticmethod
    def _activity(operation: str, agent: str | None) -> Activity:
        return Activity(operation, agent=agent or default_agent())

    # -- lifecycle

    def close(self) -> None:
        """Release the store; later calls raise :class:`StoreError`. Closing twice is fine."""
        if not self._closed:
            self._closed = True
            self._close()

    def __enter__(self) -> KnowledgeStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    @abc.abstractmethod
    def description(self) -> str:
        """Where the data is, for messages: a path, "memory" or a server URL."""

    @property
    @abc.abstractmethod
    def writable(self) -> bool:
        """Whether writes are possible (not read-only, an update endpoint is known)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description}{' closed' if self._closed else ''}>"

    # -- helpers for subclasses

    def _require_open(self) -> None:
        if self._closed:
            raise StoreError(f"{self.description} is closed")

    def _require_writable(self) -> None:
        self._require_open()
        if not self.writable:
            raise StoreError(f"{self.description} is read-only: {self._read_only_reason()}")

    def _read_only_reason(self) -> str:
        return "it was opened read-only"

    # -- primitives

    @abc.abstractmethod
    def _select(self, query: str) -> SelectResult: ...

    @abc.abstractmethod
    def _select_values(
        self, query: str, *, see_meta: bool = False
    ) -> tuple[list[str], list[tuple[str | None, ...]]]: ...

    @abc.abstractmethod
    def _ask(self, query: str) -> bool: ...

    @abc.abstractmethod
    def _construct(self, query: str) -> rdflib.Graph: ...

    @abc.abstractmethod
    def _query_bytes(self, query: str, media_type: str) -> bytes: ...

    @abc.abstractmethod
    def _update(self, sparql_update: str) -> None: ...

    def _insert_ntriples(self, data: bytes | Path, activity: Activity) -> None:
        """Default: the N-Triples re-serialised by pyoxigraph into one ``INSERT DATA``."""
        if isinstance(data, Path):
            data = data.read_bytes()
        try:
            quads = list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
        except SyntaxError as error:
            raise StoreError(
                f"nothing inserted into {self.description}: invalid N-Triples: {error}"
            ) from error
        activity.changed = sorted({q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)})
        self.commit_update(_insert_data(quads), activity)

    def _clear(self, activity: Activity) -> None:
        self.commit_update("DROP ALL", activity)

    @abc.abstractmethod
    def _dump(self, media_type: str) -> bytes: ...

    @abc.abstractmethod
    def _close(self) -> None: ...


# --------------------------------------------------------------------------- embedded


def _from_ox(term: object) -> Node | None:
    """A pyoxigraph term as the rdflib term a Turtle parser would give."""
    if term is None:
        return None
    kind = type(term)
    if kind is ox.NamedNode:
        return URIRef(term.value)
    if kind is ox.Literal:
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    if kind is ox.BlankNode:
        return BNode(term.value)
    raise StoreError(f"cannot represent {term!r} as an rdflib term")


def _to_ox(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term; raises ValueError/TypeError if it is invalid."""
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        if node.datatype is not None and str(node.datatype) != _RDF_LANG_STRING:
            return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
        return ox.Literal(str(node))
    raise TypeError(f"{type(node).__name__} {node!r} is not an RDF term")


def _checked_quads(graph: rdflib.Graph, description: str) -> list[ox.Quad]:
    """The graph's triples as default-graph quads; any invalid term refuses the whole graph."""
    try:
        return [ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o)) for s, p, o in graph]
    except (TypeError, ValueError) as error:
        raise StoreError(
            f"nothing inserted into {description}: the graph holds an invalid triple: {error}"
        ) from error


def _query_form(results: object) -> str:
    if isinstance(results, ox.QuerySolutions):
        return "SELECT"
    if isinstance(results, ox.QueryBoolean):
        return "ASK"
    return "CONSTRUCT/DESCRIBE"


# --------------------------------------------------------------------------- generations
# An on-disk store directory holds generations, ``gen-000001/`` ..., each a complete pyoxigraph
# store, and the file GENERATION naming the current one. A big write (an import) fills a new
# generation, made from a hard-link checkpoint of the current one, and then replaces GENERATION
# with os.replace: a crash at any moment leaves either the old or the new generation current.
# Leftovers (unfinished or superseded generations) are removed by the next read-write opener.
# A directory with RocksDB files directly in it (stores made before generations) still opens.
#
# Read-only openers in other processes (the CLI beside ``clusterkg serve``, the server's query
# workers and reader fronts) never open the directory the writer writes (pyoxigraph calls that
# undefined behaviour; what it did to us, and the measurements: docs/design.md, "The store").
# The writer publishes a *view* after every flush, ``view-<ns>/``, a hard-link checkpoint of the
# generation that nobody ever writes, and names it in the file VIEW; readers open that, holding a
# shared flock on the view's directory while they use it (:func:`open_read_only`). At each
# publication the writer removes the superseded views nobody holds.

GENERATION_FILE = "GENERATION"
"""File in a store directory naming its current generation directory."""

VIEW_FILE = "VIEW"
"""File in a store directory naming the writer's newest view and the generation it shows."""

_WRITER_LOCK = "WRITER.lock"
_GENERATION_PREFIX = "gen-"
_VIEW_PREFIX = "view-"
_REMOVED_PREFIX = ".removed-"


def store_directory(path: str | Path) -> Path:
    """The directory a writer opens for the on-disk store at ``path``: its current generation.

    The one place that resolves a store path; readers go through :func:`reading_directory`.
    """
    path = Path(path)
    try:
        name = (path / GENERATION_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return path  # a store from before generations, or none yet
    if not name.startswith(_GENERATION_PREFIX) or "/" in name or not (path / name).is_dir():
        raise StoreError(f"the store at {path} is damaged: {GENERATION_FILE} names {name!r}, "
                         "which is not a generation directory there")
    return path / name


def reading_directory(path: str | Path) -> Path:
    """The directory a read-only opener opens for the store at ``path``: the newest view of the
    current generation, or, when there is none (no writer has opened the store since it was
    made, or an import's new generation is not current yet), the generation itself, which then
    nobody writes."""
    path = Path(path)
    current = store_directory(path)
    try:
        view, generation = (path / VIEW_FILE).read_text(encoding="utf-8").split()
    except (OSError, ValueError):
        return current
    if generation != current.name or not view.startswith(_VIEW_PREFIX) or not (path / view).is_dir():
        return current
    return path / view


@dataclass
class Generation:
    """A generation being prepared: its directory and the store opened on it."""

    path: Path
    store: ox.Store | None
    committed: bool = False


def _writer_lock(path: Path):
    """Hold an exclusive lock on the store directory for this writer (released on close or death)."""
    handle = open(path / _WRITER_LOCK, "a+b")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        handle.close()
        raise OSError(f"another process holds the store for writing ({error.strerror})") from error
    return handle


def _generation_names(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.is_dir() and p.name.startswith(_GENERATION_PREFIX))


def _next_generation(path: Path) -> Path:
    numbers = [int(name[len(_GENERATION_PREFIX):]) for name in _generation_names(path)
               if name[len(_GENERATION_PREFIX):].isdigit()]
    return path / f"{_GENERATION_PREFIX}{max(numbers, default=0) + 1:06d}"


def _point_to(path: Path, name: str, pointer: str = GENERATION_FILE) -> None:
    """Make generation ``name`` current (or, with ``pointer=VIEW_FILE``, name the newest view):
    write a new pointer file and rename it over the old.

    Only GENERATION is made durable: after a crash a lost VIEW leaves readers on the generation,
    which nobody writes then, until the next writer publishes its view.
    """
    durable = pointer == GENERATION_FILE
    temporary = path / f".{pointer}.{uuid.uuid4().hex}"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(temporary, path / pointer)
    if not durable:
        return
    directory = os.open(path, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _remove_generations(path: Path, keep: set[str]) -> None:
    for name in _generation_names(path):
        if name not in keep:
            shutil.rmtree(path / name, ignore_errors=True)
    for stray in path.glob(f".{GENERATION_FILE}.*"):
        stray.unlink(missing_ok=True)


def _remove_views(path: Path, keep: str) -> None:
    """Remove the views other than ``keep`` that no reader holds (see :func:`open_read_only`).

    A view is renamed away under an exclusive lock, so a reader that read its name just before
    finds no directory of that name (and opens the newest view), never half a view.
    """
    for view in path.glob(f"{_VIEW_PREFIX}*"):
        if view.name == keep:
            continue
        try:
            handle = os.open(view, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(view, path / f"{_REMOVED_PREFIX}{view.name}")
        except OSError:
            continue  # (a reader holds it)
        finally:
            os.close(handle)
    for removed in path.glob(f"{_REMOVED_PREFIX}*"):
        shutil.rmtree(removed, ignore_errors=True)
    for stray in path.glob(f".{VIEW_FILE}.*"):
        stray.unlink(missing_ok=True)


def open_read_only(path: str | Path) -> tuple[ox.Store, Path, int | None]:
    """Open the store at ``path`` read-only where a reader should (:func:`reading_directory`).

    Returns the pyoxigraph store, its directory and the *hold*: a shared lock on the view's
    directory, which keeps the writer from removing the view; pass it to :func:`release_view`
    once the store is no longer read (``None`` for a generation, which needs none). A view
    removed before it was held raises ``FileNotFoundError`` ("No such file": open again).
    """
    directory = reading_directory(path)
    hold = None
    if directory.name.startswith(_VIEW_PREFIX):
        hold = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)  # (FileNotFoundError if gone)
        try:
            fcntl.flock(hold, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            os.close(hold)
            raise FileNotFoundError(f"No such file: the view {directory} is being removed") from None
    try:
        return ox.Store.read_only(str(directory)), directory, hold
    except BaseException:
        release_view(hold)
        raise


def release_view(hold: int | None) -> None:
    """Let the writer remove the view held by ``hold`` (from :func:`open_read_only`)."""
    if hold is not None:
        os.close(hold)


def _prepare_generations(path: Path) -> Path:
    """For a read-write opener holding the lock: the current generation, leftovers removed."""
    if (path / GENERATION_FILE).exists():
        current = store_directory(path)
        _remove_generations(path, keep={current.name})
        # RocksDB files of the legacy store this directory was converted from
        for entry in path.iterdir():
            if entry.name not in {GENERATION_FILE, VIEW_FILE, _WRITER_LOCK} \
                    and not entry.name.startswith((_GENERATION_PREFIX, _VIEW_PREFIX)):
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        return current
    if (path / "CURRENT").exists():
        return path  # a legacy store: RocksDB files directly in the directory
    _remove_generations(path, keep=set())
    first = _next_generation(path)
    first.mkdir()
    _point_to(path, first.name)
    return first


def _count(store: ox.Store) -> int:
    return int(next(iter(store.query(_COUNT_QUERY)))[0].value)


class OxigraphStore(KnowledgeStore):
    """The embedded store: pyoxigraph in memory (``path=None``) or on disk at ``path``.

    Queries see only the default graph and the user's named graphs, never
    :data:`META_GRAPH`. One process at a time may open a path read-write; others can use
    :meth:`read_only`: they open the newest *view*, a checkpoint the writer makes as it flushes,
    which this class does after every write (see the note on generations and views above).

    Parameters
    ----------
    path : str or os.PathLike, optional
        Directory of the on-disk store, created if missing. ``None`` keeps data in memory.

    Raises
    ------
    StoreError
        If the directory cannot be opened, e.g. because another process holds it.

    Examples
    --------
    >>> from rdflib import Graph, Literal, URIRef
    >>> from rdflib.namespace import RDFS
    >>> cluster = URIRef("https://w3id.org/clusterkg/id/cluster/silicon-saxony")
    >>> with OxigraphStore() as store:
    ...     g = Graph()
    ...     _ = g.add((cluster, RDFS.label, Literal("Silicon Saxony")))
    ...     store.insert_graph(g)
    ...     result = store.select(
    ...         "SELECT ?label WHERE { ?c <http://www.w3.org/2000/01/rdf-schema#label> ?label }",
    ...         bindings={"c": cluster},
    ...     )
    ...     print(store.triple_count(), [row[0] for row in result.rows])
    1 [rdflib.term.Literal('Silicon Saxony')]
    """

    _counts_by_version = True  # (read-write: the writer lock keeps other writers out; read-only: no writes)

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        self._read_only = False
        self._lock = None
        self._holds: list[int] = []
        # one publisher of views at a time: a server's flush after one write may meet the next
        # write's import committing its generation (which swaps the store under the lock)
        self._view_lock = threading.Lock()
        # True: an update leaves its flush to :meth:`flush` (a server flushes several at once)
        self.flush_later = False
        if self.path is None:
            self._store = ox.Store()
            return
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._lock = _writer_lock(self.path)
            self._directory = _prepare_generations(self.path)
            self._store = ox.Store(str(self._directory))
            self._publish_view()  # (no other thread has the store yet)
        except StoreError:
            self._lock.close()
            raise
        except OSError as error:
            if self._lock is not None:
                self._lock.close()
            raise StoreError(
                f"cannot open the store at {self.path} read-write: {error}. If another process "
                "(e.g. a server) holds it, open it read-only or write through that server."
            ) from error

    @classmethod
    def read_only(cls, path: str | Path) -> OxigraphStore:
        """Open an existing on-disk store without write access (several processes may)."""
        path = Path(path)
        if not path.is_dir():
            raise StoreError(f"no store at {path}: the directory does not exist")
        self = cls.__new__(cls)
        self.path = path
        self._read_only = True
        self._lock = None
        self._holds = []  # (the views this opener holds: :func:`open_read_only`)
        for attempt in range(1, _READ_ONLY_ATTEMPTS + 1):
            try:
                self._store, self._directory, hold = open_read_only(path)
                self._holds += [hold] if hold is not None else []
                break
            except (OSError, RuntimeError) as error:
                if attempt == _READ_ONLY_ATTEMPTS or not STORAGE_GONE.search(str(error)):
                    raise StoreError(f"cannot open the store at {path} read-only: {error}") from error
                time.sleep(0.02 * attempt)  # (the view named in VIEW went before it was opened)
        return self

    @property
    def description(self) -> str:
        if self.path is None:
            return "embedded store in memory"
        mode = "read-only " if self._read_only else ""
        return f"embedded {mode}store at {self.path}"

    @property
    def writable(self) -> bool:
        return not self._read_only

    # -- queries

    def _run(self, query: str, *, see_meta: bool = False) -> object:
        """Run a query on the default graph; hide the meta graph from ``GRAPH`` patterns."""
        try:
            if see_meta:
                return self._store.query(query)
            named = [g for g in self._store.named_graphs() if g.value != META_GRAPH]
            return self._store.query(query, named_graphs=named)
        except SyntaxError as error:
            raise StoreError(f"invalid SPARQL query for {self.description}: {error}") from error
        except (OSError, ValueError, RuntimeError) as error:
            raise StoreError(f"query failed on {self.description}: {error}") from error

    def _run_expecting(self, query: str, form: str, see_meta: bool = False) -> object:
        results = self._run(query, see_meta=see_meta)
        if _query_form(results) != form:
            raise StoreError(f"expected a {form} query, got a {_query_form(results)} query")
        return results

    def _select(self, query: str) -> SelectResult:
        solutions = self._run_expecting(query, "SELECT")
        variables = [v.value for v in solutions.variables]
        try:
            rows = [tuple(map(_from_ox, solution)) for solution in solutions]
        except (OSError, RuntimeError) as error:
            raise StoreError(f"query failed on {self.description}: {error}") from error
        return SelectResult(variables, rows)

    def _select_values(
        self, query: str, *, see_meta: bool = False
    ) -> tuple[list[str], list[tuple[str | None, ...]]]:
        solutions = self._run_expecting(query, "SELECT", see_meta)
        variables = [v.value for v in solutions.variables]
        try:
            # A list inside tuple() is ~20% faster than a generator here (1M rows: 2.9 s).
            rows = [
                tuple([None if term is None else term.value for term in solution])
                for solution in solutions
            ]
        except (OSError, RuntimeError) as error:
            raise StoreError(f"query failed on {self.description}: {error}") from error
        return variables, rows

    def _ask(self, query: str) -> bool:
        return bool(self._run_expecting(query, "ASK"))

    def _construct(self, query: str) -> rdflib.Graph:
        triples = self._run_expecting(query, "CONSTRUCT/DESCRIBE")
        graph = rdflib.Graph()
        try:
            for triple in triples:
                graph.add(
                    (_from_ox(triple.subject), _from_ox(triple.predicate), _from_ox(triple.object))
                )
        except (OSError, RuntimeError) as error:
            raise StoreError(f"query failed on {self.description}: {error}") from error
        return graph

    def _query_bytes(self, query: str, media_type: str) -> bytes:
        results = self._run(query)
        if isinstance(results, ox.QueryTriples):
            formats: Mapping[str, object] = GRAPH_MEDIA_TYPES
        else:
            formats = RESULTS_MEDIA_TYPES
        if media_type not in formats:
            raise StoreError(
                f"{_query_form(results)} results cannot be written as {media_type}; "
                f"use one of {', '.join(formats)}"
            )
        try:
            return results.serialize(format=formats[media_type])
        except (OSError, ValueError, RuntimeError) as error:
            raise StoreError(f"query failed on {self.description}: {error}") from error

    def _dump(self, media_type: str) -> bytes:
        try:
            return self._store.dump(
                format=GRAPH_MEDIA_TYPES[media_type], from_graph=ox.DefaultGraph()
            )
        except (OSError, ValueError) as error:
            raise StoreError(f"cannot dump {self.description}: {error}") from error

    def _dump_to(self, output: BinaryIO, media_type: str, prefixes: Mapping[str, str]) -> None:
        try:
            self._store.dump(output, format=GRAPH_MEDIA_TYPES[media_type], from_graph=ox.DefaultGraph(),
                             prefixes=dict(prefixes))
        except (OSError, ValueError) as error:
            raise StoreError(f"cannot dump {self.description}: {error}") from error

    # -- writes (each is one pyoxigraph transaction, or one swapped generation)

    def _update(self, sparql_update: str) -> None:
        self._unviewed = True  # (a failed update too: a view too many is cheap, a stale one is not)
        try:
            self._store.update(sparql_update)
        except SyntaxError as error:
            raise StoreError(f"invalid SPARQL update for {self.description}: {error}") from error
        except (OSError, ValueError, RuntimeError) as error:
            raise StoreError(f"update failed on {self.description}: {error}") from error
        if not self.flush_later:  # let read-only openers in other processes see it
            self.flush()

    def flush(self) -> None:
        """Put the writes so far on disk, in a view that read-only openers in other processes open."""
        if self.path is not None and not self._read_only:
            self._store.flush()
            if self._unviewed:
                with self._view_lock:
                    self._publish_view()

    def _publish_view(self, store: ox.Store | None = None, generation: Path | None = None) -> None:
        """Checkpoint ``store`` (default: the store) of ``generation`` as the view read-only
        openers open, and remove the superseded views nobody holds (the note on views above)."""
        store = self._store if store is None else store  # (not ``or``: a Store's truth is its length)
        generation = self._directory if generation is None else generation
        self._unviewed = False
        if generation == self.path:
            return  # (a store from before generations: no views beside its RocksDB files)
        name = f"{_VIEW_PREFIX}{time.time_ns()}"
        try:
            store.backup(str(self.path / name))
            _point_to(self.path, f"{name} {generation.name}", VIEW_FILE)
        except OSError:
            # (disk full?) readers fall back to the generation rather than a stale view
            (self.path / VIEW_FILE).unlink(missing_ok=True)
            shutil.rmtree(self.path / name, ignore_errors=True)
            return
        _remove_views(self.path, keep=name)

    def _insert_ntriples(self, data: bytes | Path, activity: Activity) -> None:
        if self.path is None or not isinstance(data, Path):
            super()._insert_ntriples(data, activity)
            return
        # A big file on disk: bulk-load it into a checkpoint of the store, then swap.
        generation = self.begin_generation()
        try:
            before = _count(generation.store)
            generation.store.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES)
            activity.added = _count(generation.store) - before
            self.commit_generation(generation, activity)
        except SyntaxError as error:
            raise StoreError(f"nothing inserted into {self.description}: invalid N-Triples: {error}") from error
        except OSError as error:
            raise StoreError(f"nothing inserted into {self.description}: {error}") from error
        finally:
            self.discard_generation(generation)

    def _clear(self, activity: Activity) -> None:
        if self.path is None:
            super()._clear(activity)
            return
        generation = self.begin_generation(empty=True)
        try:
            self.commit_generation(generation, activity)
        finally:
            self.discard_generation(generation)

    # -- generations (on disk)

    def begin_generation(self, *, empty: bool = False) -> Generation:
        """A writable checkpoint of the store (hard links: near instant), not yet visible.

        Change it freely (``bulk_load`` is fine: it is not visible until
        :meth:`commit_generation`), then commit or :meth:`discard_generation` it.
        """
        self._require_writable()
        if self.path is None:
            raise StoreError("generations exist only for an on-disk store")
        target = _next_generation(self.path)
        try:
            if not empty:
                self._store.flush()
                self._store.backup(str(target))
            return Generation(target, ox.Store(str(target)))
        except OSError as error:
            shutil.rmtree(target, ignore_errors=True)
            raise StoreError(f"cannot make a checkpoint of {self.description}: {error}") from error

    def commit_generation(self, generation: Generation, activity: Activity, *, exact: bool = False) -> None:
        """Write the new version and ``activity`` into ``generation``, then make it current.

        The pointer file is replaced atomically, so a crash at any moment leaves the old or
        the new generation current, each with its own data version and history. ``exact`` as
        for :meth:`commit_update` (an import staged in the generation).
        """
        previous = self.data_version()
        version = str(uuid.uuid4())
        triples = self._count_after(previous, activity, exact)
        update = "\n;\n".join([_version_update(version, triples), _insert_data(activity.quads(version, previous))])
        try:
            generation.store.update(update)
            generation.store.flush()
        except (OSError, RuntimeError) as error:
            raise StoreError(f"nothing written to {self.description}: {error}") from error
        with self._view_lock:
            # its view first: until GENERATION names it, readers open the old generation, written no more
            self._publish_view(generation.store, generation.path)
            _point_to(self.path, generation.path.name)
            previous_directory = self._directory
            self._store, self._directory = generation.store, generation.path
            generation.committed = True
        if triples is not None:
            self._counted = (version, triples)
        # the previous generation stays on disk for readers still on it; older ones go
        _remove_generations(self.path, keep={generation.path.name, previous_directory.name})

    def discard_generation(self, generation: Generation) -> None:
        """Throw away an uncommitted generation (no-op after a commit)."""
        if generation.committed:
            return
        generation.store = None
        shutil.rmtree(generation.path, ignore_errors=True)

    def _close(self) -> None:
        if self.path is not None and not self._read_only:
            self.flush()  # (and a view of the last writes, for readers after this writer)
        store, self._store = self._store, None
        del store  # pyoxigraph releases the directory when the last reference goes
        for hold in self._holds:
            release_view(hold)
        self._holds = []
        if self._lock is not None:
            self._lock.close()  # releases the writer lock
            self._lock = None


# --------------------------------------------------------------------------- remote


def _from_json(term: Mapping[str, str] | None) -> Node | None:
    """A SPARQL JSON results term as an rdflib term."""
    if term is None:
        return None
    kind = term["type"]
    if kind == "uri":
        return URIRef(term["value"])
    if kind in ("literal", "typed-literal"):
        language = term.get("xml:lang")
        if language:
            return Literal(term["value"], lang=language)
        datatype = term.get("datatype")
        if datatype is None or datatype == _XSD_STRING:
            return Literal(term["value"])
        return Literal(term["value"], datatype=URIRef(datatype))
    if kind == "bnode":
        return BNode(term["value"])
    raise StoreError(f"cannot represent a SPARQL results term of type {kind!r} in rdflib")


class SparqlProtocolStore(KnowledgeStore):
    """A remote store spoken to over the SPARQL 1.1 Protocol and Graph Store HTTP Protocol.

    Only the standard library is used. Every write is ONE SPARQL Update request to the update
    URL (the data as ``INSERT DATA`` / ``DELETE``, plus the new data version and the history
    record), so the server applies data and version atomically; the Graph Store URL is used
    for reading the default graph. Without ``update_url`` the store is read-only. For ``oxigraph serve`` the URLs are ``/query``, ``/update`` and ``/store``.

    Servers that make the default graph the union of all graphs (Oxigraph started with
    ``--union-default-graph``) also show :data:`META_GRAPH` in queries. Virtuoso is spoken to
    with ``default_graph`` set (see :mod:`clusterkg.graph.endpoints` for how it deviates from
    SPARQL 1.1 and what this class does about it).

    Parameters
    ----------
    query_url : str
        SPARQL query endpoint.
    update_url : str, optional
        SPARQL update endpoint; ``None`` makes the store read-only.
    graph_store_url : str, optional
        Graph Store HTTP Protocol endpoint (the one that takes ``?default``).
    headers : mapping, optional
        Extra HTTP headers for every request, e.g. ``Authorization``.
    timeout : float
        Seconds to wait for the server on each read.
    write_timeout : float
        Seconds to wait for the server on each write: longer, because a client that stops
        waiting cannot tell whether the write landed (260,000 triples through a busy
        ``clusterkg serve`` took over 30 s).
    default_graph : str, optional
        A named graph that holds the data in place of the default graph, sent as
        ``default-graph-uri`` with every query and update (Virtuoso).
    """

    #: graphs Virtuoso keeps for itself (IRI prefixes): a clear never drops them
    _SYSTEM_GRAPHS = ("http://www.openlinksw.com/", "http://www.w3.org/ns/ldp#", "http://localuriqaserver/")

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        graph_store_url: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30,
        default_graph: str | None = None,
        write_timeout: float = 600,
    ) -> None:
        for what, url in (("query", query_url), ("update", update_url), ("Graph Store", graph_store_url)):
            if url is not None and urllib.parse.urlsplit(url).scheme not in ("http", "https"):
                raise StoreError(f"the {what} endpoint must be an http:// or https:// URL, not {url!r}")
        self.query_url = query_url
        self.update_url = update_url
        self.graph_store_url = graph_store_url
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.write_timeout = max(write_timeout, timeout)
        self.default_graph = default_graph

    @property
    def description(self) -> str:
        return f"SPARQL server {self.query_url}"

    @property
    def writable(self) -> bool:
        return self.update_url is not None

    def _read_only_reason(self) -> str:
        return "no update endpoint is known for it (set CLUSTERKG_UPDATE_ENDPOINT)"

    # -- HTTP

    def _request(
        self,
        url: str,
        *,
        method: str = "POST",
        body: bytes | None = None,
        content_type: str | None = None,
        accept: str | None = None,
        write: bool = False,
    ) -> tuple[bytes, str]:
        """Send one request (``write``: an update or a Graph Store write, given
        :attr:`write_timeout`); return the body and its bare media type, or raise StoreError."""
        headers = dict(self.headers)
        if content_type is not None:
            headers["Content-Type"] = content_type
        if accept is not None:
            headers["Accept"] = accept
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.write_timeout if write else self.timeout) as response:
                cut = incomplete_answer(response.headers)  # Virtuoso answers part and says so
                if cut == "rows":
                    raise StoreError(
                        f"{url} returned only the first {response.headers['X-SPARQL-MaxRows']} rows "
                        "(the server's result limit, Virtuoso's [SPARQL] ResultSetMaxRows): "
                        "the answer is incomplete"
                    )
                if cut == "time":
                    raise StoreError(
                        f"{url} stopped the query at a time limit and returned what it had found "
                        "(Virtuoso's \"anytime\" answer): the answer is incomplete"
                    )
                return response.read(), response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            with error:
                message = error.read(4000).decode("utf-8", "replace").strip()
            stopped = " (the server stopped the query at its time limit: timed out)" if stopped_by_server(message) else ""
            raise StoreError(
                f"{method} {url} failed{stopped}: HTTP {error.code} {error.reason}: {message}"
            ) from error
        except OSError as error:  # URLError, timeouts, refused or reset connections
            reason = getattr(error, "reason", error)
            raise StoreError(f"{method} {url} failed: cannot reach the server: {reason}") from error

    def protocol_fields(self, operation: str, text: str, *, dataset: bool = True,
                        rows: int | None = None) -> list[tuple[str, str]]:
        """The form fields that send a query or update (``operation``) to this server: the text
        as this server needs it and, with ``dataset``, the dataset parameters a
        ``default_graph`` needs (Virtuoso; see :mod:`clusterkg.graph.endpoints`). Sent
        form-encoded because Virtuoso never answers a ``POST`` of ``application/sparql-query``;
        every SPARQL 1.1 server takes this form. ``rows``: the most rows or triples the caller
        will read; Virtuoso, which builds a whole answer before sending any of it, is asked to
        stop there (its ``maxrows`` parameter)."""
        if self.default_graph is None:
            return [(operation, text)]
        from clusterkg.graph.endpoints import (blank_nodes_as_templates, dataset_parameters, drops_as_clears,
                                               star_paths_spelled_out)

        sent = star_paths_spelled_out(text)
        fields = [(operation, drops_as_clears(blank_nodes_as_templates(sent)) if operation == "update" else sent)]
        if rows is not None and operation == "query":
            fields.append(("maxrows", str(rows)))
        return fields + (dataset_parameters(text, self.default_graph, self._own_named_graphs) if dataset else [])

    def _graph_names(self) -> list[str]:
        """Every graph the server holds (Virtuoso: its own system graphs too), asked without
        the dataset parameters, which would narrow ``GRAPH ?g``. ``GROUP BY``, not ``DISTINCT``:
        Virtuoso took 25 to 60 s for the ``DISTINCT`` over a 60,000-triple store after a clear
        (measured), the ``GROUP BY`` a few milliseconds."""
        body = urllib.parse.urlencode([("query", "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")]).encode("ascii")
        answer, _ = self._request(self.query_url, body=body, content_type="application/x-www-form-urlencoded",
                                  accept="application/sparql-results+json")
        try:
            return [b["g"]["value"] for b in json.loads(answer)["results"]["bindings"] if "g" in b]
        except (ValueError, KeyError, TypeError) as error:
            raise StoreError(f"{self.query_url} answered a graph list that is not SPARQL JSON results: {error}") from error

    def _own_named_graphs(self) -> list[str]:
        """The named graphs a query's ``GRAPH ?g`` sees: ours, as on an embedded store (not the
        graph standing in for the default graph, not the bookkeeping graph, not the server's)."""
        return [g for g in self._graph_names()
                if g not in (self.default_graph, META_GRAPH) and not g.startswith(self._SYSTEM_GRAPHS)]

    def _form(self, operation: str, text: str) -> bytes:
        return urllib.parse.urlencode(self.protocol_fields(operation, text)).encode("ascii")

    def _query(self, query: str, accept: str) -> tuple[bytes, str]:
        return self._request(
            self.query_url,
            body=self._form("query", query),
            content_type="application/x-www-form-urlencoded",
            accept=accept,
        )

    def _json_results(self, query: str) -> dict:
        body, media_type = self._query(query, "application/sparql-results+json")
        try:
            return json.loads(body)
        except ValueError as error:
            raise StoreError(
                f"{self.query_url} answered {media_type} that is not SPARQL JSON results: {error}"
            ) from error

    def _solutions(self, query: str) -> tuple[list[str], list[dict]]:
        results = self._json_results(query)
        if "boolean" in results:
            raise StoreError("expected a SELECT query, got an ASK query")
        return results["head"]["vars"], results["results"]["bindings"]

    # -- queries

    def _select(self, query: str) -> SelectResult:
        variables, bindings = self._solutions(query)
        rows = [tuple(_from_json(b.get(v)) for v in variables) for b in bindings]
        return SelectResult(variables, rows)

    def _select_values(
        self, query: str, *, see_meta: bool = False
    ) -> tuple[list[str], list[tuple[str | None, ...]]]:
        variables, bindings = self._solutions(query)
        rows = [
            tuple([None if (term := b.get(v)) is None else term["value"] for v in variables])
            for b in bindings
        ]
        return variables, rows

    def _ask(self, query: str) -> bool:
        results = self._json_results(query)
        if "boolean" not in results:
            raise StoreError("expected an ASK query, got a SELECT query")
        return bool(results["boolean"])

    def _construct(self, query: str) -> rdflib.Graph:
        body, media_type = self._query(query, "application/n-triples, text/turtle;q=0.9")
        return self._parse_graph(body, media_type)

    def _parse_graph(self, body: bytes, media_type: str) -> rdflib.Graph:
        if media_type not in RDFLIB_FORMATS:
            raise StoreError(f"{self.query_url} answered {media_type}, not an RDF graph")
        try:
            return rdflib.Graph().parse(data=body, format=RDFLIB_FORMATS[media_type])
        except Exception as error:  # rdflib parsers raise many unrelated types
            raise StoreError(f"cannot parse the {media_type} sent by {self.query_url}: {error}") from error

    def _query_bytes(self, query: str, media_type: str) -> bytes:
        if self.default_graph is not None:
            return self._rewritten_bytes(query, media_type)
        body, answered = self._query(query, media_type)
        if answered != media_type:
            raise StoreError(f"asked {self.query_url} for {media_type}, got {answered}")
        return body

    def select_csv(self, query: str) -> bytes:
        """A SELECT's answer in CSV as the server writes it, not rewritten: for a CSV reader (the
        analytic projection), not for passing on. Virtuoso quotes its header and ends lines with
        LF, which a CSV reader takes as the W3C form, and writes CSV several times faster than
        the SPARQL JSON :meth:`query_bytes` asks it for (100,000 rows: 0.6 s against 5.7 s,
        measured); other servers answer the W3C form itself."""
        self._require_open()
        body, answered = self._query(query, "text/csv")
        if answered != "text/csv":
            raise StoreError(f"asked {self.query_url} for text/csv, got {answered}")
        return body

    def _rewritten_bytes(self, query: str, media_type: str) -> bytes:
        """Virtuoso's own serialisations stray from the standards (a TSV header of quoted
        names, JSON-LD that does not round-trip, a comment in empty N-Triples, results as
        Turtle for a SELECT): ask for SPARQL JSON or N-Triples and let pyoxigraph write the
        format asked for."""
        from clusterkg.graph.sparql_text import query_form

        graph_form = query_form(query) in ("CONSTRUCT", "DESCRIBE")
        if graph_form != (media_type in GRAPH_MEDIA_TYPES):
            raise StoreError(f"{media_type} does not fit a {query_form(query) or 'query'} query")
        if graph_form:
            body, answered = self._query(query, "application/n-triples")
            source = ox.RdfFormat.N_TRIPLES
        else:
            body, answered = self._query(query, "application/sparql-results+json")
            source = ox.QueryResultsFormat.JSON
        try:
            if graph_form:
                return ox.serialize(ox.parse(body, format=source), format=GRAPH_MEDIA_TYPES[media_type])
            return ox.parse_query_results(body, format=source).serialize(format=RESULTS_MEDIA_TYPES[media_type])
        except (SyntaxError, ValueError) as error:
            raise StoreError(f"cannot read the {answered} sent by {self.query_url}: {error}") from error

    def _dump(self, media_type: str) -> bytes:
        if self.graph_store_url is None or self.default_graph is not None:  # Virtuoso's is the union
            return self._query_bytes(_DUMP_QUERY, media_type)
        body, answered = self._request(self._default_graph_url(), method="GET", accept=media_type)
        if answered != media_type:
            raise StoreError(f"asked {self.graph_store_url} for {media_type}, got {answered}")
        return body

    # -- writes

    def _default_graph_url(self) -> str:
        url = self.graph_store_url
        return url + ("&" if "?" in url else "?") + "default"

    def _update(self, sparql_update: str) -> None:
        staged: list[str] = []
        if self.default_graph is not None and len(sparql_update) > self._DATA_BLOCK_LIMIT:
            sparql_update, staged = self._staged(sparql_update)
        try:
            self._request(
                self.update_url,
                body=self._form("update", sparql_update),
                content_type="application/x-www-form-urlencoded",
                write=True,
            )
        finally:
            if staged:  # moved into place by the update above, or left over from a failure
                self._drop(staged)

    def _chunks(self, quads: list[ox.Quad]) -> Iterator[list[ox.Quad]]:
        """``quads`` in chunks of about :attr:`_STAGE_CHUNK`, never splitting a group of
        triples joined by blank nodes."""
        parent: dict[ox.BlankNode, ox.BlankNode] = {}

        def root(node: ox.BlankNode) -> ox.BlankNode:
            while parent.setdefault(node, node) != node:
                node = parent[node]
            return node

        groups: dict[object, list[ox.Quad]] = {}
        for q in quads:
            blanks = [t for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)]
            if len(blanks) == 2:
                parent[root(blanks[0])] = root(blanks[1])
        for n, q in enumerate(quads):
            blank = next((t for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)), None)
            groups.setdefault(n if blank is None else root(blank), []).append(q)
        chunk: list[ox.Quad] = []
        size = self._STAGE_CHUNK if self.graph_store_url is None else self._STAGE_CHUNK_GRAPH_STORE
        for group in groups.values():
            if chunk and len(chunk) + len(group) > size:
                yield chunk
                chunk = []
            chunk += group
        if chunk:
            yield chunk

    def _drop(self, graphs: list[str]) -> None:
        self._request(self.update_url, body=self._form("update", " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs)),
                      content_type="application/x-www-form-urlencoded", write=True)

    #: characters of ``INSERT DATA`` Virtuoso takes in one request, and triples per staging request
    #: (its SPARQL compiler refuses data whose generated SQL passes 10,000 lines)
    _DATA_BLOCK_LIMIT, _STAGE_CHUNK = 100_000, 1_000
    _STAGE_CHUNK_GRAPH_STORE = 20_000  # triples per POST to the Graph Store

    def _staged(self, sparql_update: str) -> tuple[str, list[str]]:
        """Virtuoso: the triples of each large ``INSERT DATA`` sent ahead in chunks into private
        staging graphs, and the block replaced by one copy from them, so the update itself
        stays small and still changes data, version and history in one request.

        Returns the rewritten update and the staging graphs (to drop afterwards). A blank node
        label names one node only within one request, so triples sharing blank nodes travel in
        the same chunk; the copy keeps the nodes it finds.
        """
        toks = list(tokens(sparql_update))
        prologue = " ".join(f"PREFIX {toks[i + 1].text} {toks[i + 2].text}" for i in range(len(toks) - 2)
                            if toks[i].text.upper() == "PREFIX" and toks[i + 2].kind == "iri")
        pieces, position, staged = [], 0, []
        run_id = uuid.uuid4().hex
        i = 0
        while i < len(toks) - 2:
            if not (toks[i].text.upper() == "INSERT" and toks[i + 1].text.upper() == "DATA" and toks[i + 2].text == "{"):
                i += 1
                continue
            depth = 0
            for j in range(i + 2, len(toks)):
                depth += (toks[j].text == "{") - (toks[j].text == "}")
                if depth == 0:
                    break
            inner = sparql_update[toks[i + 2].end:toks[j].start]
            if len(inner) > self._DATA_BLOCK_LIMIT:
                try:
                    quads = list(ox.parse(prologue + "\n" + inner, format=ox.RdfFormat.TRIG))
                except SyntaxError as error:
                    raise StoreError(f"nothing written to {self.description}: cannot read an INSERT DATA block: {error}") from error
                targets = {q.graph_name for q in quads}
                stage_of = {t: f"urn:clusterkg:staging:{run_id}:{len(staged) + n}" for n, t in enumerate(targets)}
                staged += stage_of.values()
                try:
                    for chunk in self._chunks(quads):
                        if self.graph_store_url is None:
                            chunk = [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(stage_of[q.graph_name]))
                                     for q in chunk]
                            self._request(self.update_url, body=self._form("update", _insert_data(chunk)),
                                          content_type="application/x-www-form-urlencoded", write=True)
                            continue
                        for target in {q.graph_name for q in chunk}:  # Graph Store: one POST per graph, much faster
                            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in chunk if q.graph_name == target]
                            url = self.graph_store_url + ("&" if "?" in self.graph_store_url else "?") + \
                                urllib.parse.urlencode({"graph": stage_of[target]})
                            self._request(url, body=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES),
                                          content_type="application/n-triples", write=True)
                except StoreError:
                    self._drop(staged)
                    raise
                moves = [f"INSERT {{ GRAPH <{self.default_graph if isinstance(target, ox.DefaultGraph) else target.value}> "
                         f"{{ ?s ?p ?o }} }} WHERE {{ GRAPH <{stage}> {{ ?s ?p ?o }} }}" for target, stage in stage_of.items()]
                pieces += [sparql_update[position:toks[i].start], " ;\n".join(moves) or "CLEAR SILENT GRAPH <urn:clusterkg:nothing>"]
                position = toks[j].end
            i = j + 1
        pieces.append(sparql_update[position:])
        return "".join(pieces), staged

    def _clear(self, activity: Activity) -> None:
        if self.default_graph is None:
            return super()._clear(activity)
        # Virtuoso: DROP ALL would reach its system graphs and fails on graphs not created
        # explicitly, so drop the data graph and every graph of ours one by one.
        graphs = [self.default_graph] + [
            g for g in self._graph_names() if g != self.default_graph and not g.startswith(self._SYSTEM_GRAPHS)
        ]
        self.commit_update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs), activity)

    def _close(self) -> None:
        pass


# --------------------------------------------------------------------------- factory


def open_store(
    location: str | Path | None = None,
    endpoint: str | None = None,
    update_endpoint: str | None = None,
    graph_store_endpoint: str | None = None,
    token: str | None = None,
    *,
    read_only: bool = False,
) -> KnowledgeStore:
    """Open the store the configuration names: a remote server if ``endpoint`` is given,
    else the embedded store at ``location`` (``None``: in memory; ``read_only``: opened
    beside a process that holds it read-write, seeing the data as of this call).

    For a remote server, update and Graph Store URLs not given are derived from the query
    URL (:func:`clusterkg.graph.endpoints.derive_endpoints`: Oxigraph, Fuseki, Virtuoso,
    ``clusterkg serve`` or the server's service description). ``token`` is sent as
    ``Authorization: Bearer <token>``.
    """
    if endpoint is None:
        if update_endpoint or graph_store_endpoint or token:
            raise StoreError("update/graph store endpoints and tokens need a query endpoint")
        if read_only and location is not None:
            from clusterkg.graph.running_server import SnapshotStore

            return SnapshotStore.read_only(location)
        return OxigraphStore(location)
    if location is not None:
        raise StoreError("give either a store location or a SPARQL endpoint, not both")
    from clusterkg.graph.endpoints import derive_endpoints

    headers = {"Authorization": f"Bearer {token}"} if token else None
    urls = derive_endpoints(endpoint, update_endpoint, graph_store_endpoint, headers)
    return SparqlProtocolStore(urls.query, None if read_only else urls.update, urls.graph_store, headers=headers,
                               default_graph=urls.default_graph)
