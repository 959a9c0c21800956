"""Technology round tables: whom to invite where two (or more) technology areas meet.

The literature's round table is a confidential thematic meeting of clusters of *different*
industries and of stakeholders, to find challenges and opportunities at the intersection of
technology areas. Given themes (each a competency — with its narrower ones — or an industry —
the competencies applied in it), :func:`plan_round_table` proposes a table of ``size`` seats:

- **clusters**, seated theme by theme in turn: for the theme whose turn it is, the cluster
  holding it (a member organisation claims one of its competencies) that brings an industry
  not yet at the table, then a country not yet at the table, then the most member organisations
  holding the themes (one holding several themes counts them all). A cluster is seated for one
  theme but its reason names every theme it holds. Industries are the EU industrial ecosystems
  when a cluster has one, else its other industry classifications.
- **stakeholders** (universities, research institutes, public bodies, investors), about a third
  of the seats (``stakeholder_seats``): organisations of those types holding a theme, the most
  themes first, then a country and an industry (of their clusters) not yet among the
  stakeholders, then rarer competencies; investors without competencies on record count when a
  seated cluster has them as members.
- **talking points** (new applications): the industries (EU industrial ecosystems) in which
  competencies of *every* theme are applied (``ckg:appliedIn``) — where the intersection
  already has a market — then the industries of one theme's clusters in which another theme is
  applied, then the developments recorded for competencies of the themes.

Every invitee carries its reason; ``balance`` counts the table's industries and countries.

JSON (``RoundTablePlan.to_json()``)::

    {
      "themes": [{"kind": "competency" | "industry", "iri", "id", "label", "competencies": int}],
      "size": int,
      "invitees": [{"seat": int, "kind": "cluster" | "stakeholder", "iri", "id", "label",
                    "type": str,                    # "cluster" or the organisation type
                    "countries": [str], "industries": [str],   # industry labels
                    "themes": [theme id, ...],      # the themes it holds
                    "reason": str}],
      "balance": {"industries": {label: count}, "countries": {code: count}},
      "talking_points": [{"kind": "industry" | "development", "iri", "label", "why"}],
      "note": str | null
    }
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterkg.graph.reasons import N_, ORGANISATION_TYPE_WORDS, join, reason
from clusterkg.graph.errors import InvalidInput, NotFound
from clusterkg.graph.projection import Projection

__all__ = ["STAKEHOLDER_TYPES", "Theme", "RoundTablePlan", "resolve_theme", "plan_round_table"]

#: organisation types invited as stakeholders
STAKEHOLDER_TYPES = ("university", "research_institute", "public_body", "investor")
_TALKING_POINTS = 8
_ECOSYSTEMS = "eu-industrial-ecosystems"


@dataclass(frozen=True)
class Theme:
    """A technology area: a competency and its narrower ones, or the competencies of an industry."""

    kind: str
    iri: str
    id: str
    label: str
    columns: tuple[int, ...]  # competency rows

    def to_json(self) -> dict:
        return {"kind": self.kind, "iri": self.iri, "id": self.id, "label": self.label, "competencies": len(self.columns)}


def resolve_theme(p: Projection, name: str) -> Theme:
    """A theme by competency (tried first) or industry name, id or IRI."""
    try:
        row = p.resolve_competency(name)
    except NotFound as competency_error:
        try:
            row = p.resolve_industry(name)
        except NotFound as error:
            raise NotFound("theme (competency or industry)", name, competency_error.candidates + error.candidates) from error
        iri = p.industries["iri"].iat[row]
        columns = tuple(i for i, applied in enumerate(p.competencies["industries"]) if iri in applied)
        if not columns:
            raise InvalidInput(f"industry {p.industries['label'].iat[row]!r} has no competencies applied in it (ckg:appliedIn)")
        return Theme("industry", iri, p.industries["id"].iat[row], p.industries["label"].iat[row], columns)
    broader = p.competencies["broader"].to_numpy()
    family = {row}
    while True:  # the competency and every narrower one
        grown = family | {int(k) for k in np.flatnonzero(np.isin(broader, list(family)))}
        if grown == family:
            break
        family = grown
    return Theme("competency", p.competencies["iri"].iat[row], p.competencies["id"].iat[row],
                 p.competencies["label"].iat[row], tuple(sorted(family)))


def resolve_themes(p: Projection, names: list[str], least: int = 1) -> list[Theme]:
    themes, seen = [], set()
    for name in (n for n in names if n.strip()):
        theme = resolve_theme(p, name)
        if theme.iri in seen:
            raise InvalidInput(f"theme {theme.label!r} is named twice")
        seen.add(theme.iri)
        themes.append(theme)
    if len(themes) < least:
        raise InvalidInput(f"give at least {least} theme(s) (competencies or industries), got {len(themes)}")
    return themes


@dataclass(frozen=True)
class RoundTablePlan:
    themes: tuple[Theme, ...]
    size: int
    invitees: tuple[dict, ...]
    talking_points: tuple[dict, ...]
    note: str | None

    @property
    def balance(self) -> dict:
        return {"industries": dict(Counter(i for inv in self.invitees for i in inv["industries"]).most_common()),
                "countries": dict(Counter(c for inv in self.invitees for c in inv["countries"]).most_common())}

    def to_json(self) -> dict:
        return {"themes": [t.to_json() for t in self.themes], "size": self.size,
                "invitees": [dict(i) for i in self.invitees], "balance": self.balance,
                "talking_points": [dict(t) for t in self.talking_points], "note": self.note}

    def to_frame(self) -> pd.DataFrame:
        rows = [{"seat": i["seat"], "kind": i["kind"], "id": i["id"], "label": i["label"], "type": i["type"],
                 "countries": "; ".join(i["countries"]), "industries": "; ".join(i["industries"]),
                 "reason": i["reason"]} for i in self.invitees]
        return pd.DataFrame(rows, columns=["seat", "kind", "id", "label", "type", "countries", "industries", "reason"])


def plan_round_table(p: Projection, themes: list[str], size: int = 12, stakeholder_seats: int | None = None) -> RoundTablePlan:
    """An invitation list for a round table on ``themes`` (at least two), ``size`` seats.

    Raises
    ------
    InvalidInput
        Fewer than two themes, a theme named twice, or a table smaller than 2 seats.
    NotFound, AmbiguousName
        A theme that fits no competency or industry, or several.
    """
    if size < 2:
        raise InvalidInput(f"a round table needs at least 2 seats, not {size}")
    chosen = resolve_themes(p, themes, least=2)
    holds_org = np.column_stack([np.asarray(p.org_competency_up[:, list(t.columns)].sum(axis=1)).ravel() > 0
                                 for t in chosen]).astype(np.float64)  # organisations × themes
    member = (p.cluster_org > 0).astype(np.float64)
    holders = np.asarray(member @ holds_org)  # clusters × themes: members holding each theme
    stakeholder_seats = (size // 3 if size >= 3 else 0) if stakeholder_seats is None else min(stakeholder_seats, size - 1)
    clusters = _seat_clusters(p, chosen, holders, size - stakeholder_seats, holds_org)
    seated = [c for c, _ in clusters]
    stakeholders = _seat_stakeholders(p, chosen, holds_org, size - len(clusters), seated)
    invitees = []
    for c, theme in clusters:
        invitees.append(_cluster_invitee(p, chosen, holders, holds_org, c, theme))
    for o in stakeholders:
        invitees.append(_stakeholder_invitee(p, chosen, holds_org, o, seated))
    for seat, invitee in enumerate(invitees, start=1):
        invitee["seat"] = seat
    note = None
    held = [t.label for t, column in zip(chosen, holders.T) if not column.any()]
    if held:
        note = reason(N_("no cluster holds %(themes)s: the table cannot span every theme"), themes=held)
    return RoundTablePlan(tuple(chosen), size, tuple(invitees), tuple(_talking_points(p, chosen, holders)), note)


def _industries(p: Projection, industry_iris) -> list[str]:
    """Labels of the EU industrial ecosystems among ``industry_iris``, else of all of them."""
    index = p.index("industry")
    rows = [index[i] for i in industry_iris if i in index]
    ecosystems = [r for r in rows if p.industries["scheme"].iat[r] == _ECOSYSTEMS]
    return sorted(p.industries["label"].iat[r] for r in (ecosystems or rows))


def _seat_clusters(p, themes, holders, seats, holds_org) -> list[tuple[int, int]]:
    """Clusters seated theme by theme: new industry, new country, most holders first."""
    seated: list[tuple[int, int]] = []
    industries_at_table: set[str] = set()
    countries_at_table: set[str] = set()
    total = holders.sum(axis=1)
    idle_turns = 0
    turn = 0
    while len(seated) < seats and idle_turns < len(themes):
        t = turn % len(themes)
        turn += 1
        taken = {c for c, _ in seated}
        candidates = [c for c in np.flatnonzero(holders[:, t] > 0) if c not in taken]
        if not candidates:
            idle_turns += 1
            continue
        idle_turns = 0

        def key(c: int):
            industries = set(_industries(p, p.clusters["industries"].iat[c]))
            countries = set(p.clusters["countries"].iat[c])
            return (not (industries - industries_at_table), not (countries - countries_at_table), -total[c],
                    -holders[c, t], p.clusters["label"].iat[c])

        best = min(candidates, key=key)
        seated.append((int(best), t))
        industries_at_table |= set(_industries(p, p.clusters["industries"].iat[best]))
        countries_at_table |= set(p.clusters["countries"].iat[best])
    return seated


def _seat_stakeholders(p, themes, holds_org, seats, seated_clusters) -> list[int]:
    types = p.organisations["type"].to_numpy()
    eligible = np.isin(types, STAKEHOLDER_TYPES)
    members_of_seated = set()
    for c in seated_clusters:
        members_of_seated |= {int(o) for o in p.members_of(c)}
    candidates = [o for o in np.flatnonzero(eligible)
                  if holds_org[o].any() or (types[o] == "investor" and o in members_of_seated)]
    specificity = p.competency_specificity
    rarity = {o: float(specificity[p.org_competency[o].indices].max(initial=0.0)) for o in candidates}
    chosen: list[int] = []
    countries: set[str] = set()
    industries: set[str] = set()
    while len(chosen) < seats:
        left = [o for o in candidates if o not in chosen]
        if not left:
            break

        def key(o: int):
            own = set(_org_industries(p, o))
            return (-int(holds_org[o].sum()), p.organisations["country"].iat[o] in countries,
                    not (own - industries), -rarity[o], p.organisations["label"].iat[o])

        best = int(min(left, key=key))
        chosen.append(best)
        countries.add(p.organisations["country"].iat[best])
        industries |= set(_org_industries(p, best))
    return chosen


def _org_industries(p: Projection, o: int) -> list[str]:
    iris = {i for c in p.clusters_of(o) for i in p.clusters["industries"].iat[int(c)]}
    return _industries(p, iris)


def _cluster_invitee(p, themes, holders, holds_org, c: int, seated_for: int) -> dict:
    members = p.members_of(c)
    parts = []
    for t, theme in enumerate(themes):
        if holders[c, t] > 0:
            who = sorted(p.organisations["label"].iat[int(o)] for o in members if holds_org[int(o), t])
            more = reason(N_(" and %(count)s more"), count=len(who) - 3) if len(who) > 3 else ""
            parts.append(reason(N_("holds %(theme)s (%(who)s%(more)s)"), theme=theme.label, who=who[:3], more=more))
    industries = _industries(p, p.clusters["industries"].iat[c])
    if industries:
        parts.append(reason(N_("industry: %(industries)s"), industries=industries))
    why = reason(N_("seated for %(theme)s: %(reasons)s"), theme=themes[seated_for].label, reasons=join(parts))
    return {"kind": "cluster", "iri": p.clusters["iri"].iat[c], "id": p.clusters["id"].iat[c],
            "label": p.clusters["label"].iat[c], "type": "cluster", "countries": list(p.clusters["countries"].iat[c]),
            "industries": industries, "themes": [t.id for i, t in enumerate(themes) if holders[c, i] > 0], "reason": why}


def _stakeholder_invitee(p, themes, holds_org, o: int, seated_clusters) -> dict:
    kind = p.organisations["type"].iat[o]
    held = [t for i, t in enumerate(themes) if holds_org[o, i]]
    labels = p.competencies["label"]
    own = set(p.org_competency[o].indices)
    parts = []
    for i, theme in enumerate(themes):
        if holds_org[o, i]:
            named = sorted(labels.iat[k] for k in own & set(theme.columns)) or [theme.label]
            parts.append(reason(N_("holds %(competencies)s (%(theme)s)"), competencies=named[:3], theme=theme.label))
    if not parts:
        member_of = [p.clusters["label"].iat[c] for c in seated_clusters if o in set(int(x) for x in p.members_of(c))]
        parts.append(reason(N_("investor in %(clusters)s, a cluster at the table"), clusters=member_of))
    country = p.organisations["country"].iat[o]
    kind_said = reason(ORGANISATION_TYPE_WORDS[kind]) if kind in ORGANISATION_TYPE_WORDS else kind.replace("_", " ")
    why = reason(N_("%(kind)s: %(reasons)s"), kind=kind_said, reasons=join(parts + [country or ""]))
    return {"kind": "stakeholder", "iri": p.organisations["iri"].iat[o], "id": p.organisations["id"].iat[o],
            "label": p.organisations["label"].iat[o], "type": kind, "countries": [country] if country else [],
            "industries": _org_industries(p, o), "themes": [t.id for t in held], "reason": why}


def _talking_points(p: Projection, themes: list[Theme], holders: np.ndarray) -> list[dict]:
    """New applications: industries where every theme is applied, then industries of one theme's
    clusters where another theme is applied; then the developments in the themes."""
    index = p.index("industry")
    ecosystem = {iri for iri, r in index.items() if p.industries["scheme"].iat[r] == _ECOSYSTEMS}
    applied = [Counter(i for k in t.columns for i in p.competencies["industries"].iat[k] if i in ecosystem) for t in themes]
    home = [{i for c in np.flatnonzero(holders[:, t] > 0) for i in p.clusters["industries"].iat[c] if i in ecosystem}
            for t in range(len(themes))]
    points, seen = [], set()
    shared = set(applied[0]).intersection(*applied[1:])
    for iri in sorted(shared, key=lambda i: (-min(c[i] for c in applied), p.labels.get(i, i))):
        counts = [reason(N_("%(count)s competencies of %(theme)s"), count=c[iri], theme=t.label) for t, c in zip(themes, applied)]
        points.append({"kind": "industry", "iri": iri, "label": p.labels.get(iri, iri),
                       "why": reason(N_("every theme is applied here (%(counts)s): what can they do together for it?"), counts=counts)})
        seen.add(iri)
    for t, theme in enumerate(themes):
        for u, other in enumerate(themes):
            if t == u:
                continue
            for iri in sorted((set(applied[t]) & home[u]) - seen, key=lambda i: (-applied[t][i], p.labels.get(i, i))):
                points.append({"kind": "industry", "iri": iri, "label": p.labels.get(iri, iri),
                               "why": reason(N_("%(theme)s is applied in %(industry)s, the industry of clusters holding %(other)s"),
                                             theme=theme.label, industry=p.labels.get(iri, iri), other=other.label)})
                seen.add(iri)
    for d in p.developments.itertuples():
        touched = [t.label for t in themes if set(d.competencies) & set(t.columns)]
        if touched:
            points.append({"kind": "development", "iri": d.iri, "label": d.label,
                           "why": reason(N_("a development of %(organisation)s in %(themes)s"),
                                         organisation=p.organisations['label'].iat[d.organisation], themes=touched)})
    return points[:_TALKING_POINTS]
