"""Fixtures for the analyses: small graphs built from rows, and the real default dataset.

``make_projection(rows_by_sheet)`` builds a projection from rows in the CSV sheet format
(``data/README.md``), e.g. ``{"clusters": [{"id": "a", "name": "A", "countries": "DE",
"source_url": "https://example.org/a"}], ...}``: the graph is built with the same code as an
import (``clusterkg.graph.sheets``), loaded into an in-memory store and projected, so a test
states a small world whose right answers are known by construction. Sheets not given are
empty; ``source_url`` defaults to ``https://example.org/test`` where a sheet requires it.
"""

from __future__ import annotations

import pytest

from clusterkg.graph.dataset import initialise
from clusterkg.graph.projection import Projection, build_projection
from clusterkg.graph.sheets import SHEETS, build_rows
from clusterkg.graph.store import OxigraphStore

TEST_SOURCE = "https://example.org/test"


def projection_from_rows(rows_by_sheet: dict[str, list[dict[str, str]]]) -> Projection:
    store = OxigraphStore()
    for sheet_name, rows in rows_by_sheet.items():
        sheet = SHEETS[sheet_name]
        needs_source = any(c.name == "source_url" and c.required for c in sheet.columns)
        filled = [{"source_url": TEST_SOURCE, **row} if needs_source else row for row in rows]
        graph, problems = build_rows(sheet_name, filled, f"{sheet_name}.csv")
        assert problems == [], problems
        store.insert_graph(graph)
    return build_projection(store)


@pytest.fixture()
def make_projection():
    return projection_from_rows


@pytest.fixture(scope="session")
def default_projection() -> Projection:
    """The projection of the bundled real dataset (built once per test session)."""
    store = OxigraphStore()
    initialise(store, progress=False)
    projection = build_projection(store)
    store.close()
    return projection
