"""Step 2 and 3 of an import: a staging store that shows the store as it will be, then the commit.

Where the main store lives decides how the staging store is made:

- **embedded on disk**: a new *generation* of the main store, a hard-link checkpoint (near
  instant), into which the batch is bulk-loaded; committing it writes the data version and the
  history record into it and swaps it in (see ``graph/store.py``, "generations");
- **in memory or remote**: a scratch pyoxigraph store (in memory, or in a temporary directory
  for large batches) with the batch plus the context pulled from the main store: the current
  description of every batch subject that already exists (so an addition to an existing node is
  checked with it), the ``rdf:type`` of every node referenced but not described, and the class
  hierarchy; committing sends one SPARQL Update (data, version and history together).

With ``replace`` what the batch replaces is gone before the batch goes in: for an RDF file the
earlier descriptions of its subjects (their triples as subject, with blank-node closures; what
other resources say about them stays), for a CSV sheet what the sheet describes
(:func:`clusterkg.graph.sheets.replaced_patterns`: its rows' cells, and a holder's earlier rows,
such as a cluster's needs, but not the holder's other triples).

The checks look only at the batch's focus nodes (its subjects, :attr:`Staging.focus`). A batch
that is at least as large as the store it goes into is checked with whole-graph passes whose rows
are then kept for the focus nodes alone (cheapest: nothing else to write or look up). A smaller
batch also gets its focus nodes marked in :data:`~clusterkg.graph.shacl_sparql.FOCUS_GRAPH`
(:attr:`Staging.focus_graph`), so the per-node tests run on those nodes only; so does every
scratch store, whose context pull-in reads the marks. A marked focus also takes in the nodes
whose verdict the batch changes without describing them (:func:`_add_neighbours`); a batch as
large as the store is checked on its subjects alone.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from clusterkg.graph.history import MAX_LISTED_RESOURCES, Activity
from clusterkg.graph.parsing import SMALL_LOAD, LineScan, ParsedBatch, UnparsedSyntaxError, more_named_than
from clusterkg.graph.shacl_sparql import FOCUS_CLASS, FOCUS_GRAPH, OLD_GRAPH, compile_shapes
from clusterkg.graph.store import KnowledgeStore, OxigraphStore, StoreError
from clusterkg.graph.validation import FOCUSED_SHARE
from clusterkg.ontology.namespace import RDF, RDFS

__all__ = ["Staging", "description_deletes", "in_generation", "stage"]

_CHUNK = 1000
_LARGE_BATCH = 256 * 1024 * 1024  # bytes of N-Triples above which a scratch store goes to disk
_LOAD_SLICE = 48 * 1024 * 1024  # bytes of N-Triples per bulk load (about 300 MiB of memory each)
#: Slices loaded at once. pyoxigraph's loader works on one batch of up to a million triples per
#: thread, so a 48 MiB slice (~340,000 triples) keeps one core busy: at 10M triples one slice at
#: a time took 80 s, two at once 60 s (the whole file at once: 58 s, but 1.6 GiB of memory).
_LOAD_THREADS = 2
_CLOSURE = (
    "?s ?p ?o OPTIONAL { FILTER(isBlank(?o)) ?o ?p1 ?o1 "
    "OPTIONAL { FILTER(isBlank(?o1)) ?o1 ?p2 ?o2 } }"
)
_CLOSURE_TEMPLATE = "?s ?p ?o . ?o ?p1 ?o1 . ?o1 ?p2 ?o2 ."


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _values(iris: Iterable[str]) -> str:
    return "VALUES ?s { " + " ".join(str(ox.NamedNode(iri)) for iri in iris) + " }"


def description_deletes(iris: list[str]) -> str:
    """SPARQL Update removing the descriptions of ``iris`` (blank-node closures first)."""
    operations = []
    for chunk in _chunks(sorted(iris)):
        values = _values(chunk)
        operations += [
            f"DELETE {{ ?o1 ?p2 ?o2 }} WHERE {{ {values} ?s ?p ?o FILTER(isBlank(?o)) ?o ?p1 ?o1 "
            f"FILTER(isBlank(?o1)) ?o1 ?p2 ?o2 }}",
            f"DELETE {{ ?o ?p1 ?o1 }} WHERE {{ {values} ?s ?p ?o FILTER(isBlank(?o)) ?o ?p1 ?o1 }}",
            f"DELETE {{ ?s ?p ?o }} WHERE {{ {values} ?s ?p ?o }}",
        ]
    return " ;\n".join(operations)


class _Slice(io.RawIOBase):
    """Bytes of an open file up to ``end`` (a line boundary): one slice for one bulk load; each
    read also fed to ``scan``, if any."""

    def __init__(self, handle, end: int, scan: LineScan | None = None) -> None:
        self.handle, self.end, self.scan = handle, end, scan

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.handle.read(max(min(len(buffer), self.end - self.handle.tell()), 0))
        buffer[:len(data)] = data
        if self.scan is not None:
            self.scan.feed(data)
        return len(data)


def _bulk_load(store: ox.Store, path: Path, graph: ox.NamedNode | None = None, *, strict: bool = False) -> int | None:
    """``bulk_load`` of an N-Triples file in slices of whole lines.

    pyoxigraph's bulk loader holds about six times its input in memory (855 MiB for a 144 MiB
    file, 1.7 GiB at 10M triples); slices bound that at any size, and :data:`_LOAD_THREADS` of
    them at once load as fast as the whole file.
    Leniently: the files are pyoxigraph's own N-Triples of terms it already checked. ``strict``
    for a file the parse did not check (:attr:`~clusterkg.graph.parsing.ParsedFile.unparsed`):
    its lines are scanned as they are read (:class:`~clusterkg.graph.parsing.LineScan`) and its
    triples returned; a syntax error or an ill-typed literal is an
    :class:`~clusterkg.graph.parsing.UnparsedSyntaxError`.
    """
    size = path.stat().st_size
    if size <= SMALL_LOAD and not strict:  # (bulk_load's own setup costs ~0.1 s, more than the data)
        _add_parsed(store, path, graph)
        return None
    bounds, start = [], 0
    with open(path, "rb") as handle:
        while start < size:
            handle.seek(min(start + _LOAD_SLICE, size))
            handle.readline()
            bounds.append((start, handle.tell()))
            start = bounds[-1][1]

    scans = [LineScan() if strict else None for _ in bounds]

    def load(bound: tuple[int, int], scan: LineScan | None) -> Exception | None:
        """One slice; its error is returned, not raised: a raised one, kept by its future, would
        keep the store open through its traceback (a staging store must close to be thrown away)."""
        with open(path, "rb") as handle:
            handle.seek(bound[0])
            try:
                store.bulk_load(input=io.BufferedReader(_Slice(handle, bound[1], scan), 1 << 20),
                                format=ox.RdfFormat.N_TRIPLES, to_graph=graph or ox.DefaultGraph(), lenient=not strict)
            except (OSError, SyntaxError) as error:
                return type(error)(str(error))
        if scan is not None:
            scan.close()
            if not scan.well_typed:
                return SyntaxError("ill-typed literal")
        return None

    with ThreadPoolExecutor(max_workers=_LOAD_THREADS) as pool:
        loads = [pool.submit(load, bound, scan) for bound, scan in zip(bounds, scans)]
        failed = next((error for done in loads if (error := done.result()) is not None), None)
        for waiting in loads:
            waiting.cancel()  # (after a failure the store is thrown away: load no more of it)
    if isinstance(failed, SyntaxError) and strict:
        raise UnparsedSyntaxError(str(path))
    if failed is not None:
        raise failed
    return sum(scan.triples for scan in scans) if strict else None


def _add_parsed(store: ox.Store, path: Path, graph: ox.NamedNode | None = None) -> int:
    """A small N-Triples file's parsed terms, in one transaction; returns how many were new.

    The terms keep their blank nodes' labels, so they match the batch's subjects (``load`` and
    ``bulk_load`` give every blank node a new label)."""
    target = graph or ox.DefaultGraph()
    quads = {ox.Quad(t.subject, t.predicate, t.object, target)
             for t in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES, lenient=True)}
    new = sum(1 for quad in quads if quad not in store)
    store.extend(quads)
    return new


def triples_up_to(store: ox.Store, limit: int) -> int:
    """The triples in ``store``'s default graph, counted up to ``limit`` (0.26 µs each: a whole
    count of a large store is the cost; read one by one in Python each took 5-20 µs)."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ {{ SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {int(limit)} }} }}"
    return int(next(iter(store.query(query)))[0].value)


def _focus_ntriples(subjects: Iterable, target: Path) -> Path:
    kind, focus = ox.NamedNode(str(RDF.type)), ox.NamedNode(FOCUS_CLASS)
    with open(target, "wb") as output:
        ox.serialize((ox.Triple(s, kind, focus) for s in subjects), output, format=ox.RdfFormat.N_TRIPLES)
    return target


@dataclass
class Staging:
    """A staged change: ``store`` to check, counts once loaded, then :meth:`commit` or :meth:`discard`."""

    main: KnowledgeStore | None
    store: ox.Store
    batch: ParsedBatch
    replace: bool
    changed: list[str] | None  # IRIs of the changed resources (None: too many to list, not needed)
    focus: set = field(default_factory=set)  # pyoxigraph terms of the nodes to check
    focus_graph: str | None = None  # the named graph marking ``focus`` in ``store``, if marked
    generation: object = None  # disk: the new generation
    scratch: Path | None = None  # memory/remote: a temporary directory, if on disk
    added: int = 0
    removed: int = 0
    size: int = 0  # quads in ``store`` once the batch is in (a small batch's: default-graph triples, counted
    # only up to what the checks' choice of plan needs)
    inserts: list[Path] = field(default_factory=list)
    described: list[str] = field(default_factory=list)  # replace: IRIs whose whole description goes

    @property
    def replaced(self) -> list[str]:
        """SPARQL patterns binding ``?s ?p ?o`` to every earlier triple the replacement removes."""
        if not self.replace:
            return []
        return [f"{_values(chunk)} ?s ?p ?o" for chunk in _chunks(self.described)] + self.batch.replaced_patterns

    @property
    def checked_focus(self):
        """The nodes the checks keep their findings for: the marked ones (the batch's subjects and
        the neighbours :func:`_add_neighbours` marked with them), or, for a batch checked without
        marks, the subjects and any node the batch reaches (:class:`ReachedFocus`)."""
        return self.focus if self.focus_graph is not None else ReachedFocus(self)

    def commit(self, activity: Activity) -> None:
        """Make the staged change the store's content, with version and ``activity``, atomically."""
        activity.added, activity.removed, activity.changed = self.added, self.removed, self.changed
        if self.generation is not None:
            self.store.update(f"DROP SILENT GRAPH <{OLD_GRAPH}> ; DROP SILENT GRAPH <{FOCUS_GRAPH}>")
            self.main.commit_generation(self.generation, activity, exact=True)
            return
        parts = [description_deletes(self.described)] if self.replace and self.described else []
        if self.replace and self.batch.replaced_patterns:
            parts += self._pattern_deletes()
        # (a file staged as it is may end in a comment without a line break)
        data = b"\n".join(path.read_bytes() for path in self.inserts)
        if data.strip():
            parts.append("INSERT DATA {\n" + data.decode("utf-8") + "}")
        self.main.commit_update(" ;\n".join(parts), activity)

    def _pattern_deletes(self) -> list[str]:
        """The update removing what the sheets' patterns bound: the exact triples the staging
        store took out (``DELETE DATA``: what was checked is what goes; Virtuoso also gave up on
        an affiliation's pattern as a ``DELETE … WHERE``, "Stack Overflow in cost model"), or,
        where blank nodes are among them (``DELETE DATA`` cannot name them), the patterns."""
        quads = list(self.store.quads_for_pattern(None, None, None, ox.NamedNode(OLD_GRAPH)))
        if any(isinstance(term, ox.BlankNode) for quad in quads for term in (quad.subject, quad.object)):
            return [f"DELETE {{ ?s ?p ?o }} WHERE {{ {pattern} }}" for pattern in self.batch.replaced_patterns]
        if not quads:
            return []
        return ["DELETE DATA {\n" + "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads) + "\n}"]

    def discard(self) -> None:
        """Throw the staging store away (after a commit, only the scratch files)."""
        self.store = None
        if self.generation is not None:
            self.main.discard_generation(self.generation)
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def in_generation(main: KnowledgeStore | None) -> bool:
    """Whether :func:`stage` stages over ``main`` in a new generation (an on-disk store this
    process writes; a read-only opener, such as a dry run's, stages like a remote store)."""
    return isinstance(main, OxigraphStore) and main.path is not None and main.writable


def stage(main: KnowledgeStore | None, batch: ParsedBatch, work: Path, *, replace: bool = False) -> Staging:
    """Build the staging store of ``batch`` over ``main`` (``None``: the batch alone).

    Raises :class:`~clusterkg.graph.parsing.UnparsedSyntaxError` if an unparsed file is not
    valid N-Triples (nothing is left staged).
    """
    subjects = batch.subjects
    on_disk = in_generation(main)
    # the IRIs, sorted (millions of strings at 10M): a generation without replacement needs them
    # only for the history, which lists at most MAX_LISTED_RESOURCES
    changed = sorted(s.value for s in subjects if type(s) is ox.NamedNode) \
        if replace or not on_disk or not more_named_than(subjects, MAX_LISTED_RESOURCES) else None
    # replace: an RDF file's subjects lose their descriptions, a sheet's rows what the sheet says
    described = (changed if not any(f.is_sheet for f in batch.files) else batch.described) if replace else []
    inserts = list(batch.ntriples)
    loads = inserts + ([f.partial for f in batch.files if f.partial] if batch.problems else [])
    partial = [f.partial_subjects for f in batch.files if f.partial_subjects]
    focus = subjects.union(*partial) if partial else subjects  # (no copy of a large set)
    if on_disk:
        generation = main.begin_generation()
        staging = Staging(main, generation.store, batch, replace, changed, focus, generation=generation,
                          inserts=inserts, described=described)
    else:
        size = sum(path.stat().st_size for path in loads)
        scratch = Path(tempfile.mkdtemp(prefix="clusterkg-staging-", dir=work)) if size > _LARGE_BATCH else None
        store = ox.Store(str(scratch)) if scratch is not None else ox.Store()
        staging = Staging(main, store, batch, replace, changed, focus, scratch=scratch, inserts=inserts,
                          described=described)
    try:
        _fill(staging, loads, work, on_disk)
    except BaseException:
        staging.discard()
        raise
    return staging


def _fill(staging: Staging, loads: list[Path], work: Path, on_disk: bool) -> None:
    store, main, changed = staging.store, staging.main, staging.changed
    if main is not None and changed and not on_disk:  # (a generation has the rest)
        for chunk in _chunks(changed):
            data = main.query_bytes(f"CONSTRUCT {{ {_CLOSURE_TEMPLATE} }} WHERE {{ {_values(chunk)} {_CLOSURE} }}",
                                    "application/n-triples")
            store.load(data, format=ox.RdfFormat.N_TRIPLES)
        _pull_neighbourhood(staging, _existing_subjects(staging))
    if main is not None and staging.replace:
        _take_out_replaced(staging, on_disk)
    unparsed = {f.ntriples: f for f in staging.batch.files if f.unparsed}
    # What the loads add: small files are counted as they go in, by a lookup a triple; others by
    # counting the store before and after (every quad: 1.4-2 s at 10M triples, an editor's save too).
    small = not unparsed and all(path.stat().st_size <= SMALL_LOAD for path in loads)
    before = None if small else len(store)
    # Marks serve the focused plan (few nodes in a large store: each constraint starts from them).
    # The grouped passes over the whole store run faster without: a mark is a lookup a target, and
    # 259,387 triples imported again into a store of 10M took 81-84 s of CPU marked, 59.5 s not; their
    # findings are then kept for the nodes the batch reaches (ReachedFocus).
    few = len(staging.focus) * FOCUSED_SHARE if small else 0
    enough = small and on_disk and triples_up_to(store, few) >= few
    delta = 0
    try:
        for path in loads:
            if small:
                delta += _add_parsed(store, path)
                continue
            counted = _bulk_load(store, path, strict=path in unparsed)
            if path in unparsed:
                unparsed[path].triples = counted
        # (a parsed batch's triples are known before its load, an unparsed file's once it has counted
        # them; a large unparsed file's subjects are read only as far as the choice needs)
        if not on_disk or (enough if small else
                           not more_named_than(staging.focus, (before + staging.batch.triples) // FOCUSED_SHARE)):
            staging.focus_graph = FOCUS_GRAPH
        if staging.focus_graph is not None:
            _bulk_load(store, _focus_ntriples(staging.focus, work / "focus.nt"), ox.NamedNode(FOCUS_GRAPH))
    except (OSError, SyntaxError) as error:
        raise StoreError(f"cannot stage the batch: {error}") from error
    if not small:
        staging.size = len(store)
        delta = staging.size - before - (len(staging.focus) if staging.focus_graph is not None else 0)  # (one mark each)
    if staging.replace:
        overlap = _graph_count(store, f"GRAPH <{OLD_GRAPH}> {{ ?s ?p ?o }} ?s ?p ?o")
        staging.added = delta - overlap
        staging.removed = _graph_count(store, f"GRAPH <{OLD_GRAPH}> {{ ?s ?p ?o }}") - overlap
    else:
        staging.added = delta
    if staging.focus_graph is not None:
        _add_neighbours(staging, on_disk)
    if main is not None and not on_disk:
        _pull_mentioned(staging)
    if small:  # enough of a count for the checks' choice between the focus nodes and whole-store passes
        staging.size = triples_up_to(store, len(staging.focus) * FOCUSED_SHARE)


def _add_neighbours(staging: Staging, on_disk: bool) -> None:
    """Add to the focus the nodes whose verdict the batch can change besides its subjects'.

    Which ones the shapes say (:class:`~clusterkg.graph.shacl_sparql.Reach`): the objects of a
    batch subject's triples on an inverse path (a claim gets a second holder), whether the
    triple is added or replaced away; the nodes pointing at a batch subject whose types the
    batch changes, where a shape tests those types (``sh:class``); and the nodes pointing at a
    batch subject where a nested shape reads its description; and, in a replacement, the nodes
    a link to which it removed without putting it back (:func:`_unlinked`: a membership moved
    to another organisation leaves the first one's ``org:memberOf`` with nothing behind it).
    Each is marked like the subjects; a scratch store also pulls in their descriptions and the
    triples pointing at them on an inverse path (an unlinked node: its whole neighbourhood), so
    their checks see what the store holds.
    """
    store, main, reach = staging.store, staging.main, compile_shapes().reach
    marked = f"GRAPH <{FOCUS_GRAPH}> {{ ?s a <{FOCUS_CLASS}> }}"
    found: set = set()
    # (each predicate written in: bound by VALUES ?p, pyoxigraph read every triple of the
    # predicates, 3.4 s for 25 marked nodes in a store of 10M triples, against 2 ms)
    if reach.inverse:
        graphs = ["", f"GRAPH <{OLD_GRAPH}>"] if staging.replace else [""]
        branches = [f"{{ {marked} {graph} {{ ?s <{p}> ?o }} }}" for p in sorted(reach.inverse) for graph in graphs]
        found |= {row[0] for row in store.query(
            f"SELECT DISTINCT ?o WHERE {{ {' UNION '.join(branches)} FILTER(!isLiteral(?o)) }}")}
    if reach.description_readers:
        branches = [f"{{ {marked} ?x <{p}> ?s }}" for p in sorted(reach.description_readers)]
        found |= {row[0] for row in store.query(f"SELECT DISTINCT ?x WHERE {{ {' UNION '.join(branches)} }}")}
    if reach.type_readers:  # one lookup in the object index per retyped node: as a query of 1,000-row
        # VALUES chunks beside the predicates' VALUES, pyoxigraph took 6 s a chunk (196 s for init's batch)
        readers, default = {ox.NamedNode(p) for p in reach.type_readers}, ox.DefaultGraph()
        for node in _retyped(staging):
            found.update(quad.subject for quad in store.quads_for_pattern(None, None, ox.NamedNode(node), default)
                         if quad.predicate in readers)
    unlinked = _unlinked(store) if staging.replace else set()
    extra = (found | unlinked) - staging.focus
    if not extra:
        return
    staging.focus = staging.focus | extra  # (a new set: the batch's own stays as parsed)
    kind, candidate, graph = ox.NamedNode(str(RDF.type)), ox.NamedNode(FOCUS_CLASS), ox.NamedNode(FOCUS_GRAPH)
    store.extend([ox.Quad(node, kind, candidate, graph) for node in extra])
    if main is not None and not on_disk:
        iris = sorted(n.value for n in extra if type(n) is ox.NamedNode)
        for chunk in _chunks(iris):
            values = _values(chunk)
            queries = [f"CONSTRUCT {{ {_CLOSURE_TEMPLATE} }} WHERE {{ {values} {_CLOSURE} }}"]
            if reach.inverse:  # who else points at them
                branches = [f"{{ ?o <{p}> ?s BIND(<{p}> AS ?p) }}" for p in sorted(reach.inverse)]
                queries.append(f"CONSTRUCT {{ ?o ?p ?s }} WHERE {{ {values} {' UNION '.join(branches)} }}")
            for query in queries:
                _load_unreplaced(store, main.query_bytes(query, "application/n-triples"))
        # an unlinked node's consistency checks compare it with all its neighbours (the other
        # memberships of an organisation a membership moved away from)
        _pull_neighbourhood(staging, sorted(n.value for n in unlinked - found if type(n) is ox.NamedNode))


def _unlinked(store: ox.Store, node=None) -> set:
    """The nodes (or ``node``, if so) a replacement took a link to away without putting it back
    (classes aside): their consistency checks may now fail, a shortcut with nothing behind it.
    (A lookup a replaced triple: as ``FILTER NOT EXISTS``, pyoxigraph may hash the whole store.)"""
    default, kind = ox.DefaultGraph(), ox.NamedNode(str(RDF.type))
    return {quad.object for quad in store.quads_for_pattern(None, None, node, ox.NamedNode(OLD_GRAPH))
            if type(quad.object) is ox.NamedNode and quad.predicate != kind
            and ox.Quad(quad.subject, quad.predicate, quad.object, default) not in store}


class ReachedFocus:
    """The focus of a batch checked without marks (one at least as large as its store): its
    subjects, and any other node whose verdict it changes, found node by node among what the
    checks find rather than up front.

    The rules are :func:`_add_neighbours`' (a batch subject's triple on an inverse path points at
    the node, or did before a replacement; a replacement took a link to the node away; the node
    points, on a path a shape reads, at a batch subject whose description it reads or whose types
    the batch changed), so a check keeps the same findings as with marks. A valid import finds
    nothing, and nothing is looked up.
    """

    def __init__(self, staging: Staging) -> None:
        self._staging, self._subjects = staging, staging.focus
        self._reach = compile_shapes().reach
        self._known: dict = {}  # node -> whether the batch reaches it (asked from the checks' threads:
        # at worst a node is decided twice)

    def __contains__(self, node) -> bool:
        if node in self._subjects:
            return True
        if node not in self._known:
            self._known[node] = not isinstance(node, ox.Literal) and self._reaches(node)
        return self._known[node]

    def _reaches(self, node) -> bool:
        store, reach, subjects = self._staging.store, self._reach, self._subjects
        if _unlinked(store, node):
            return True
        for predicate in sorted(reach.inverse):
            for graph in (ox.DefaultGraph(), ox.NamedNode(OLD_GRAPH)):
                holders = store.quads_for_pattern(None, ox.NamedNode(predicate), node, graph)
                if any(quad.subject in subjects for quad in holders):
                    return True
        pointed = [(quad.predicate.value, quad.object)
                   for quad in store.quads_for_pattern(node, None, None, ox.DefaultGraph()) if quad.object in subjects]
        if any(predicate in reach.description_readers for predicate, _ in pointed):
            return True
        retypable = sorted({value.value for predicate, value in pointed
                            if predicate in reach.type_readers and type(value) is ox.NamedNode})
        return bool(retypable) and bool(_retyped(self._staging, retypable))


def _retyped(staging: Staging, subjects: list[str] | None = None) -> list[str]:
    """The batch subjects (IRIs; ``subjects``: those of them) whose types differ after the
    change from before it."""
    store, main = staging.store, staging.main
    if subjects is None:
        subjects = sorted(s.value for s in staging.batch.subjects if type(s) is ox.NamedNode)
    changed = []
    for chunk in _chunks(subjects):
        query = f"SELECT ?s ?t WHERE {{ {_values(chunk)} ?s a ?t }}"
        after = {(row[0].value, row[1].value) for row in store.query(query)}
        before = set() if main is None else set(main.select_values(query)[1])
        changed += sorted({s for s, _ in after ^ before})
    return changed


def _take_out_replaced(staging: Staging, on_disk: bool) -> None:
    """Copy what the replacement removes into :data:`OLD_GRAPH` (to count it), then remove it.

    The patterns are read from the store as it was (the generation, or the main store), so a
    holder's earlier rows are found even when the staging store never held them; the resources
    they leave are added to :attr:`Staging.changed`.
    """
    store, old = staging.store, ox.NamedNode(OLD_GRAPH)
    queries = [(_CLOSURE_TEMPLATE, f"{_values(chunk)} {_CLOSURE}") for chunk in _chunks(staging.described)]
    queries += [("?s ?p ?o .", pattern) for pattern in staging.batch.replaced_patterns]
    for template, where in queries:
        if on_disk:
            store.update(f"INSERT {{ GRAPH {old} {{ {template} }} }} WHERE {{ {where} }}")
        else:
            data = staging.main.query_bytes(f"CONSTRUCT {{ {template} }} WHERE {{ {where} }}", "application/n-triples")
            store.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=old)
    if staging.described:  # (a neighbour pulled in may be a batch subject, described as it was)
        store.update(description_deletes(staging.described))
    if staging.batch.replaced_patterns:
        store.update(f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH {old} {{ ?s ?p ?o }} }}")
        gone = {row[0].value for row in store.query(
            f"SELECT DISTINCT ?s WHERE {{ GRAPH {old} {{ ?s ?p ?o }} FILTER(isIRI(?s)) }}")}
        staging.changed = sorted(set(staging.changed or ()) | gone)


def _existing_subjects(staging: Staging) -> list[str]:
    """The batch subjects (IRIs) the scratch store holds once the store's descriptions are in."""
    return sorted(row[0].value for row in staging.store.query(
        "SELECT DISTINCT ?s WHERE { { ?s ?p ?o } UNION { GRAPH <%s> { ?s ?p ?o } } FILTER(isIRI(?s)) }" % OLD_GRAPH))


def _pull_neighbourhood(staging: Staging, iris: list[str]) -> None:
    """The nodes next to ``iris`` (nodes the store holds), described, as the store has them less
    what a replacement took away.

    The consistency checks compare a node with its neighbours (a competency shortcut with the
    organisation's claims, an ``org:memberOf`` with the memberships pointing at the
    organisation), so those must be in the staging store too.
    """
    for chunk in _chunks(iris):
        values = _values(chunk)
        for pattern in (f"{values} ?s ?p ?n FILTER(isIRI(?n)) ?n ?q ?x",
                        f"{values} ?n ?p ?s . ?n ?q ?x"):
            _load_unreplaced(staging.store, staging.main.query_bytes(
                f"CONSTRUCT {{ ?n ?q ?x }} WHERE {{ {pattern} }}", "application/n-triples"))


def _load_unreplaced(store: ox.Store, data: bytes) -> None:
    """Add N-Triples from the main store to ``store``, less what a replacement took away (in
    :data:`OLD_GRAPH`: a removed claim pulled in as a neighbour is no claim)."""
    replaced = ox.NamedNode(OLD_GRAPH)
    if next(store.quads_for_pattern(None, None, None, replaced), None) is None:  # (nothing taken away yet)
        store.load(data, format=ox.RdfFormat.N_TRIPLES)
        return
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
                 if ox.Quad(t.subject, t.predicate, t.object, replaced) not in store)


def _graph_count(store: ox.Store, pattern: str) -> int:
    return int(next(iter(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")))[0].value)


def _pull_mentioned(staging: Staging) -> None:
    """The descriptions of the nodes the staged data mentions without describing (their types,
    for the shapes' class tests; their shortcuts, for the consistency checks: an affiliation
    moved to another organisation needs that organisation's ``ckg:affiliatedWith``), and the
    class hierarchy."""
    store, main = staging.store, staging.main
    undescribed = sorted({row[0].value for row in store.query(
        "SELECT DISTINCT ?o WHERE { { ?s ?p ?o } UNION { GRAPH <%s> { ?o ?k ?f } } "
        "FILTER(isIRI(?o)) FILTER NOT EXISTS { ?o ?q ?x } }" % FOCUS_GRAPH)})
    for chunk in _chunks(undescribed):
        _load_unreplaced(store, main.query_bytes(
            f"CONSTRUCT {{ {_CLOSURE_TEMPLATE} }} WHERE {{ {_values(chunk)} {_CLOSURE} }}", "application/n-triples"))
    hierarchy = main.query_bytes(f"CONSTRUCT {{ ?a <{RDFS.subClassOf}> ?b }} WHERE {{ ?a <{RDFS.subClassOf}> ?b }}",
                                 "application/n-triples")
    store.load(hierarchy, format=ox.RdfFormat.N_TRIPLES)
