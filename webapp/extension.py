"""The app's state: the opened store, its projection cache and the query runner.

Lives in ``app.extensions["clusterkg"]`` (never a module global), so several apps (tests) can
live in one process. Every write goes through :meth:`ClusterKG.write`, which serialises writers,
and tells the query runner that the data changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app

from clusterkg.graph.projection import ProjectionCache
from clusterkg.graph.store import KnowledgeStore, OxigraphStore, SparqlProtocolStore

__all__ = ["ClusterKG", "state"]

T = TypeVar("T")


class ClusterKG:
    """What a request needs: ``store``, ``projections`` (a ProjectionCache), ``runner`` and limits."""

    def __init__(self, store: KnowledgeStore, *, query_timeout: float, max_rows: int,
                 admin_token: str | None, query_workers: int, query_cache: int = 0,
                 query_reserve: int = 3, projection_cache: str | None = None, queries_in_process: bool = False):
        self.store = store
        # with a directory, fronts before one SPARQL server share their projections through it
        self.projections = ProjectionCache(store, projection_cache)
        self.query_timeout = query_timeout
        self.max_rows = max_rows
        self.admin_token = admin_token or None
        self._write_lock = threading.Lock()
        self._publish_lock = threading.Lock()
        self._written = self._published = 0  # writes done; writes on disk and announced
        if isinstance(store, OxigraphStore):
            store.flush_later = True  # (flushed by _publish, several writes at once)
        self.write_listeners: list[Callable[[], None]] = []  # called after every write (other fronts)
        self.runner = _runner_for(store, query_workers, query_timeout, query_reserve, queries_in_process)
        if query_cache > 0 and isinstance(store, OxigraphStore):
            # (a remote server may be written by other clients: its answers are never cached)
            from clusterkg.webapp.query_runner import CachedQueryRunner

            self.runner = CachedQueryRunner(self.runner, max_entries=query_cache)

    def write(self, action: Callable[[KnowledgeStore], T]) -> T:
        """Run one write on the store; queries see it afterwards, the projection rebuilds lazily.

        Writers take turns; putting a write on disk for the query workers (a flush, tens of
        milliseconds) is done after the turn, once for every write done by then, so writers
        arriving together share one flush. A write returns once it is on disk and announced.
        """
        try:
            with self._write_lock:
                try:
                    return action(self.store)
                finally:
                    self._written += 1
                    ticket = self._written
        finally:
            self._publish(ticket)

    def _publish(self, ticket: int) -> None:
        """Flush and announce every write done so far, unless one did since write ``ticket``."""
        with self._publish_lock:
            if self._published >= ticket:
                return
            done = self._written  # (counted after each write's action: all of them are in the store)
            try:
                if isinstance(self.store, OxigraphStore):
                    self.store.flush()
            finally:
                self._published = done
                self.runner.data_changed()
                for listener in self.write_listeners:
                    listener()

    @property
    def writing(self) -> bool:
        """Whether a write is under way or not yet announced: the query workers may not see it."""
        return self._write_lock.locked() or self._published < self._written

    def close(self) -> None:
        """Stop the query workers and release the store; closing twice is fine."""
        self.runner.close()
        self.store.close()

    def init_app(self, app: Flask) -> None:
        app.extensions["clusterkg"] = self


def _runner_for(store: KnowledgeStore, workers: int, timeout: float, reserve: int, in_process: bool = False):
    """The query runner that enforces the limits on ``store``'s kind of storage; ``in_process``:
    a reader front's, whose own threads query its read-only view (it recycles after a runaway)."""
    from clusterkg.webapp import query_runner

    if isinstance(store, SparqlProtocolStore):
        return query_runner.RemoteQueryRunner(store.query_url, store.headers, timeout=timeout,
                                              fields=store.protocol_fields)
    if not isinstance(store, OxigraphStore):
        raise TypeError(f"no query runner for {type(store).__name__}")
    if in_process:
        return query_runner.SnapshotQueryRunner(store, workers=workers, timeout=timeout)
    if store.path is not None:
        return query_runner.ProcessQueryRunner(store.path, workers=workers, timeout=timeout, reserve=reserve)
    # an in-memory store cannot be opened by another process (see query_runner)
    return query_runner.ThreadQueryRunner(store._store, workers=workers, timeout=timeout)


def state() -> ClusterKG:
    """The current app's :class:`ClusterKG`."""
    return current_app.extensions["clusterkg"]
