"""The error types of clusterkg: one base class, so every front end has one handler for them.

A :class:`ClusterKGError` is a problem with what the user asked or gave (exit code 1 on the
command line, a 4xx status on the web), or a :class:`StoreFailure` (the store could not do it:
a 503 on the web, with the one error shape); anything else is a bug.
"""

from __future__ import annotations

__all__ = ["ClusterKGError", "NotFound", "ClusterNotFound", "AmbiguousName", "InvalidInput", "StoreFailure"]


class ClusterKGError(Exception):
    """Base of every error a user can cause and fix."""

    status = 400


class NotFound(ClusterKGError):
    """Something named by the user does not exist."""

    status = 404

    def __init__(self, kind: str, name: str, candidates: list[str] | None = None):
        self.kind, self.name, self.candidates = kind, name, candidates or []
        hint = f"; did you mean: {', '.join(self.candidates[:10])}" if self.candidates else ""
        super().__init__(f"unknown {kind} {name!r}{hint}")


class ClusterNotFound(NotFound):
    """No cluster matches the identifier, IRI or name given."""

    def __init__(self, name: str, candidates: list[str] | None = None):
        super().__init__("cluster", name, candidates)


class AmbiguousName(ClusterKGError):
    """A name matches several things; the message lists them so the user can pick one."""

    def __init__(self, kind: str, name: str, candidates: list[str]):
        self.kind, self.name, self.candidates = kind, name, candidates
        shown = ", ".join(candidates[:15]) + (f" and {len(candidates) - 15} more" if len(candidates) > 15 else "")
        super().__init__(f"{kind} name {name!r} is ambiguous; it matches: {shown}")


class InvalidInput(ClusterKGError):
    """An argument has the wrong form (an empty competency list, a bad weight, ...)."""


class StoreFailure(ClusterKGError):
    """The store could not answer or write (a server down, a broken store, a refused request).

    The base of :class:`clusterkg.graph.store.StoreError`. Not the user's doing, and often
    passing, so the web answers 503 ("try again later").
    """

    status = 503
