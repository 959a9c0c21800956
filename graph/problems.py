"""Located problems: what an import or validation found wrong, and where.

Every check (CSV parsing, reference checks, SHACL) reports a :class:`Problem` so the user sees
``file:row: field: message`` lines, all of them in one run.
"""

from __future__ import annotations

from dataclasses import dataclass

from clusterkg.graph.errors import ClusterKGError
from clusterkg.graph.reasons import N_, reason

__all__ = ["NOTHING_WRITTEN", "Problem", "ValidationFailed"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as precisely as the input allows.

    >>> str(Problem("clusters.csv", "row 4", "countries", "unknown country 'XX'"))
    "clusters.csv: row 4: countries: unknown country 'XX'"
    """

    file: str
    location: str  # "row 4", "line 12", or "" when the problem concerns the whole file
    field: str  # CSV column or RDF property; "" when none applies
    message: str  # a reason (``clusterkg.graph.reasons``) where it is said in other languages too

    @property
    def where(self) -> str:
        """The location as a reason, so a page or ``--lang`` says "строка 4" for "row 4".

        >>> from clusterkg.graph.reasons import render
        >>> where = Problem("a.ttl", "line 12", "", "x").where
        >>> where, render(where, {"line %(number)s": "строка %(number)s"}.get)
        ('line 12', 'строка 12')
        """
        word, _, number = self.location.partition(" ")
        if word in _PLACES and number.isdigit():
            return reason(_PLACES[word], number=number)
        return self.location

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.location:
            parts.append(self.location)
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "location": self.location, "field": self.field, "message": self.message}


#: the kinds of location (a CSV row as a spreadsheet numbers it, a line of a text file)
_PLACES = {"row": N_("row %(number)s"), "line": N_("line %(number)s")}


#: A refused write, summed up for people (the command line's and the HTTP answers' words).
NOTHING_WRITTEN = N_("%(count)s problem(s) found; nothing was written")


class ValidationFailed(ClusterKGError):
    """Raised when an input batch has problems; carries all of them, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=_sort_key)
        super().__init__(f"{len(self.problems)} problem(s) found:\n" + "\n".join(map(str, self.problems)))


def _sort_key(problem: Problem) -> tuple:
    """Sort by file, then numerically by row/line, so errors read top to bottom."""
    number = 0
    word, _, digits = problem.location.partition(" ")
    if digits.isdigit():
        number = int(digits)
    return (problem.file, word, number, problem.field, problem.message)
