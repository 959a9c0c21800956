"""The toolkit pages that do not start from one cluster: market check, communities, blitz planner.

JSON twins (``.json`` or ``Accept: application/json``):

- ``/market-check?development=ID`` or ``?competency=ID&competency=ID&industry=ID`` (``limit``):
  ``Dissemination.to_json()``; without a development or a competency: 400.
- ``/communities`` (``resolution``, ``min_size``, ``seed``): ``Communities.to_json()``.
- ``/blitz?participant=NAME&participant=NAME&rounds=N``: ``MeetingPlan.to_json()``; fewer than
  two participants: 400. ``participant`` is repeated (one name each: names may hold commas).
"""

from __future__ import annotations

from flask import request

from clusterkg.graph.analysis.communities import find_communities
from clusterkg.graph.analysis.dissemination import disseminate
from clusterkg.graph.analysis.matchmaking import plan_meetings
from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.reasons import N_, reason
from clusterkg.webapp.pages.common import (
    arg_float, arg_int, arg_list, page_blueprint, parameter, projection, ref, respond, twin_route, wants_json,
)

__all__ = ["bp"]

bp = page_blueprint("toolkit", __name__)


def _choices(p) -> dict:
    """What the forms offer, sorted by name."""
    def rows(frame, *extra):
        return sorted((ref(frame, i, *extra) for i in range(len(frame))), key=lambda r: r["label"].lower())
    developments = [{"iri": d.iri, "id": d.iri.rsplit("/", 1)[-1], "label": d.label,
                     "organisation": p.organisations["label"].iat[d.organisation]} for d in p.developments.itertuples()]
    return {"clusters": rows(p.clusters, "countries"), "organisations": rows(p.organisations),
            "competencies": rows(p.competencies), "industries": rows(p.industries, "scheme"),
            "developments": sorted(developments, key=lambda d: d["label"].lower())}


@twin_route(bp, "/market-check", "market_check")
def market_check():
    p = projection()
    development = request.args.get("development", "").strip() or None
    competencies = arg_list("competency")
    industries = arg_list("industry")
    limit = arg_int("limit", 10, 1, 100)
    asked = {"development": development, "competency": competencies, "industry": industries, "limit": limit}
    if development is None and not competencies:
        if wants_json():
            raise InvalidInput(reason(N_("give a development (parameter 'development') or at least one competency (parameter 'competency')")))
        return respond("pages/market_check.html", {}, asked=asked, choices=_choices(p))
    with parameter("development" if development else "competency/industry"):
        result = disseminate(p, development=development, competencies=competencies or None,
                             industry=industries or None, limit=limit)
    return respond("pages/market_check.html", result.to_json(), asked=asked, choices=_choices(p))


@twin_route(bp, "/communities", "communities")
def communities():
    p = projection()
    resolution = arg_float("resolution", 1.0, 0.05, 10.0)
    min_size = arg_int("min_size", 2, 1, 100)
    seed = arg_int("seed", 0, 0, 2**31 - 1)
    data = find_communities(p, resolution=resolution, min_size=min_size, seed=seed).to_json()
    return respond("pages/communities.html", data)


@twin_route(bp, "/blitz", "blitz")
def blitz():
    p = projection()
    participants = list(dict.fromkeys(v.strip() for v in request.args.getlist("participant") if v.strip()))
    rounds = arg_int("rounds", 3, 1, 100)
    asked = {"participants": participants, "rounds": rounds}
    if len(participants) < 2:
        if wants_json():
            raise InvalidInput(reason(N_("a blitz meeting needs at least 2 participants (parameter 'participant', repeated), got %(count)s"),
                                      count=len(participants)))
        return respond("pages/blitz.html", {}, asked=asked, choices=_choices(p))
    with parameter("participant"):
        plan = plan_meetings(p, participants, rounds)
    return respond("pages/blitz.html", plan.to_json(), asked=asked, choices=_choices(p))
