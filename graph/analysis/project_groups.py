"""Project working groups: candidate members from several clusters for a long-term thematic group.

A project working group gathers organisations of several clusters that want a cross-industry
project on one theme (:mod:`~clusterkg.graph.analysis.roundtable` resolves a theme: a competency
with its narrower ones, or the competencies applied in an industry). What the group needs is the
theme's **profile**: the theme's competencies, and the competencies that organisations holding
them declared they *need* (complementarity: what the holders lack). :func:`find_project_group`
picks members one at a time, each time the organisation whose gain is largest:

``gain = Σ s[k]`` over the profile competencies it claims itself that the group lacks (``s`` the
competency specificity: the gap it fills, rarer skills worth more) plus a quarter of ``Σ s[k]``
over those the group already holds (depth: a second holder), times 1.5 when it brings a cluster
not yet in the group and 1.25 when there is **collaboration evidence** with the group — its
cluster already partners with a member's cluster, or it shares a cluster with a member — as
people who already work together make a group that lasts. Only organisations affiliated with a
cluster are candidates; the first pick is the one holding the most of the profile. Picking
stops at ``size`` members or when no candidate is left. What no member holds is listed as the
remaining gap.

JSON (``ProjectGroup.to_json()``)::

    {
      "theme": {"kind", "iri", "id", "label", "competencies": int},
      "profile": [{"iri", "id", "label", "why": "theme" | "needed by holders"}],
      "members": [{"rank", "iri", "id", "label", "type", "country",
                   "clusters": [{"iri", "id", "label"}],
                   "fills": [competency label, ...],       # the gap it fills, rarest first
                   "evidence": [str, ...], "gain": float, "why": str}],
      "clusters": int,                                    # distinct clusters among the members
      "remaining_gap": [competency label, ...]
    }
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rdflib import URIRef

from clusterkg.graph.analysis.roundtable import Theme, resolve_theme
from clusterkg.graph.reasons import N_, join, reason
from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.projection import Projection
from clusterkg.ontology.namespace import sparql_prefixes

__all__ = ["NEW_CLUSTER_FACTOR", "EVIDENCE_FACTOR", "DEPTH_SHARE", "CO_PROJECTS", "ProjectGroup", "find_project_group"]

NEW_CLUSTER_FACTOR = 1.5
EVIDENCE_FACTOR = 1.25
#: share of a competency's worth kept by a second holder in the group (depth, not a new gap filled)
DEPTH_SHARE = 0.25
_SHOWN = 5

#: funded projects an organisation (``?me``, or the open-data record it is the same as) took
#: part in with another organisation (``?other``, or its record)
CO_PROJECTS = sparql_prefixes("ckg", "rdfs", "owl") + """\
SELECT DISTINCT ?other ?title WHERE {
  ?me (owl:sameAs)? ?mine .
  ?pa a ckg:Participation ; ckg:organisation ?mine ; ckg:project ?project .
  ?pb a ckg:Participation ; ckg:project ?project ; ckg:organisation ?theirs .
  ?other (owl:sameAs)? ?theirs .
  FILTER(?theirs != ?mine && ?other != ?me)
  OPTIONAL { ?project rdfs:label ?title }
} ORDER BY ?other ?title"""


@dataclass(frozen=True)
class ProjectGroup:
    theme: Theme
    profile: tuple[dict, ...]
    members: tuple[dict, ...]
    remaining_gap: tuple[str, ...]

    def to_json(self) -> dict:
        clusters = {c["iri"] for m in self.members for c in m["clusters"]}
        return {"theme": self.theme.to_json(), "profile": [dict(x) for x in self.profile],
                "members": [dict(m) for m in self.members], "clusters": len(clusters),
                "remaining_gap": list(self.remaining_gap)}

    def to_frame(self) -> pd.DataFrame:
        rows = [{"rank": m["rank"], "id": m["id"], "label": m["label"], "type": m["type"], "country": m["country"],
                 "clusters": "; ".join(c["label"] for c in m["clusters"]), "gain": m["gain"], "why": m["why"]}
                for m in self.members]
        return pd.DataFrame(rows, columns=["rank", "id", "label", "type", "country", "clusters", "gain", "why"])


def find_project_group(p: Projection, theme: str, size: int = 8, select: Callable | None = None) -> ProjectGroup:
    """Candidate members of a project working group on ``theme`` (see the module docstring).

    ``select(query, bindings)`` (a store's or the web reader's) adds joint funded projects to the
    collaboration evidence; without it only shared and partnering clusters count.

    Raises
    ------
    InvalidInput
        ``size`` below 2.
    NotFound, AmbiguousName
        A theme that fits no competency or industry, or several.
    """
    if size < 2:
        raise InvalidInput(f"a project working group needs at least 2 members, not {size}")
    chosen = resolve_theme(p, theme)
    theme_columns = np.array(chosen.columns)
    holds = p.org_competency_up.tocsc()[:, theme_columns]
    holders = np.flatnonzero(np.asarray(holds.sum(axis=1)).ravel() > 0)
    needed = set(np.flatnonzero(np.asarray(p.org_needs[holders].sum(axis=0)).ravel() > 0)) - set(theme_columns.tolist())
    profile = [int(k) for k in theme_columns] + sorted(int(k) for k in needed)
    weight = np.zeros(len(p.competencies))
    weight[profile] = p.competency_specificity[profile]
    has = (p.org_competency > 0).astype(np.float64).tocsr()  # direct claims: what each brings itself
    org_clusters = {o: {int(c) for c in p.clusters_of(o)} for o in range(len(p.organisations))}
    candidates = [o for o in np.flatnonzero(np.asarray(has[:, profile].sum(axis=1)).ravel() > 0) if org_clusters[int(o)]]
    covered: set[int] = set()
    members: list[dict] = []
    group: list[int] = []
    projects: dict[int, dict[int, list[str]]] = {}  # member -> organisation -> joint project titles
    while len(group) < size:
        best, best_gain, best_detail = None, 0.0, None
        for o in candidates:
            if o in group:
                continue
            held = [k for k in has[o].indices if weight[k] > 0]
            fills = [k for k in held if k not in covered]
            gain = float(weight[fills].sum()) + DEPTH_SHARE * float(weight[[k for k in held if k in covered]].sum())
            if gain <= 0:
                continue
            evidence = _evidence(p, int(o), group, org_clusters, projects)
            new_cluster = not group or bool(org_clusters[int(o)] - {c for g in group for c in org_clusters[g]})
            if group:
                gain *= (NEW_CLUSTER_FACTOR if new_cluster else 1.0) * (EVIDENCE_FACTOR if evidence else 1.0)
            key = (gain, -int(o))
            if best is None or key > (best_gain, -best):
                best, best_gain, best_detail = int(o), gain, (fills, evidence, new_cluster, [k for k in held if k in covered])
        if best is None:
            break
        fills, evidence, new_cluster, deepens = best_detail
        group.append(best)
        if select is not None:
            projects[best] = _co_projects(p, select, best)
        covered |= set(fills)
        members.append(_member(p, best, len(group), fills, deepens, evidence, new_cluster, best_gain, org_clusters, weight))
    labels = p.competencies["label"]
    rows = [{"iri": p.competencies["iri"].iat[k], "id": p.competencies["id"].iat[k], "label": labels.iat[k],
             "why": "theme" if k in set(theme_columns.tolist()) else "needed by holders"} for k in profile]
    gap = sorted((k for k in profile if k not in covered), key=lambda k: (-weight[k], labels.iat[k]))
    return ProjectGroup(chosen, tuple(rows), tuple(members), tuple(labels.iat[k] for k in gap))


def _co_projects(p: Projection, select: Callable, member: int) -> dict[int, list[str]]:
    """Organisations (rows) that took part in funded projects with ``member``, with the titles."""
    index = p.index("organisation")
    found: dict[int, list[str]] = {}
    for other, title in select(CO_PROJECTS, {"me": URIRef(p.organisations["iri"].iat[member])}):
        row = index.get(str(other))
        if row is not None and row != member:
            found.setdefault(row, []).append(str(title) if title is not None else str(other))
    return found


def _evidence(p: Projection, o: int, group: list[int], org_clusters: dict[int, set[int]],
              projects: dict[int, dict[int, list[str]]]) -> list[str]:
    """Why ``o`` and the group already work together: shared clusters, partnering clusters, joint projects."""
    found = []
    mine = org_clusters[o]
    for g in group:
        joint = projects.get(g, {}).get(o)
        if joint:
            titles = sorted(set(joint))
            found.append(reason(N_("took part in %(count)s funded project(s) with %(organisation)s (%(titles)s)"),
                                count=len(titles), organisation=p.organisations['label'].iat[g],
                                titles=[titles[0]] + (["..."] if len(titles) > 1 else [])))
            continue
        shared = mine & org_clusters[g]
        if shared:
            found.append(reason(N_("shares %(cluster)s with %(organisation)s"), cluster=p.clusters['label'].iat[min(shared)],
                                organisation=p.organisations['label'].iat[g]))
            continue
        for c in sorted(mine):
            partners = p.partners_of(c)
            hit = next((d for d in sorted(org_clusters[g]) if d in partners), None)
            if hit is not None:
                found.append(reason(N_("%(cluster)s partners with %(other)s (%(organisation)s) via %(partnership)s"),
                                    cluster=p.clusters['label'].iat[c], other=p.clusters['label'].iat[hit],
                                    organisation=p.organisations['label'].iat[g], partnership=partners[hit][0]))
                break
    return found


def _member(p, o, rank, fills, deepens, evidence, new_cluster, gain, org_clusters, weight) -> dict:
    labels = p.competencies["label"]
    filled = [labels.iat[k] for k in sorted(fills, key=lambda k: (-weight[k], labels.iat[k]))]
    clusters = [{"iri": p.clusters["iri"].iat[c], "id": p.clusters["id"].iat[c], "label": p.clusters["label"].iat[c]}
                for c in sorted(org_clusters[o], key=lambda c: p.clusters["label"].iat[c])]
    if filled:
        more = reason(N_(" and %(count)s more"), count=len(filled) - _SHOWN) if len(filled) > _SHOWN else ""
        parts = [reason(N_("fills %(competencies)s%(more)s"), competencies=filled[:_SHOWN], more=more)]
    else:
        parts = [reason(N_("adds depth in %(competencies)s"), competencies=sorted(labels.iat[k] for k in deepens)[:_SHOWN])]
    if rank > 1 and new_cluster:
        parts.append(reason(N_("brings %(clusters)s into the group"), clusters=[c["label"] for c in clusters]))
    parts += evidence[:2]
    return {"rank": rank, "iri": p.organisations["iri"].iat[o], "id": p.organisations["id"].iat[o],
            "label": p.organisations["label"].iat[o], "type": p.organisations["type"].iat[o],
            "country": p.organisations["country"].iat[o], "clusters": clusters, "fills": filled,
            "evidence": evidence, "gain": round(gain, 6), "why": join(parts)}
