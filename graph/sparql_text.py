"""The one reader of SPARQL text: its tokens, with strings, IRIs and comments matched whole.

A brace, ``WHERE``, ``FROM`` or ``SERVICE`` inside a string, an IRI or a comment is never read
as syntax. The store binds variables with it (:func:`where_group`), the CLI names a query's form
with it (:func:`query_form`), and ``webapp/sparql_text.py`` refuses remote access and applies
the protocol's graphs with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "QUERY_FORMS",
    "Token",
    "expand_escapes",
    "has_dataset_clause",
    "query_form",
    "tokens",
    "where_group",
    "without_prologue",
]

#: the four query forms, as :func:`query_form` names them
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "punct", "iri", "string", "var", "other"
    text: str
    start: int
    end: int


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
  | (?P<word>[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_\-.\u00B7-\uFFFF]*(?::[^\s{}()\[\];,]*)?|:[^\s{}()\[\];,]*)
  | (?P<punct>[{}();,.\[\]])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def expand_escapes(text: str) -> str:
    r"""SPARQL's codepoint escapes are read before anything else (SPARQL 1.1 §19.2).

    >>> expand_escapes(r"\u0053ERVICE")
    'SERVICE'
    """
    return _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def tokens(text: str) -> Iterator[Token]:
    """The tokens of SPARQL text, without whitespace and comments.

    >>> [t.text for t in tokens('SELECT * { ?s <x#y> "SERVICE # not" } # SERVICE')]
    ['SELECT', '*', '{', '?s', '<x#y>', '"SERVICE # not"', '}']
    """
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("space", "comment"):
            continue
        yield Token(kind, match.group(), match.start(), match.end())


def without_prologue(toks: list[Token]) -> list[Token]:
    """The tokens after the leading ``PREFIX name: <iri>`` and ``BASE <iri>`` declarations."""
    while toks and toks[0].kind == "word" and toks[0].text.upper() in ("PREFIX", "BASE"):
        toks = toks[3:] if toks[0].text.upper() == "PREFIX" else toks[2:]
    return toks


def query_form(text: str) -> str | None:
    """The query's form (one of :data:`QUERY_FORMS`), or ``None`` for anything else.

    >>> query_form("PREFIX x: <http://x/> # select\\nask { ?s ?p ?o }")
    'ASK'
    >>> query_form("INSERT DATA { <a> <b> <c> }") is None
    True
    """
    body = without_prologue(list(tokens(expand_escapes(text))))
    first = body[0].text.upper() if body and body[0].kind == "word" else None
    return first if first in QUERY_FORMS else None


def has_dataset_clause(query: str) -> bool:
    r"""Whether the query names its own dataset (``FROM`` or ``FROM NAMED``), read from its
    tokens: the word in a comment, a string or an IRI does not count.

    >>> has_dataset_clause("SELECT * FROM NAMED <http://g> { GRAPH ?g { ?s ?p ?o } }")
    True
    >>> has_dataset_clause('# every named graph\nSELECT ?g { GRAPH ?g { ?s ?p "from" } }')
    False
    """
    if "from" not in query.lower() and "\\u" not in query.lower():
        return False  # the common case: no need to lex
    return any(t.kind == "word" and t.text.upper() == "FROM" for t in tokens(expand_escapes(query)))


_GROUP_FIRST = ("SELECT", "ASK", "DESCRIBE")


def where_group(query: str) -> tuple[int, int] | None:
    """Where the query's outermost WHERE group opens and closes (offsets of its braces).

    The group is the one after a top-level ``WHERE``, or, for ``SELECT`` / ``ASK`` /
    ``DESCRIBE`` without the keyword, the first top-level ``{``; ``None`` when there is none.

    >>> q = 'SELECT ?s # WHERE {\\nWHERE { ?s ?p "}" }'
    >>> opened, closed = where_group(q)
    >>> q[opened:closed + 1]
    '{ ?s ?p "}" }'
    """
    depth, form, after_where, opened = 0, None, False, None
    for token in tokens(query):
        text = token.text
        if token.kind == "punct" and text in ("{", "("):
            if text == "{" and depth == 0 and (after_where or form in _GROUP_FIRST):
                opened = token.start
            depth += 1
        elif token.kind == "punct" and text in ("}", ")"):
            depth -= 1
            if depth == 0 and opened is not None:
                return opened, token.start
        elif depth == 0 and token.kind == "word":
            keyword = text.upper()
            if form is None and keyword in QUERY_FORMS:
                form = keyword
            elif keyword == "WHERE":
                after_where = True
    return None
