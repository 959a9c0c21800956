"""The error types of clusterkg: one base class, so every front end has one handler for them.

A :class:`ClusterKGError` is a problem with what the user asked or gave (exit code 1 on the
command line, a 4xx status on the web), or a :class:`StoreFailure` (the store could not do it:
a 503 on the web, with the one error shape); anything else is a bug.
"""

from __future__ import annotations

from clusterkg.graph.reasons import N_, reason

__all__ = ["ClusterKGError", "NotFound", "ClusterNotFound", "AmbiguousName", "InvalidInput", "StoreFailure"]


class ClusterKGError(Exception):
    """Base of every error a user can cause and fix."""

    status = 400


class NotFound(ClusterKGError):
    """Something named by the user does not exist."""

    status = 404

    def __init__(self, kind: str, name: str, candidates: list[str] | None = None):
        self.kind, self.name, self.candidates = kind, name, candidates or []
        # a reason (the English text, said in the page's language where it is shown)
        if self.candidates:
            super().__init__(reason(N_("unknown %(kind)s %(name)s; did you mean: %(candidates)s"), kind=_kind(kind),
                                    name=repr(name), candidates=self.candidates[:10]))
        else:
            super().__init__(reason(N_("unknown %(kind)s %(name)s"), kind=_kind(kind), name=repr(name)))


class ClusterNotFound(NotFound):
    """No cluster matches the identifier, IRI or name given."""

    def __init__(self, name: str, candidates: list[str] | None = None):
        super().__init__("cluster", name, candidates)


class AmbiguousName(ClusterKGError):
    """A name matches several things; the message lists them so the user can pick one."""

    def __init__(self, kind: str, name: str, candidates: list[str]):
        self.kind, self.name, self.candidates = kind, name, candidates
        more = reason(N_(" and %(count)s more"), count=len(candidates) - 15) if len(candidates) > 15 else ""
        super().__init__(reason(N_("%(kind)s name %(name)s is ambiguous; it matches: %(candidates)s%(more)s"),
                                kind=_kind(kind), name=repr(name), candidates=list(candidates[:15]), more=more))


#: the kinds of things a user names, as words of an error message
KIND_WORDS = {"cluster": N_("cluster"), "organisation": N_("organisation"), "competency": N_("competency"),
              "industry": N_("industry"), "country": N_("country"), "region": N_("region"), "template": N_("template"),
              "development": N_("development"), "participant": N_("participant"), "event": N_("event"),
              "theme": N_("theme"), "resource": N_("resource"), "change": N_("change")}


def _kind(kind: str):
    return reason(KIND_WORDS[kind]) if kind in KIND_WORDS else kind


class InvalidInput(ClusterKGError):
    """An argument has the wrong form (an empty competency list, a bad weight, ...)."""


class StoreFailure(ClusterKGError):
    """The store could not answer or write (a server down, a broken store, a refused request).

    The base of :class:`clusterkg.graph.store.StoreError`. Not the user's doing, and often
    passing, so the web answers 503 ("try again later").
    """

    status = 503
