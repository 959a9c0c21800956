"""The one IRI check: what the store accepts as an IRI, judged by pyoxigraph's own parser.

A check that agrees with the store means nothing it refuses reaches it, and nothing it accepts
is refused. Relative references (a JSON-LD ``@id`` resolved against its base) can only be
checked for the characters no IRI may hold (RFC 3987, as Turtle's and SPARQL's IRIREF).

>>> check_iri("https://example.org/a<b>")
Traceback (most recent call last):
    ...
ValueError: not a valid IRI: 'https://example.org/a<b>' (Invalid IRI code point '<')
>>> iri_error("#me", relative=True) is None, iri_error("#me") is not None
(True, True)
"""

from __future__ import annotations

import re

from pyoxigraph import NamedNode

__all__ = ["check_iri", "iri_error"]

_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def iri_error(value: str, *, relative: bool = False) -> str | None:
    """Why ``value`` is not an IRI (``None`` when it is one); ``relative`` allows references."""
    if not isinstance(value, str):
        return f"an IRI is text, not {type(value).__name__}"
    if relative:
        found = _FORBIDDEN.search(value)
        return f"Invalid IRI code point {found.group()!r}" if found else None
    try:
        NamedNode(value)
    except ValueError as error:
        return str(error)
    return None


def check_iri(value: str, *, relative: bool = False) -> str:
    """``value`` if it is an IRI, else a ValueError that quotes it and says why."""
    reason = iri_error(value, relative=relative)
    if reason is not None:
        shown = repr(value) if not isinstance(value, str) or len(value) <= 80 else repr(value[:80]) + f"... ({len(value)} characters)"
        raise ValueError(f"not a valid IRI: {shown} ({reason})")
    return value
