"""The SHACL shapes compiled to SPARQL: validation at store speed, with pyshacl as the reference.

pyshacl walks an rdflib graph node by node (a 1M-triple batch did not finish in 26 minutes).
Here every constraint of ``ontology/shapes.ttl`` becomes one SPARQL SELECT that pyoxigraph runs
over the whole store at once (:attr:`CompiledShapes.queries`: a row is one violation), and
:meth:`CompiledShapes.violations` runs the same tests grouped into few passes over the store.

The data to validate is a pyoxigraph store's **default graph**. Which nodes are checked:

- ``focus_graph=None``: every target node of every shape, as pyshacl does;
- otherwise only target nodes marked in that named graph with ``<node> rdf:type <FOCUS_CLASS>``
  (an import marks the nodes its batch describes; the rest of the store is context).

The semantics are pyshacl's with ``inference="none"`` (a test runs both on every example and
fixture and compares verdicts and messages), including its quirks:

- ``sh:targetClass`` and ``sh:class`` follow ``rdfs:subClassOf`` triples of the *data* graph;
- ``sh:datatype`` also rejects ill-typed literals the way rdflib parses them: ``xsd:integer``
  as Python's ``int()`` (surrounding spaces and ``1_000`` are accepted), ``xsd:boolean`` as
  ``true``/``false``/``1``/``0``, ``xsd:date`` as ``YYYY-MM-DD`` (a real day) with an optional
  time or zone suffix; rdflib has no parser for ``xsd:gYear``, so pyshacl accepts any lexical
  form there, and so does this module (``"abc"^^xsd:gYear`` passes both);
- ``sh:minInclusive``/``sh:maxInclusive`` reject values that cannot be compared;
- ``sh:languageIn`` matches a whole tag or its first subtag, case-insensitively;
- counts are of distinct terms. pyoxigraph keeps valid literals in canonical form
  (``"01"^^xsd:integer`` is stored as ``"1"``), so the lexical forms reported are canonical.

Cost: the grouped passes scan the default graph (a predicate's triples, a shape's targets), so
validation time follows the size of the default graph, not the number of focus candidates: load
the batch and the context it needs (the types of what it references) into a staging store
rather than validating a few focus nodes inside a large store. The focus graph's test runs once
per row of a pass, which costs more than the pass itself when most nodes are candidates: with
``focus_graph=None`` and a filter on the results the same check is cheaper then (what the
importer does for a batch at least as large as its store). For a few marked nodes in a large
store, ``violations(..., focused=True)`` runs each constraint's own query starting from the
marks instead, so the cost follows the number of focus nodes. Within a pass, tests that many rows
need (is the focus a target of the shape, is a value an instance of a ``sh:class``) are OPTIONAL
joins with the set computed once, not an EXISTS per row; a pass over a predicate first asks
whether any row breaks a condition at all, and most stop there. A pass over the targets of
shapes that have few targets (:data:`FEW_TARGETS`) runs each constraint's own query instead,
an EXISTS per target, so its cost follows its targets rather than the predicates it tests.

Every construct is listed in ``_COMPONENTS``/``_ALLOWED``; a shapes graph using anything else
(``sh:sparql``, ``sh:closed``, a sequence path, ``sh:severity``, ...) is refused by
:func:`compile_shapes` with :class:`UnsupportedShape` naming it, so no rule is silently unchecked.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
import pyoxigraph
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from clusterkg.graph.boolean_form import Match, product_of_sums
from clusterkg.graph.errors import ClusterKGError
from clusterkg.graph.iris import iri_error

__all__ = [
    "FOCUS_GRAPH",
    "FOCUS_CLASS",
    "OLD_GRAPH",
    "ShapeViolation",
    "sorted_violations",
    "ConstraintQuery",
    "Reach",
    "CompiledShapes",
    "UnsupportedShape",
    "compile_shapes",
]

FOCUS_GRAPH = "https://w3id.org/clusterkg/graph/validation-focus"
FOCUS_CLASS = "https://w3id.org/clusterkg/graph/validation-focus#Candidate"
#: Staging only: the earlier descriptions a replacement removes (to count what goes, and to tell
#: which nodes a replacement reaches by the triples it took away)
OLD_GRAPH = "https://w3id.org/clusterkg/graph/staging-replaced"

#: The line of every compiled query that :meth:`ConstraintQuery.sparql` replaces by the focus
#: restriction (it is a comment, so the template itself checks every target node).
FOCUS_MARKER = "#FOCUS"

_MAX_PAIRWISE = 3  # counts up to this are compiled as distinct-value patterns (no GROUP BY)

#: A pass over the targets of shapes whose targets are fewer than this runs its constraints'
#: own queries, which test each target node (an EXISTS each) instead of joining the targets with
#: every triple of the predicates tested: at 10M triples the 70 identity matches' ``sh:xone``
#: scanned the 568,000 ``ckg:organisation`` and ``ckg:cluster`` triples of every affiliation
#: (1.3-1.6 s); a target costs ~10-20 µs tested, so 1,000 of them ~20 ms.
FEW_TARGETS = 1000


class UnsupportedShape(ClusterKGError):
    """The shapes graph uses a SHACL construct this compiler does not translate."""


@dataclass(frozen=True)
class ShapeViolation:
    """One validation result, as pyshacl would report it."""

    focus: str  # IRI, or blank node id, as pyoxigraph's term .value
    focus_is_blank: bool
    path: str | None  # predicate IRI; "^" + IRI for sh:inversePath; None for node-level
    value: str | None  # the offending value's lexical form / IRI, where SHACL reports one
    message: str  # the shape's sh:message (pyshacl's sh:resultMessage)
    shape: str  # IRI of the node shape (a blank-node property shape reports its node shape)


@dataclass(frozen=True)
class ConstraintQuery:
    """One constraint of one shape, compiled: ``sparql()`` returns ``?focus`` (and ``?value``).

    ``template`` holds the line ``#FOCUS`` where the focus restriction goes.
    """

    shape: str
    path: str | None
    component: str  # the constraint parameter, e.g. "sh:minCount"
    message: str
    template: str
    reports_value: bool

    def sparql(self, focus_graph: str | None = FOCUS_GRAPH) -> str:
        """The query; with ``focus_graph``, only targets marked there as focus candidates."""
        return _with_focus(self.template, focus_graph)


def _with_focus(template: str, focus_graph: str | None, first: bool = False) -> str:
    """The template with its ``#FOCUS`` line made the focus restriction (or left a comment).

    ``first``: the restriction is instead a join with the marks, put at the top of the query's
    WHERE, so evaluation starts from the (few) marked nodes (see :meth:`CompiledShapes.violations`).
    """
    if focus_graph is None:
        return template
    marks = f"GRAPH {_iri(focus_graph)} {{ ?focus a {_iri(FOCUS_CLASS)} }}"
    if first:
        template = re.sub(rf"(?m)^\s*{FOCUS_MARKER}\n", "", template)
        return template.replace("WHERE {\n", f"WHERE {{\n  {marks}\n", 1)
    return re.sub(rf"(?m)^(\s*){FOCUS_MARKER}$", lambda m: m.group(1) + f"FILTER EXISTS {{ {marks} }}", template)


@dataclass(frozen=True)
class _Planned:
    """A query of the execution plan and how to read its rows: for each constraint it checks,
    the column that flags a violation and the column that says the focus is one of its targets,
    or (column, value) where one column tags the target set (None: every row is a violation of
    that constraint / the query already keeps targets only)."""

    template: str
    reads: tuple[tuple[str | None, str | tuple[str, str] | None, ConstraintQuery], ...]
    value_column: bool = True  # False: a value reported is the focus node itself
    probe: str | None = None  # an ASK true when the query may have rows (run first: cheap)
    focus_first: bool = False  # start from the focus marks (see CompiledShapes.violations)
    #: instead of ``probe``: (a query shared with other passes, this pass's tag among its
    #: ``?k`` answers); the pass may have rows only when its tag is among them
    shared_probe: tuple[str, str] | None = None
    #: a pass over the targets of shapes: the pattern binding ``?focus`` to them, and the
    #: constraints' own queries, which run instead when the targets are few (see :data:`FEW_TARGETS`)
    targets: str | None = None
    one_by_one: tuple[_Planned, ...] = ()

    @classmethod
    def alone(cls, query: ConstraintQuery, *, focus_first: bool = False) -> _Planned:
        """One constraint's own query as a pass: every row a violation."""
        return cls(query.template, ((None, None, query),), focus_first=focus_first)

    def sparql(self, focus_graph: str | None) -> str:
        return _with_focus(self.template, focus_graph, self.focus_first)

    @property
    def label(self) -> str:
        """A short name for the pass: its first constraint's shape, path and component (and how
        many more constraints it checks), e.g. to tell the importer's large passes apart."""
        first = self.reads[0][2]
        more = f" +{len(self.reads) - 1}" if len(self.reads) > 1 else ""
        return f"{_local(first.shape)} {_local(first.path or '')} {first.component}{more}".replace("  ", " ")


class CompiledShapes:
    """The compiled queries of a shapes graph; :meth:`violations` runs them on a store.

    :attr:`queries` has one SELECT per constraint, to read and to run one by one. For speed,
    :meth:`violations` runs the same tests grouped: the focus-node tests of one node shape in one
    pass over its targets, the per-value tests on one predicate in one pass over its triples (a
    test asserts both give the same answer).
    """

    def __init__(self, checks: list[_Check], translations: dict[str, dict[str, str]] | None = None) -> None:
        self.reach = _reach(checks)
        #: a shape's English ``sh:message`` -> {language: the same message tagged in that language}
        self.translations = translations or {}
        self._queries = [_constraint_query(check) for check in checks]
        self._plan = _plan(checks, self._queries)
        self._focused_plan = [_Planned.alone(q, focus_first=True) for q in self._queries]

    @property
    def queries(self) -> list[ConstraintQuery]:
        """One SELECT per constraint of a shape with targets (see :class:`ConstraintQuery`)."""
        return list(self._queries)

    def violations(
        self, store: pyoxigraph.Store, *, focus_graph: str | None = FOCUS_GRAPH, threads: int = 2,
        focused: bool = False, few: int = FEW_TARGETS,
    ) -> list[ShapeViolation]:
        """Every violation in the store's default graph, sorted; empty when it conforms.

        Queries run in a pool of ``threads`` (pyoxigraph releases the GIL while evaluating).
        ``focused`` (with a ``focus_graph``): the same answer by another plan, for a few marked
        nodes in a large store: each constraint's query on its own, starting from the marks, so
        its cost follows the number of focus nodes rather than the size of the store (an
        editor's one-row save in the default store: 0.1 s against 1-2 s for the grouped passes,
        which scan a predicate's or a class's every triple).
        """
        with ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
            found = list(pool.map(lambda run: run(), self.passes(store, focus_graph=focus_graph, focused=focused,
                                                                 few=few)))
        return sorted_violations(itertools.chain.from_iterable(found))

    def passes(
        self, store: pyoxigraph.Store, *, focus_graph: str | None = FOCUS_GRAPH, focused: bool = False,
        few: int = FEW_TARGETS,
    ) -> list[Callable[[], list[ShapeViolation]]]:
        """The work of :meth:`violations` as independent passes, to run in any order or at once
        (the importer runs them beside its other checks); each returns violations, which
        :func:`sorted_violations` makes into the answer. ``few``: see :data:`FEW_TARGETS` (0:
        every pass as grouped, whatever its targets)."""
        if focused and focus_graph is None:
            raise ValueError("a focused validation needs the focus graph that marks its nodes")
        plan = self._focused_plan if focused else self._plan
        shared = _SharedProbes(store)
        return [_Pass(functools.partial(_run_pass, store, planned, focus_graph, shared, few), planned.label)
                for planned in plan]

    def violations_one_by_one(
        self, store: pyoxigraph.Store, *, focus_graph: str | None = FOCUS_GRAPH, threads: int = 2
    ) -> list[ShapeViolation]:
        """The same answer as :meth:`violations`, running each of :attr:`queries` on its own."""
        plan = [_Planned.alone(q) for q in self._queries]
        with ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
            found = list(pool.map(lambda planned: _run_pass(store, planned, focus_graph), plan))
        return sorted_violations(itertools.chain.from_iterable(found))


@dataclass(frozen=True)
class _Pass:
    """One pass of :meth:`CompiledShapes.passes`: call it for its violations; ``label`` names it."""

    run: Callable[[], list[ShapeViolation]]
    label: str

    def __call__(self) -> list[ShapeViolation]:
        return self.run()


def _local(iri: str) -> str:
    """The last segment of an IRI (after ``#`` or ``/``), for labels."""
    return re.split(r"[#/]", iri.lstrip("^"))[-1] if iri else ""


def sorted_violations(violations: Iterable[ShapeViolation]) -> list[ShapeViolation]:
    """Violations without repeats, in the order :meth:`CompiledShapes.violations` gives them."""
    return sorted(set(violations), key=lambda v: (v.shape, v.path or "", v.message, v.focus, v.value or ""))


class _SharedProbes:
    """The answers of the probes several passes share, each asked once (whichever pass needs it
    first asks; a pass on another thread that needs the same one waits for it)."""

    def __init__(self, store: pyoxigraph.Store) -> None:
        self.store = store
        self.lock = threading.Lock()  # (guards the tables; each query is asked under a lock of its own)
        self.guards: dict[str, threading.Lock] = {}
        self.answers: dict[str, set[str]] = {}

    def tags(self, query: str) -> set[str]:
        with self.lock:
            guard = self.guards.setdefault(query, threading.Lock())
        with guard:  # (a pass needing another query does not wait for this one)
            if query not in self.answers:
                self.answers[query] = {row[0].value for row in self.store.query(query)}
            return self.answers[query]


def _run_pass(store: pyoxigraph.Store, planned: _Planned, focus_graph: str | None,
              shared: _SharedProbes | None = None, few: int = 0) -> list[ShapeViolation]:
    # (the targets in the store, marked or not: each query tests its targets' marks on its own)
    if planned.one_by_one and few and _fewer_targets(store, planned.targets, few):
        return [violation for alone in planned.one_by_one for violation in _run_pass(store, alone, focus_graph)]
    found = []
    if planned.shared_probe is not None:
        query, tag = planned.shared_probe
        if tag not in (shared or _SharedProbes(store)).tags(query):
            return found
    elif planned.probe is not None and not store.query(_with_focus(planned.probe, focus_graph)):
        return found
    for row in store.query(planned.sparql(focus_graph)):
        focus = row["focus"]
        for flag, target, query in planned.reads:
            if (flag is not None and not _true(row[flag])) or (target is not None and not _is_target(row, target)):
                continue
            value = None if not query.reports_value else row["value"] if planned.value_column else focus
            found.append(
                ShapeViolation(
                    focus=focus.value,
                    focus_is_blank=isinstance(focus, pyoxigraph.BlankNode),
                    path=query.path,
                    value=None if value is None else value.value,
                    message=query.message,
                    shape=query.shape,
                )
            )
    return found


def _fewer_targets(store: pyoxigraph.Store, targets: str, few: int) -> bool:
    """Whether fewer than ``few`` nodes match ``targets``: read no further than that."""
    return sum(1 for _ in store.query(f"PREFIX xsd: <{XSD}>\nSELECT ?focus WHERE {{ {targets} }} LIMIT {few}")) < few


@dataclass(frozen=True)
class Reach:
    """Which nodes' verdicts a triple ``s p o`` can change beyond its subject's (see the importer).

    - ``inverse``: ``p`` is an inverse path or a ``sh:targetObjectsOf``: ``o``'s verdict too;
    - ``type_readers``: a shape tests the types of ``p``'s values (``sh:class``): a change of
      ``o``'s types changes ``s``'s verdict;
    - ``description_readers``: a nested shape reads ``p``'s values' own triples: any change of
      ``o``'s description changes ``s``'s verdict.
    """

    inverse: frozenset[str]
    type_readers: frozenset[str]
    description_readers: frozenset[str]


def _reach(checks: list[_Check]) -> Reach:
    inverse, types, descriptions = set(), set(), set()
    for check in checks:
        inverse.update(re.findall(r"\[\] <([^<>]+)> \?focus", check.targets))
        if check.path is None:
            continue
        if check.path.startswith("^"):
            inverse.add(check.path[1:])
        elif check.reads == "types":
            types.add(check.path)
        elif check.reads == "description":
            descriptions.add(check.path)
    return Reach(frozenset(inverse), frozenset(types), frozenset(descriptions))


def _true(term) -> bool:
    return term is not None and term.value == "true"


def _is_target(row, target: str | tuple[str, str]) -> bool:
    """Whether the row's focus is a target: a column true, or (column, value) the tag it holds."""
    if isinstance(target, str):
        return _true(row[target])
    term = row[target[0]]
    return term is not None and term.value == target[1]


def compile_shapes(shapes: rdflib.Graph | None = None) -> CompiledShapes:
    """Compile a shapes graph; ``None`` is the project's ``ontology/shapes.ttl`` (cached)."""
    if shapes is None:
        return _project_shapes()
    compiler = _Compiler(shapes)
    return CompiledShapes(compiler.compile(), compiler.translations)


def _constraint_query(check: _Check) -> ConstraintQuery:
    violation = check.violation
    value = violation.value
    select = "?focus ?value" if value else "?focus"
    bind = f"\n  BIND({value} AS ?value)" if value and value != "?focus" else ""
    if violation.test is not None:
        # a test of the focus node: start from the targets
        body = f"{check.targets}\n  {FOCUS_MARKER}\n  {violation.pattern}"
        bind = "\n  BIND(?focus AS ?value)" if value else ""
    else:
        # the violation binds ?focus from its own triples (a value, or a pair of values): scan
        # those, then keep the target nodes among the (few) rows that break the constraint
        body = f"{violation.pattern}\n  {FOCUS_MARKER}\n  FILTER EXISTS {{ {check.targets} }}"
    template = (
        f"# {_name(URIRef(check.shape))} {check.path or ''} {check.component}\n"
        f"PREFIX xsd: <{XSD}>\n"
        f"SELECT DISTINCT {select} WHERE {{\n  {body}{bind}\n}}"
    )
    return ConstraintQuery(check.shape, check.path, check.component, check.message, template, bool(value))


def _plan(checks: list[_Check], queries: list[ConstraintQuery]) -> list[_Planned]:
    """Group the constraints into few passes over the store (see :class:`CompiledShapes`)."""
    by_targets: dict[str, list[tuple[_Check, ConstraintQuery]]] = {}
    by_step: dict[str, list[tuple[_Check, ConstraintQuery]]] = {}
    by_pattern: dict[str, list[tuple[_Check, ConstraintQuery]]] = {}
    plan = []
    for check, query in zip(checks, queries):
        violation = check.violation
        if violation.test is not None:
            by_targets.setdefault(check.targets, []).append((check, query))
        elif violation.step is not None:
            by_step.setdefault(_rename(violation.step, violation.value, "?value"), []).append((check, query))
        elif violation.value is None:
            by_pattern.setdefault(_canonical(violation.pattern), []).append((check, query))
        else:
            plan.append(_Planned.alone(query))
    prefix = f"PREFIX xsd: <{XSD}>\n"
    joined: dict[str, list[tuple[str, ConstraintQuery]]] = {}
    for targets, group in by_targets.items():
        group = _joinable(targets, group, joined)
        if not group:
            continue
        tests = _columns([_canonical(c.violation.test) for c, _ in group], "c")
        atoms: dict[str, str] = {}
        lifted_tests = {name: _lift_exists(_class_by_path(test), atoms) for test, name in tests.items()}
        # DISTINCT only where several target declarations would repeat a node (an organisation is
        # org:FormalOrganization and ckg:SME); a rare repeat otherwise costs less than DISTINCT
        distinct = "DISTINCT " if " UNION " in targets else ""
        target_set = f"{{ SELECT {distinct}?focus WHERE {{\n    {targets}\n    {FOCUS_MARKER}\n  }} }}"
        [(column, lifted_test), *others] = lifted_tests.items()
        clauses = product_of_sums(lifted_test) if atoms and not others else None
        if clauses is not None:
            template = _product_of_sums_pass(prefix, target_set, clauses, atoms, column)
        else:
            binds = "\n  ".join(f"BIND(COALESCE({test}, false) AS ?{name})" for name, test in lifted_tests.items())
            lifted = "".join(f"\n  OPTIONAL {{ SELECT DISTINCT ?focus (true AS ?{name}) WHERE {{ {_enumerated_first(pattern)} }} }}"
                             for pattern, name in atoms.items())
            template = (
                f"{prefix}SELECT ?focus {_vars(tests)} WHERE {{\n"
                f"  {target_set}{lifted}\n"
                f"  {binds}\n  FILTER({_vars(tests, ' || ')})\n}}"
            )
        reads = tuple((tests[_canonical(c.violation.test)], None, q) for c, q in group)
        plan.append(_Planned(template, reads, value_column=False, targets=targets,
                             one_by_one=tuple(_Planned.alone(q) for _, q in group)))
    plan += [_joined_pass(test, group) for test, group in joined.items()]
    for step, group in by_step.items():
        # one pass over the predicate's triples; each distinct condition once, on each distinct
        # value (an expression reads the terms themselves, 1-6x the cost of the scan when run
        # per triple: dct:source's 179,327 IRIs, 0.24 s, against 0.06 s on its distinct values);
        # the (few) values that fail joined back to their triples; the target tests only there
        conditions = [_canonical(_rename(c.violation.condition, c.violation.value, "?value")) for c, _ in group]
        flags = _columns(conditions, "c")
        targets = _columns([c.targets for c, _ in group], "t")
        binds = "\n    ".join(_flag(cond, name) for cond, name in flags.items())
        # (a sh:class test alone reads no term: a join, cheaper on the triples than on a grouping;
        # names, the values a sh:minLength tests, are hardly ever repeated, so a grouping is a
        # hash of every value for nothing: rdfs:label's 257,000 at 10M triples, 1.9 s against 1.0 s)
        values = step if all(_CLASS_CONDITION.fullmatch(c) for c in flags) \
            or any(q.component == "sh:minLength" for _, q in group) \
            else f"{{ SELECT ?value WHERE {{ {step} }} GROUP BY ?value }}"
        failing = (f"{{ SELECT ?value {_vars(flags)} WHERE {{\n    {values}\n"
                   f"    {binds}\n    FILTER({_vars(flags, ' || ')})\n  }} }}")
        reads = tuple((flags[cond], targets[c.targets], q) for cond, (c, q) in zip(conditions, group))
        wanted = " || ".join(sorted({f"(?{flag} && BOUND(?{target}))" for flag, target, _ in reads}))
        template = (f"{prefix}SELECT ?focus ?value {_vars(flags)} {_vars(targets)} WHERE {{\n"
                    f"  {failing}\n  {step}\n  {FOCUS_MARKER}\n  {_target_joins(targets)}\n  FILTER({wanted})\n}}")
        if all(_CLASS_CONDITION.fullmatch(c) for c in flags):
            # only sh:class tests: is any value no instance, as anti-joins (0.13 s against 0.2 s
            # for the claims' 95,388 ckg:qualifiedCompetency values at 1M triples)
            probe = " UNION ".join(f"{{ {step} MINUS {{ {_instances(c)} }} }}" for c in flags)
        else:
            probe = failing
        plan.append(_Planned(template, reads, probe=f"{prefix}ASK {{\n  {probe}\n}}"))
    plan = _share_class_probes(plan)
    for pattern, group in by_pattern.items():
        # the same pattern (e.g. two values of rdfs:label) checked for several shapes
        counted = group[0][0].violation.counted
        if len(group) == 1 and counted is None:
            plan.append(_Planned.alone(group[0][1]))
            continue
        targets = _columns([c.targets for c, _ in group], "t")
        if counted is not None:
            # a maximum count over a whole predicate: one grouped count, not a self-join of its
            # triples (0.12 s against 0.34 s for the 95,388 claim holders at 1M triples; the
            # qualified count of English labels 0.50 s as a self-join)
            step, value, count, key = counted
            step = _multi_valued_first(_enumerated_first(step), count)
            found = (f"{{ SELECT ?focus WHERE {{ {step} }} GROUP BY ?focus{key} HAVING (COUNT(DISTINCT {value}) >= {count}) }}"
                     f"\n  {FOCUS_MARKER}")
            # no node with two values, no node with too many: two counts, no grouping (0.03 s
            # against 0.16 s for the grouped count of the claims' 96,131 ckg:competency triples)
            # (a maximum of 0: one value is too many, and one value a node passes that count)
            probe = (f"{prefix}ASK {{ {{ SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?focus) AS ?m) WHERE {{ {step} }} }} "
                     "FILTER(?n != ?m) }") if count >= 2 else f"{prefix}ASK {{ {step} }}"
        else:
            found = f"{{ SELECT DISTINCT ?focus WHERE {{ {pattern} }} }}\n  {FOCUS_MARKER}"
            probe = f"{prefix}ASK {{\n  {found}\n}}"
        template = f"{prefix}SELECT ?focus {_vars(targets)} WHERE {{\n  {found}\n  {_target_joins(targets, few=True)}\n}}"
        plan.append(_Planned(template, tuple((None, targets[c.targets], q) for c, q in group), probe=probe))
    return plan


_FILTERED_TRIPLE = re.compile(r"(?:\?focus <([^<>]+)> \?_\w+ \.|\?_\w+ <([^<>]+)> \?focus \.) FILTER\(.*\)", re.S)


def _multi_valued_first(step: str, count: int) -> str:
    """A count's ``step`` (a predicate's triples kept by a test of the value) read only for the
    nodes with two or more triples of the predicate, found first by a count of those triples.

    A node with ``count`` (at least two) distinct values passing the test has that many
    triples, so no answer is lost; the test, which reads each value's term (~2 µs a triple),
    then runs on a few nodes' values instead of every one (rdfs:label at 1M triples: 27 nodes
    of 32,000 have two labels; the English-label count's probe 0.45 s to 0.04 s of CPU).
    """
    match = _FILTERED_TRIPLE.fullmatch(step)
    if count < 2 or match is None:
        return step
    forward, inverse = match.groups()
    bare = f"?focus <{forward}> ?_multi ." if forward else f"?_multi <{inverse}> ?focus ."
    return f"{{ SELECT ?focus WHERE {{ {bare} }} GROUP BY ?focus HAVING (COUNT(*) >= 2) }} {step}"


_CLASS_PROBE = re.compile(r"\{ (.*) MINUS \{ (\?value <[^<>]+>/<[^<>]+>\* <[^<>]+>) \} \}", re.S)


def _share_class_probes(plan: list[_Planned]) -> list[_Planned]:
    """The ``sh:class`` probes of passes that test the same class, asked as one query.

    Each such probe is an anti-join of a predicate's values with the class's instances, and
    building that set is most of its cost when the predicate is small (at 10M triples the six
    passes testing ``org:FormalOrganization``: 0.45-0.55 s each, 1.1 s for the one over the
    claims). One query with every pass's values tagged (a ``UNION``), minus the instances built
    once, answers which passes have a value that is no instance.
    """
    by_class: dict[str, list[tuple[int, str]]] = {}
    for index, planned in enumerate(plan):
        body = planned.probe.split("ASK {", 1)[1].rsplit("}", 1)[0].strip() if planned.probe else ""
        match = _CLASS_PROBE.fullmatch(body)
        if match is not None and " UNION " not in match.group(1):
            by_class.setdefault(match.group(2), []).append((index, match.group(1)))
    plan = list(plan)
    for instances, members in by_class.items():
        if len(members) < 2:
            continue
        tagged = " UNION ".join(f'{{ {step} BIND("p{n}" AS ?k) }}' for n, (_, step) in enumerate(members))
        query = f"SELECT DISTINCT ?k WHERE {{ {{ {tagged} }} MINUS {{ {instances} }} }}"
        for n, (index, _) in enumerate(members):
            plan[index] = dataclasses.replace(plan[index], probe=None, shared_probe=(query, f"p{n}"))
    return plan


_ONE_VALUE_FILTERED = re.compile(r"(\?focus <[^<>]+> (\?_\w+) \.|(\?_\w+) <[^<>]+> \?focus \.) FILTER\((.*)\)")
_LOGIC = re.compile(r"[\s()!|&,]|COALESCE|false|true")


def _enumerated_first(pattern: str) -> str:
    """``pattern`` (a triple whose value is tested against a list of terms: ``sh:in``, a type
    among some classes) with the test run once per distinct value, then joined back.

    An expression reads the term itself; once per triple that cost 0.2 s for the organisations'
    types at 1M triples, once per distinct value next to nothing (such lists name few terms).
    Any other pattern is returned as it is.
    """
    match = _ONE_VALUE_FILTERED.fullmatch(pattern)
    if match is None:
        return pattern
    triple, value, condition = match.group(1), match.group(2) or match.group(3), match.group(4)
    rest = re.sub(rf"sameTerm\({re.escape(value)}, <[^<>]+>\)", "", condition)
    if _LOGIC.sub("", rest):
        return pattern
    members = _members(condition, value)
    if members is not None:
        # true for the listed terms alone: look each up instead of grouping every value of the
        # predicate (rdf:type's, for the qualified counts of the types of organisations, events...)
        return f"VALUES {value} {{ {' '.join(members)} }} {triple}"
    return f"{{ SELECT {value} WHERE {{ {triple} }} GROUP BY {value} }} FILTER({condition}) {triple}"


def _members(condition: str, value: str) -> list[str] | None:
    """The listed IRIs for which ``condition`` (sameTerm tests of ``value`` against listed IRIs,
    joined by ``!``, ``&&``, ``||`` and ``COALESCE(..., false)``) is true, when it is false for
    every other term; ``None`` when it is true for some term not listed (a negated list).

    pyoxigraph itself evaluates the condition, on each listed IRI and on one that is not listed.
    """
    listed = list(dict.fromkeys(re.findall(rf"sameTerm\({re.escape(value)}, (<[^<>]+>)\)", condition)))
    other = "<urn:clusterkg:shapes:not-listed>"
    passing = {str(row[0]) for row in pyoxigraph.Store().query(
        f"SELECT {value} WHERE {{ VALUES {value} {{ {' '.join(listed)} {other} }} FILTER({condition}) }}")}
    if other in passing:
        return None
    return [term for term in listed if term in passing]


#: A test of the focus node that is one (NOT) EXISTS of a flat pattern: run as a join.
_JOINABLE = re.compile(r"(NOT )?EXISTS \{ ([^{}]*\?focus\b[^{}]*) \}")


_STRING_OR_BRACE = re.compile(r'"(?:[^"\\]|\\.)*"|[{}]')


def _lift_exists(test: str, atoms: dict[str, str]) -> str:
    """``test`` with each outermost ``EXISTS { P }`` on the focus node read from a column.

    The pattern P goes into ``atoms`` (pattern -> column): the pass joins it once, as an
    OPTIONAL over ``SELECT DISTINCT ?focus`` of its matches, and the test reads ``BOUND(?e0)``
    instead of evaluating an EXISTS per node (the affiliations' ``sh:or``, nine EXISTS a node:
    1.35 s against 0.5 s for the 27,882 affiliations at 1M triples). Outermost patterns share
    no variable but ``?focus`` with the rest of the test (every other one is fresh).
    """
    pieces, depth, start, last = [], 0, 0, 0
    for match in _STRING_OR_BRACE.finditer(test):
        token = match.group()
        if token == "{":
            if depth == 0:
                start = match.start()
            depth += 1
        elif token == "}":
            depth -= 1
            if depth == 0:
                pattern = test[start + 1:match.start()].strip()
                head = test[last:start]
                if head.rstrip().endswith("EXISTS") and re.search(r"\?focus\b", pattern):
                    name = atoms.setdefault(pattern, f"e{len(atoms)}")
                    negated = re.search(r"NOT\s+EXISTS\s*$", head)
                    head = head[:negated.start()] + f"!BOUND(?{name})" if negated else \
                        re.sub(r"EXISTS\s*$", f"BOUND(?{name})", head)
                    pieces.append(head)
                else:
                    pieces.append(test[last:match.end()])
                last = match.end()
    pieces.append(test[last:])
    return "".join(pieces)


def _product_of_sums_pass(prefix: str, target_set: str, clauses: list[list[Match]], atoms: dict[str, str],
                          column: str) -> str:
    """The pass of one lifted test as the targets joined with each clause's nodes
    (:func:`~clusterkg.graph.boolean_form.product_of_sums`): a clause of one match is a join
    with the nodes its pattern matches, or an anti-join; a longer one the union of its matches'
    nodes, a negated match's being the targets its pattern does not match. Each row is a
    violation, flagged in ``column``."""
    patterns = {name: _enumerated_first(pattern) for pattern, name in atoms.items()}

    def matching(name: str) -> str:
        return f"{{ SELECT DISTINCT ?focus WHERE {{ {patterns[name]} }} }}"

    lines = []
    for clause in clauses:
        if len(clause) == 1:
            [match] = clause
            lines.append(matching(match.column) if match.positive else f"MINUS {{ {patterns[match.column]} }}")
            continue
        nodes = [matching(match.column) if match.positive else f"{{ {target_set} MINUS {{ {patterns[match.column]} }} }}"
                 for match in clause]
        lines.append("{ SELECT DISTINCT ?focus WHERE {\n    " + "\n    UNION ".join(nodes) + "\n  } }")
    body = "\n  ".join(lines)
    return f"{prefix}SELECT ?focus ?{column} WHERE {{\n  {target_set}\n  {body}\n  BIND(true AS ?{column})\n}}"


def _joinable(targets: str, group: list[tuple[_Check, ConstraintQuery]],
              joined: dict[str, list[tuple[str, ConstraintQuery]]]) -> list[tuple[_Check, ConstraintQuery]]:
    """Move the tests of ``group`` that are one (NOT) EXISTS of a flat pattern into ``joined``
    (test -> [(targets, query)]); return the others."""
    rest = []
    for check, query in group:
        test = _canonical(check.violation.test)
        if _JOINABLE.fullmatch(test):
            joined.setdefault(test, []).append((targets, query))
        else:
            rest.append((check, query))
    return rest


def _joined_pass(test: str, group: list[tuple[str, ConstraintQuery]]) -> _Planned:
    """One (NOT) EXISTS test of every shape that has it, as one anti-join (semi-join) of the
    shapes' targets, each set tagged with a column, with the pattern's matches.

    Per target, an EXISTS costs a lookup per node and test (the competency claims' three tests
    at 1M triples: 1.1 s); a ``MINUS`` is one hash anti-join, whose cost follows the pattern's
    matches rather than the targets (0.12 s each), and the pattern is matched once for all the
    shapes that test it (``dct:source``: 15 shapes).
    """
    negated, pattern = _JOINABLE.fullmatch(test).groups()
    targets = _columns([t for t, _ in group], "t")
    # one tag column whose value names the target set, not a column per set: every row the
    # engine holds has a slot per variable (at 10M triples, dct:source's 13 target sets took
    # 1.3 GiB with a column each, 0.6 GiB with one)
    tagged = " UNION ".join(
        f"{{ SELECT {'DISTINCT ' if ' UNION ' in t else ''}?focus (\"{name}\" AS ?target) WHERE {{\n"
        f"    {t}\n    {FOCUS_MARKER}\n  }} }}"
        for t, name in targets.items())
    pattern = _enumerated_first(pattern)
    body = f"MINUS {{ {pattern} }}" if negated else pattern
    template = (f"PREFIX xsd: <{XSD}>\nSELECT {'' if negated else 'DISTINCT '}?focus ?target WHERE {{\n"
                f"  {tagged}\n  {body}\n}}")
    return _Planned(template, tuple((None, ("target", targets[t]), q) for t, q in group), value_column=False,
                    targets=" UNION ".join(f"{{ {t} }}" for t in targets),
                    one_by_one=tuple(_Planned.alone(q) for _, q in group))


def _flag(condition: str, name: str) -> str:
    """Bind ``?name`` to whether ``?value`` breaks ``condition`` (in a pass over a predicate).

    An ``sh:class`` test becomes an OPTIONAL join with the class's instances, computed once:
    an EXISTS per value cost more than the whole scan (every competency claim's competency).
    """
    if _CLASS_CONDITION.fullmatch(condition) is None:
        return f"BIND(COALESCE({condition}, false) AS ?{name})"
    return (f"OPTIONAL {{ SELECT DISTINCT ?value (true AS ?k{name}) WHERE {{ {_instances(condition)} }} }}\n"
            f"    BIND(!BOUND(?k{name}) AS ?{name})")


def _instances(condition: str) -> str:
    """The pattern binding ``?value`` to the instances of an ``sh:class`` test's class."""
    return f"?value {_iri(RDF.type)}/{_iri(RDFS.subClassOf)}* {_CLASS_CONDITION.fullmatch(condition).group(1)}"


def _target_joins(targets: dict[str, str], few: bool = False) -> str:
    """Columns true where ``?focus`` is a target of each pattern (unbound where it is not).

    An OPTIONAL join with each shape's target set, computed once, rather than an EXISTS per row:
    a pass over a predicate keeps many rows before the targets decide (every ``schema:startDate``
    that is no ``xsd:date`` is a row, though only projects need one), and an EXISTS per row cost
    several times more (measured: 1.35 s against 0.28 s on 27,601 rows). The target sets are
    computed even for no rows, so the pass's ASK probe runs first and most passes stop there.
    ``few``: the rows are few (the nodes with too many values), so each is looked up instead
    (10 nodes with two ckg:country values: 0.03 s against 0.11 s for the whole target sets).
    """
    if few:
        return "\n  ".join(f"OPTIONAL {{ {t} BIND(true AS ?{name}) }}" for t, name in targets.items())
    return "\n  ".join(f"OPTIONAL {{ SELECT DISTINCT ?focus (true AS ?{name}) WHERE {{ {t} }} }}"
                       for t, name in targets.items())


def _columns(texts: list[str], stem: str) -> dict[str, str]:
    """A column name for each distinct text (a test, a condition, a target pattern)."""
    columns: dict[str, str] = {}
    for text in texts:
        columns.setdefault(text, f"{stem}{len(columns)}")
    return columns


def _vars(columns: dict[str, str], separator: str = " ") -> str:
    return separator.join(f"?{name}" for name in columns.values())


def _canonical(pattern: str) -> str:
    """The pattern with its fresh variables renamed in order of appearance (to compare patterns)."""
    names: dict[str, str] = {}
    return re.sub(r"\?_v\d+\b", lambda m: names.setdefault(m.group(0), f"?_g{len(names)}"), pattern)


def _rename(text: str, variable: str, new: str) -> str:
    return re.sub(re.escape(variable) + r"(?![\w])", new, text)


@functools.lru_cache(maxsize=1)
def _project_shapes() -> CompiledShapes:
    from clusterkg.ontology import shapes_graph

    return compile_shapes(shapes_graph())


# --------------------------------------------------------------------------- the shapes graph

#: Constraint parameters this compiler translates (the value-less ones are filled in below).
_COMPONENTS = (
    SH["class"], SH.datatype, SH.nodeKind, SH.minCount, SH.maxCount, SH.minLength, SH.pattern,
    SH.languageIn, SH.uniqueLang, SH["in"], SH.hasValue, SH.minInclusive, SH.maxInclusive,
    SH.equals, SH["or"], SH.xone, SH["not"], SH.node, SH.qualifiedValueShape,
)  # fmt: skip
#: Every sh: predicate a shapes graph may use: the components, their companion parameters, the
#: targets and the non-validating annotations.
_ALLOWED = set(_COMPONENTS) | {
    SH.flags, SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint,
    SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode,
    SH.property, SH.path, SH.inversePath, SH.message, SH.name, SH.description, SH.order, SH.group,
}  # fmt: skip
_TARGETS = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)

_NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNode: "isBlank({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}

#: sh:datatype -> the extra test a well-typed lexical form passes, mirroring what rdflib (and so
#: pyshacl) accepts; "" when rdflib accepts every lexical form of that datatype.
_WELL_TYPED = {
    str(XSD.string): "",
    str(RDF.langString): "",
    str(XSD.gYear): "",  # rdflib has no converter for gYear: pyshacl accepts any lexical form
    str(XSD.integer): r'REGEX(STR({v}), "^\\s*[+-]?\\d+(_\\d+)*\\s*$")',  # Python's int()
    str(XSD.boolean): 'REGEX(STR({v}), "^(true|false|1|0)$")',
    # rdflib drops a time or zone suffix, then needs a real calendar day (date.fromisoformat)
    str(XSD.date): (
        r'REGEX(STR({v}), "^\\d{{4}}-\\d{{2}}-\\d{{2}}([zZ]|T.*|\\+.*|-[^-]*:[^-]*)?$") && '
        "COALESCE(DATATYPE(xsd:date(SUBSTR(STR({v}), 1, 10))) = xsd:date, false)"
    ),
}


@dataclass
class _Shape:
    """A node or property shape as read from the shapes graph."""

    node: rdflib.term.Node
    path: tuple[str, bool] | None  # (predicate IRI, inverse?) for a property shape
    message: str | None
    params: dict[URIRef, list[rdflib.term.Node]]
    properties: list[_Shape] = field(default_factory=list)

    def one(self, parameter: URIRef) -> rdflib.term.Node:
        values = self.params[parameter]
        if len(values) != 1:
            raise UnsupportedShape(f"{_name(self.node)}: {len(values)} values of {_short(parameter)}; one is supported")
        return values[0]

    @property
    def path_text(self) -> str | None:
        if self.path is None:
            return None
        iri, inverse = self.path
        return ("^" if inverse else "") + iri


class _Vars:
    """Fresh SPARQL variable names, so nested patterns never capture each other's variables."""

    def __init__(self) -> None:
        self._count = itertools.count()

    def __call__(self, stem: str = "v") -> str:
        return f"?_{stem}{next(self._count)}"


@dataclass(frozen=True)
class _Violation:
    """How one constraint is broken, as a SPARQL group pattern and, where it can, in parts.

    ``pattern`` matches when the focus breaks the constraint, binding ``value`` (if any). A test
    of the focus node alone also has ``test`` (an expression); a test of each value on its own
    also has ``step`` (the triple binding the value) and ``condition``. The execution plan uses
    the parts to check many constraints in one pass.
    """

    pattern: str
    value: str | None = None
    test: str | None = None
    step: str | None = None
    condition: str | None = None
    #: a count: (step, its value variable, how many break it, more GROUP BY keys or "")
    counted: tuple[str, str, int, str] | None = None


def _focus_test(expression: str, value: str | None = None) -> _Violation:
    return _Violation(f"FILTER({expression})", value, test=expression)


@dataclass(frozen=True)
class _Check:
    """One constraint of one shape with targets, ready to be queried."""

    shape: str
    path: str | None
    component: str
    message: str
    targets: str
    violation: _Violation
    reads: str = ""  # beyond the value term itself: "types" of the value, or its "description"


class _Compiler:
    def __init__(self, graph: rdflib.Graph) -> None:
        self.graph = graph
        self._shapes: dict[rdflib.term.Node, _Shape] = {}
        self.translations: dict[str, dict[str, str]] = {}  # English sh:message -> {language: message}
        self.fresh = _Vars()  # one sequence for all: no two constraints share a variable name

    # -- reading

    def compile(self) -> list[_Check]:
        self._refuse_unknown_predicates()
        roots = sorted(
            {s for s in self.graph.subjects(RDF.type, SH.NodeShape)}
            | {s for t in _TARGETS for s in self.graph.subjects(t, None)},
            key=str,
        )
        queries = []
        for node in roots:
            if (node, RDF.type, RDFS.Class) in self.graph or (node, RDF.type, rdflib.OWL.Class) in self.graph:
                raise UnsupportedShape(f"{_name(node)} is a class as well as a shape (implicit class target)")
            if (node, RDF.type, SH.PropertyShape) in self.graph or (node, SH.path, None) in self.graph:
                if any(True for t in _TARGETS for _ in self.graph.objects(node, t)):
                    raise UnsupportedShape(f"{_name(node)}: a property shape with its own targets")
                continue
            shape = self._shape(node)
            targets = self._targets(node)
            if targets is None:
                continue  # only used from other shapes
            queries.extend(self._checks_of(shape, targets))
        return queries

    def _refuse_unknown_predicates(self) -> None:
        unknown = sorted({p for p in self.graph.predicates() if str(p).startswith(str(SH)) and p not in _ALLOWED}, key=str)
        if unknown:
            where = sorted({_name(s) for p in unknown for s in self.graph.subjects(p, None)})
            raise UnsupportedShape(
                f"the shapes use {', '.join(_short(p) for p in unknown)} (in {', '.join(where[:5])}), which the "
                "SPARQL compiler of the shapes does not support; add it to clusterkg.graph.shacl_sparql "
                "or express the rule with supported constructs"
            )

    def _shape(self, node: rdflib.term.Node) -> _Shape:
        if node in self._shapes:
            return self._shapes[node]
        params: dict[URIRef, list] = {}
        for predicate, value in self.graph.predicate_objects(node):
            if predicate in _ALLOWED:
                params.setdefault(predicate, []).append(value)
        for flag in (SH.qualifiedValueShapesDisjoint,):
            if any(v.toPython() is not False for v in params.get(flag, [])):
                raise UnsupportedShape(f"{_name(node)} uses {_short(flag)} true")
        message = self._message(node, params.get(SH.message, []))
        path = self._path(node, params.get(SH.path, []))
        shape = _Shape(node, path, message, params)
        self._shapes[node] = shape  # before the recursion: a shape may refer to itself
        shape.properties = [self._shape(p) for p in sorted(params.get(SH.property, []), key=str)]
        for prop in shape.properties:
            if prop.path is None:
                raise UnsupportedShape(f"{_name(node)}: sh:property {_name(prop.node)} has no sh:path")
        return shape

    def _message(self, node, messages: list) -> str | None:
        """The shape's English message (untagged or ``@en``), the one the results carry; its
        twins in other languages (``"…"@ru``) are kept in :attr:`translations` for the pages."""
        english = [m for m in messages if getattr(m, "language", None) in (None, "en")]
        if len(english) > 1:
            raise UnsupportedShape(f"{_name(node)} has {len(english)} English sh:message values; one is supported")
        if not english:
            if messages:
                raise UnsupportedShape(f"{_name(node)} has sh:message values but none in English (untagged)")
            return None
        others = self.translations.setdefault(str(english[0]), {})
        for message in messages:
            if message.language not in (None, "en"):
                if others.setdefault(message.language, str(message)) != str(message):
                    raise UnsupportedShape(f"{_name(node)}: the message {str(english[0])!r} has two different "
                                           f"@{message.language} twins in the shapes")
        return str(english[0])

    def _path(self, node, paths: list) -> tuple[str, bool] | None:
        if not paths:
            return None
        if len(paths) > 1:
            raise UnsupportedShape(f"{_name(node)} has {len(paths)} sh:path values")
        path = paths[0]
        if isinstance(path, URIRef):
            return str(path), False
        inverse = list(self.graph.objects(path, SH.inversePath))
        others = set(self.graph.predicates(path)) - {SH.inversePath}
        if len(inverse) == 1 and isinstance(inverse[0], URIRef) and not others:
            return str(inverse[0]), True
        raise UnsupportedShape(
            f"{_name(node)}: only a predicate or [ sh:inversePath predicate ] is supported as sh:path "
            "(sequence, alternative and repetition paths are not)"
        )

    def _targets(self, node) -> str | None:
        """The SPARQL pattern binding ``?focus`` to the shape's target nodes, or None."""
        parts = []
        for cls in sorted(self.graph.objects(node, SH.targetClass), key=str):
            parts.append(f"?focus {_iri(RDF.type)}/{_iri(RDFS.subClassOf)}* {_term(cls)} .")
        for predicate in sorted(self.graph.objects(node, SH.targetSubjectsOf), key=str):
            parts.append(f"?focus {_term(predicate)} [] .")
        for predicate in sorted(self.graph.objects(node, SH.targetObjectsOf), key=str):
            parts.append(f"[] {_term(predicate)} ?focus .")
        for target in sorted(self.graph.objects(node, SH.targetNode), key=str):
            parts.append(f"VALUES ?focus {{ {_term(target)} }}")
        if not parts:
            return None
        return " UNION ".join(f"{{ {p} }}" for p in parts)

    # -- compiling

    def _checks_of(self, shape: _Shape, targets: str) -> Iterator[_Check]:
        for reporter in [shape, *shape.properties]:
            if reporter is not shape and reporter.properties:
                raise UnsupportedShape(f"{_name(reporter.node)}: sh:property inside a property shape")
            for parameter in _COMPONENTS:
                if parameter not in reporter.params:
                    continue
                if reporter.message is None:
                    raise UnsupportedShape(
                        f"{_name(reporter.node)} (in {_name(shape.node)}) has a constraint but no sh:message; "
                        "every reported constraint needs one"
                    )
                for violation in self._violations(reporter, parameter, "?focus", self.fresh):
                    if reporter.path == (str(RDF.type), False) and violation.test is None and violation.value is None \
                            and parameter != SH.qualifiedValueShape:
                        # nearly every node has types: test the targets rather than scan them all
                        # (a qualified count keeps its grouped count: it filters the types first)
                        violation = _focus_test(f"EXISTS {{ {violation.pattern} }}")
                    yield _Check(str(shape.node), reporter.path_text, _short(parameter), reporter.message, targets,
                                 violation, self._reads(reporter, parameter))

    def _reads(self, shape: _Shape, parameter: URIRef) -> str:
        """What a constraint reads of a value node beyond the term: "", "types" or "description"."""
        if parameter == SH["class"]:
            return "types"
        nested = {SH.node: lambda: [self.shape_param(shape, SH.node)], SH["not"]: lambda: [self.shape_param(shape, SH["not"])],
                  SH.qualifiedValueShape: lambda: [self.shape_param(shape, SH.qualifiedValueShape)],
                  SH["or"]: lambda: self.shape_list(shape, SH["or"]), SH.xone: lambda: self.shape_list(shape, SH.xone)}
        if parameter not in nested:
            return ""
        reads = ""
        for inner in nested[parameter]():
            if inner.properties or inner.path is not None:
                return "description"
            for inner_parameter in _COMPONENTS:
                if inner_parameter in inner.params:
                    found = self._reads(inner, inner_parameter)
                    if found == "description":
                        return found
                    reads = reads or found
        return reads

    def _violations(self, shape: _Shape, parameter: URIRef, focus: str, fresh: _Vars) -> Iterator[_Violation]:
        """The ways ``focus`` breaks one constraint of ``shape`` (most constraints: one)."""
        yield from _HANDLERS[parameter](self, shape, focus, fresh)

    def conforms(self, shape: _Shape, node: str, fresh: _Vars) -> str:
        """A SPARQL expression: true when the node bound to ``node`` conforms to ``shape``."""
        tests = []
        for reporter in [shape, *shape.properties]:
            for parameter in _COMPONENTS:
                if parameter in reporter.params:
                    for violation in self._violations(reporter, parameter, node, fresh):
                        # a test of the node alone is an expression: no EXISTS to evaluate per row
                        # (NOT EXISTS { FILTER(e) } is !COALESCE(e, false): an error fails the filter)
                        tests.append(f"!COALESCE({violation.test}, false)" if violation.test is not None
                                     else f"NOT EXISTS {{ {violation.pattern} }}")
            if reporter is not shape and reporter.properties:
                raise UnsupportedShape(f"{_name(reporter.node)}: sh:property inside a property shape")
        return "(" + " && ".join(tests) + ")" if tests else "true"

    def shape_param(self, shape: _Shape, parameter: URIRef) -> _Shape:
        return self._shape(shape.one(parameter))

    def shape_list(self, shape: _Shape, parameter: URIRef) -> list[_Shape]:
        return [self._shape(item) for item in Collection(self.graph, shape.one(parameter))]

    def term_list(self, shape: _Shape, parameter: URIRef) -> list:
        return list(Collection(self.graph, shape.one(parameter)))


def _values(shape: _Shape, focus: str, value: str) -> str:
    """The pattern binding ``value`` to each value node of ``focus`` (a node shape: the focus)."""
    if shape.path is None:
        return ""
    iri, inverse = shape.path
    return f"{value} <{iri}> {focus} ." if inverse else f"{focus} <{iri}> {value} ."


def _value_var(shape: _Shape, focus: str, fresh: _Vars) -> str:
    return focus if shape.path is None else fresh()


def _per_value(condition: Callable[[str], str]):
    """A component that tests each value node on its own and reports it."""

    def handler(compiler: _Compiler, shape: _Shape, focus: str, fresh: _Vars):
        value = _value_var(shape, focus, fresh)
        test = condition(compiler, shape, value, fresh)
        if shape.path is None:
            yield _focus_test(test, value)
        else:
            step = _values(shape, focus, value)
            yield _Violation(f"{step} FILTER({test})", value, step=step, condition=test)

    return handler


def _distinct(values: list[str]) -> str:
    return " && ".join(f"!sameTerm({a}, {b})" for a, b in itertools.combinations(values, 2)) or "true"


def _at_least(shape: _Shape, focus: str, count: int, fresh: _Vars, test: Callable[[str], str] | None = None) -> str:
    """A pattern matching when ``focus`` has ``count`` distinct value nodes (passing ``test``)."""
    if count > _MAX_PAIRWISE + 1:
        raise UnsupportedShape(f"{_name(shape.node)}: counts above {_MAX_PAIRWISE} are not compiled")
    if shape.path is None:
        raise UnsupportedShape(f"{_name(shape.node)}: a count constraint on a node shape")
    values = [fresh() for _ in range(count)]
    patterns = " ".join(_values(shape, focus, v) for v in values)
    conditions = [c for c in [_distinct(values), *(test(v) for v in values if test)] if c != "true"]
    return f"{patterns} FILTER({' && '.join(conditions)})" if conditions else patterns


def _integer(shape: _Shape, parameter: URIRef) -> int:
    value = shape.one(parameter)
    if not isinstance(value, Literal) or not isinstance(value.toPython(), int):
        raise UnsupportedShape(f"{_name(shape.node)}: {_short(parameter)} must be an integer")
    return int(value.toPython())


def _min_count(compiler, shape, focus, fresh):
    count = _integer(shape, SH.minCount)
    if count > 0:
        yield _focus_test(f"NOT EXISTS {{ {_at_least(shape, focus, count, fresh)} }}")


def _max_count(compiler, shape, focus, fresh):
    count = _integer(shape, SH.maxCount) + 1
    pattern = _at_least(shape, focus, count, fresh)
    value = fresh()
    yield _Violation(pattern, counted=(_values(shape, focus, value), value, count, ""))


def _qualified(compiler, shape, focus, fresh):
    qualified = compiler.shape_param(shape, SH.qualifiedValueShape)

    def test(v):
        return compiler.conforms(qualified, v, fresh)

    if SH.qualifiedMinCount in shape.params:
        count = _integer(shape, SH.qualifiedMinCount)
        if count > 0:
            yield _focus_test(f"NOT EXISTS {{ {_at_least(shape, focus, count, fresh, test)} }}")
    if SH.qualifiedMaxCount in shape.params:
        count = _integer(shape, SH.qualifiedMaxCount) + 1
        value = fresh()
        yield _Violation(_at_least(shape, focus, count, fresh, test),
                         counted=(f"{_values(shape, focus, value)} FILTER({test(value)})", value, count, ""))


def _has_value(compiler, shape, focus, fresh):
    wanted = _term(shape.one(SH.hasValue))
    if shape.path is None:
        yield _focus_test(f"!sameTerm({focus}, {wanted})")
    else:
        yield _focus_test(f"NOT EXISTS {{ {_values(shape, focus, wanted)} }}")


def _unique_lang(compiler, shape, focus, fresh):
    if shape.one(SH.uniqueLang).toPython() is not True:
        return
    if shape.path is None:
        raise UnsupportedShape(f"{_name(shape.node)}: sh:uniqueLang on a node shape")
    a, b, value = fresh(), fresh(), fresh()
    yield _Violation(
        f"{_values(shape, focus, a)} {_values(shape, focus, b)} FILTER(isLiteral({a}) && isLiteral({b}) && "
        f'LANG({a}) != "" && LCASE(LANG({a})) = LCASE(LANG({b})) && !sameTerm({a}, {b}))',
        counted=(f'{_values(shape, focus, value)} FILTER(isLiteral({value}) && LANG({value}) != "")', value, 2,
                 f" (LCASE(LANG({value})) AS {fresh('lang')})"),
    )


def _equals(compiler, shape, focus, fresh):
    other = shape.one(SH.equals)
    value = _value_var(shape, focus, fresh)
    mine = _values(shape, focus, value)
    theirs = f"{focus} {_term(other)} {value} ."
    if shape.path is None:
        yield _focus_test(f"NOT EXISTS {{ {theirs} }}", value)
        other_value = fresh()
        yield _Violation(f"{focus} {_term(other)} {other_value} . FILTER(!sameTerm({other_value}, {focus}))", other_value)
    else:
        # MINUS: one anti-join (both sides bind both variables, so the same as FILTER NOT EXISTS)
        yield _Violation(f"{{ {mine} MINUS {{ {theirs} }} }} UNION {{ {theirs} MINUS {{ {mine} }} }}", value)


#: ``sh:class``'s test: the direct type first (the same answer; the common case needs no path).
_CLASS_TEST = "(NOT EXISTS {{ {v} <%s> {cls} }} && NOT EXISTS {{ {v} <%s>/<%s>* {cls} }})" % (RDF.type, RDF.type, RDFS.subClassOf)
#: The same test on a pass's ``?value``, recognised to run it as a join (see :func:`_flag`).
_CLASS_CONDITION = re.compile(re.escape(_CLASS_TEST.format(v="?value", cls="\0")).replace(re.escape("\0"), "(<[^<>]+>)"))


#: ``sh:class``'s test of the focus node itself (inside an ``sh:or``, ``sh:not``...).
_FOCUS_CLASS_TEST = re.compile(
    re.escape(_CLASS_TEST.format(v="?focus", cls="\0")).replace(re.escape("\0"), "(<[^<>]+>)", 1)
    .replace(re.escape("\0"), r"\1"))


def _class_by_path(test: str) -> str:
    """``test`` with each ``sh:class`` test of the focus node by its path alone.

    In a test lifted into joined columns (:func:`_lift_exists`) the direct type's shortcut is
    one more column to join, no cheaper than the path's, whose matches include it (the
    affiliations' ``sh:or``: 0.44 s and 68 MiB against 0.50 s and 82 MiB at 1M triples).
    """
    return _FOCUS_CLASS_TEST.sub(lambda m: "(NOT EXISTS { ?focus <%s>/<%s>* %s })" % (RDF.type, RDFS.subClassOf, m.group(1)),
                                 test)


def _class(compiler, shape, v, fresh):
    return _CLASS_TEST.format(v=v, cls=_term(shape.one(SH["class"])))


def _datatype(compiler, shape, v, fresh):
    datatype = shape.one(SH.datatype)
    if str(datatype) not in _WELL_TYPED:
        known = ", ".join(sorted(_WELL_TYPED))
        raise UnsupportedShape(f"{_name(shape.node)}: sh:datatype {datatype} (supported: {known})")
    extra = _WELL_TYPED[str(datatype)].format(v=v)
    test = f"isLiteral({v}) && sameTerm(DATATYPE({v}), {_term(datatype)})" + (f" && {extra}" if extra else "")
    return f"!COALESCE({test}, false)"


def _node_kind(compiler, shape, v, fresh):
    kind = shape.one(SH.nodeKind)
    if kind not in _NODE_KINDS:
        raise UnsupportedShape(f"{_name(shape.node)}: unknown sh:nodeKind {kind}")
    return "!" + _NODE_KINDS[kind].format(v=v)


def _min_length(compiler, shape, v, fresh):
    length = _integer(shape, SH.minLength)
    return f"isBlank({v}) || STRLEN(STR({v})) < {length}" if length > 0 else "false"


def _pattern(compiler, shape, v, fresh):
    flags = shape.params.get(SH.flags, [])
    flag_text = "".join(sorted({f for f in str(flags[0]).lower() if f in "im"})) if flags else ""
    if flags and set(str(flags[0]).lower()) - set("im"):
        raise UnsupportedShape(f"{_name(shape.node)}: sh:flags {flags[0]} (pyshacl honours only i and m)")
    return f"isBlank({v}) || !REGEX(STR({v}), {_string(str(shape.one(SH.pattern)))}, {_string(flag_text)})"


def _language_in(compiler, shape, v, fresh):
    languages = [str(t).lower() for t in compiler.term_list(shape, SH.languageIn)]
    if "*" in languages:
        return f'!(isLiteral({v}) && LANG({v}) != "")'
    listed = ", ".join(_string(lang) for lang in languages)
    return (
        f'!(isLiteral({v}) && LANG({v}) != "" && (LCASE(LANG({v})) IN ({listed}) || '
        f'LCASE(STRBEFORE(CONCAT(LANG({v}), "-"), "-")) IN ({listed})))'
    )


def _in(compiler, shape, v, fresh):
    allowed = compiler.term_list(shape, SH["in"])
    return "!(" + (" || ".join(f"sameTerm({v}, {_term(t)})" for t in allowed) or "false") + ")"


def _bound(operator: str, parameter: URIRef):
    def condition(compiler, shape, v, fresh):
        return f"!COALESCE({v} {operator} {_term(shape.one(parameter))}, false)"

    return condition


def _or(compiler, shape, v, fresh):
    options = [compiler.conforms(s, v, fresh) for s in compiler.shape_list(shape, SH["or"])]
    return "!(" + (" || ".join(options) or "false") + ")"


def _xone(compiler, shape, v, fresh):
    options = [f"IF({compiler.conforms(s, v, fresh)}, 1, 0)" for s in compiler.shape_list(shape, SH.xone)]
    return "(" + (" + ".join(options) or "0") + ") != 1"


def _not(compiler, shape, v, fresh):
    return compiler.conforms(compiler.shape_param(shape, SH["not"]), v, fresh)


def _node(compiler, shape, v, fresh):
    return "!" + compiler.conforms(compiler.shape_param(shape, SH.node), v, fresh)


_HANDLERS = {
    SH["class"]: _per_value(_class),
    SH.datatype: _per_value(_datatype),
    SH.nodeKind: _per_value(_node_kind),
    SH.minLength: _per_value(_min_length),
    SH.pattern: _per_value(_pattern),
    SH.languageIn: _per_value(_language_in),
    SH["in"]: _per_value(_in),
    SH.minInclusive: _per_value(_bound(">=", SH.minInclusive)),
    SH.maxInclusive: _per_value(_bound("<=", SH.maxInclusive)),
    SH["or"]: _per_value(_or),
    SH.xone: _per_value(_xone),
    SH["not"]: _per_value(_not),
    SH.node: _per_value(_node),
    SH.minCount: _min_count,
    SH.maxCount: _max_count,
    SH.qualifiedValueShape: _qualified,
    SH.hasValue: _has_value,
    SH.uniqueLang: _unique_lang,
    SH.equals: _equals,
}
assert set(_HANDLERS) == set(_COMPONENTS)


# --------------------------------------------------------------------------- terms


def _iri(iri: str) -> str:
    reason = iri_error(str(iri))
    if reason is not None:
        raise UnsupportedShape(f"IRI {iri!r} cannot be written in SPARQL ({reason})")
    return f"<{iri}>"


def _string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def _term(node) -> str:
    if isinstance(node, URIRef):
        return _iri(node)
    if isinstance(node, Literal):
        if node.language:
            return f"{_string(str(node))}@{node.language}"
        if node.datatype is not None:
            return f"{_string(str(node))}^^{_iri(node.datatype)}"
        return _string(str(node))
    raise UnsupportedShape(f"a blank node {node} as a constraint value")


def _short(iri) -> str:
    text = str(iri)
    return "sh:" + text[len(str(SH)):] if text.startswith(str(SH)) else f"<{text}>"


def _name(node) -> str:
    return f"<{node}>" if isinstance(node, URIRef) else f"blank shape {node}" if isinstance(node, BNode) else str(node)
