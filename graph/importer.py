"""Import: parse a batch of files, check the store as it would be, then write all of it or nothing.

1. parse every file, streaming, into strict N-Triples in a work directory
   (:mod:`clusterkg.graph.parsing`);
2. stage the change next to the store and run every check on it as SPARQL
   (:mod:`clusterkg.graph.staging`, :mod:`clusterkg.graph.validation`);
3. commit: the data, the new data version and the history record in one transaction (a swapped
   generation on disk, one SPARQL Update elsewhere). A rejected batch leaves the store exactly
   as it was, and so does a crash at any moment.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from tqdm import tqdm

from clusterkg.graph.history import Activity, default_agent, file_digest
from clusterkg.graph.parsing import ParsedBatch, ParsedFile, UnparsedSyntaxError, parse_files
from clusterkg.graph.problems import ValidationFailed
from clusterkg.graph.revert import import_delta
from clusterkg.graph.sheets import removal_patterns
from clusterkg.graph.staging import Staging, in_generation, stage
from clusterkg.graph.store import KnowledgeStore
from clusterkg.graph.validation import check_staging, lower_thread_priority
from clusterkg.ontology.namespace import CKG

__all__ = ["ImportReport", "import_files", "remove_matching", "remove_rows", "validate_only"]


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    files: int
    batch_triples: int
    triples_before: int
    triples_after: int
    dry_run: bool
    removed: int = 0

    @property
    def added(self) -> int:
        return self.triples_after - self.triples_before + self.removed

    def __str__(self) -> str:
        if self.dry_run:
            return f"valid: {self.files} file(s), {self.batch_triples} triples (dry run, nothing written)"
        replaced = f", {self.removed} replaced triples removed" if self.removed else ""
        return (
            f"imported {self.files} file(s): {self.batch_triples} triples in the batch, "
            f"{self.added} new{replaced}; the store now holds {self.triples_after} triples"
        )


def import_files(
    paths: Sequence[str | Path],
    store: KnowledgeStore | None,
    *,
    dry_run: bool = False,
    replace: bool = False,
    agent: str | None = None,
    progress: bool | None = None,
    names: Sequence[str] | None = None,
) -> ImportReport:
    """Check ``paths`` as one batch and, if nothing is wrong, write it to ``store`` atomically.

    With ``replace``, each resource the batch describes loses its earlier description first
    (what other resources say about it stays); the checks see the store after the replacement.
    ``store=None`` checks the files alone (a dry run). ``names`` are the files' names for the
    history record (default: the paths).

    Raises
    ------
    ValidationFailed
        With every problem found; the store is unchanged.
    """
    show = sys.stderr.isatty() if progress is None else progress
    dry_run = dry_run or store is None
    activity = Activity("replace" if replace else "import", agent=agent or default_agent())
    shown = list(names) if names is not None else [str(p) for p in paths]
    with tempfile.TemporaryDirectory(prefix="clusterkg-import-") as work, \
            tqdm(total=4, desc="import", unit="step", disable=not show, file=sys.stderr) as bar:
        bar.set_postfix_str(f"parsing {len(paths)} file(s)")
        # a large N-Triples file going into a new generation is checked by staging's strict load
        # (no checking parse; see graph/parsing.py); if it is not valid, every file is parsed
        batch = parse_files(paths, Path(work), defer=not replace and in_generation(store))
        bar.update()
        bar.set_postfix_str("staging")
        try:
            staging = stage(store, batch, Path(work), replace=replace)
        except UnparsedSyntaxError:
            staging = None  # (retried once the error's frames, holding the discarded store open, are gone)
        if staging is None:
            batch = parse_files(paths, Path(work))
            staging = stage(store, batch, Path(work), replace=replace)
        bar.update()
        return _check_and_write(store, batch, staging, activity, list(zip(shown, paths)), dry_run, bar)


def remove_rows(store: KnowledgeStore, iris: Sequence[str], *, agent: str | None = None,
                dry_run: bool = False) -> ImportReport:
    """Remove sheet rows (members' affiliations, claims, needs, resources, developments) by their
    IRIs, with the links to them and the shortcuts no other row still supports
    (:func:`~clusterkg.graph.sheets.removal_patterns`, ``ValueError`` for an IRI that is no row).

    The removal is an import of nothing that replaces the rows: staged, checked on the rows'
    holders like any import, then written with its history record and delta (revertible), or
    nothing is written.
    """
    replaces = [pattern for iri in iris for pattern in removal_patterns(iri, together=iris)]
    values = " ".join(str(ox.NamedNode(iri)) for iri in iris)
    _, holders = store.select_values(f"SELECT DISTINCT ?h WHERE {{ VALUES ?r {{ {values} }} {{ ?h ?p ?r }} UNION "
                                     f"{{ ?r <{CKG.organisation}>|<{CKG.offeredBy}>|<{CKG.developedBy}> ?h }} }}")
    return remove_matching(store, replaces, {iri for iri, in holders}, Activity("remove", agent=agent or default_agent()),
                           dry_run=dry_run)


def remove_matching(store: KnowledgeStore, patterns: list[str], checked: set[str], activity: Activity, *,
                    dry_run: bool = False) -> ImportReport:
    """Remove the triples ``patterns`` bind (SPARQL binding ``?s ?p ?o``, applied in order) as an
    import of nothing that replaces them: staged, checked like any import on the nodes ``checked``
    (IRIs: those next to what goes) and on those it takes links away from, then written with
    ``activity``, its history record and delta (revertible), or nothing is written."""
    with tempfile.TemporaryDirectory(prefix="clusterkg-remove-") as work:
        nothing = Path(work) / "nothing.nt"
        nothing.write_bytes(b"")
        removal = ParsedFile(activity.operation, nothing, True, ntriples=nothing,
                             subjects={ox.NamedNode(iri) for iri in checked}, replaces=patterns)
        batch = ParsedBatch([removal], [])
        staging = stage(store, batch, Path(work), replace=True)
        return _check_and_write(store, batch, staging, activity, [], dry_run)


def _check_and_write(store: KnowledgeStore | None, batch: ParsedBatch, staging: Staging, activity: Activity,
                     files: list[tuple[str, Path]], dry_run: bool, bar: tqdm | None = None) -> ImportReport:
    """Every check on the staged change, then (unless ``dry_run``) the commit with ``activity``,
    which records ``files`` (name, path) and, when small, the exact triples; the staging store
    is discarded either way."""
    # the files' SHA-256 for the history, beside the checks (1.2 s at 10M triples, on the core the
    # checks leave idle at their end)
    digests = _digests_beside([path for _, path in files]) if not dry_run else None
    try:
        if bar is not None:
            bar.set_postfix_str("checking references, shapes and consistency")
        problems = batch.problems + check_staging(staging.store, batch, staging.checked_focus, staging.focus_graph,
                                                  staging.size)
        if bar is not None:
            bar.update()
        if problems:
            raise ValidationFailed(problems)
        before = store.triple_count() if store is not None else 0
        report = ImportReport(len(files), batch.triples, before, before + staging.added - staging.removed,
                              dry_run, staging.removed)
        if dry_run:  # what it would do (the preview of an upload shows it)
            return report
        if bar is not None:
            bar.set_postfix_str("writing")
        activity.files = [(name, digest) for (name, _), digest in zip(files, digests.result())]
        # the exact triples, kept with the record when small, make the change revertible
        activity.delta = import_delta(store, batch.ntriples, staging.replaced,
                                      expected=staging.added + staging.removed)
        staging.commit(activity)
        if bar is not None:
            bar.update()
        return report
    finally:
        staging.discard()


def _digests_beside(paths: list[Path]) -> Future:
    """The SHA-256 of each file (:func:`~clusterkg.graph.history.file_digest`), computed in a
    thread of lower priority (hashlib releases the GIL)."""
    def digests() -> list[str]:
        lower_thread_priority()
        return [file_digest(path) for path in paths]

    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(digests)
    finally:
        pool.shutdown(wait=False)  # (its thread ends with the task)


def validate_only(paths: Sequence[str | Path], store: KnowledgeStore | None) -> ImportReport:
    """The checks of an import, against an optional store, with no writes."""
    return import_files(paths, store, dry_run=True, progress=False)
