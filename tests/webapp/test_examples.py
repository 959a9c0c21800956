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


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["name"] for e in EXAMPLES])
def test_example_names_things_in_english_only(default_store, example):
    """Things named in several languages (a competency's ``skos:prefLabel`` in English, Russian,
    German and French; a cluster's ``rdfs:label`` in English and Russian) appear once, by the English
    name: no answer holds a name in another language."""
    rows = default_store.select(example["query"]).rows
    other = {(str(term), term.language) for row in rows for term in row
             if term is not None and getattr(term, "language", None) not in (None, "en")}
    assert other == set(), sorted(other)[:5]
