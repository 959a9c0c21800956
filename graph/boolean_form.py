"""A shape pass's test, when it only combines lifted ``BOUND(?eN)`` columns, as a product of sums.

The compiler (:mod:`clusterkg.graph.shacl_sparql`) lifts each ``EXISTS`` of a node-level test
into a column ``?eN`` (:func:`~clusterkg.graph.shacl_sparql._lift_exists`); an ``sh:or`` of
shapes then reads, per target, seven OPTIONAL columns and one expression. Written instead as a
conjunction of clauses, each a disjunction of "?eN's pattern matches" or "does not", the
violation is a join of a few node sets, with no per-node columns: the affiliations' ``sh:or`` at
10M triples took 3.8-4.1 s and 0.36 GiB that way against 5.2-5.4 s and 0.61 GiB (bench/README.md).

Only the plain boolean form is read: ``!``, ``&&``, ``||``, parentheses, ``BOUND(?eN)`` and
``COALESCE(x, false)``, which is ``x`` here (none of these can raise an error). Any other test
(an ``IF`` of ``sh:xone``, a comparison) gives ``None`` and keeps its columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Match", "product_of_sums"]

#: Clauses above this many (after simplification) keep the columns: the distribution of an
#: ``||`` over ``&&`` can multiply them, and each clause is a join of its own.
MAX_CLAUSES = 8

_TOKEN = re.compile(r"\s*(?:(BOUND\(\?(e\d+)\))|(COALESCE\()|(,\s*false\s*\))|(&&|\|\||!|\(|\)))")


@dataclass(frozen=True, order=True)
class Match:
    """``?column``'s pattern matches the focus node (``positive``) or does not."""

    column: str
    positive: bool


_Node = tuple  # ("atom", column) | ("not", node) | ("and", [nodes]) | ("or", [nodes])


class _Unsupported(Exception):
    """The test is not in the plain boolean form."""


def _tokens(test: str) -> list[tuple[str, str]]:
    found, at, end = [], 0, len(test.rstrip())
    while at < end:
        match = _TOKEN.match(test, at)
        if match is None:
            raise _Unsupported(test[at:at + 20])
        atom, column, coalesce, coalesce_end, operator = match.groups()
        found.append(("atom", column) if atom else ("coalesce", "") if coalesce else
                     ("coalesce_end", "") if coalesce_end else ("op", operator))
        at = match.end()
    return found


class _Parser:
    """``or := and ('||' and)*``, ``and := unary ('&&' unary)*``,
    ``unary := '!' unary | '(' or ')' | 'COALESCE(' or ', false)' | BOUND(?eN)``."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.at = tokens, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected: tuple[str, str]) -> None:
        if self.peek() != expected:
            raise _Unsupported(f"expected {expected}, found {self.peek()}")
        self.at += 1

    def either(self, operator: str, kind: str, inner) -> _Node:
        parts = [inner()]
        while self.peek() == ("op", operator):
            self.at += 1
            parts.append(inner())
        return parts[0] if len(parts) == 1 else (kind, parts)

    def disjunction(self) -> _Node:
        return self.either("||", "or", self.conjunction)

    def conjunction(self) -> _Node:
        return self.either("&&", "and", self.unary)

    def unary(self) -> _Node:
        token = self.peek()
        self.at += 1
        if token == ("op", "!"):
            return ("not", self.unary())
        if token == ("op", "("):
            inner = self.disjunction()
            self.take(("op", ")"))
            return inner
        if token == ("coalesce", ""):
            inner = self.disjunction()
            self.take(("coalesce_end", ""))
            return inner
        if token is not None and token[0] == "atom":
            return token
        raise _Unsupported(f"unexpected {token}")


def _clauses(node: _Node, negated: bool = False) -> list[frozenset[Match]]:
    """The conjunctive normal form of ``node`` (of its negation if ``negated``), unsimplified."""
    kind, body = node
    if kind == "atom":
        return [frozenset({Match(body, not negated)})]
    if kind == "not":
        return _clauses(body, not negated)
    if (kind == "and") != negated:  # a conjunction: its parts' clauses together
        return [clause for part in body for clause in _clauses(part, negated)]
    product = [frozenset()]  # a disjunction: one clause per choice of a clause from each part
    for part in body:
        product = [mine | theirs for mine in product for theirs in _clauses(part, negated)]
        if len(product) > 4 * MAX_CLAUSES:
            raise _Unsupported("too many clauses")
    return product


def product_of_sums(test: str) -> list[list[Match]] | None:
    """The clauses whose conjunction is ``test``, each a disjunction of matches, sorted; or
    ``None`` if ``test`` is not a plain boolean form of ``BOUND(?eN)`` columns, or needs more
    than :data:`MAX_CLAUSES` clauses.

    >>> product_of_sums("!(!BOUND(?e0) && !BOUND(?e1))")
    [[Match(column='e0', positive=True), Match(column='e1', positive=True)]]
    """
    try:
        parser = _Parser(_tokens(test))
        tree = parser.disjunction()
        if parser.peek() is not None:
            raise _Unsupported(f"trailing {parser.peek()}")
        clauses = set(_clauses(tree))
    except _Unsupported:
        return None
    # a clause with a match and its negation always holds; a clause that holds whenever a
    # smaller one does adds nothing
    clauses = {c for c in clauses if not any(Match(match.column, not match.positive) in c for match in c)}
    kept = [c for c in clauses if not any(other < c for other in clauses)]
    if not kept or len(kept) > MAX_CLAUSES:
        return None
    return sorted(sorted(clause) for clause in kept)
