"""Missing competencies of a cluster, seen through three lenses, each scored with its evidence.

The first search tool of cross-cluster cooperation is "identify the competencies a cluster
lacks" (``reference/domain.md``). A competency is *lacking* when no organisation tied to the
cluster has it or a narrower one (``cluster_competency`` is 0; it counts broader competencies).
Every score multiplies a lens-specific strength by the competency's specificity (its inverse
document frequency among organisations): a rare capability missing matters more than a common one.

- **target** — against a value-chain template (:mod:`.templates`): the required competencies the
  cluster lacks. ``score = template weight × specificity``.
- **peers** — what clusters like this one commonly have. The pool of candidate peers is every
  cluster sharing an industry with it plus its ``k`` most similar clusters by cosine on the
  tf-idf competency profile (``cluster_competency`` × ``competency_specificity``); clusters with
  no competency data are left out (absence of data is not evidence). Each candidate's closeness
  is ``(competency cosine + industry cosine) / 2``, the industry cosine weighting industries by
  rarity among clusters (sharing NACE "Manufacturing" says little, sharing "Medical devices"
  much); the ``k`` closest are the peers, and closeness is a peer's weight.
  ``score = share × specificity`` with ``share`` = the weighted share of peers having it.
  Competencies with ``share < min_share`` are dropped, and so is a broader competency whose peer
  support comes entirely through a narrower gap already listed (it would repeat it).
- **demand** — declared needs (``cluster_needs`` and the ``org_needs`` of tied organisations)
  that nobody tied to the cluster meets; a need past its ``valid_until`` day
  (``schema:validThrough``) is not a current gap (the projection leaves it out). Strength 1 when the cluster itself declares the need,
  else the sum of the tie strengths of the members declaring it, capped at 1.
  ``score = strength × specificity``.

**Cold start.** A cluster none of whose organisations has a recorded competency (a US Cluster
Mapping cluster, a curated cluster without members) is known by what it is: its peers are the
``k`` clusters with competency data closest by industries alone, their own industries widened by
related ones (:func:`~clusterkg.graph.analysis.evidence.related_industry_profiles`), and the
evidence says ``"basis": "industries"``; with no template given, the bundled value-chain template
that fits its industries best is used for the target lens (``template.chosen`` says why,
:func:`~clusterkg.graph.analysis.evidence.choose_template`).

Every lens strength lies in [0, 1] (bundled template weights are 1 or 0.5), so the scores of the
lenses share one scale: at most the competency's specificity.

**Combination rule.** ``combined`` ranks every competency found by any lens by the *sum* of its
lens scores: a competency that several independent lenses point at is more surely missing.
Ties are broken by label, then id.

JSON shape (``GapReport.to_json()``, a stable public API)::

    {
      "cluster": {"iri": str, "id": str, "label": str},
      "lenses": ["target", "peers", "demand"],          # the lenses asked for
      "combination_rule": "sum of lens scores",
      "template": null | {"id", "label", "source", "required": int, "covered": int,
                          "covered_weight_share": float, "chosen": null | str},  # chosen: why (cold start)
      "peer_clusters": [{"iri", "id", "label", "weight", "similarity", "industry_similarity",
                         "shared_industries": int}],         # the peers, closest first
      "gaps": {                                         # one list per lens asked for
        "target" | "peers" | "demand": [
          {"competency": {"iri", "id", "label"}, "lens": str, "score": float,
           "evidence": {...}, "why": str}
        ]
      },
      "combined": [ same item shape, "lens": "combined",
                    "evidence": {"lenses": [str], "scores": {lens: float}} ],
      "notes": {lens: str}                              # e.g. "no declared needs for this cluster"
    }

Evidence per lens: *target* ``{"template", "template_label", "step", "weight", "specificity",
"source_url", "source_quote"}``; *peers* ``{"share", "specificity", "peers_having", "peers",
"having": [{"iri", "id", "label", "weight"}]}`` (the 10 heaviest peers having it); *demand*
``{"strength", "specificity", "declared_by_cluster": bool, "needed_by": [{"iri", "id", "label",
"tie"}]}``.

>>> import io
>>> from clusterkg.graph.store import OxigraphStore
>>> from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic
>>> from clusterkg.graph.projection import build_projection
>>> buffer = io.BytesIO()
>>> _ = write_synthetic(SyntheticSpec(clusters=8, organisations=150, competencies=60, seed=3), buffer)
>>> store = OxigraphStore(); store.insert_ntriples(buffer.getvalue())
>>> projection = build_projection(store)
>>> report = find_gaps(projection, 0, lens="peers", limit=5)
>>> 0 < len(report.combined) <= 5
True
>>> scores = [gap.score for gap in report.combined]
>>> scores == sorted(scores, reverse=True)
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from clusterkg.graph.analysis.profiles import (Names, cluster_industry_matrix, dense_row, holdings,
                                               holdings_by_competency, industry_profiles, names, tfidf_profiles)
from clusterkg.graph.analysis.evidence import choose_template, related_industry_profiles
from clusterkg.graph.reasons import N_, Reason, join, reason
from clusterkg.graph.analysis.templates import Template, list_templates, load_template
from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.projection import Projection

__all__ = ["Gap", "GapReport", "LENSES", "find_gaps", "resolve_cluster_arg", "template_columns"]

LENSES = ("target", "peers", "demand")
COMBINATION_RULE = "sum of lens scores"
#: a lens's name in the combined why-line ("peers: 3 of 4 peer clusters have it ...")
LENS_WORDS = {"target": N_("target"), "peers": N_("peers"), "demand": N_("demand")}
#: peers taken by profile similarity, on top of the clusters sharing an industry
DEFAULT_PEERS_K = 10
#: a competency fewer peers have (by weight) is not something "clusters like this one commonly have"
DEFAULT_MIN_SHARE = 0.2
_SHOWN_EVIDENCE = 10


@dataclass(frozen=True)
class Gap:
    """One missing competency found by one lens (or ``combined``), with its evidence."""

    competency_iri: str
    competency_id: str
    competency_label: str
    lens: str
    score: float
    evidence: dict = field(default_factory=dict)
    why: str = ""
    competency_index: int = -1  # row in the projection (not part of the JSON)

    def to_json(self) -> dict:
        return {
            "competency": {"iri": self.competency_iri, "id": self.competency_id, "label": self.competency_label},
            "lens": self.lens,
            "score": round(float(self.score), 6),
            "evidence": self.evidence,
            "why": self.why,
        }


@dataclass(frozen=True)
class GapReport:
    """What a cluster lacks, per lens and combined."""

    cluster: dict  # iri, id, label
    lenses: tuple[str, ...]
    gaps: dict  # lens -> tuple[Gap, ...]
    combined: tuple[Gap, ...]
    peer_clusters: tuple[dict, ...] = ()
    template: dict | None = None
    notes: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "cluster": dict(self.cluster),
            "lenses": list(self.lenses),
            "combination_rule": COMBINATION_RULE,
            "template": self.template,
            "peer_clusters": [dict(p) for p in self.peer_clusters],
            "gaps": {lens: [g.to_json() for g in self.gaps.get(lens, ())] for lens in self.lenses},
            "combined": [g.to_json() for g in self.combined],
            "notes": dict(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """The combined ranking, one row per competency, with each lens's score beside it."""
        columns = ["rank", "competency_id", "competency_label", "score", "lenses",
                   *(f"{lens}_score" for lens in self.lenses), "why"]
        rows = []
        for rank, gap in enumerate(self.combined, start=1):
            scores = gap.evidence.get("scores", {})
            rows.append({
                "rank": rank, "competency_id": gap.competency_id, "competency_label": gap.competency_label,
                "score": gap.score, "lenses": "; ".join(gap.evidence.get("lenses", [])),
                **{f"{lens}_score": scores.get(lens, 0.0) for lens in self.lenses},
                "why": gap.why,
            })
        return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------------------------


def resolve_cluster_arg(projection: Projection, cluster: int | str) -> int:
    """A cluster row from a row number, id, IRI or unambiguous name."""
    if isinstance(cluster, (int, np.integer)) and not isinstance(cluster, bool):
        if not 0 <= int(cluster) < len(projection.clusters):
            raise InvalidInput(f"no cluster row {cluster} (there are {len(projection.clusters)})")
        return int(cluster)
    return projection.resolve_cluster(str(cluster))


def template_columns(projection: Projection, template: Template) -> tuple[np.ndarray, np.ndarray]:
    """The competency rows and weights of a template; a competency the store lacks is an error."""
    ids = projection.cached("gaps.competency_ids", lambda: {c: i for i, c in enumerate(projection.competencies["id"])})
    columns, weights = [], []
    for requirement in template.requirements:
        index = ids.get(requirement.competency)
        if index is None:
            raise InvalidInput(f"{template.source}: row {requirement.row}: competency: "
                               f"{requirement.competency!r} is not a competency in the store")
        columns.append(index)
        weights.append(requirement.weight)
    return np.array(columns, dtype=np.int64), np.array(weights, dtype=np.float64)


def find_gaps(projection: Projection, cluster: int | str, lens: str = "all",
              template: Template | str | Path | None = None, limit: int = 20, *,
              peers_k: int = DEFAULT_PEERS_K, min_share: float = DEFAULT_MIN_SHARE) -> GapReport:
    """The competencies ``cluster`` lacks, by lens (``target``, ``peers``, ``demand`` or ``all``).

    Parameters
    ----------
    projection : Projection
    cluster : int or str
        Row number, id, IRI or an unambiguous part of the cluster's name.
    lens : str
        One lens or ``"all"``. The target lens needs ``template``; with ``"all"`` and no
        template it is skipped (with a note).
    template : Template, str or Path, optional
        A template, the id of a bundled one, or a CSV file (see :mod:`.templates`).
    limit : int
        How many gaps each list keeps (per lens and combined).
    peers_k : int
        How many peers to compare with (and how many most-similar clusters join the pool).
    min_share : float
        The least peer-weighted share of peers that must have a competency for the peers lens.

    Returns
    -------
    GapReport

    Raises
    ------
    ClusterNotFound, AmbiguousName, NotFound, InvalidInput
    """
    if lens not in LENSES + ("all",):
        raise InvalidInput(f"unknown lens {lens!r}; choose one of: {', '.join(LENSES)}, all")
    if not isinstance(limit, (int, np.integer)) or isinstance(limit, bool) or limit < 1:
        raise InvalidInput(f"limit must be a whole number >= 1, not {limit!r}")
    if peers_k < 0 or not 0 <= min_share <= 1:
        raise InvalidInput("peers_k must be >= 0 and min_share between 0 and 1")
    row = resolve_cluster_arg(projection, cluster)
    lenses = LENSES if lens == "all" else (lens,)
    if template is not None and not isinstance(template, Template):
        template = load_template(template)
    if lens == "target" and template is None:
        available = ", ".join(t.id for t in list_templates()) or "none bundled"
        raise InvalidInput(f"the target lens needs a template (--template NAME or --template-file CSV); available: {available}")

    has = _cluster_has(projection, row)
    specificity = projection.competency_specificity
    notes: dict[str, Reason] = {}
    found: dict[str, _Lens] = {}
    template_info, peer_info = None, []

    cold = not has.any()  # no recorded competency: the cluster is known by what it is (cold start)
    chosen = None
    if "target" in lenses and template is None and cold:
        template, fit = choose_template(projection, row)
        chosen = template and reason(N_("chosen for the cluster's industries (fit %(fit)s): no competency is recorded for it"),
                                     fit=f"{fit:.2f}")
    if "target" in lenses:
        if template is None:
            notes["target"] = reason(N_("no template given: choose a value-chain template (CLI: --template NAME or --template-file CSV)"))
        else:
            found["target"], template_info = _target(projection, template, has, specificity, chosen)
            if not found["target"].mask.any():
                notes["target"] = reason(N_("the cluster has every competency template %(template)s requires"), template=repr(template.id))
    if "peers" in lenses:
        lens_found, peer_info, note = (_industry_peers if cold else _peers)(projection, row, has, specificity, peers_k, min_share)
        if lens_found is not None:
            found["peers"] = lens_found
        if note:
            notes["peers"] = note
    if "demand" in lenses:
        lens_found, note = _demand(projection, row, has, specificity)
        if lens_found is not None:
            found["demand"] = lens_found
        if note:
            notes["demand"] = note

    competency_names = names(projection, "competency")
    gaps = {name: tuple(_gap(projection, name, found[name], c)
                        for c in _top(found[name].scores, found[name].mask, competency_names, limit))
            if name in found else () for name in lenses}
    combined = []
    if found:
        total = sum(f.scores for f in found.values())
        mask = np.logical_or.reduce([f.mask for f in found.values()])
        for column in _top(total, mask, competency_names, limit):
            parts = [(name, _gap(projection, name, f, column)) for name, f in found.items() if f.mask[column]]
            scores = {name: round(g.score, 6) for name, g in parts}
            combined.append(Gap(*_competency(projection, column), "combined", float(total[column]),
                                {"lenses": list(scores), "scores": scores},
                                join((reason(N_("%(lens)s: %(why)s"), lens=reason(LENS_WORDS[name]), why=g.why)
                                      for name, g in parts), " | "), int(column)))
    info = projection.clusters.iloc[row]
    return GapReport(
        cluster={"iri": info["iri"], "id": info["id"], "label": info["label"]},
        lenses=lenses, gaps=gaps, combined=tuple(combined), peer_clusters=tuple(peer_info),
        template=template_info, notes=notes,
    )


# ---------------------------------------------------------------------------------------------
# the lenses: each gives a score for every competency (scored only where ``mask``) and explains
# one competency on demand, so evidence is built for the few gaps shown, not for every candidate


@dataclass(frozen=True)
class _Lens:
    scores: np.ndarray
    mask: np.ndarray
    explain: Callable[[int], tuple[dict, str]]


def _target(p: Projection, template: Template, has: np.ndarray, specificity: np.ndarray, chosen: str | None = None):
    columns, weights = template_columns(p, template)
    missing = ~has[columns]
    scores = np.zeros(len(has))
    mask = np.zeros(len(has), dtype=bool)
    scores[columns[missing]] = weights[missing] * specificity[columns[missing]]
    mask[columns[missing]] = True
    requirement_of = dict(zip(columns.tolist(), template.requirements))

    def explain(column: int) -> tuple[dict, Reason]:
        requirement = requirement_of[column]
        return ({"template": template.id, "template_label": template.label, "step": requirement.step,
                 "weight": float(requirement.weight), "specificity": round(float(specificity[column]), 6),
                 "source_url": requirement.source_url, "source_quote": requirement.source_quote},
                join([reason(N_("required by %(template)s, step %(step)s (weight %(weight)s); no tied organisation has it"),
                             template=template.label, step=repr(requirement.step), weight=f"{requirement.weight:g}"),
                      reason(N_("template %(chosen)s"), chosen=chosen) if chosen else ""]))

    info = {
        "id": template.id, "label": template.label, "source": template.source,
        "required": int(len(columns)), "covered": int((~missing).sum()),
        "covered_weight_share": round(float(weights[~missing].sum() / weights.sum()), 6),
        "chosen": chosen,
    }
    return _Lens(scores, mask, explain), info


def _peers(p: Projection, row: int, has: np.ndarray, specificity: np.ndarray, k: int, min_share: float):
    binary = holdings(p)
    n_clusters = binary.shape[0]
    with_data = np.diff(binary.indptr) > 0
    if not with_data[row]:
        return None, [], reason(N_("no organisation tied to this cluster has a recorded competency, so it has no profile to compare"))
    profiles = tfidf_profiles(p)
    similarity = _cosine_with(profiles, p.cached("gaps.tfidf_by_competency", lambda: profiles.tocsc()), row)
    industries = cluster_industry_matrix(p)
    shared = np.asarray((industries @ industries[row].T).todense()).ravel()
    industry_unit = industry_profiles(p)
    industry_similarity = np.asarray(industry_unit @ dense_row(industry_unit, row)).ravel()

    eligible = with_data.copy()
    eligible[row] = False
    by_industry = eligible & (shared > 0)
    ranked = np.argsort(-np.where(eligible, similarity, -1.0), kind="stable")[:k]
    by_similarity = np.zeros(n_clusters, dtype=bool)
    by_similarity[ranked[(similarity[ranked] > 0) & eligible[ranked]]] = True
    pool = np.flatnonzero(by_industry | by_similarity)
    closeness = (similarity[pool] + industry_similarity[pool]) / 2
    keep = np.argsort(-closeness, kind="stable")[:k]  # the k closest of that pool
    keep = keep[closeness[keep] > 0]
    peers = pool[keep]
    if len(peers) == 0:
        return None, [], reason(N_("no peer cluster: none shares an industry or competencies with this one"))
    weight = np.zeros(n_clusters)
    weight[peers] = closeness[keep]
    share = np.asarray(binary[peers].T @ weight[peers]).ravel() / weight[peers].sum()  # touches k rows only
    mask = (share >= max(min_share, 1e-12)) & ~has
    mask = _drop_repeated_broader(p, mask, share)
    clusters = names(p, "cluster")
    peer_info = [{
        "iri": clusters.iri[c], "id": clusters.id[c], "label": clusters.label[c],
        "weight": round(float(weight[c]), 6), "similarity": round(float(similarity[c]), 6),
        "industry_similarity": round(float(industry_similarity[c]), 6), "shared_industries": int(shared[c]),
    } for c in peers]
    explain = _peer_explainer(p, clusters, peers, weight, share, specificity, reason(N_("peer clusters")))
    return _Lens(np.where(mask, share * specificity, 0.0), mask, explain), peer_info, None


def _peer_explainer(p: Projection, clusters, peers, weight, share, specificity, who: Reason, basis: str | None = None):
    """``explain(column)`` of a peer lens: which of the weighted ``peers`` hold the competency."""
    columns = holdings_by_competency(p)

    def explain(column: int) -> tuple[dict, Reason]:
        holders = columns.indices[columns.indptr[column]:columns.indptr[column + 1]]
        having = holders[weight[holders] > 0]
        having = having[np.argsort(-weight[having], kind="stable")]
        shown = [clusters.label[c] for c in having[:5]]
        more = reason(N_(" and %(count)s more"), count=len(having) - 5) if len(having) > 5 else ""
        evidence = {"share": round(float(share[column]), 6), "specificity": round(float(specificity[column]), 6),
                    "peers_having": int(len(having)), "peers": int(len(peers)),
                    **({"basis": basis} if basis else {}),
                    "having": [{"iri": clusters.iri[c], "id": clusters.id[c], "label": clusters.label[c],
                                "weight": round(float(weight[c]), 6)} for c in having[:_SHOWN_EVIDENCE]]}
        return evidence, reason(N_("%(count)s of %(peers)s %(who)s have it (weighted share %(share)s): %(clusters)s%(more)s"),
                                count=len(having), peers=len(peers), who=who, share=f"{share[column]:.2f}",
                                clusters=shown, more=more)

    return explain


def _industry_peers(p: Projection, row: int, has: np.ndarray, specificity: np.ndarray, k: int, min_share: float):
    """Cold start: the peers are the ``k`` clusters with competency data closest by industries alone
    (their own and related ones, :func:`related_industry_profiles`); what they commonly hold is
    what a cluster of these industries is expected to have."""
    binary = holdings(p)
    with_data = np.diff(binary.indptr) > 0
    widened = related_industry_profiles(p)
    closeness = np.asarray(widened @ dense_row(widened, row)).ravel()
    closeness[~with_data] = 0.0
    closeness[row] = 0.0
    ranked = np.argsort(-closeness, kind="stable")[:k]
    peers = ranked[closeness[ranked] > 0]
    if len(peers) == 0:
        return None, [], reason(N_("no competency is recorded for this cluster and no cluster with competency data shares or relates to its industries"))
    weight = np.zeros(len(closeness))
    weight[peers] = closeness[peers]
    share = np.asarray(binary[peers].T @ weight[peers]).ravel() / weight[peers].sum()
    mask = _drop_repeated_broader(p, (share >= max(min_share, 1e-12)) & ~has, share)
    clusters = names(p, "cluster")
    peer_info = [{"iri": clusters.iri[c], "id": clusters.id[c], "label": clusters.label[c],
                  "weight": round(float(weight[c]), 6), "similarity": 0.0,
                  "industry_similarity": round(float(closeness[c]), 6), "shared_industries": 0} for c in peers]
    explain = _peer_explainer(p, clusters, peers, weight, share, specificity,
                              reason(N_("clusters of the same or related industries")), basis="industries")

    note = reason(N_("no competency is recorded for this cluster: its peers are the clusters closest by industry"))
    return _Lens(np.where(mask, share * specificity, 0.0), mask, explain), peer_info, note


def _demand(p: Projection, row: int, has: np.ndarray, specificity: np.ndarray):
    declared = np.zeros(p.cluster_needs.shape[1], dtype=bool)
    declared[p.cluster_needs.getrow(row).indices] = True
    ties = p.cluster_org.getrow(row)
    members, strength_of = ties.indices, ties.data
    member_needs = p.org_needs[members] if len(members) else sp.csr_matrix((0, p.org_needs.shape[1]))
    from_members = np.asarray(member_needs.T @ strength_of).ravel() if len(members) else np.zeros(len(declared))
    needed = declared | (from_members > 0)
    if not needed.any():
        return None, reason(N_("no declared needs for this cluster"))
    strength = np.where(declared, 1.0, np.minimum(from_members, 1.0))
    mask = needed & ~has
    if not mask.any():
        return None, reason(N_("every declared need is met by an organisation tied to the cluster"))
    by_competency = member_needs.tocsc()
    organisations = names(p, "organisation")

    def explain(column: int) -> tuple[dict, Reason]:
        local = by_competency.indices[by_competency.indptr[column]:by_competency.indptr[column + 1]]
        local = sorted(local, key=lambda i: (-strength_of[i], organisations.label[members[i]]))
        needers = [{"iri": organisations.iri[members[i]], "id": organisations.id[members[i]],
                    "label": organisations.label[members[i]], "tie": float(strength_of[i])} for i in local]
        who = ([reason(N_("the cluster itself"))] if declared[column] else []) + [n["label"] for n in needers[:5]]
        more = reason(N_(" and %(count)s more"), count=len(needers) - 5) if len(needers) > 5 else ""
        return ({"strength": round(float(strength[column]), 6), "specificity": round(float(specificity[column]), 6),
                 "declared_by_cluster": bool(declared[column]), "needed_by": needers[:_SHOWN_EVIDENCE]},
                reason(N_("needed by %(who)s%(more)s; no tied organisation has it"), who=who, more=more))

    return _Lens(np.where(mask, strength * specificity, 0.0), mask, explain), None


# ---------------------------------------------------------------------------------------------
# helpers


def _competency(p: Projection, column: int) -> tuple[str, str, str]:
    found = names(p, "competency")
    return found.iri[column], found.id[column], found.label[column]


def _gap(p: Projection, lens: str, found: _Lens, column: int) -> Gap:
    evidence, why = found.explain(int(column))
    return Gap(*_competency(p, column), lens, float(found.scores[column]), evidence, why, int(column))


def _top(scores: np.ndarray, mask: np.ndarray, labels: Names, limit: int) -> np.ndarray:
    """The ``limit`` best columns by score, ties by label then id (deterministic)."""
    columns = np.flatnonzero(mask)
    if len(columns) > 4 * limit:  # keep every column tied with the limit-th score, drop the rest
        threshold = np.partition(scores[columns], len(columns) - limit)[len(columns) - limit]
        columns = columns[scores[columns] >= threshold]
    order = sorted(columns.tolist(), key=lambda c: (-scores[c], labels.label[c], labels.id[c]))
    return np.array(order[:limit], dtype=np.int64)


def _drop_repeated_broader(p: Projection, candidate: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Drop a broader candidate when a narrower candidate has all of its peer support."""
    broader = p.competencies["broader"].to_numpy()
    children = np.flatnonzero(candidate & (broader >= 0))
    if len(children) == 0:
        return candidate
    parents = broader[children]
    repeated = parents[(share[children] >= share[parents] - 1e-9) & candidate[parents]]
    result = candidate.copy()
    result[repeated] = False
    return result


def _cluster_has(p: Projection, row: int) -> np.ndarray:
    has = np.zeros(p.cluster_competency.shape[1], dtype=bool)
    profile = p.cluster_competency.getrow(row)
    has[profile.indices[profile.data > 0]] = True
    return has


def _cosine_with(rows: sp.csr_matrix, columns: sp.csc_matrix, row: int) -> np.ndarray:
    """Cosine of every row with ``row`` (unit rows), touching only the columns ``row`` uses."""
    start, end = rows.indptr[row], rows.indptr[row + 1]
    used, values = rows.indices[start:end], rows.data[start:end]
    return np.asarray(columns[:, used] @ values).ravel()
