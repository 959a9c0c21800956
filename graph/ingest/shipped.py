"""The open data shipped in ``data/open/`` and how ``init`` loads it: through the validated
import, in one batch with the curated sheets, like any other input.

The build (``python -m clusterkg.graph.ingest.build``) already ran that import on exactly these
files before writing them; running it again at ``init`` costs seconds with the SPARQL-compiled
checks and keeps one rule for everything that enters the store.
"""

from __future__ import annotations

import gzip
import shutil
from importlib import resources
from pathlib import Path

__all__ = ["open_data_paths", "decompress"]


def open_data_paths(folder: Path | None = None) -> list[Path]:
    """The shipped ``*.nt.gz`` files, as real files (works for wheels and checkouts)."""
    folder = folder or Path(str(resources.files("clusterkg.data") / "open"))
    return sorted(folder.glob("*.nt.gz")) if folder.is_dir() else []


def decompress(path: Path, target_dir: Path) -> Path:
    """A plain N-Triples copy of a shipped file in ``target_dir`` (the import reads ``.nt``)."""
    target = target_dir / path.name.removesuffix(".gz")
    with gzip.open(path, "rb") as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
    return target
