"""The default dataset as ``clusterkg init`` loads it: the curated sheets plus the shipped open data."""

from __future__ import annotations

import pytest

from clusterkg.graph.dataset import initialise
from clusterkg.graph.projection import build_projection
from clusterkg.graph.store import OxigraphStore


@pytest.fixture(scope="session")
def open_store() -> OxigraphStore:
    """An in-memory store holding what a fresh ``clusterkg init`` holds (read it, never write it)."""
    store = OxigraphStore()
    initialise(store, with_open_data=True, progress=False)
    return store


@pytest.fixture(scope="session")
def open_projection(open_store):
    return build_projection(open_store)
