"""Validation of an input batch before anything is written.

A batch is one or more files (CSV sheets, Turtle, N-Triples, JSON-LD, RDF/XML). It is checked as
a whole, against itself and the store, in three passes, and *every* problem is reported, each
located by file and row or line:

1. parsing (syntax, columns, cell formats, duplicate ids);
2. references: every cluster, organisation, competency, industry, country and region a triple
   points at must exist, in the batch or in the store;
3. SHACL (``ontology/shapes.ttl``), on the batch plus the types of what it references;
4. the consistency checks (``ontology/checks/*-violation.rq``: shortcut triples match their
   qualified nodes, no ``skos:broader`` loops, nothing ends before it starts), on the same graph
   in a scratch in-memory store.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyshacl
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SKOS
from rdflib.plugins.parsers.notation3 import BadSyntax

from clusterkg.graph.problems import Problem
from clusterkg.graph.sheets import ORG, read_sheet_file, sheet_for_file
from clusterkg.graph.store import KnowledgeStore
from clusterkg.ontology import check_queries, shapes_graph
from clusterkg.ontology.namespace import CKG

__all__ = ["Batch", "RDF_FORMATS", "load_batch", "validate_batch", "validate_files"]

#: File suffix -> rdflib parser name.
RDF_FORMATS = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "nt",
    ".ntriples": "nt",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
}

#: Predicate -> the class its object must have (in the batch or the store).
REFERENCES: dict[URIRef, tuple[URIRef, ...]] = {
    CKG.country: (CKG.Country,),
    CKG.region: (CKG.Region,),
    CKG.industry: (CKG.Industry,),
    CKG.appliedIn: (CKG.Industry,),
    CKG.competency: (CKG.Competency,),
    CKG.hasCompetency: (CKG.Competency,),
    CKG.needsCompetency: (CKG.Competency,),
    CKG.relatedCompetency: (CKG.Competency,),
    CKG.cluster: (CKG.Cluster,),
    CKG.participant: (CKG.Cluster,),
    CKG.affiliatedWith: (CKG.Cluster,),
    CKG.projectPartnerOf: (CKG.Cluster,),
    CKG.locatedInRegionOf: (CKG.Cluster,),
    ORG.memberOf: (CKG.Cluster,),
    CKG.organisation: (ORG.FormalOrganization,),
    CKG.offeredBy: (ORG.FormalOrganization,),
    CKG.developedBy: (ORG.FormalOrganization,),
    CKG.clusterOrganisation: (ORG.FormalOrganization,),
}
#: Predicates whose *subject* is the reference (qualified relations reached from their holder).
INVERSE_REFERENCES: dict[URIRef, tuple[URIRef, ...]] = {
    CKG.qualifiedCompetency: (ORG.FormalOrganization,),
    CKG.qualifiedNeed: (CKG.Cluster, ORG.FormalOrganization),
}
#: Shortcut triples the sheet builder derives; a CSV row's own columns already carry the reference.
DERIVED = {
    CKG.hasCompetency,
    CKG.needsCompetency,
    CKG.affiliatedWith,
    CKG.projectPartnerOf,
    CKG.locatedInRegionOf,
    ORG.memberOf,
}
SKOS_BROADER = SKOS.broader

CLASS_NAMES = {
    CKG.Country: "country",
    CKG.Region: "region",
    CKG.Industry: "industry",
    CKG.Competency: "competency",
    CKG.Cluster: "cluster",
    ORG.FormalOrganization: "organisation",
}


@dataclass
class SourceFile:
    """One input file as parsed: its graph and how to point at the place a node came from."""

    name: str
    graph: Graph
    is_sheet: bool
    origins: dict[URIRef, str] = field(default_factory=dict)  # node -> "row N" (sheets)
    text: str = ""  # RDF files: for locating nodes by line
    partial: Graph = field(default_factory=Graph)  # sheets: rows with cell problems, checked, never written

    def locate(self, node) -> str:
        if node in self.origins:
            return self.origins[node]
        if self.is_sheet or not self.text or not isinstance(node, URIRef):
            return ""
        return _find_line(self.text, node, self.graph)

    def column_for(self, predicate: URIRef) -> str:
        if self.is_sheet:
            sheet = sheet_for_file(self.name)
            for column in sheet.columns if sheet else ():
                if column.predicate == predicate:
                    return column.name
        return self.graph.namespace_manager.normalizeUri(predicate) if isinstance(predicate, URIRef) else ""


@dataclass
class Batch:
    """Everything an import would write, with the problems found so far."""

    files: list[SourceFile]
    problems: list[Problem]

    @property
    def graph(self) -> Graph:
        merged = Graph()
        for source in self.files:
            merged += source.graph
        return merged


def load_batch(paths: Sequence[str | Path]) -> Batch:
    """Parse every file of a batch; syntax problems are collected, not raised."""
    files: list[SourceFile] = []
    problems: list[Problem] = []
    if not paths:
        problems.append(Problem("", "", "", "no input files given"))
    for path in paths:
        path = Path(path)
        name = str(path)
        if not path.is_file():
            problems.append(Problem(name, "", "", "file not found"))
            continue
        suffix = path.suffix.lower()
        if suffix == ".csv":
            sheet = read_sheet_file(path)
            problems.extend(Problem(name, p.location, p.field, p.message) for p in sheet.problems)
            files.append(SourceFile(name, sheet.graph, True, sheet.origins, partial=sheet.partial))
        elif suffix in RDF_FORMATS:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as error:
                problems.append(Problem(name, "", "", f"not UTF-8 text ({error.reason} at byte {error.start})"))
                continue
            graph = Graph()
            try:
                with warnings.catch_warnings():
                    # rdflib 7's JSON-LD parser uses its own deprecated ConjunctiveGraph inside
                    warnings.filterwarnings("ignore", r".*is deprecated", DeprecationWarning)
                    graph.parse(data=text, format=RDF_FORMATS[suffix], publicID=path.resolve().as_uri())
            except BadSyntax as error:
                problems.append(Problem(name, f"line {error.lines + 1}", "", f"syntax error: {error.message}"))
                continue
            except Exception as error:  # rdflib's parsers raise many types; all mean "cannot parse"
                problems.append(Problem(name, _line_of_error(str(error)), "", f"cannot parse as {RDF_FORMATS[suffix]}: {_first_line(error)}"))
                continue
            files.append(SourceFile(name, graph, False, text=text))
        else:
            known = ", ".join(sorted({".csv", *RDF_FORMATS}))
            problems.append(Problem(name, "", "", f"unknown file type {suffix or '(none)'}; expected one of {known}"))
    return Batch(files, problems)


def validate_files(paths: Sequence[str | Path], store: KnowledgeStore | None) -> Batch:
    """Parse and check a batch; ``batch.problems`` is empty when it may be written."""
    batch = load_batch(paths)
    validate_batch(batch, store)
    return batch


def validate_batch(batch: Batch, store: KnowledgeStore | None) -> None:
    """Run the reference and SHACL checks on a parsed batch, adding to ``batch.problems``."""
    merged = batch.graph
    known_types = _types_of_references(batch, merged, store)
    batch.problems.extend(_reference_problems(batch, merged, known_types))
    batch.problems.extend(_shacl_problems(batch, merged, known_types))
    batch.problems.extend(_check_problems(batch, merged, known_types))


def _referenced(source: SourceFile) -> Iterable[tuple[URIRef, URIRef, object, tuple[URIRef, ...], bool]]:
    """(subject, predicate, referenced node, expected classes, inverse) for one file."""
    graph = source.graph + source.partial if len(source.partial) else source.graph
    for predicate, classes in REFERENCES.items():
        if source.is_sheet and predicate in DERIVED:
            continue
        for subject, obj in graph.subject_objects(predicate):
            yield subject, predicate, obj, classes, False
    for subject, obj in graph.subject_objects(SKOS_BROADER):
        if (subject, RDF.type, CKG.Competency) in graph:
            yield subject, SKOS_BROADER, obj, (CKG.Competency,), False
    for predicate, classes in INVERSE_REFERENCES.items():
        for subject, obj in graph.subject_objects(predicate):
            yield obj, predicate, subject, classes, True


def _types_of_references(batch: Batch, merged: Graph, store: KnowledgeStore | None) -> dict[URIRef, set[URIRef]]:
    """The classes of every referenced node, from the batch and, for the rest, from the store."""
    types: dict[URIRef, set[URIRef]] = {}
    outside: set[URIRef] = set()
    for source in batch.files:
        for _, _, node, _, _ in _referenced(source):
            if not isinstance(node, URIRef):
                continue
            in_batch = set(merged.objects(node, RDF.type))
            types.setdefault(node, set()).update(in_batch)
            if not in_batch:
                outside.add(node)
    if store is not None and outside:
        nodes = sorted(outside)
        for start in range(0, len(nodes), 500):
            chunk = nodes[start:start + 500]
            values = " ".join(node.n3() for node in chunk)
            result = store.select(f"SELECT ?node ?class WHERE {{ VALUES ?node {{ {values} }} ?node a ?class }}")
            for node, cls in result.rows:
                types.setdefault(node, set()).add(cls)
    return types


def _reference_problems(batch: Batch, merged: Graph, types: dict[URIRef, set[URIRef]]) -> list[Problem]:
    problems = []
    for source in batch.files:
        for subject, predicate, node, classes, _inverse in _referenced(source):
            if isinstance(node, URIRef) and types.get(node, set()) & set(classes):
                continue
            expected = " or ".join(CLASS_NAMES.get(c, str(c)) for c in classes)
            # the row or line to point at: the node whose column holds the reference (for an
            # inverse reference, `subject` is already the qualified node, i.e. the claim's row)
            location = source.locate(subject)
            if not isinstance(node, URIRef):
                message = f"expected a {expected} IRI, got {node!r}"
            elif types.get(node):
                message = f"{_short(node)} is not a {expected} (it is a {', '.join(sorted(_short(t) for t in types[node]))})"
            else:
                message = f"unknown {expected} {_short(node)}: not in this import nor in the store"
            problems.append(Problem(source.name, location, source.column_for(predicate), message))
    return problems


def _shacl_problems(batch: Batch, merged: Graph, types: dict[URIRef, set[URIRef]]) -> list[Problem]:
    if not len(merged):
        return []
    # Only nodes the batch describes (gives a type) are checked; a node that appears only as the
    # subject of a shortcut triple (an organisation's ckg:affiliatedWith) is described elsewhere.
    focus_candidates = set(merged.subjects(RDF.type))
    data = Graph()
    data += merged
    for node, classes in types.items():
        for cls in classes:
            data.add((node, RDF.type, cls))
    conforms, results, _ = pyshacl.validate(data, shacl_graph=shapes_graph(), inference="none", allow_warnings=True)
    if conforms:
        return []
    problems = []
    SH = "http://www.w3.org/ns/shacl#"
    for result in results.subjects(RDF.type, URIRef(SH + "ValidationResult")):
        focus = results.value(result, URIRef(SH + "focusNode"))
        if focus not in focus_candidates:
            continue  # a store node added only for its type
        path = results.value(result, URIRef(SH + "resultPath"))
        message = str(results.value(result, URIRef(SH + "resultMessage")) or "violates a shape")
        severity = results.value(result, URIRef(SH + "resultSeverity"))
        if severity is not None and not str(severity).endswith("Violation"):
            continue
        located = False
        for source in batch.files:
            if (focus, None, None) in source.graph:
                field_name = source.column_for(path) if isinstance(path, URIRef) else ""
                problems.append(Problem(source.name, source.locate(focus), field_name, f"{message} ({_short(focus)})"))
                located = True
                break
        if not located:
            problems.append(Problem("", "", "", f"{message} ({_short(focus)})"))
    return problems


def _check_problems(batch: Batch, merged: Graph, types: dict[URIRef, set[URIRef]]) -> list[Problem]:
    """Run the ontology's SPARQL consistency checks on the batch (plus referenced types)."""
    if not len(merged):
        return []
    from clusterkg.graph.store import OxigraphStore

    scratch = Graph()
    scratch += merged
    for node, classes in types.items():
        for cls in classes:
            scratch.add((node, RDF.type, cls))
    problems = []
    with OxigraphStore() as store:
        store.insert_graph(scratch)
        for name, sparql in check_queries().items():
            explanation = _first_comment(sparql)
            result = store.select(sparql)
            for row in result.rows:
                node = next((value for value in row if isinstance(value, URIRef)), None)
                values = dict(zip(result.variables, row))
                message = str(values.pop("problem", None) or explanation.removeprefix("Finds "))
                detail = ", ".join(f"{var} {_short(value)}" for var, value in values.items() if isinstance(value, URIRef))
                located = [(s.name, s.locate(node)) for s in batch.files if node is not None and (node, None, None) in s.graph]
                file_name, location = located[0] if located else ("", "")
                problems.append(Problem(file_name, location, "", f"{message}: {detail} (check {name})"))
    return problems


def _first_comment(sparql: str) -> str:
    """The check's own explanation: its leading comment lines, joined."""
    lines = []
    for line in sparql.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").strip())
    return " ".join(lines).split(". ")[0].rstrip(".") or "consistency check failed"


def _short(node) -> str:
    text = str(node)
    for prefix, short in (
        ("https://w3id.org/clusterkg/id/", ""),
        ("https://w3id.org/clusterkg/ns#", "ckg:"),
        ("http://www.w3.org/ns/org#", "org:"),
    ):
        if text.startswith(prefix):
            return short + text[len(prefix):]
    return f"<{text}>"


def _find_line(text: str, node: URIRef, graph: Graph) -> str:
    """Best effort: the first line of an RDF file where a node is written (full or prefixed)."""
    forms = [f"<{node}>", f'"{node}"']
    try:
        prefixed = graph.namespace_manager.normalizeUri(node)
        if not prefixed.startswith("<"):
            forms.append(prefixed)
    except Exception:  # normalizeUri refuses some IRIs; the full form is enough then
        pass
    for number, line in enumerate(text.splitlines(), start=1):
        for form in forms:
            if form in line and (not form[0].isalpha() or re.search(rf"(^|[\s;,\[(]){re.escape(form)}($|[\s;,.\])])", line)):
                return f"line {number}"
    return ""


def _line_of_error(message: str) -> str:
    match = re.search(r"line (\d+)", message)
    return f"line {match.group(1)}" if match else ""


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]

