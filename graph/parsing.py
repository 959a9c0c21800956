"""Step 1 of an import: every input file parsed, streaming, into strict N-Triples on disk.

An N-Triples file larger than :data:`SMALL_LOAD` is only read here (checked, its subjects
noted), not written again: once it parses strictly it is its own strict N-Triples, and staging
loads it as it is (one write and one parse fewer: 0.3 s of CPU a million triples).

With ``defer`` (an import into a new generation of an on-disk store, not a replacement) such a
file is not even read here: staging's strict bulk load checks its syntax, and :class:`LineScan`,
fed the bytes that load reads, parses the few lines that hold a typed literal (``^^``) and counts
its triples as lines; its subjects (the focus nodes) are read by a parse only if something asks
for them (:class:`FileSubjects`; the checks of a batch as large as the store ask only when they
find a problem). Iterating the parser's quads in Python is what the checking parse cost (1.1 s of CPU
a million triples, against 0.2 s for the line scan and 0.4 s for the strict load). Any problem there
(a syntax error the load meets, :class:`UnparsedSyntaxError`, or an ill-typed literal) sends the
file through the full parse, so every problem is reported exactly as without ``defer``.

RDF files go through pyoxigraph's streaming parsers (N-Triples, Turtle, RDF/XML, JSON-LD), CSV
sheets through :func:`clusterkg.graph.sheets.read_sheet_file`. Nothing is held in memory but
the set of subjects each file describes (the focus nodes of the checks). Every problem is
located: syntax errors carry the file and line, invalid IRIs are errors (never dropped).

No file or URL other than the inputs is ever opened: pyoxigraph's JSON-LD parser has no
document loader, remote and ``file:`` ``@context`` references are refused here with their line,
and RDF/XML with a DTD entity declaration (the "billion laughs" expansion) is refused before
parsing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from clusterkg.graph.iris import iri_error
from clusterkg.graph.media_types import RDF_SUFFIXES
from clusterkg.graph.problems import Problem
from clusterkg.graph.reasons import N_, reason
from clusterkg.graph.sheets import read_sheet_file, replaced_patterns, sheet_for_file
from clusterkg.graph.store import _to_ox

__all__ = ["SMALL_LOAD", "FileSubjects", "LineScan", "ParsedBatch", "ParsedFile", "UnparsedSyntaxError", "more_named_than",
           "parse_files", "prefixes_of"]

#: Bytes of N-Triples up to which staging adds a file's parsed terms in one transaction, keeping
#: its blank nodes' labels (above, a bulk load gives every blank node a new label anyway).
SMALL_LOAD = 1024 * 1024

_PARSER_POSITION = re.compile(r"^Parser error at line \d+ (?:column \d+|between columns \d+ and \d+): ")


@dataclass
class ParsedFile:
    """One input file as parsed: where its N-Triples are and how to point into it."""

    name: str
    path: Path
    is_sheet: bool
    ntriples: Path | None = None  # strict N-Triples of what may be written
    partial: Path | None = None  # sheets: rows with cell problems (checked, never written)
    subjects: set | FileSubjects = field(default_factory=set)  # pyoxigraph subjects the file describes
    partial_subjects: set = field(default_factory=set)
    origins: dict[str, str] = field(default_factory=dict)  # sheets: IRI -> "row N"
    columns: dict[str, str] = field(default_factory=dict)  # sheets: predicate IRI -> column
    triples: int = 0  # (an unparsed file's: counted by staging's load, see :class:`LineScan`)
    #: sheets: SPARQL patterns (binding ?s ?p ?o) of what a replacement by this file removes
    #: (:func:`~clusterkg.graph.sheets.replaced_patterns`); an RDF file replaces its subjects' descriptions
    replaces: list[str] = field(default_factory=list)
    #: a large N-Triples file not parsed yet (see the module's docstring): staging loads it strictly
    unparsed: bool = False


@dataclass
class ParsedBatch:
    """Every file of a batch, with the problems found while parsing."""

    files: list[ParsedFile]
    problems: list[Problem]

    @property
    def ntriples(self) -> list[Path]:
        return [f.ntriples for f in self.files if f.ntriples is not None]

    @property
    def subjects(self) -> set:
        """Every file's subjects (one file: its own set, not a copy; do not change it)."""
        return self.files[0].subjects if len(self.files) == 1 else set().union(*(f.subjects for f in self.files))

    @property
    def triples(self) -> int:
        return sum(f.triples for f in self.files)

    @property
    def described(self) -> list[str]:
        """IRIs of the RDF files' subjects: a replacement removes their whole earlier descriptions."""
        return sorted({s.value for f in self.files if not f.is_sheet for s in f.subjects if type(s) is ox.NamedNode})

    @property
    def replaced_patterns(self) -> list[str]:
        """The sheets' patterns of what a replacement removes (see :attr:`ParsedFile.replaces`)."""
        return [pattern for f in self.files for pattern in f.replaces]


def parse_files(paths, work: Path, *, defer: bool = False) -> ParsedBatch:
    """Parse every file into ``work``; problems are collected, not raised.

    ``defer``: a large N-Triples file is only scanned (see the module's docstring)."""
    files: list[ParsedFile] = []
    problems: list[Problem] = []
    if not paths:
        problems.append(Problem("", "", "", reason(N_("no input files given"))))
    for number, path in enumerate(paths):
        path = Path(path)
        name = str(path)
        if not path.is_file():
            problems.append(Problem(name, "", "", reason(N_("file not found"))))
            continue
        suffix = path.suffix.lower()
        target = work / f"{number:04d}.nt"
        if suffix == ".csv":
            parsed = _parse_sheet(path, name, target, problems)
        elif suffix in RDF_SUFFIXES:
            parsed = _parse_rdf(path, name, RDF_SUFFIXES[suffix], target, problems, defer=defer)
        else:
            known = ", ".join(sorted({".csv", *RDF_SUFFIXES}))
            problems.append(Problem(name, "", "", reason(N_("unknown file type %(suffix)s; expected one of %(known)s"),
                                                         suffix=suffix or reason(N_("(none)")), known=known)))
            continue
        if parsed is not None:
            files.append(parsed)
    return ParsedBatch(files, problems)


# --------------------------------------------------------------------------- CSV sheets


def _parse_sheet(path: Path, name: str, target: Path, problems: list[Problem]) -> ParsedFile:
    sheet = read_sheet_file(path)
    problems.extend(Problem(name, p.location, p.field, p.message) for p in sheet.problems)
    known = sheet_for_file(path)
    columns = {str(c.predicate): c.name for c in (known.columns if known else ()) if c.predicate is not None}
    parsed = ParsedFile(name, path, True, origins={str(k): v for k, v in sheet.origins.items()}, columns=columns)
    parsed.ntriples, parsed.triples = target, _write_graph(sheet.graph, target, parsed, problems, parsed.subjects)
    if known is not None:
        parsed.replaces = replaced_patterns(known, sheet.graph)
    if len(sheet.partial):
        parsed.partial = target.with_suffix(".partial.nt")
        # rows with cell problems: already reported, so a term pyoxigraph refuses there is not again
        _write_graph(sheet.partial, parsed.partial, parsed, [], parsed.partial_subjects)
    return parsed


def _write_graph(graph, target: Path, parsed: ParsedFile, problems: list[Problem], subjects: set) -> int:
    """An rdflib graph as N-Triples through pyoxigraph; a term it refuses is a located problem."""
    triples = []
    for s, p, o in graph:
        try:
            triple = ox.Triple(_to_ox(s), _to_ox(p), _to_ox(o))
        except (TypeError, ValueError) as error:
            problems.append(Problem(parsed.name, parsed.origins.get(str(s), ""), parsed.columns.get(str(p), ""),
                                    reason(N_("not a valid RDF term: %(error)s"), error=str(error))))
            continue
        triples.append(triple)
        subjects.add(triple.subject)
    with open(target, "wb") as output:
        ox.serialize(triples, output, format=ox.RdfFormat.N_TRIPLES)
    return len(triples)


# --------------------------------------------------------------------------- RDF files


def _parse_rdf(path: Path, name: str, fmt: ox.RdfFormat, target: Path, problems: list[Problem], *,
               defer: bool = False) -> ParsedFile | None:
    parsed = ParsedFile(name, path, False)
    refused = _refuse_dangerous(path, name, fmt)
    if refused:
        problems.extend(refused)
        return None
    if defer and fmt == ox.RdfFormat.N_TRIPLES and path.stat().st_size > SMALL_LOAD:
        return ParsedFile(name, path, False, ntriples=path, subjects=FileSubjects(path), unparsed=True)
    subjects = parsed.subjects
    count = 0
    wrong: list[ox.Literal] = []  # the first ill-typed literals (checked as they stream by)

    def triples() -> Iterator[ox.Quad]:
        nonlocal count
        for quad in _quads(path, fmt):
            subjects.add(quad.subject)
            literal = quad.object
            if type(literal) is ox.Literal and literal.datatype.value in _LEXICAL_FORMS \
                    and len(wrong) < _MAX_REPORTED and not _well_typed(literal):
                wrong.append(literal)
            count += 1
            yield quad

    # a large N-Triples file is staged as it is (see the module's docstring); any other is
    # written as the N-Triples of its parsed terms (blank nodes renamed as in ``subjects``)
    as_is = fmt == ox.RdfFormat.N_TRIPLES and path.stat().st_size > SMALL_LOAD
    try:
        if as_is:
            for _ in triples():
                pass
        else:
            with open(target, "wb") as output:
                ox.serialize(triples(), output, format=ox.RdfFormat.N_TRIPLES)
    except SyntaxError as error:
        target.unlink(missing_ok=True)
        problems.append(_syntax_problem(name, fmt, error, path))
        return None
    except (OSError, ValueError) as error:
        target.unlink(missing_ok=True)
        problems.append(Problem(name, "", "", reason(N_("cannot read the file: %(error)s"), error=str(error))))
        return None
    if wrong:
        target.unlink(missing_ok=True)
        problems.extend(_ill_typed_problem(name, path, literal) for literal in wrong)
        return None
    parsed.ntriples, parsed.triples = path if as_is else target, count
    return parsed


def _quads(path: Path, fmt: ox.RdfFormat) -> Iterator[ox.Quad]:
    return ox.parse(path=str(path), format=fmt, base_iri=path.resolve().as_uri(), rename_blank_nodes=True,
                    without_named_graphs=True)


class UnparsedSyntaxError(Exception):
    """A file staged without its checking parse (:attr:`ParsedFile.unparsed`) is not valid
    N-Triples: the importer parses the batch again in full, which locates the problem."""


class FileSubjects(Set):
    """The subjects of an unparsed N-Triples file (:attr:`ParsedFile.unparsed`), read by a parse
    of the whole file the first time something asks for them, then kept."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._subjects: set | None = None

    def _read(self, limit: int | None = None) -> set:
        """Every subject, or (``limit``) stop once more than ``limit`` named ones are seen."""
        if self._subjects is not None:
            return self._subjects
        subjects: set = set()
        named = 0
        try:
            for quad in _quads(self.path, ox.RdfFormat.N_TRIPLES):
                subject = quad.subject
                if subject not in subjects:
                    subjects.add(subject)
                    named += type(subject) is ox.NamedNode
                    if limit is not None and named > limit:
                        return subjects
        except SyntaxError as error:
            raise UnparsedSyntaxError(str(self.path)) from error
        self._subjects = subjects
        return subjects

    def __contains__(self, item) -> bool:
        return item in self._read()

    def __iter__(self) -> Iterator:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())

    @classmethod
    def _from_iterable(cls, items: Iterable) -> set:
        return set(items)

    def union(self, *others: Iterable) -> set:
        return self._read().union(*others)

    def more_named_than(self, limit: int) -> bool:
        """Whether the file has more than ``limit`` named subjects (read only that far)."""
        return sum(type(s) is ox.NamedNode for s in self._read(limit)) > limit


def more_named_than(subjects: set | FileSubjects, limit: int) -> bool:
    """Whether ``subjects`` holds more than ``limit`` IRIs (an unparsed file's read only that far)."""
    if isinstance(subjects, FileSubjects):
        return subjects.more_named_than(limit)
    return sum(1 for s in subjects if type(s) is ox.NamedNode) > limit


class LineScan:
    """The lines of an unparsed N-Triples file (:attr:`ParsedFile.unparsed`) as staging's strict
    load reads them: counts the triples (the lines neither blank nor a comment: one triple a line
    is N-Triples' grammar) and parses the lines that hold a typed literal (``^^``), whose forms
    the store does not check. Fed any chunks of one run of whole lines (a slice of the file);
    :meth:`close` ends it.

    Its syntax is not checked here: the strict load does that. Scanning the bytes the load reads
    anyway costs no read or copy of its own; at 10M triples a separate scan took 4.8-7.5 s of one
    core before staging could begin.
    """

    def __init__(self) -> None:
        self.triples = 0
        #: False once a typed literal is ill-typed, or its line no N-Triples (the full parse
        #: then locates the problem)
        self.well_typed = True
        #: the start of a line a later chunk ends (pieces: a file whose lines end in a lone
        #: carriage return has no line feed to cut at, and is scanned whole at the end)
        self._rest: list[bytes] = []

    def feed(self, data: bytes) -> None:
        end = data.rfind(b"\n") + 1
        if not end:
            self._rest.append(data)
            return
        start = 0
        if self._rest:
            start = data.find(b"\n") + 1
            line = b"".join([*self._rest, data[:start]])
            self._lines(line, 0, len(line))
        self._lines(data, start, end)
        self._rest = [data[end:]] if end < len(data) else []

    def close(self) -> None:
        if self._rest:  # the last line, without a line break
            line, self._rest = b"".join([*self._rest, b"\n"]), []
            self._lines(line, 0, len(line))

    def _lines(self, block: bytes, start: int, end: int) -> None:
        self.triples += _triple_lines(block, start, end)
        if self.well_typed:
            self.well_typed = _typed_lines_well_typed(block, start, end)


def _typed_lines_well_typed(block: bytes, start: int, end: int) -> bool:
    """Whether the lines of ``block[start:end]`` (whole lines) that hold a ``^^`` parse, with
    well-typed literals.

    A line ending in a plain typed literal (no escape in its form or datatype) is read by
    :data:`_TYPED_TAIL` alone; any other goes through pyoxigraph's parser. At 10M triples (291,000
    typed lines) the search for ``^^`` and the parse took 2.3 s of CPU, this 1.0 s.
    """
    unsure: list[bytes] = []
    position = block.find(b"^", start, end)  # (one byte: found much faster than a pair)
    while position >= 0:
        if block[position + 1:position + 2] != b"^":  # ("^" alone can only be in a literal's form)
            position = block.find(b"^", position + 1, end)
            continue
        line = block.rfind(b"\n", start, position) + 1 or start
        stop = block.find(b"\n", position, end) + 1
        tail = _TYPED_TAIL.fullmatch(block, line, stop)
        if tail is None:
            unsure.append(block[line:stop])
        elif (datatype := _XSD + tail["type"].decode("ascii", "replace")) in _LEXICAL_FORMS:
            if not _well_formed(datatype, tail["form"].decode("utf-8", "replace")):
                return False
        position = block.find(b"^", stop, end)
    if not unsure:
        return True
    try:
        for quad in ox.parse(b"".join(unsure), format=ox.RdfFormat.N_TRIPLES):
            literal = quad.object
            if type(literal) is ox.Literal and literal.datatype.value in _LEXICAL_FORMS and not _well_typed(literal):
                return False
    except SyntaxError:
        return False
    return True


def _triple_lines(block: bytes, start: int, end: int) -> int:
    """Lines of ``block[start:end]`` (whole lines) that are neither blank nor a comment."""
    lines = block.count(b"\n", start, end)
    # (every line starts with a subject: the usual N-Triples file; a line starting with "_" that
    # is no blank node fails the strict load, so its count does not matter)
    if block.startswith((b"<", b"_"), start, end) and block.find(b"\r", start, end) < 0 \
            and _OTHER_LINE_START.search(block, start, end) is None:
        return lines
    return sum(1 for line in block[start:end].splitlines() if (text := line.strip(b" \t")) and not text.startswith(b"#"))


_XSD = "http://www.w3.org/2001/XMLSchema#"
_MAX_REPORTED = 100  # ill-typed literals reported per file

#: A line that ends in a typed literal whose form and datatype IRI hold no escape, the literal
#: opened after a space (so its quote is no escaped one inside another literal): the form is the
#: bytes between the quotes. Whether the line is N-Triples is the strict load's to say.
_TYPED_TAIL = re.compile(
    rb'[^\n]*[ \t]"(?P<form>[^"\\\n]*)"\^\^<' + re.escape(_XSD.encode()) + rb'(?P<type>[A-Za-z]+)>[ \t]*\.[ \t]*\r?\n')

#: A line start other than a subject's (an IRI or a blank node): a blank line or a comment.
_OTHER_LINE_START = re.compile(rb"\n[^<_]")

_ZONE = r"(Z|[+-][0-9]{2}:[0-9]{2})?"
#: Lexical forms (ASCII digits only) of the datatypes the ontology uses; the store keeps an
#: ill-typed literal as it is, so it is refused here, where the file and line are known.
_LEXICAL_FORMS = {
    _XSD + "gYear": (re.compile(rf"(?!0000)[0-9]{{4}}{_ZONE}", re.ASCII), N_("a four-digit year, e.g. 2005")),
    _XSD + "integer": (re.compile(r"[+-]?[0-9]+", re.ASCII), N_("a whole number, e.g. 120")),
    _XSD + "nonNegativeInteger": (re.compile(r"\+?[0-9]+", re.ASCII), N_("a whole number of zero or more")),
    _XSD + "decimal": (re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", re.ASCII), N_("a decimal number, e.g. 1500.50")),
    _XSD + "boolean": (re.compile(r"true|false|1|0"), N_("true or false")),
    _XSD + "date": (re.compile(rf"-?[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{_ZONE}", re.ASCII), N_("a date, e.g. 2016-01-31")),
}


def _well_typed(literal: ox.Literal) -> bool:
    return _well_formed(literal.datatype.value, literal.value)


def _well_formed(datatype: str, form: str) -> bool:
    """Whether ``form`` is a lexical form of ``datatype`` (one of :data:`_LEXICAL_FORMS`)."""
    pattern, _ = _LEXICAL_FORMS[datatype]
    if not pattern.fullmatch(form):
        return False
    if datatype == _XSD + "date":
        import datetime

        try:
            datetime.date.fromisoformat(form.lstrip("-")[:10])
        except ValueError:
            return False
    return True


def _ill_typed_problem(name: str, path: Path, literal: ox.Literal) -> Problem:
    datatype = literal.datatype.value
    _, expected = _LEXICAL_FORMS[datatype]
    # as written: raw UTF-8, or escaped as JSON (and Turtle) write non-ASCII characters
    needles = {literal.value.encode("utf-8"), json.dumps(literal.value)[1:-1].encode("ascii")}
    line = next((f"line {number}" for number, text in _lines(path) if any(n in text for n in needles)), "")
    return Problem(name, line, "xsd:" + datatype.removeprefix(_XSD),
                   reason(N_("%(value)s is not a valid %(datatype)s: expected %(expected)s"), value=repr(literal.value),
                          datatype="xsd:" + datatype.removeprefix(_XSD), expected=reason(expected)))


def _syntax_problem(name: str, fmt: ox.RdfFormat, error: SyntaxError, path: Path) -> Problem:
    message = str(error.msg if error.msg else error)
    detail = _PARSER_POSITION.sub("", message)
    location = f"line {error.lineno}" if error.lineno else _line_without_position(path, fmt, detail)
    if "UTF-8" in detail or "utf-8" in detail:  # (the parser's own words stay as they are, in our frame)
        detail = reason(N_("not UTF-8 text: %(detail)s"), detail=detail)
    if error.lineno and error.offset:
        return Problem(name, location, "", reason(N_("syntax error (column %(column)s): %(detail)s (not valid %(format)s)"),
                                                  column=str(error.offset), detail=detail, format=fmt.name))
    return Problem(name, location, "", reason(N_("syntax error: %(detail)s (not valid %(format)s)"), detail=detail, format=fmt.name))


_QUOTED = re.compile(r"'([^']{2,})'|`([^`]{2,})`")


def _line_without_position(path: Path, fmt: ox.RdfFormat, detail: str) -> str:
    """Where an error the parser gave no position for is (pyoxigraph's RDF/XML parser gives
    none): the line of the value the message quotes, the last line for a file that ends too
    early, or the line where the XML stops being well-formed (expat, entities already refused)."""
    lines = [line for _, line in _lines(path)]
    for match in _QUOTED.finditer(detail):
        needle = (match.group(1) or match.group(2)).encode("utf-8", "replace")
        for number, line in enumerate(lines, start=1):
            if needle in line:
                return f"line {number}"
    if "end of input" in detail or "unexpected end" in detail.lower():
        return f"line {max(len(lines), 1)}"
    if fmt == ox.RdfFormat.RDF_XML:
        import xml.parsers.expat

        parser = xml.parsers.expat.ParserCreate()
        try:
            parser.Parse(b"".join(lines), True)
        except xml.parsers.expat.ExpatError as error:
            return f"line {error.lineno}"
    return ""


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with open(path, "rb") as handle:
        yield from enumerate(handle, start=1)


def _refuse_dangerous(path: Path, name: str, fmt: ox.RdfFormat) -> list[Problem]:
    """Refuse what could make a parser read elsewhere or expand without bound."""
    if fmt == ox.RdfFormat.RDF_XML:
        for number, line in _lines(path):
            if b"<!ENTITY" in line:
                return [Problem(name, f"line {number}", "", reason(N_("DTD entity declarations are not accepted in RDF/XML "
                                                                      "(they can expand without bound); write the values out")))]
        return []
    if fmt == ox.RdfFormat.JSON_LD:
        return _json_ld_problems(path, name)
    return []


def _json_ld_problems(path: Path, name: str) -> list[Problem]:
    """Remote / ``file:`` contexts and invalid ``@id`` IRIs, each with its line.

    pyoxigraph never fetches a context (it has no loader) but refuses one without a line, and it
    drops a node whose ``@id`` is not a valid IRI without a word; both are located errors here.
    """
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text)
    except UnicodeDecodeError as error:
        line = error.object[:error.start].count(b"\n") + 1
        return [Problem(name, f"line {line}", "", reason(N_("not UTF-8 text (%(reason)s at byte %(byte)s)"),
                                                         reason=error.reason, byte=str(error.start)))]
    except json.JSONDecodeError as error:
        return [Problem(name, f"line {error.lineno}", "", reason(N_("syntax error (column %(column)s): %(detail)s (not valid %(format)s)"),
                                                                 column=str(error.colno), detail=error.msg, format="JSON-LD"))]
    problems = []
    lines = text.splitlines()

    def line_of(value: str) -> str:
        needle = json.dumps(value)[1:-1]
        for number, line in enumerate(lines, start=1):
            if needle in line:
                return f"line {number}"
        return ""

    def context_problems(context) -> None:
        for item in context if isinstance(context, list) else [context]:
            if isinstance(item, str):
                problems.append(Problem(name, line_of(item), "@context", reason(
                    N_("remote or file contexts are not fetched: %(context)s; put the context inline"), context=repr(item))))
            elif isinstance(item, dict) and isinstance(item.get("@import"), str):
                problems.append(Problem(name, line_of(item["@import"]), "@import", reason(
                    N_("remote or file contexts are not fetched: %(context)s"), context=repr(item["@import"]))))

    def walk(node) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    context_problems(value)
                elif key in ("@id", "@base", "@vocab") and isinstance(value, str) and iri_error(value, relative=True):
                    problems.append(Problem(name, line_of(value), key, reason(N_("not a valid IRI: %(value)s"), value=repr(value))))
                elif key == "@type" and isinstance(value, str | list):
                    for kind in value if isinstance(value, list) else [value]:
                        if isinstance(kind, str) and iri_error(kind, relative=True):
                            problems.append(Problem(name, line_of(kind), key, reason(N_("not a valid IRI: %(value)s"), value=repr(kind))))
                walk(value)

    walk(document)
    return problems


_PREFIX_LINE = re.compile(rb"""(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>|xmlns:([A-Za-z][\w.-]*)\s*=\s*["']([^"']*)["']""", re.I)


def prefixes_of(path: Path) -> dict[str, str]:
    """Prefix declarations of a Turtle or RDF/XML file, for pointing at a node's line later."""
    prefixes = {}
    for _, line in _lines(path):
        for match in _PREFIX_LINE.finditer(line):
            prefix, namespace = (match.group(1), match.group(2)) if match.group(2) is not None else (match.group(3), match.group(4))
            prefixes[(prefix or b"").decode("utf-8", "replace")] = namespace.decode("utf-8", "replace")
        if len(prefixes) > 200:
            break
    return prefixes
