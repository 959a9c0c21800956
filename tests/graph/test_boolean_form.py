"""A lifted test and its product of sums agree on every assignment of its columns, as
pyoxigraph evaluates the test itself; tests in any other form are left alone."""

from __future__ import annotations

import itertools
import re

import pyoxigraph as ox
import pytest

from clusterkg.graph.boolean_form import Match, product_of_sums
from clusterkg.graph.shacl_sparql import compile_shapes

# the affiliations' sh:or as the compiler lifts it, then smaller forms of each construct
AFFILIATION_OR = ("!((!COALESCE((!COALESCE((!BOUND(?e0)), false)), false) && !BOUND(?e1)) || "
                  "(!COALESCE((!BOUND(?e0)), false) && !BOUND(?e2) && !COALESCE(!BOUND(?e3), false) && "
                  "!BOUND(?e4) && !COALESCE(!BOUND(?e5), false) && !BOUND(?e6)))")
TESTS = [
    AFFILIATION_OR,
    "!(BOUND(?e0) || BOUND(?e1))",
    "BOUND(?e0) && !BOUND(?e1)",
    "!(!BOUND(?e0) && !BOUND(?e1))",
    "(BOUND(?e0) || BOUND(?e1)) && (BOUND(?e2) || !BOUND(?e0))",
    "BOUND(?e0) || (BOUND(?e1) && BOUND(?e2))",
    "COALESCE(BOUND(?e0), false) && (BOUND(?e0) || BOUND(?e1))",
]


def _columns(test: str) -> list[str]:
    return sorted(set(re.findall(r"\?(e\d+)", test)), key=lambda c: int(c[1:]))


def _by_pyoxigraph(test: str, columns: list[str]) -> dict[tuple[bool, ...], bool]:
    """The test's value on every assignment (a column bound or not), evaluated by pyoxigraph."""
    rows = " ".join("(" + " ".join("true" if bound else "UNDEF" for bound in assignment) + ")"
                    for assignment in itertools.product((False, True), repeat=len(columns)))
    query = (f"SELECT {' '.join('?' + c for c in columns)} ?violated WHERE {{ "
             f"VALUES ({' '.join('?' + c for c in columns)}) {{ {rows} }} BIND(COALESCE({test}, false) AS ?violated) }}")
    return {tuple(row[c] is not None for c in columns): row["violated"].value == "true"
            for row in ox.Store().query(query)}


def _by_clauses(clauses: list[list[Match]], columns: list[str], assignment: tuple[bool, ...]) -> bool:
    bound = dict(zip(columns, assignment))
    return all(any(bound[m.column] == m.positive for m in clause) for clause in clauses)


@pytest.mark.parametrize("test", TESTS)
def test_product_of_sums_agrees_with_the_test_on_every_assignment(test):
    columns, clauses = _columns(test), product_of_sums(test)
    assert clauses is not None
    expected = _by_pyoxigraph(test, columns)
    assert len(expected) == 2 ** len(columns)
    assert {a: _by_clauses(clauses, columns, a) for a in expected} == expected


def test_the_affiliations_or_is_two_clauses():
    # (e0 or e1) and (not e0 or e2 or not e3 or e4 or not e5 or e6): the union of two sets, and
    # of three sets and three anti-joins, joined with the targets
    assert product_of_sums(AFFILIATION_OR) == [
        [Match("e0", False), Match("e2", True), Match("e3", False), Match("e4", True), Match("e5", False),
         Match("e6", True)],
        [Match("e0", True), Match("e1", True)],
    ]


def test_simplified_clauses():
    # (e0) and (e0 or e1): the second holds whenever the first does
    assert product_of_sums("BOUND(?e0) && (BOUND(?e0) || BOUND(?e1))") == [[Match("e0", True)]]


@pytest.mark.parametrize("test", [
    "IF(BOUND(?e0), 1, 0) + IF(BOUND(?e1), 1, 0) != 1",  # a sh:xone
    "BOUND(?e0) && isIRI(?focus)",  # a test of the node itself
    "COALESCE(BOUND(?e0), true)",  # an error read as true
    "BOUND(?e0) || !BOUND(?e0)",  # always true: no clause left
    "BOUND(?e0) &&",
    " || ".join(f"(BOUND(?e{2 * n}) && BOUND(?e{2 * n + 1}))" for n in range(4)),  # 16 clauses
])
def test_other_forms_keep_their_columns(test):
    assert product_of_sums(test) is None


def test_the_project_shapes_or_runs_as_clauses():
    # the only node-level sh:or of the shapes: no per-node columns left in its pass
    [planned] = [p for p in compile_shapes()._plan if p.label.startswith("AffiliationMembershipShape sh:or")]
    assert "OPTIONAL" not in planned.template and "BIND(true AS ?c0)" in planned.template
