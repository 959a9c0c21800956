"""The analytic projection cached once per data version: in memory, and on disk for the
command line and for several web fronts in front of one SPARQL server."""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
from pathlib import Path

from clusterkg.graph.projection import Projection, build_projection
from clusterkg.graph.projection_refresh import catch_up
from clusterkg.graph.store import KnowledgeStore

__all__ = ["ProjectionCache", "load_or_build"]

# ---------------------------------------------------------------------------------------------
# Caching: once per data version, in memory and (for the CLI) on disk


class ProjectionCache:
    """Holds the projection of one store and keeps it up to date with the data version.

    After a write it refreshes the projection it holds (:func:`catch_up`), or builds it afresh
    when the history cannot say what changed. Thread-safe: concurrent requests after a write
    wait for one refresh.
    """

    def __init__(self, store: KnowledgeStore, cache_dir: str | Path | None = None):
        self.store = store
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._projection: Projection | None = None
        self._lock = threading.Lock()

    def get(self) -> Projection:
        version = self.store.data_version()
        current = self._projection
        if current is not None and current.version == version:
            return current
        with self._lock:
            if self._projection is None:
                self._projection = load_or_build(self.store, self.cache_dir)
            elif self._projection.version != self.store.data_version():
                self._projection = catch_up(self._projection, self.store)
            return self._projection


def load_or_build(store: KnowledgeStore, cache_dir: str | Path | None) -> Projection:
    """The projection for the store's current data version, from the disk cache if present.

    A cached projection of an earlier version is brought up to date (:func:`catch_up`).
    """
    if cache_dir is None:
        return build_projection(store)
    version = store.data_version()
    store_key = hashlib.sha256(store.description.encode()).hexdigest()[:12]
    path = _cache_path(cache_dir, store_key, version)
    projection = _load(path)
    if projection is not None and projection.version == version:
        return projection
    earlier = [p for p in map(_load, sorted(Path(cache_dir).glob(f"projection-{store_key}-*.pickle"))) if p is not None]
    projection = catch_up(earlier[0], store) if earlier else build_projection(store)
    path = _cache_path(cache_dir, store_key, projection.version)
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    for old in Path(cache_dir).glob(f"projection-{store_key}-*.pickle"):  # this store's old versions
        if old != path:
            old.unlink(missing_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        pickle.dump(projection, handle, protocol=pickle.HIGHEST_PROTOCOL)
    temporary.replace(path)
    return projection


def _cache_path(cache_dir: str | Path, store_key: str, version: str) -> Path:
    return Path(cache_dir) / f"projection-{store_key}-{hashlib.sha256(version.encode()).hexdigest()[:12]}.pickle"


def _load(path: Path) -> Projection | None:
    """The projection pickled at ``path``; None if absent, partial or of an older layout."""
    try:
        with open(path, "rb") as handle:
            projection = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if not isinstance(projection, Projection) or not hasattr(projection, "ties"):
        return None
    return projection
