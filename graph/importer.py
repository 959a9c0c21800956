"""Import: validate a batch of files, then write all of it or nothing.

The store is only touched after every check passed, and then in one atomic insert, so a
rejected import leaves it exactly as it was.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from clusterkg.graph.problems import ValidationFailed
from clusterkg.graph.store import KnowledgeStore
from clusterkg.graph.validation import load_batch, validate_batch

__all__ = ["ImportReport", "import_files", "validate_only"]


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    files: int
    batch_triples: int
    triples_before: int
    triples_after: int
    dry_run: bool

    @property
    def added(self) -> int:
        return self.triples_after - self.triples_before

    def __str__(self) -> str:
        if self.dry_run:
            return f"valid: {self.files} file(s), {self.batch_triples} triples (dry run, nothing written)"
        return (
            f"imported {self.files} file(s): {self.batch_triples} triples in the batch, "
            f"{self.added} new; the store now holds {self.triples_after} triples"
        )


def import_files(
    paths: Sequence[str | Path],
    store: KnowledgeStore,
    *,
    dry_run: bool = False,
    progress: bool | None = None,
) -> ImportReport:
    """Validate ``paths`` as one batch and, if nothing is wrong, add it to ``store`` atomically.

    Raises
    ------
    ValidationFailed
        With every problem found; the store is unchanged.
    """
    show = sys.stderr.isatty() if progress is None else progress
    steps = ["parse", "check", "write"] if not dry_run else ["parse", "check"]
    with tqdm(total=len(steps), desc="import", unit="step", disable=not show, file=sys.stderr) as bar:
        bar.set_postfix_str(f"parsing {len(paths)} file(s)")
        batch = load_batch(paths)
        bar.update()
        bar.set_postfix_str("checking references and shapes")
        validate_batch(batch, store)
        bar.update()
        if batch.problems:
            raise ValidationFailed(batch.problems)
        graph = batch.graph
        before = store.triple_count()
        if dry_run:
            return ImportReport(len(paths), len(graph), before, before, True)
        bar.set_postfix_str(f"writing {len(graph)} triples")
        store.insert_graph(graph)
        bar.update()
    return ImportReport(len(paths), len(graph), before, store.triple_count(), False)


def validate_only(paths: Sequence[str | Path], store: KnowledgeStore | None) -> ImportReport:
    """The checks of an import, against an optional store, with no writes."""
    batch = load_batch(paths)
    validate_batch(batch, store)
    if batch.problems:
        raise ValidationFailed(batch.problems)
    count = store.triple_count() if store is not None else 0
    return ImportReport(len(paths), len(batch.graph), count, count, True)
