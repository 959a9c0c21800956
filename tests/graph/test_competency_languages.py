"""Competencies named in four languages: one preferred term per language, the others alternative.

The sheet's language columns (``data/README.md``, "Competencies in four languages") hold the
taxonomy's terms: these tests check that each column holds terms of its language only, that no
term is both preferred and alternative, and that the graph and its readers keep one English name
per competency while the other languages' names are there to be found.
"""

from __future__ import annotations

import csv
import re

import pytest
from rdflib import Literal

from clusterkg.graph.dataset import default_sheet_paths
from clusterkg.graph.sheets import build_rows
from clusterkg.ontology.namespace import DATA, SKOS

CYRILLIC = re.compile("[\u0400-\u04ff]")
FRENCH_MARKS = re.compile("[éèêàçôîûùëïœâ]", re.IGNORECASE)
GERMAN_MARKS = re.compile("[äöüß]", re.IGNORECASE)
LANGUAGE_COLUMNS = {"ru": ("label_ru", "alt_labels_ru"), "de": ("label_de", "alt_labels_de"), "fr": ("label_fr", "alt_labels_fr")}


def _terms(cell: str) -> list[str]:
    return [t.strip() for t in cell.split(";") if t.strip()]


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    path = next(p for p in default_sheet_paths() if p.name == "competencies.csv")
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_each_language_column_holds_terms_of_its_language(rows):
    wrong = []
    for row in rows:
        for column in LANGUAGE_COLUMNS["ru"]:
            wrong += [(row["id"], column, t) for t in _terms(row[column]) if not CYRILLIC.search(t)]
        for column in LANGUAGE_COLUMNS["de"] + LANGUAGE_COLUMNS["fr"] + ("alt_labels", "label"):
            wrong += [(row["id"], column, t) for t in _terms(row[column]) if CYRILLIC.search(t)]
        for column in LANGUAGE_COLUMNS["de"]:
            wrong += [(row["id"], column, t) for t in _terms(row[column]) if FRENCH_MARKS.search(t)]
        for column in LANGUAGE_COLUMNS["fr"]:
            wrong += [(row["id"], column, t) for t in _terms(row[column]) if GERMAN_MARKS.search(t)]
        # a term with a French or German mark has a language: it is not left untagged
        wrong += [(row["id"], "alt_labels", t) for t in _terms(row["alt_labels"]) if FRENCH_MARKS.search(t)]
    assert wrong == []


def test_a_preferred_term_is_one_term_and_not_also_an_alternative(rows):
    wrong = []
    for row in rows:
        for language, (preferred, alternatives) in LANGUAGE_COLUMNS.items():
            label, alts = row[preferred], _terms(row[alternatives])
            if ";" in label or (alts and not label):
                wrong.append((row["id"], preferred, label, alts))
            if label and label in alts:
                wrong.append((row["id"], language, label))
    assert wrong == []


def test_the_languages_the_taxonomy_names_are_there(rows):
    """Most competencies have a preferred term in each of the three languages (README's counts)."""
    counts = {language: sum(1 for row in rows if row[columns[0]]) for language, columns in LANGUAGE_COLUMNS.items()}
    assert counts == {"ru": 259, "de": 250, "fr": 263}


def test_a_row_becomes_one_preferred_label_per_language():
    graph, problems = build_rows("competencies", [{
        "id": "sensor-technology", "label": "Sensor technology", "alt_labels": "sensors",
        "label_ru": "датчики", "alt_labels_ru": "сенсоры", "label_de": "Sensorik", "alt_labels_de": "Sensoren",
        "label_fr": "capteurs"}], "competencies.csv")
    assert problems == []
    node = DATA["competency/sensor-technology"]
    assert set(graph.objects(node, SKOS.prefLabel)) == {
        Literal("Sensor technology", lang="en"), Literal("датчики", lang="ru"), Literal("Sensorik", lang="de"),
        Literal("capteurs", lang="fr")}
    assert set(graph.objects(node, SKOS.altLabel)) == {
        Literal("sensors"), Literal("сенсоры", lang="ru"), Literal("Sensoren", lang="de")}


def test_the_projection_keeps_one_english_name_per_competency(default_projection, rows):
    """Readers that take one ``skos:prefLabel`` per concept get the English one, one row each."""
    frame = default_projection.competencies
    assert len(frame) == len(rows) == frame["iri"].nunique()
    names = dict(zip(frame["iri"], frame["label"]))
    assert {names[str(DATA[f"competency/{row['id']}"])] for row in rows} == {row["label"] for row in rows}


def test_the_other_languages_names_are_searchable(default_projection):
    """The preferred terms in Russian, German and French are among a competency's names to search."""
    frame = default_projection.competencies
    row = frame.index[frame["iri"] == str(DATA["competency/integrated-circuits"])][0]
    alts = set(frame["alt_labels"].iat[row])
    assert {"интегральные схемы", "микросхемы", "integrierte Schaltungen", "circuits intégrés"} <= alts


def test_every_competency_in_the_store_has_at_most_one_preferred_label_per_language():
    from clusterkg.graph.dataset import initialise
    from clusterkg.graph.store import OxigraphStore

    store = OxigraphStore()
    try:
        initialise(store, progress=False)
        rows = store.select("""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
            PREFIX ckg: <https://w3id.org/clusterkg/ns#>
            SELECT ?c ?lang (COUNT(?l) AS ?n) WHERE { ?c a ckg:Competency ; skos:prefLabel ?l BIND(LANG(?l) AS ?lang) }
            GROUP BY ?c ?lang HAVING (COUNT(?l) > 1)""").rows
        assert list(rows) == []
        english = store.select("""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
            PREFIX ckg: <https://w3id.org/clusterkg/ns#>
            SELECT (COUNT(?c) AS ?n) WHERE { ?c a ckg:Competency FILTER NOT EXISTS { ?c skos:prefLabel ?l FILTER(LANG(?l) = "en") } }""").rows
        assert int(list(english)[0][0]) == 0
    finally:
        store.close()
