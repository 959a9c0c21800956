"""The analytic projection cached once per data version: in memory, and on disk for the
command line and for several web fronts in front of one SPARQL server."""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import pickle
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from clusterkg.graph.projection import Projection, build_projection
from clusterkg.graph.projection_refresh import catch_up
from clusterkg.graph.store import KnowledgeStore

__all__ = ["ProjectionCache", "load_or_build"]

# One file per store and data version, ``projection-<store>-<version>.pickle``: written to a
# temporary file and renamed over (a reader never sees half a file), built under an exclusive
# lock on ``projection-<store>.lock`` (several processes wanting the same version wait for one
# build and then read its file). Stores are told apart by their description (the path of an
# on-disk store, the URL of a server); an in-memory store is never cached on disk, as two of
# them cannot be told apart.


class ProjectionCache:
    """Holds the projection of one store and keeps it up to date with the data version.

    After a write it refreshes the projection it holds (:func:`catch_up`), or builds it afresh
    when the history cannot say what changed. Thread-safe: concurrent requests after a write
    wait for one refresh. With a ``cache_dir`` it shares its projections with every process
    using the same directory and store (several web fronts before one SPARQL server): a
    version one of them has built is read from disk by the others.
    """

    def __init__(self, store: KnowledgeStore, cache_dir: str | Path | None = None):
        self.store = store
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._projection: Projection | None = None
        self._lock = threading.Lock()
        self._saving: threading.Thread | None = None

    def get(self) -> Projection:
        version = self.store.data_version()
        current = self._projection
        if current is not None and current.version == version:
            return current
        with self._lock:
            current = self._projection
            if current is None or current.version != self.store.data_version():
                self.wait_saved()
                self._projection = load_or_build(self.store, self.cache_dir, earlier=current, in_background=self._save)
            return self._projection

    def _save(self, write: Callable[[], None]) -> None:
        self._saving = threading.Thread(target=write, name="projection-cache-save")
        self._saving.start()

    def wait_saved(self) -> None:
        """Wait until the projection last built is written to the cache directory."""
        if self._saving is not None:
            self._saving.join()


def load_or_build(store: KnowledgeStore, cache_dir: str | Path | None, earlier: Projection | None = None, *,
                  in_background: Callable[[Callable[[], None]], None] | None = None) -> Projection:
    """The projection for the store's current data version, from the disk cache if present.

    Otherwise ``earlier`` (a projection held in memory) or the newest cached one of this store
    is brought up to date (:func:`catch_up`), or the projection is built afresh; then it is
    written to the cache for the other processes — by ``in_background(write)`` if given (a web
    front answers at once; the other processes wait for the file).
    """
    store_key = _store_key(store)
    if cache_dir is None or store_key is None:
        return catch_up(earlier, store) if earlier is not None else build_projection(store)
    directory = Path(cache_dir)
    version = store.data_version()
    projection = _load(_cache_path(directory, store_key, version))
    if projection is not None and projection.version == version:
        return projection
    directory.mkdir(parents=True, exist_ok=True)
    lock = open(directory / f"projection-{store_key}.lock", "a+b")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        version = store.data_version()
        projection = _load(_cache_path(directory, store_key, version))  # built while we waited?
        if projection is None or projection.version != version:
            if earlier is None:
                cached = [p for p in map(_load, sorted(directory.glob(f"projection-{store_key}-*.pickle"))) if p is not None]
                earlier = cached[0] if cached else None
            projection = catch_up(earlier, store) if earlier is not None else build_projection(store)
            if in_background is not None:  # the lock is released once the file is written
                in_background(functools.partial(_save, projection, directory, store_key, lock))
                lock = None
            else:
                _save(projection, directory, store_key)
    finally:
        if lock is not None:
            lock.close()
    return projection


def _store_key(store: KnowledgeStore) -> str | None:
    """A short name for the store in cache file names; None for a store in memory."""
    if getattr(store, "path", "") is None:
        return None
    return hashlib.sha256(store.description.replace("read-only ", "").encode()).hexdigest()[:12]


#: Pickles of a projection in use: a request reading it in another thread can add attributes as
#: it reads (a scipy sparse matrix sets ``_has_sorted_indices`` and ``_has_canonical_format`` on
#: first use), and pickle then stops with "dictionary changed size during iteration" (seen once
#: in a full test run). The flags are set once: the next pickle goes through.
_PICKLE_ATTEMPTS = 3


def _save(projection: Projection, directory: Path, store_key: str, lock=None) -> None:
    """Write ``projection`` atomically and drop this store's other versions; then close ``lock``."""
    path = _cache_path(directory, store_key, projection.version)
    temporary = directory / f".{path.name}.{uuid.uuid4().hex}.tmp"
    try:
        for attempt in range(1, _PICKLE_ATTEMPTS + 1):
            try:
                with open(temporary, "wb") as handle:
                    pickle.dump(projection, handle, protocol=pickle.HIGHEST_PROTOCOL)
                break
            except RuntimeError as error:  # (see _PICKLE_ATTEMPTS)
                if attempt == _PICKLE_ATTEMPTS or "changed size during iteration" not in str(error):
                    raise
        os.replace(temporary, path)
        for old in directory.glob(f"projection-{store_key}-*.pickle"):  # a reader that has one open keeps it
            if old != path:
                old.unlink(missing_ok=True)
    finally:
        temporary.unlink(missing_ok=True)
        if lock is not None:
            lock.close()


def _cache_path(cache_dir: str | Path, store_key: str, version: str) -> Path:
    return Path(cache_dir) / f"projection-{store_key}-{hashlib.sha256(version.encode()).hexdigest()[:12]}.pickle"


def _load(path: Path) -> Projection | None:
    """The projection pickled at ``path``; None if absent, partial or of an older layout."""
    try:
        with open(path, "rb") as handle:
            projection = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if not isinstance(projection, Projection) or not hasattr(projection, "ties") or projection.__dict__.get("evidence") is None:
        return None
    return projection
