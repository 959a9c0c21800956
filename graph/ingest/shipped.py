"""The open data shipped in ``data/open/``, and how ``init`` loads it quickly and safely.

The build (``python -m clusterkg.graph.ingest.build``) runs the full validated import on these
files, against the ontology and the curated sheets, before it writes ``data/open/MANIFEST.csv``
(file, SHA-256, triples). ``init`` then bulk-loads every file whose bytes still match the
manifest: the checks already passed on exactly those bytes, and repeating them would cost minutes
at every first run. A file that does not match (edited by hand, or not rebuilt) goes through the
validated import like any other input.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from clusterkg.graph.store import KnowledgeStore

__all__ = ["open_data_paths", "manifest", "write_manifest", "digest", "load_shipped", "MANIFEST"]

MANIFEST = "MANIFEST.csv"
COLUMNS = ["file", "sha256", "triples"]


def _folder() -> Path:
    return Path(str(resources.files("clusterkg.data") / "open"))


def open_data_paths(folder: Path | None = None) -> list[Path]:
    folder = folder or _folder()
    return sorted(folder.glob("*.nt.gz")) if folder.is_dir() else []


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(folder: Path | None = None) -> dict[str, dict[str, str]]:
    path = (folder or _folder()) / MANIFEST
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def write_manifest(folder: Path, triples: dict[str, int]) -> Path:
    """Record the validated files' digests (called by the build after the validated import)."""
    path = folder / MANIFEST
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for file in open_data_paths(folder):
            writer.writerow([file.name, digest(file), triples[file.name]])
    return path


def decompress(path: Path, target_dir: Path) -> Path:
    target = target_dir / path.name.removesuffix(".gz")
    with gzip.open(path, "rb") as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
    return target


def load_shipped(store: KnowledgeStore, *, folder: Path | None = None, progress: bool | None = None) -> dict[str, str]:
    """Load the shipped open data; returns file -> how it was loaded ("bulk" or "validated")."""
    from clusterkg.graph.importer import import_files

    folder = folder or _folder()
    recorded = manifest(folder)
    how: dict[str, str] = {}
    unvalidated: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="clusterkg-open-data-") as scratch:
        for path in open_data_paths(folder):
            plain = decompress(path, Path(scratch))
            row = recorded.get(path.name)
            if row is not None and row["sha256"] == digest(path):
                store.insert_ntriples(plain)
                how[path.name] = "bulk"
            else:
                unvalidated.append(plain)
                how[path.name] = "validated"
        if unvalidated:
            import_files(unvalidated, store, progress=progress)
    return how
