"""Reading SPARQL text before it runs: refuse what would reach outside, apply protocol graphs.

Two tools, each for what it is good at:

- rdflib's SPARQL parser (a real grammar) decides whether a query or update uses ``SERVICE``
  or ``LOAD``, the two features that make pyoxigraph open outbound connections. Parsing costs
  ~10 ms, so it runs only when the text could contain one of those keywords at all (the words
  "service" or "load" in any case, or a ``\\u`` escape that could spell them); a query without
  them cannot use them. If rdflib cannot parse a text that pyoxigraph might still accept, a
  lexer that skips strings, IRIs and comments decides instead, conservatively.
- The lexer (``clusterkg.graph.sparql_text``, the one reader of SPARQL text) also
  finds the top-level ``WHERE`` of each update operation, to insert the
  ``USING`` clauses that the protocol's ``using-graph-uri`` / ``using-named-graph-uri`` ask for.

``FROM`` / ``FROM NAMED`` and the ``default-graph-uri`` / ``named-graph-uri`` parameters are
not refused: pyoxigraph treats them as names of graphs in this store and never fetches them
(a name that is not in the store is an empty graph). The tests check that no connection is made.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from clusterkg.graph.errors import ClusterKGError
from clusterkg.graph.iris import iri_error
from clusterkg.graph.sparql_text import Token, expand_escapes, has_dataset_clause, tokens, without_prologue

__all__ = [
    "RemoteAccessRefused",
    "Token",
    "check_query",
    "check_update",
    "data_subjects",
    "has_dataset_clause",
    "tokens",
    "with_using_graphs",
]


class RemoteAccessRefused(ClusterKGError):
    """The query or update would make the server fetch data from elsewhere."""

    status = 400


_MAYBE_REMOTE = re.compile(r"service|load|\\u|\\U", re.IGNORECASE)


def _walk(node: object) -> Iterator[str]:
    """Names of every parse-tree node (rdflib's ``CompValue`` names) under ``node``."""
    from pyparsing import ParseResults

    stack = [node]
    while stack:
        item = stack.pop()
        name = getattr(item, "name", None)
        if isinstance(name, str):
            yield name
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, ParseResults)):
            stack.extend(item)


def _refusal(names: set[str]) -> str | None:
    if "ServiceGraphPattern" in names:
        return "SERVICE is not allowed: this endpoint never queries other servers"
    if "Load" in names:
        return "LOAD is not allowed: this endpoint never fetches remote data (use the Graph Store protocol at /store to upload data)"
    return None


def _lexer_names(text: str) -> set[str]:
    words = {t.text.upper() for t in tokens(expand_escapes(text)) if t.kind == "word"}
    return {name for word, name in (("SERVICE", "ServiceGraphPattern"), ("LOAD", "Load")) if word in words}


def _check(text: str, grammar: str) -> None:
    if not _MAYBE_REMOTE.search(text):
        return  # neither keyword can occur: skip the 10 ms parse
    # rdflib's parser loads in ~0.3 s: only when needed (query workers never need it)
    from pyparsing import ParseException
    from rdflib.plugins.sparql import parser

    try:
        names = set(_walk(getattr(parser, grammar)(text)))
    except (ParseException, ValueError, TypeError, AttributeError, KeyError):
        # rdflib does not accept everything pyoxigraph does; decide from the tokens instead
        names = _lexer_names(text)
    reason = _refusal(names)
    if reason:
        raise RemoteAccessRefused(reason)


def check_query(query: str) -> None:
    """Raise :class:`RemoteAccessRefused` if the query uses ``SERVICE``.

    >>> check_query('SELECT * { ?s ?p "SERVICE <http://x> {}" } # SERVICE')
    >>> try:
    ...     check_query("SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    ... except RemoteAccessRefused as refusal:
    ...     print(refusal)
    SERVICE is not allowed: this endpoint never queries other servers
    """
    _check(query, "parseQuery")


def check_update(update: str) -> None:
    """Raise :class:`RemoteAccessRefused` if the update uses ``LOAD`` or ``SERVICE``."""
    _check(update, "parseUpdate")


_DATA_SUBJECTS_LIMIT = 32 << 10  # a larger update (a bulk load) is not read for its subjects: not listed


def data_subjects(update: str) -> list[str] | None:
    """The subject IRIs an update made only of ``INSERT DATA`` / ``DELETE DATA`` writes to, so
    its history can list the resources it changed (and the analytic projection catch up on
    those alone); ``None`` for any other update, a blank-node subject, text over 32 KiB or text
    that does not parse: then the history lists nothing and readers treat everything as changed.

    The lexer checks the operations; pyoxigraph (fast, unlike rdflib's parser: 2 s for 13 KB)
    then runs the update, each ``DELETE DATA`` turned into ``INSERT DATA``, on an empty
    in-memory store, which ends up holding exactly the triples named.

    >>> data_subjects("PREFIX ex: <http://ex/> INSERT DATA { ex:a ex:p 1 . GRAPH ex:g { ex:b ex:p 2 } }")
    ['http://ex/a', 'http://ex/b']
    >>> data_subjects("DELETE WHERE { ?s ?p ?o }") is None
    True
    """
    import pyoxigraph as ox

    if len(update) > _DATA_SUBJECTS_LIMIT:
        return None
    pieces, last = [], 0
    for operation in _operations(list(tokens(update))):
        body = without_prologue(operation)
        words = [t.text.upper() if t.kind == "word" else "" for t in body[:2]]
        if words not in (["INSERT", "DATA"], ["DELETE", "DATA"]):
            return None
        if words[0] == "DELETE":
            pieces += [update[last:body[0].start], "INSERT"]
            last = body[0].end
    scratch = ox.Store()
    try:
        scratch.update("".join(pieces) + update[last:])
    except (SyntaxError, ValueError, OSError, RuntimeError):
        return None
    subjects: set[str] = set()
    for quad in scratch:
        if not isinstance(quad.subject, ox.NamedNode):
            return None
        subjects.add(quad.subject.value)
    return sorted(subjects)


# --------------------------------------------------------------------------- protocol USING


class InvalidUpdateRequest(ClusterKGError):
    """The update and its protocol parameters contradict each other."""

    status = 400


def _operations(toks: list[Token]) -> Iterator[list[Token]]:
    """Split an update into its operations at top-level ``;``."""
    depth, current = 0, []
    for token in toks:
        if token.text in "{([" and token.kind == "punct":
            depth += 1
        elif token.text in "})]" and token.kind == "punct":
            depth -= 1
        if token.text == ";" and depth == 0:
            yield current
            current = []
        else:
            current.append(token)
    if current:
        yield current


def with_using_graphs(update: str, default_graphs: list[str], named_graphs: list[str]) -> str:
    """Insert ``USING`` / ``USING NAMED`` clauses into every ``DELETE/INSERT ... WHERE``.

    This is what the protocol's ``using-graph-uri`` / ``using-named-graph-uri`` mean (SPARQL
    1.1 Protocol §2.2.3). An update that names its own ``USING`` or ``WITH`` as well is an
    error. ``DELETE WHERE { P }`` becomes ``DELETE { P } USING ... WHERE { P }``.

    >>> with_using_graphs("INSERT { ?s a <T> } WHERE { ?s a <U> }", ["http://g"], [])
    'INSERT { ?s a <T> } USING <http://g> WHERE { ?s a <U> }'
    """
    if not default_graphs and not named_graphs:
        return update
    for iri in default_graphs + named_graphs:
        reason = iri_error(iri)
        if reason is not None:
            raise InvalidUpdateRequest(f"not a valid graph IRI: {iri!r} ({reason})")
    using = " ".join([f"USING <{g}>" for g in default_graphs] + [f"USING NAMED <{g}>" for g in named_graphs])
    text = expand_escapes(update)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement)
    for operation in _operations(list(tokens(text))):
        operation = without_prologue(operation)
        words = [t for t in operation if t.kind == "word"]
        keywords = [t.text.upper() for t in words]
        if not keywords or keywords[0] not in ("DELETE", "INSERT", "WITH"):
            continue
        if len(keywords) > 1 and keywords[1] == "DATA":
            continue
        if "USING" in keywords or keywords[0] == "WITH":
            raise InvalidUpdateRequest(
                "the update has its own USING or WITH clause; it cannot be combined with "
                "using-graph-uri / using-named-graph-uri"
            )
        depth, where = 0, None
        for index, token in enumerate(operation):
            if token.kind == "punct" and token.text in "{([":
                depth += 1
            elif token.kind == "punct" and token.text in "})]":
                depth -= 1
            elif depth == 0 and token.kind == "word" and token.text.upper() == "WHERE":
                where = index
                break
        if where is None:
            continue
        if keywords[0] == "DELETE" and operation[1] is operation[where]:  # DELETE WHERE { P }
            pattern = text[operation[where + 1].start:operation[-1].end]
            edits.append((operation[where].start, operation[-1].end, f"{{ {pattern[1:-1]} }} {using} WHERE {pattern}"))
        else:
            edits.append((operation[where].start, operation[where].start, using + " "))
    for start, end, replacement in reversed(edits):
        text = text[:start] + replacement + text[end:]
    return text
