"""Missing competencies of a cluster, seen through three lenses, each scored with its evidence.

The first search tool of cross-cluster cooperation is "identify the competencies a cluster
lacks" (``reference/domain.md``). A competency is *lacking* when no organisation tied to the
cluster has it or a narrower one (``cluster_competency`` is 0; it counts broader competencies).
Every score multiplies a lens-specific strength by the competency's specificity (its inverse
document frequency among organisations): a rare capability missing matters more than a common one.

- **target** — against a value-chain template (:mod:`.templates`): the required competencies the
  cluster lacks. ``score = template weight × specificity``.
- **peers** — what clusters like this one commonly have. Peers are the clusters sharing an
  industry with it and its ``k`` most similar clusters by cosine on the tf-idf profile
  (``cluster_competency`` × ``competency_specificity``); clusters without any competency data
  are left out (absence of data is not evidence). A peer weighs
  ``(cosine + Jaccard overlap of industries) / 2``.
  ``score = share × specificity`` with ``share`` = the peer-weighted share of peers having it.
  Competencies below ``min_share`` are dropped, and so is a broader competency whose peer
  support comes entirely through one narrower gap already listed (it would repeat it).
- **demand** — declared needs (``cluster_needs`` and the ``org_needs`` of tied organisations)
  that nobody tied to the cluster meets. Strength 1 when the cluster itself declares the need,
  else the sum of the tie strengths of the members declaring it, capped at 1.
  ``score = strength × specificity``.

**Combination rule.** ``combined`` ranks every competency found by any lens by the *sum* of its
lens scores: a competency that several independent lenses point at is more surely missing.

JSON shape (``GapReport.to_json()``, a stable public API)::

    {
      "cluster": {"iri": str, "id": str, "label": str},
      "lenses": ["target", "peers", "demand"],          # the lenses asked for
      "combination_rule": "sum of lens scores",
      "template": null | {"id", "label", "source", "required": int, "covered": int,
                          "covered_weight_share": float},
      "peer_clusters": [{"iri", "id", "label", "weight", "similarity", "shared_industries": int}],
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

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from clusterkg.graph.analysis.templates import Template, list_templates, load_template
from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.projection import Projection

__all__ = ["Gap", "GapReport", "LENSES", "find_gaps", "resolve_cluster_arg", "template_columns"]

LENSES = ("target", "peers", "demand")
COMBINATION_RULE = "sum of lens scores"
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
    ids = _cached(projection, "_gaps_competency_ids", lambda: {c: i for i, c in enumerate(projection.competencies["id"])})
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
        How many most-similar clusters join the industry peers.
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
    specificity = _cached(projection, "_gaps_specificity", lambda: projection.competency_specificity)
    notes: dict[str, str] = {}
    gaps: dict[str, tuple[Gap, ...]] = {}
    full: dict[str, list[Gap]] = {}
    template_info, peer_info = None, ()

    if "target" in lenses:
        if template is None:
            notes["target"] = "no template given (use --template NAME or --template-file CSV)"
            full["target"] = []
        else:
            full["target"], template_info = _target(projection, template, has, specificity)
            if not full["target"]:
                notes["target"] = f"the cluster has every competency template {template.id!r} requires"
    if "peers" in lenses:
        full["peers"], peer_info, note = _peers(projection, row, has, specificity, peers_k, min_share)
        if note:
            notes["peers"] = note
    if "demand" in lenses:
        full["demand"], note = _demand(projection, row, has, specificity)
        if note:
            notes["demand"] = note

    for name in lenses:
        gaps[name] = tuple(_ranked(full.get(name, []))[:limit])
    combined = _combine([g for name in lenses for g in full.get(name, [])], lenses)[:limit]
    info = projection.clusters.iloc[row]
    return GapReport(
        cluster={"iri": info["iri"], "id": info["id"], "label": info["label"]},
        lenses=lenses, gaps=gaps, combined=tuple(combined), peer_clusters=tuple(peer_info),
        template=template_info, notes=notes,
    )


# ---------------------------------------------------------------------------------------------
# the lenses


def _target(p: Projection, template: Template, has: np.ndarray, specificity: np.ndarray):
    columns, weights = template_columns(p, template)
    missing = ~has[columns]
    found = []
    for requirement, column, weight, lacking in zip(template.requirements, columns, weights, missing):
        if not lacking:
            continue
        spec = float(specificity[column])
        found.append(_gap(p, column, "target", weight * spec, {
            "template": template.id, "template_label": template.label, "step": requirement.step,
            "weight": float(weight), "specificity": round(spec, 6),
            "source_url": requirement.source_url, "source_quote": requirement.source_quote,
        }, f"required by {template.label}, step {requirement.step!r} (weight {weight:g}); no tied organisation has it"))
    info = {
        "id": template.id, "label": template.label, "source": template.source,
        "required": int(len(columns)), "covered": int((~missing).sum()),
        "covered_weight_share": round(float(weights[~missing].sum() / weights.sum()), 6),
    }
    return found, info


def _peers(p: Projection, row: int, has: np.ndarray, specificity: np.ndarray, k: int, min_share: float):
    binary = _binary_profiles(p)
    n_clusters = binary.shape[0]
    with_data = np.diff(binary.indptr) > 0
    if not with_data[row]:
        return [], (), "no organisation tied to this cluster has a recorded competency, so it has no profile to compare"
    tfidf = _tfidf(p)
    similarity = np.asarray((tfidf @ tfidf[row].T).todense()).ravel()
    industries = _cluster_industries(p)
    shared = np.asarray((industries @ industries[row].T).todense()).ravel()
    industry_profiles = _industry_tfidf(p)
    industry_similarity = np.asarray((industry_profiles @ industry_profiles[row].T).todense()).ravel()

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
    weight = np.zeros(n_clusters)
    weight[peers] = closeness[keep]
    if len(peers) == 0:
        return [], (), "no peer cluster: none shares an industry or competencies with this one"
    total = weight[peers].sum()
    share = np.asarray(binary.T @ weight).ravel() / total
    candidate = (share >= max(min_share, 1e-12)) & ~has
    candidate = _drop_repeated_broader(p, candidate, share)

    order = peers[np.argsort(-weight[peers], kind="stable")]
    peer_info = [{
        "iri": p.clusters["iri"].iat[c], "id": p.clusters["id"].iat[c], "label": p.clusters["label"].iat[c],
        "weight": round(float(weight[c]), 6), "similarity": round(float(similarity[c]), 6),
        "industry_similarity": round(float(industry_similarity[c]), 6), "shared_industries": int(shared[c]),
    } for c in order]
    columns = _binary_columns(p)
    found = []
    for column in np.flatnonzero(candidate):
        holders = columns.indices[columns.indptr[column]:columns.indptr[column + 1]]
        having = holders[weight[holders] > 0]
        having = having[np.argsort(-weight[having], kind="stable")]
        spec = float(specificity[column])
        names = [p.clusters["label"].iat[c] for c in having[:5]]
        more = f" and {len(having) - 5} more" if len(having) > 5 else ""
        found.append(_gap(p, column, "peers", share[column] * spec, {
            "share": round(float(share[column]), 6), "specificity": round(spec, 6),
            "peers_having": int(len(having)), "peers": int(len(peers)),
            "having": [{"iri": p.clusters["iri"].iat[c], "id": p.clusters["id"].iat[c],
                        "label": p.clusters["label"].iat[c], "weight": round(float(weight[c]), 6)}
                       for c in having[:_SHOWN_EVIDENCE]],
        }, f"{len(having)} of {len(peers)} peer clusters have it (weighted share {share[column]:.2f}): {', '.join(names)}{more}"))
    return found, peer_info, None


def _demand(p: Projection, row: int, has: np.ndarray, specificity: np.ndarray):
    declared = np.zeros(p.cluster_needs.shape[1], dtype=bool)
    declared[p.cluster_needs.getrow(row).indices] = True
    ties = p.cluster_org.getrow(row)
    members, strength_of = ties.indices, ties.data
    member_needs = p.org_needs[members] if len(members) else sp.csr_matrix((0, p.org_needs.shape[1]))
    from_members = np.asarray(member_needs.T @ strength_of).ravel() if len(members) else np.zeros(len(declared))
    needed = declared | (from_members > 0)
    if not needed.any():
        return [], "no declared needs for this cluster"
    strength = np.where(declared, 1.0, np.minimum(from_members, 1.0))
    candidate = needed & ~has
    if not candidate.any():
        return [], "every declared need is met by an organisation tied to the cluster"
    by_competency = member_needs.tocsc() if len(members) else None
    found = []
    for column in np.flatnonzero(candidate):
        needers = []
        if by_competency is not None:
            local = by_competency.indices[by_competency.indptr[column]:by_competency.indptr[column + 1]]
            for i in sorted(local, key=lambda i: (-strength_of[i], p.organisations["label"].iat[members[i]])):
                o = members[i]
                needers.append({"iri": p.organisations["iri"].iat[o], "id": p.organisations["id"].iat[o],
                                "label": p.organisations["label"].iat[o], "tie": float(strength_of[i])})
        spec = float(specificity[column])
        who = (["the cluster itself"] if declared[column] else []) + [n["label"] for n in needers[:5]]
        more = f" and {len(needers) - 5} more" if len(needers) > 5 else ""
        found.append(_gap(p, column, "demand", strength[column] * spec, {
            "strength": round(float(strength[column]), 6), "specificity": round(spec, 6),
            "declared_by_cluster": bool(declared[column]), "needed_by": needers[:_SHOWN_EVIDENCE],
        }, f"needed by {', '.join(who)}{more}; no tied organisation has it"))
    return found, None


# ---------------------------------------------------------------------------------------------
# helpers


def _gap(p: Projection, column: int, lens: str, score: float, evidence: dict, why: str) -> Gap:
    return Gap(p.competencies["iri"].iat[column], p.competencies["id"].iat[column],
               p.competencies["label"].iat[column], lens, float(score), evidence, why, int(column))


def _ranked(gaps: list[Gap]) -> list[Gap]:
    return sorted(gaps, key=lambda g: (-g.score, g.competency_label, g.competency_id))


def _combine(gaps: list[Gap], lenses: tuple[str, ...]) -> list[Gap]:
    by_competency: dict[int, list[Gap]] = {}
    for gap in gaps:
        by_competency.setdefault(gap.competency_index, []).append(gap)
    combined = []
    for found in by_competency.values():
        first = found[0]
        scores = {g.lens: round(g.score, 6) for g in sorted(found, key=lambda g: lenses.index(g.lens))}
        combined.append(Gap(first.competency_iri, first.competency_id, first.competency_label, "combined",
                            sum(g.score for g in found), {"lenses": list(scores), "scores": scores},
                            " | ".join(f"{g.lens}: {g.why}" for g in sorted(found, key=lambda g: lenses.index(g.lens))),
                            first.competency_index))
    return _ranked(combined)


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


def _cached(p: Projection, key: str, make):
    """A derived quantity kept on the projection (it is rebuilt whenever the data changes)."""
    value = p.__dict__.get(key)
    if value is None:
        value = make()
        p.__dict__[key] = value
    return value


def _binary_profiles(p: Projection) -> sp.csr_matrix:
    return _cached(p, "_gaps_binary_profiles", lambda: (p.cluster_competency > 0).astype(np.float64).tocsr())


def _binary_columns(p: Projection) -> sp.csc_matrix:
    return _cached(p, "_gaps_binary_columns", lambda: _binary_profiles(p).tocsc())


def _tfidf(p: Projection) -> sp.csr_matrix:
    """Clusters' competency profiles, tf-idf weighted (idf = competency specificity), unit length."""
    return _cached(p, "_gaps_tfidf", lambda: _normalised_tfidf(p.cluster_competency, p.competency_specificity))


def _industry_tfidf(p: Projection) -> sp.csr_matrix:
    """Clusters' industries weighted by rarity (a shared NACE section says less than a shared niche)."""
    return _cached(p, "_gaps_industry_tfidf", lambda: _normalised_tfidf(_cluster_industries(p)))


def _normalised_tfidf(counts: sp.csr_matrix, idf: np.ndarray | None = None) -> sp.csr_matrix:
    if idf is None:
        n = counts.shape[0]
        holders = np.asarray((counts > 0).sum(axis=0)).ravel()
        idf = np.log((1 + n) / (1 + holders)) + 1.0
    weighted = sp.csr_matrix(counts.multiply(idf[np.newaxis, :]))
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_matrix(sp.diags(scale) @ weighted)


def _cluster_industries(p: Projection) -> sp.csr_matrix:
    def make():
        index = p.index("industry")
        rows, cols = [], []
        for i, iris in enumerate(p.clusters["industries"]):
            for iri in iris:
                if iri in index:
                    rows.append(i)
                    cols.append(index[iri])
        return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(p.clusters), len(p.industries)))
    return _cached(p, "_gaps_cluster_industries", make)
