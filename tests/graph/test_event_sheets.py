"""The event sheets: cells checked with their location, rows round-trip through the export, and
the words of the sheets are the ontology's notations."""

from __future__ import annotations

import pytest
from rdflib import Graph
from rdflib.namespace import SKOS

from clusterkg.graph.sheets import EVENT_KINDS, EVENT_ROLES, EVENT_SHEETS, OUTCOME_KINDS, build_rows, graph_to_rows
from clusterkg.ontology import ontology_graph

ROWS = {
    "events": [{"id": "e1", "kind": "blitz_session", "name": "E1", "date": "2026-03-12", "end_date": "2026-03-13",
                "start_time": "09:30", "place": "Dresden", "organiser": "silicon-saxony", "competencies": "optics; sensors",
                "industries": "ecosystem-health", "tables": "4", "slots": "6", "slot_minutes": "20",
                "presentation_minutes": "0", "description": "d", "source_url": "https://example.org/e1"}],
    "event_participants": [{"event": "e1", "cluster": "silicon-saxony", "role": "presenter", "offers": "chips",
                            "looks_for": "clinics", "offers_competencies": "sensors", "looks_for_competencies": "optics",
                            "available_slots": "1; 2"},
                           {"event": "e1", "organisation": "biocad", "role": "stakeholder"}],
    "meeting_requests": [{"event": "e1", "by_organisation": "biocad", "with_cluster": "silicon-saxony", "note": "n"}],
    "event_outcomes": [{"id": "o1", "event": "e1", "kind": "opportunity", "label": "L", "description": "D",
                        "competencies": "optics", "partnerships": "p1"}],
    "working_groups": [{"id": "w1", "name": "W", "organiser": "silicon-saxony", "competencies": "optics",
                        "industries": "ecosystem-health", "members": "biocad; x-fab", "start": "2026", "end": "2027-06-30",
                        "paid_membership": "true", "project": "p1", "description": "D", "source_url": "https://example.org/w"}],
}


@pytest.mark.parametrize("sheet", EVENT_SHEETS, ids=lambda s: s.name)
def test_rows_round_trip_through_the_export(sheet):
    graph, problems = build_rows(sheet.name, ROWS[sheet.name])
    assert problems == []
    exported = list(graph_to_rows(graph, sheet))
    rebuilt, again = build_rows(sheet.name, exported)
    assert again == [] and set(rebuilt) == set(graph)
    # a participant named in the cluster column stays there, an organisation in its own column
    if sheet.name == "event_participants":
        assert {(r["cluster"], r["organisation"]) for r in exported} == {("silicon-saxony", ""), ("", "biocad")}


@pytest.mark.parametrize("sheet, row, column, message", [
    ("events", {"date": "12.03.2026"}, "date", "expected a date (YYYY-MM-DD)"),
    ("events", {"date": "2026-02-30"}, "date", "expected a calendar date"),
    ("events", {"start_time": "9:30"}, "start_time", "HH:MM on a 24-hour clock"),
    ("events", {"tables": "0"}, "tables", "at least 1"),
    ("events", {"kind": "party"}, "kind", "expected one of blitz_session, round_table"),
    ("event_participants", {"organisation": "biocad"}, "cluster, organisation", "exactly one of the two"),
    ("event_participants", {"available_slots": "1; x"}, "available_slots", "whole number"),
    ("meeting_requests", {"by_organisation": "", "by_cluster": "silicon-saxony", "with_organisation": "",
                          "with_cluster": "silicon-saxony"}, "with_cluster, with_organisation", "cannot ask to meet itself"),
    ("working_groups", {"paid_membership": "yes"}, "paid_membership", "expected true or false"),
])
def test_bad_cells_are_located(sheet, row, column, message):
    _, problems = build_rows(sheet, [{**ROWS[sheet][0], **row}], f"{sheet}.csv")
    assert any(p.location == "row 2" and p.field == column and message in p.message for p in problems), problems


@pytest.mark.parametrize("words", [EVENT_KINDS, EVENT_ROLES, OUTCOME_KINDS], ids=["kinds", "roles", "outcomes"])
def test_sheet_words_are_the_ontology_notations(words):
    ontology: Graph = ontology_graph()
    for word, term in words.items():
        if words is EVENT_KINDS:
            assert (term, None, None) in ontology  # classes: declared
        else:
            assert str(ontology.value(term, SKOS.notation)) == word
