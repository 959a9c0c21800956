"""Located problems: what an import or validation found wrong, and where.

Every check (CSV parsing, reference checks, SHACL) reports a :class:`Problem` so the user sees
``file:row: field: message`` lines, all of them in one run.
"""

from __future__ import annotations

from dataclasses import dataclass

from clusterkg.graph.errors import ClusterKGError

__all__ = ["Problem", "ValidationFailed"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as precisely as the input allows.

    >>> str(Problem("clusters.csv", "row 4", "countries", "unknown country 'XX'"))
    "clusters.csv: row 4: countries: unknown country 'XX'"
    """

    file: str
    location: str  # "row 4", "line 12", or "" when the problem concerns the whole file
    field: str  # CSV column or RDF property; "" when none applies
    message: str

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
