"""The checks of an import, as SPARQL over a staging store that shows the store as it will be.

The staging store (see :mod:`clusterkg.graph.staging`) holds the data after the change in its
default graph; the nodes the batch describes (its subjects) are the focus nodes, given as a set
and, for a batch small beside the store, also marked in
:data:`~clusterkg.graph.shacl_sparql.FOCUS_GRAPH` so per-node tests run on them alone.
Only rows about a focus node count: the store's earlier state is not the batch's fault. Three
kinds of check run on it, and *every* problem is reported, each located by file and row or line:

1. references: every cluster, organisation, competency, industry, country and region a focus
   node points at must exist with that class, in the batch or in the store (the tables below);
2. the SHACL shapes (``ontology/shapes.ttl``) on the focus nodes, compiled to SPARQL by
   :mod:`clusterkg.graph.shacl_sparql`;
3. the consistency checks (``ontology/checks/*-violation.rq``: shortcut triples match their
   qualified nodes, no ``skos:broader`` loops, nothing ends before it starts); for a batch
   checked from its marked focus nodes, their focused forms (``ontology/checks/focused/``).

Lines in RDF files are only looked up for the nodes that have a problem (one pass per file).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import itertools
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import SKOS

from clusterkg.graph.parsing import ParsedBatch, ParsedFile, prefixes_of
from clusterkg.graph.problems import Problem
from clusterkg.graph.reasons import N_, join, reason, worded
from clusterkg.graph.shacl_sparql import FOCUS_CLASS, OLD_GRAPH, ShapeViolation, compile_shapes, sorted_violations
from clusterkg.ontology import check_queries, focused_check_queries
from clusterkg.ontology.namespace import CKG, DATA, ORG, PREFIXES, RDF

__all__ = ["CLASS_NAMES", "INVERSE_REFERENCES", "REFERENCES", "check_staging", "lower_thread_priority"]

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
    CKG.Country: N_("country"),
    CKG.Region: N_("region"),
    CKG.Industry: N_("industry"),
    CKG.Competency: N_("competency"),
    CKG.Cluster: N_("cluster"),
    ORG.FormalOrganization: N_("organisation"),
}


@dataclass(frozen=True)
class Finding:
    """A problem found on a node, before it is located in a file."""

    node: object  # pyoxigraph term the problem is about (located by the file describing it)
    predicate: str  # IRI of the property concerned, "" for none
    message: str  # (a reason, :mod:`clusterkg.graph.reasons`: said in the language of the page or --lang)


def check_staging(store: ox.Store, batch: ParsedBatch, focus: set, focus_graph: str | None = None,
                  size: int | None = None) -> list[Problem]:
    """Every reference, shape and consistency problem of the staged change on ``focus``, located.

    ``focus`` holds the pyoxigraph terms of the focus nodes; ``focus_graph`` names the graph
    where they are also marked (``None``: not marked, whole-graph passes filtered here).
    ``size``: the quads in ``store`` if known (counted otherwise), or for a small batch at least
    as many as the choice between the focus nodes and whole-store passes needs.
    """
    focused = focus_graph is not None and len(focus) * FOCUSED_SHARE <= (len(store) if size is None else size)
    shapes = compile_shapes().passes(store, focus_graph=focus_graph, focused=focused)
    consistency = _consistency_tasks(store, focus, focused)
    references = _reference_tasks(store, batch, focus, focus_graph, focused)
    # every check is a query of its own: run them side by side (pyoxigraph releases the GIL while
    # it evaluates one); in a large store never two large ones at once (memory)
    large = (len(store) if size is None else size) > PARALLEL_CHECKS_MAX_QUADS
    _release_memory()  # (what staging freed: its bulk loads' buffers)
    labels = [*(task.label for task in shapes), *_consistency_names(), *("" for _ in references)]
    done = _run_side_by_side([*shapes, *consistency, *references],
                             [large and label in LARGE_CHECKS for label in labels], release=large)
    violations = sorted_violations(itertools.chain.from_iterable(done[:len(shapes)]))
    findings = [*itertools.chain.from_iterable(done[len(shapes) + len(consistency):]),
                *_shape_findings(violations, focus),
                *itertools.chain.from_iterable(done[len(shapes):len(shapes) + len(consistency)])]
    return Locator(batch, store).locate(findings)


#: Checks at once: two cores on the machines measured.
CHECK_THREADS = 2
#: Above this many quads in the staging store the checks of :data:`LARGE_CHECKS` run one at a
#: time (others beside them): each holds its query's join tables, and two large ones at once
#: passed the memory budget at 10M triples (2.5 GiB peak against 1.5 GiB).
PARALLEL_CHECKS_MAX_QUADS = 4_000_000
#: The checks (shape passes by their ``label``, consistency checks by name) that never run two
#: at once: of the twelve that held 150 MiB or more each at 10M triples, measured one at a time in
#: process (see bench/README.md, ``import.py``), all but three of the smallest (166-197 MiB:
#: ``shortcut-without-affiliation`` and the claims' two maximum counts). The large ones, one
#: after the other, are the checks' longest path; with those three beside them instead it is
#: 2.4 s shorter at 10M, for a peak of 1.18-1.24 GiB against 1.10 GiB. The others hold under
#: 200 MiB each, the import 0.4-0.6 GiB between checks, so the peak stays near the largest
#: check (0.66-0.76 GiB) plus one other, inside 1.5 GiB. Together the large ones are about half
#: the checks' CPU time at 10M (28 of 52 s). (The identity matches' ``sh:xone``, 237 MiB then,
#: is no longer one: its 70 targets are now tested one by one, see ``FEW_TARGETS``.)
LARGE_CHECKS = frozenset({
    "competency-shortcut-mismatch-violation",  # 658 MiB
    "AffiliationShape source sh:minCount +12",  # 444 MiB (the dct:source anti-join)
    "affiliation-shortcut-missing-violation",  # 348 MiB
    "OrganisationShape qualifiedCompetency sh:class",  # 303 MiB
    "AffiliationMembershipShape sh:or",  # 330 MiB as a product of sums (575 MiB as joined columns)
    "CompetencyClaimShape competency sh:minCount +1",  # 236 MiB
    "AffiliationShape startDate sh:or +4",  # 212 MiB
    "member-of-without-membership-violation",  # 180 MiB
})


def _run_side_by_side(tasks: list[Callable[[], list]], large: list[bool], *, release: bool,
                      threads: int = CHECK_THREADS) -> list[list]:
    """Each task's answer, in order, from ``threads`` threads, never two ``large`` tasks at once.

    The first thread runs the large tasks one after the other, then any left; the others run
    the rest beside it (pyoxigraph releases the GIL while it evaluates a query). ``release`` (a
    large store): give freed memory back after each large task (:func:`_release_memory`), and run
    the other threads at a lower CPU priority (:data:`BESIDE_NICENESS`). The large tasks are the
    checks' longest path (at 10M triples 28 s of CPU, the rest 23 s): at the same priority
    beside the small ones they got 0.8 of a core, and the small ones ended seconds before them,
    leaving a core idle.
    """
    results: list = [None] * len(tasks)
    pending = list(range(len(tasks)))
    lock = threading.Lock()

    def take(first_lane: bool) -> int | None:
        with lock:
            if first_lane:  # (the only lane that runs large tasks: never two at once)
                return pending.pop(next((n for n, i in enumerate(pending) if large[i]), 0)) if pending else None
            index = next((i for i in pending if not large[i]), None)
            if index is not None:
                pending.remove(index)
            return index

    def work(first_lane: bool) -> None:
        if release and not first_lane:
            lower_thread_priority()
        while (index := take(first_lane)) is not None:
            try:
                results[index] = tasks[index]()
                if release and large[index]:
                    _release_memory()
            except BaseException:
                with lock:
                    pending.clear()  # (the other threads stop after their task)
                raise

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(work, lane == 0) for lane in range(threads)]:
            future.result()
    return results


#: How much lower the threads beside the large checks run (``nice``; Linux only, per thread)
BESIDE_NICENESS = 10


def lower_thread_priority() -> None:
    """Lower the calling thread's CPU priority by :data:`BESIDE_NICENESS` (a pool thread, gone
    after its work), for work beside the checks' longest path. Only on Linux, where a thread id
    names the thread alone."""
    if sys.platform.startswith("linux"):
        try:
            thread = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + BESIDE_NICENESS)
        except OSError:
            pass  # (not allowed here: the checks run all the same)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    library = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(library), "malloc_trim", None) if library else None


def _release_memory() -> None:
    """Give the heap the last query freed back to the system (glibc's ``malloc_trim``; elsewhere
    nothing).

    Each pass's join tables are freed when it ends, but glibc keeps most of the pages: at 10M
    triples the process stayed at 1.0-1.3 GiB between passes, and at 0.4-0.6 GiB with this
    after each pass (the peak is then the largest pass's own tables over that). About 1 ms a
    call at 1M triples, so only for the large stores, whose large checks run one at a time; and
    only after those (each trim walks the whole heap: after all 230 checks at 10M it cost 3 s of
    CPU, after the large ones 1 s, for a peak within 0.1 GiB of it).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


#: A batch with at most one focus node per this many quads of the staging store runs the shapes
#: from its focus nodes (each constraint on its own, starting from the marks) rather than in
#: the grouped passes over the store (see ``CompiledShapes.violations``). Measured in the default
#: store (262,000 quads): from the marks ~0.1 s plus ~6 ms a focus node (2 nodes 0.1 s, 321
#: nodes 2.1 s, 627 nodes 4.6 s); the grouped passes 1.6-2.1 s whatever the batch.
FOCUSED_SHARE = 1000


# --------------------------------------------------------------------------- references


def _reference_tasks(store: ox.Store, batch: ParsedBatch, focus: set, focus_graph: str | None,
                     focused: bool = False) -> list[Callable[[], list[Finding]]]:
    """One query per referencing predicate (and one for ``skos:broader``), each a task.

    ``focused`` (a batch small beside the store): each query starts from the marked nodes and
    tests each of their references by a lookup; otherwise one anti-join over every triple of the
    predicate, then the focus restriction (at 10M triples the anti-joins of 17 predicates took
    3.5 s for an editor's save of 41 triples)."""
    sheet_subjects = set().union(*(f.subjects | f.partial_subjects for f in batch.files if f.is_sheet)) if batch.files else set()
    tasks = []
    checks = [(p, classes, False) for p, classes in REFERENCES.items()]
    checks += [(p, classes, True) for p, classes in INVERSE_REFERENCES.items()]
    restrict = f"GRAPH <{focus_graph}> {{ ?s a <{FOCUS_CLASS}> }}" if focus_graph is not None else ""
    for predicate, classes, inverse in checks:
        allowed = [f"<{c}>" for c in classes]
        holder = "?s" if inverse else "?o"  # inverse: the focus node holds a qualified node
        if focused:  # a lookup per reference of a marked node
            query = (f"SELECT ?s ?o WHERE {{ {restrict} ?s <{predicate}> ?o "
                     f"FILTER NOT EXISTS {{ {holder} a ?c FILTER(?c IN ({', '.join(allowed)})) }} }}")
        else:  # MINUS is one anti-join in pyoxigraph (FILTER NOT EXISTS runs once per row, ~50x
            # slower over every triple); the anti-join first, then the focus restriction (3x faster)
            query = (f"SELECT ?s ?o WHERE {{ {{ SELECT ?s ?o WHERE {{ ?s <{predicate}> ?o "
                     f"MINUS {{ {holder} a ?c VALUES ?c {{ {' '.join(allowed)} }} }} }} }} {restrict} }}")
        tasks.append(functools.partial(_reference_query, store, query, predicate, classes, inverse, sheet_subjects, focus))
    if focused:
        query = (f"SELECT ?s ?o WHERE {{ {restrict} ?s a <{CKG.Competency}> ; <{SKOS.broader}> ?o "
                 f"FILTER NOT EXISTS {{ ?o a <{CKG.Competency}> }} }}")
    else:
        query = (f"SELECT ?s ?o WHERE {{ {{ SELECT ?s ?o WHERE {{ ?s a <{CKG.Competency}> ; <{SKOS.broader}> ?o "
                 f"MINUS {{ ?o a <{CKG.Competency}> }} }} }} {restrict} }}")
    tasks.append(functools.partial(_reference_query, store, query, str(SKOS.broader), (CKG.Competency,), False, set(), focus))
    return tasks


def _reference_query(store: ox.Store, query: str, predicate, classes, inverse: bool, sheet_subjects: set,
                     focus: set) -> list[Finding]:
    return _reference_rows(store, store.query(query), predicate, classes, inverse, sheet_subjects, focus)


def _reference_rows(store: ox.Store, rows, predicate, classes, inverse: bool, sheet_subjects: set,
                    focus: set) -> list[Finding]:
    words = [reason(CLASS_NAMES[c]) if c in CLASS_NAMES else str(c) for c in classes]
    expected = words[0] if len(words) == 1 else reason(N_("%(items)s or %(last)s"), items=words[:-1], last=words[-1])
    types: dict[tuple, set[str]] = {}
    kind = ox.NamedNode(str(RDF.type))
    for row in rows:
        subject, obj = row["s"], row["o"]
        if subject not in focus:
            continue
        if not inverse and URIRef(predicate) in DERIVED and subject in sheet_subjects:
            continue  # a CSV row's own column already carries (and reports) the reference
        target = subject if inverse else obj
        types[(subject, obj)] = {q.object.value for q in store.quads_for_pattern(target, kind, None, ox.DefaultGraph())} \
            if not isinstance(target, ox.Literal) else set()
    findings = []
    for (subject, obj), kinds in types.items():
        node, target = (obj, subject) if inverse else (subject, obj)  # locate at the holder's row
        if not isinstance(target, ox.NamedNode):
            message = reason(N_("expected a %(expected)s IRI, got %(value)s"), expected=expected, value=str(target))
        elif kinds:
            message = reason(N_("%(node)s is not a %(expected)s (it is a %(kinds)s)"), node=_short(target.value),
                             expected=expected, kinds=sorted(map(_short, kinds)))
        else:
            message = reason(N_("unknown %(expected)s %(node)s: not in this import nor in the store"),
                             expected=expected, node=_short(target.value))
        findings.append(Finding(node, str(predicate), message))
    return findings


# --------------------------------------------------------------------------- shapes


def _shape_findings(violations: list[ShapeViolation], focus: set) -> list[Finding]:
    findings = []
    translations = compile_shapes().translations  # the shapes' messages in other languages (their @ru twins)
    for violation in violations:
        node = ox.BlankNode(violation.focus) if violation.focus_is_blank else ox.NamedNode(violation.focus)
        if node not in focus:
            continue
        path = (violation.path or "").lstrip("^")
        message = worded(violation.message, translations.get(violation.message, {}))
        which = reason(N_("a blank node")) if violation.focus_is_blank else _short(violation.focus)
        findings.append(Finding(node, path, reason(N_("%(message)s (%(node)s)"), message=message, node=which)))
    return findings


# --------------------------------------------------------------------------- consistency checks


#: Checks an import leaves out: the reference checks above say the same, with the column.
_COVERED = {"dangling-reference-violation"}


def _consistency_tasks(store: ox.Store, focus: set, focused: bool = False) -> list[Callable[[], list[Finding]]]:
    """Each check a task giving its rows that involve a focus node in one of the check's focus
    variables (the store's earlier state is not the batch's fault). ``focused``: the checks'
    focused forms, which start from the marked focus nodes (``ontology/checks/focused``);
    otherwise the whole-store checks, their rows then kept for the focus nodes."""
    queries, forms = check_queries(), _focused_forms()
    return [functools.partial(_consistency_findings, store, name, forms[name][0] if focused else queries[name],
                              queries[name], forms[name][1], focus)
            for name in _consistency_names()]


_FOCUS_VARIABLE = re.compile(r"GRAPH <validation-focus> \{ \?(\w+) a <validation-focus#Candidate> \}")


@functools.cache
def _focused_forms() -> dict[str, tuple[str, frozenset[str]]]:
    """Each check's focused form and its focus variables (those it binds to marked nodes)."""
    return {name: (sparql, frozenset(_FOCUS_VARIABLE.findall(sparql))) for name, sparql in focused_check_queries().items()}


def _consistency_names() -> list[str]:
    """The names of :func:`_consistency_tasks`' checks, in their order."""
    return [name for name in check_queries() if name not in _COVERED]


def _consistency_findings(store: ox.Store, name: str, sparql: str, words: str, focus_variables: frozenset[str],
                          focus: set) -> list[Finding]:
    """The rows of ``sparql`` with a focus node in one of ``focus_variables``, worded as the
    check ``words`` (its comments) says."""
    findings = []
    explanation = _first_comment(words)
    said = _check_twins(words)
    solutions = store.query(sparql)
    variables = [v.value for v in solutions.variables]
    rows = dict.fromkeys(row for row in map(tuple, solutions)  # (in order, once each)
                         if any(value in focus for variable, value in zip(variables, row) if variable in focus_variables))
    for row in rows:
        values = dict(zip(variables, row))
        node = next((v for v in row if isinstance(v, ox.NamedNode)), None)
        problem = values.pop("problem", None)
        message = (worded(problem.value, said.get(f'"{problem.value}"', {})) if problem is not None
                   else worded(explanation.removeprefix("Finds "), said.get("", {})))
        detail = join([reason(N_("%(variable)s %(node)s"), variable=worded(var, said.get(f"?{var}", {})), node=_short(v.value))
                       for var, v in values.items() if isinstance(v, ox.NamedNode)], ", ")
        findings.append(Finding(node, "", reason(N_("%(message)s: %(detail)s (check %(check)s)"),
                                                 message=message, detail=detail, check=name)))
    return findings


_TWIN = re.compile(r'^#\s*@(?P<language>[a-z]{2,3})(?:\s+(?P<what>"[^"]*"|\?\w+))?\s*:\s*(?P<text>.+?)\s*$', re.M)


def _check_twins(sparql: str) -> dict[str, dict[str, str]]:
    """A check's words in other languages, from its ``# @ru <what>: <text>`` comments: ``""`` its
    explanation, ``"?var"`` a variable's name, ``'"literal"'`` a ``?problem`` it binds."""
    twins: dict[str, dict[str, str]] = {}
    for match in _TWIN.finditer(sparql):
        twins.setdefault(match["what"] or "", {})[match["language"]] = match["text"]
    return twins


def _first_comment(sparql: str) -> str:
    """The check's own explanation: its leading comment lines, joined."""
    lines = []
    for line in sparql.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").strip())
    return " ".join(lines).split(". ")[0].rstrip(".") or "consistency check failed"


# --------------------------------------------------------------------------- locating


#: How many triples next to a node the batch does not describe are looked at for a batch
#: subject to locate its finding at (a cluster may have thousands of members)
_NEIGHBOURS_LOOKED_AT = 10_000


class Locator:
    """Points a finding at the file, row or line, and field that describe its node."""

    def __init__(self, batch: ParsedBatch, store: ox.Store) -> None:
        self.batch = batch
        self.store = store

    def _file_of(self, node) -> ParsedFile | None:
        for parsed in self.batch.files:
            if node in parsed.subjects or node in parsed.partial_subjects:
                return parsed
        return None

    def _describer(self, node):
        """A blank node is located at the node that points at it (a qualified relation's holder)."""
        for _ in range(3):
            if not isinstance(node, ox.BlankNode) or self._file_of(node) is not None and self._file_of(node).is_sheet:
                return node
            parents = list(self.store.quads_for_pattern(None, None, node, ox.DefaultGraph()))
            if not parents:
                return node
            node = parents[0].subject
        return node

    def _neighbour_in_batch(self, node):
        """For a node the batch does not describe (a claim it gives a second holder or replaces
        its holder's link away, a node pointing at one it retypes): a batch subject next to it,
        to locate the finding at."""
        default, replaced = ox.DefaultGraph(), ox.NamedNode(OLD_GRAPH)
        for quads, side in ((self.store.quads_for_pattern(None, None, node, default), "subject"),
                            (self.store.quads_for_pattern(None, None, node, replaced), "subject"),
                            (self.store.quads_for_pattern(node, None, None, default), "object")):
            for quad in itertools.islice(quads, _NEIGHBOURS_LOOKED_AT):
                other = getattr(quad, side)
                if self._file_of(other) is not None:
                    return other
        return node

    def locate(self, findings: Iterable[Finding]) -> list[Problem]:
        placed = []
        wanted: dict[int, set[str]] = {}
        for finding in findings:
            node = self._describer(finding.node) if finding.node is not None else None
            parsed = self._file_of(node) if node is not None else None
            if parsed is None and node is not None:
                node = self._neighbour_in_batch(node)
                parsed = self._file_of(node)
            placed.append((finding, node, parsed))
            if parsed is not None and not parsed.is_sheet and isinstance(node, ox.NamedNode):
                wanted.setdefault(id(parsed), set()).add(node.value)
        lines = {id(p): _find_lines(p.path, wanted[id(p)]) for p in self.batch.files if id(p) in wanted}
        problems = []
        for finding, node, parsed in placed:
            if parsed is None:
                problems.append(Problem("", "", _curie(finding.predicate), finding.message))
            elif parsed.is_sheet:
                key = node.value if node is not None else ""
                problems.append(Problem(parsed.name, parsed.origins.get(key, ""),
                                        parsed.columns.get(finding.predicate, _curie(finding.predicate)), finding.message))
            else:
                line = lines.get(id(parsed), {}).get(node.value) if isinstance(node, ox.NamedNode) else None
                problems.append(Problem(parsed.name, f"line {line}" if line else "", _curie(finding.predicate), finding.message))
        return problems


def _find_lines(path, iris: set[str]) -> dict[str, int]:
    """The first line of an RDF file where each IRI is written (full, quoted or prefixed)."""
    forms: dict[str, str] = {}
    for iri in iris:
        forms[f"<{iri}>"] = iri
        forms[f'"{iri}"'] = iri
        forms[f"'{iri}'"] = iri
    for prefix, namespace in prefixes_of(path).items():
        for iri in iris:
            if iri.startswith(namespace) and namespace:
                forms[f"{prefix}:{iri[len(namespace):]}"] = iri
    # IRIs in <...> (Turtle, N-Triples), in quotes (RDF/XML attributes, JSON-LD), or prefixed
    local = r"[^\s;,.\[\]()\"'<>=]"
    token = re.compile(rf'<[^>\s]*>|"[^"\s]*"|\'[^\'\s]*\'|[A-Za-z][\w.-]*:{local}*(?:\.{local}+)*|:{local}*')
    found: dict[str, int] = {}
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            for match in token.finditer(line):
                iri = forms.get(match.group())
                if iri is not None and iri not in found:
                    found[iri] = number
            if len(found) == len(iris):
                break
    return found


_PREFIXES = [(f"{name}:", namespace) for name, namespace in PREFIXES.items() if name != "id"]


def _curie(iri: str) -> str:
    """A property IRI as the user writes it: ``ckg:country``."""
    for prefix, namespace in _PREFIXES:
        if iri.startswith(namespace):
            return prefix + iri[len(namespace):]
    return f"<{iri}>" if iri else ""


def _short(node) -> str:
    text = str(node)
    for prefix, short in ((str(DATA), ""), (str(CKG), "ckg:"), (str(ORG), "org:")):
        if text.startswith(prefix):
            return short + text[len(prefix):]
    return f"<{text}>"
