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
from clusterkg.graph.store import KnowledgeStore, OxigraphStore

__all__ = ["ClusterKG", "state"]

T = TypeVar("T")


class ClusterKG:
    """What a request needs: ``store``, ``projections`` (a ProjectionCache), ``runner`` and limits."""

    def __init__(self, store: KnowledgeStore, *, query_timeout: float, max_rows: int,
                 admin_token: str | None, query_workers: int, query_cache: int = 0):
        self.store = store
        self.projections = ProjectionCache(store)
        self.query_timeout = query_timeout
        self.max_rows = max_rows
        self.admin_token = admin_token or None
        self._write_lock = threading.Lock()
        self.runner = None
        if isinstance(store, OxigraphStore):
            from clusterkg.webapp.query_runner import ProcessQueryRunner, ThreadQueryRunner

            if store.path is not None:
                self.runner = ProcessQueryRunner(store.path, workers=query_workers, timeout=query_timeout)
            else:
                # an in-memory store cannot be opened by another process (see query_runner)
                self.runner = ThreadQueryRunner(store._store, workers=query_workers, timeout=query_timeout)
            if query_cache > 0:
                from clusterkg.webapp.query_runner import CachedQueryRunner

                self.runner = CachedQueryRunner(self.runner, max_entries=query_cache)

    def write(self, action: Callable[[KnowledgeStore], T]) -> T:
        """Run one write on the store; queries see it afterwards, the projection rebuilds lazily."""
        with self._write_lock:
            try:
                return action(self.store)
            finally:
                if self.runner is not None:
                    self.runner.data_changed()

    def close(self) -> None:
        if self.runner is not None:
            self.runner.close()
        self.store.close()

    def init_app(self, app: Flask) -> None:
        app.extensions["clusterkg"] = self


def state() -> ClusterKG:
    """The current app's :class:`ClusterKG`."""
    return current_app.extensions["clusterkg"]
