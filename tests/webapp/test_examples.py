"""The example query library: named, and each answers on the default dataset."""

from __future__ import annotations

import pytest

from clusterkg.graph.dataset import initialise
from clusterkg.graph.store import OxigraphStore
from clusterkg.webapp.sparql import example_queries

EXAMPLES = example_queries()


def test_there_are_at_least_ten_named_examples():
    assert len(EXAMPLES) >= 10
    assert all(e["title"] and e["title"] != e["name"] for e in EXAMPLES)
    assert len({e["title"] for e in EXAMPLES}) == len(EXAMPLES)


@pytest.fixture(scope="module")
def default_store():
    with OxigraphStore() as store:
        initialise(store)
        yield store


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["name"] for e in EXAMPLES])
def test_example_returns_rows(default_store, example):
    variables, rows = default_store.select_values(example["query"])
    assert rows, f"{example['name']} returned no rows on the default dataset"
