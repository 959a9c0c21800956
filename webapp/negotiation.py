"""Content negotiation: media types (from ``graph/media_types.py``) chosen by ``Accept`` q-values.

Pure Python without Flask, so the query worker processes use the same table as the web app.

>>> choose("text/csv;q=0.5, application/sparql-results+xml", RESULT_FORMATS)
'application/sparql-results+xml'
>>> choose("application/*;q=0.9, text/turtle", GRAPH_FORMATS)
'text/turtle'
>>> choose("image/png", RESULT_FORMATS) is None
True
"""

from __future__ import annotations

from clusterkg.graph.media_types import MEDIA_TYPES, MediaType

__all__ = [
    "GRAPH_FORMATS",
    "RESULT_FORMATS",
    "Format",
    "choose",
    "parse_accept",
]


#: a media type we can write, the pyoxigraph format behind it and the answer's Content-Type
Format = MediaType

#: SELECT / ASK results; the first is the default.
RESULT_FORMATS: dict[str, Format] = {m.media_type: m for m in MEDIA_TYPES if not m.is_graph}
#: CONSTRUCT / DESCRIBE results, graph store reads and the service description; the first is the default.
GRAPH_FORMATS: dict[str, Format] = {m.media_type: m for m in MEDIA_TYPES if m.is_graph}


def parse_accept(header: str | None) -> list[tuple[str, float, int]]:
    """``Accept`` as ``(media range, q, position)``; a missing header accepts everything."""
    if not header or not header.strip():
        return [("*/*", 1.0, 0)]
    ranges = []
    for position, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media or "/" not in media:
            continue
        q = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append((media, q, position))
    return ranges


def _quality(media_type: str, ranges: list[tuple[str, float, int]]) -> tuple[float, int, int]:
    """(q, specificity, -position) of the most specific range matching ``media_type``."""
    major = media_type.split("/")[0]
    best: tuple[float, int, int] = (0.0, -1, 0)
    for media, q, position in ranges:
        if media == media_type:
            specificity = 2
        elif media == major + "/*":
            specificity = 1
        elif media == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best[1]:
            best = (q, specificity, -position)
    return best


def choose(accept: str | None, table: dict[str, Format], extra: tuple[str, ...] = ()) -> str | None:
    """The media type of ``table`` (or ``extra``) the client prefers, ``None`` if none is acceptable.

    Ties go to the client's order, then to the table's order (its first row is the default).
    """
    ranges = parse_accept(accept)
    candidates = list(table) + list(extra)
    scored = []
    for order, media_type in enumerate(candidates):
        q, specificity, position = _quality(media_type, ranges)
        if q > 0:
            # An explicit listing beats a wildcard at the same q; then the client's order.
            scored.append(((q, specificity > 0, specificity == 2 and position, -order), media_type))
    if not scored:
        return None
    return max(scored)[1]
