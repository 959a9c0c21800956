"""Market check: which clusters of other industries to tell about a member's new development.

The literature's third search tool: formalised dissemination of members' new developments to
clusters of *other* industries. The input is a development (``projection.developments``; its
competencies and industries) or an ad-hoc set of competencies and industries.

Competencies used (``K``, reported as ``competency_source``):

- ``"development"`` — the development's own ``ckg:relatedCompetency`` values;
- ``"developer"`` — when the development lists none (all seven in the bundled data), the
  competencies its developing organisation claims directly, said so in every ``why``;
- ``"given"`` — the ad-hoc competencies.

Clusters left out: the developer's own clusters, and clusters of the development's industry.
A cluster "is of" the industry when it shares one of the development's industries; NACE
sections (Manufacturing covers most clusters) decide only when the development has no industry
of a finer scheme (EU industrial ecosystems or emerging industries). A development with no
industry takes its developer's clusters' industries.

Score of a remaining cluster ``B`` (``s`` the competency specificity)::

    score = Σ_k s[k] · (needs[B, k] + related[B, k] + applied[B, k]) / Σ_k s[k]

- ``needs`` — 1 when ``B`` or one of its organisations declares a need for ``k``;
- ``related`` — 0.5 when ``B`` holds another competency under the same broader competency as
  ``k`` (a sibling or one of its narrower ones) without holding ``k`` itself: it works next to
  ``k`` and could take it up; weak evidence, so counted half. 0.25 when what ``B`` holds only
  shares the broader competency one level up (the vocabulary is at most three levels deep).
  Holding ``k`` itself adds nothing (a holder is a producer, not a user);
- ``applied`` — how specific the most specific of ``B``'s industries in which ``k`` is applied
  is: its industry weight (idf over clusters, see :mod:`~clusterkg.graph.analysis.recommend`)
  over the highest industry weight; Manufacturing alone gives about 0.25, Medical devices 0.8.

Clusters scoring 0 are left out.

JSON (``Dissemination.to_json()``)::

    {
      "development": {"iri": str, "id": str, "label": str,
                      "organisation": {"iri": str, "id": str, "label": str}} | null,
      "competency_source": "development" | "developer" | "given",
      "competencies": [{"iri": str, "id": str, "label": str}],
      "industries": [{"iri": str, "id": str, "label": str}],     # the development's (or given)
      "excluded_clusters": int,
      "limit": int,
      "items": [{
        "rank": int, "iri": str, "id": str, "label": str, "countries": [str],
        "industries": [str],             # labels of the cluster's industries
        "score": float,
        "needs": [str], "related": [str], "applied": [str],   # competency labels per signal
        "why": str
      }]
    }

Examples
--------
>>> from clusterkg.graph.projection import build_projection
>>> from clusterkg.graph.sheets import build_rows
>>> from clusterkg.graph.store import OxigraphStore
>>> src = "https://example.org/doc"
>>> rows = {
...     "countries": [{"code": "DE", "name": "Germany"}],
...     "industries": [{"id": i, "scheme": "eu-industrial-ecosystems", "notation": i, "label": i.title()}
...                    for i in ("electronics", "health")],
...     "competencies": [{"id": "sensors", "label": "Sensors", "industries": "electronics;health"}],
...     "clusters": [{"id": "chips", "name": "Chips", "countries": "DE", "industries": "electronics", "source_url": src},
...                  {"id": "medtech", "name": "Medtech", "countries": "DE", "industries": "health", "source_url": src}],
... }
>>> store = OxigraphStore()
>>> for sheet, sheet_rows in rows.items():
...     store.insert_graph(build_rows(sheet, sheet_rows, sheet + ".csv")[0])
>>> result = disseminate(build_projection(store), competencies=["Sensors"], industry="electronics")
>>> [(item.label, item.why) for item in result.items]
[('Medtech', 'Sensors is applied in Health')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterkg.graph.analysis.profiles import BROAD_INDUSTRY_SCHEMES, competency_profiles, concept, row_indices
from clusterkg.graph.reasons import N_, and_list, join, reason
from clusterkg.graph.errors import AmbiguousName, InvalidInput, NotFound
from clusterkg.graph.projection import Projection, fold_name, local_name

__all__ = ["Dissemination", "DisseminationTarget", "disseminate", "resolve_development"]

#: weight of holding a competency next to the one disseminated: same broader one, or same top one
SIBLING_WEIGHT = 0.5
COUSIN_WEIGHT = 0.25
_SHOWN = 3


@dataclass(frozen=True)
class DisseminationTarget:
    """One cluster of another industry to inform, and why."""

    rank: int
    iri: str
    id: str
    label: str
    countries: tuple[str, ...]
    industries: tuple[str, ...]
    score: float
    needs: tuple[str, ...]
    related: tuple[str, ...]
    applied: tuple[str, ...]
    why: str

    def to_json(self) -> dict:
        return {
            "rank": self.rank, "iri": self.iri, "id": self.id, "label": self.label,
            "countries": list(self.countries), "industries": list(self.industries), "score": self.score,
            "needs": list(self.needs), "related": list(self.related), "applied": list(self.applied),
            "why": self.why,
        }


@dataclass(frozen=True)
class Dissemination:
    """Clusters of other industries to inform about a development, best first."""

    development: dict | None
    competency_source: str
    competencies: tuple[dict, ...]
    industries: tuple[dict, ...]
    excluded_clusters: int
    limit: int
    items: tuple[DisseminationTarget, ...]

    def to_json(self) -> dict:
        return {
            "development": None if self.development is None else dict(self.development),
            "competency_source": self.competency_source,
            "competencies": [dict(c) for c in self.competencies],
            "industries": [dict(i) for i in self.industries],
            "excluded_clusters": self.excluded_clusters, "limit": self.limit,
            "items": [item.to_json() for item in self.items],
        }

    def to_frame(self) -> pd.DataFrame:
        columns = ["rank", "id", "label", "score", "industries", "needs", "related", "applied", "why"]
        return pd.DataFrame([item.to_json() for item in self.items], columns=columns)[columns]


def resolve_development(projection: Projection, name: str) -> int:
    """A development's row from its id, IRI or an unambiguous part of its label.

    Raises :class:`NotFound` (listing the developments) or :class:`AmbiguousName`.
    """
    frame = projection.developments
    text = name.strip()
    iris = frame["iri"].tolist()
    ids = [local_name(iri) for iri in iris]
    listed = [f"{label} [{identifier}]" for label, identifier in zip(frame["label"], ids)]
    if text in iris:
        return iris.index(text)
    if text in ids:
        return ids.index(text)
    wanted = fold_name(text)
    if wanted:
        matches = [i for i, label in enumerate(frame["label"]) if wanted == fold_name(label)]
        matches = matches or [i for i, (label, identifier) in enumerate(zip(frame["label"], ids))
                              if wanted in fold_name(label) or wanted in identifier]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise AmbiguousName("development", name, sorted(listed[i] for i in matches))
    raise NotFound("development", name, sorted(listed))


def disseminate(
    projection: Projection,
    development: str | None = None,
    competencies: Sequence[str] | None = None,
    industry: str | Sequence[str] | None = None,
    limit: int = 10,
) -> Dissemination:
    """Clusters of other industries that could use a development (or some competencies).

    Parameters
    ----------
    projection : Projection
    development : str, optional
        Id, IRI or part of the label of a development in ``projection.developments``.
    competencies : sequence of str, optional
        Instead of a development: the competencies (ids, IRIs or names) to disseminate.
    industry : str or sequence of str, optional
        With ``competencies`` (required then): the industry or industries they come from.
    limit : int
        How many clusters to return (at least 1).

    Returns
    -------
    Dissemination
        See the module docstring for the score and the JSON shape.

    Raises
    ------
    NotFound, AmbiguousName
        For an unknown or ambiguous development, competency or industry.
    InvalidInput
        For neither or both of ``development`` and ``competencies``, an empty competency list,
        competencies without an industry, a development whose developer has no competencies
        either, or ``limit`` below 1.
    """
    if limit < 1:
        raise InvalidInput(f"limit must be at least 1, not {limit}")
    p = projection
    q = competency_profiles(p)
    industry_index = p.index("industry")
    own_clusters: np.ndarray = np.zeros(0, dtype=np.int64)
    development_json = None
    if development is not None:
        if competencies or industry:
            raise InvalidInput("give either a development or competencies with an industry, not both")
        row = resolve_development(p, development)
        dev = p.developments.iloc[row]
        developer = int(dev["organisation"])
        chosen = np.array(sorted(dev["competencies"]), dtype=np.int64)
        source = "development"
        if developer >= 0:
            own_clusters = p.clusters_of(developer)
        if chosen.size == 0:
            source = "developer"
            chosen = row_indices(p.org_competency, developer) if developer >= 0 else np.zeros(0, dtype=np.int64)
            if chosen.size == 0:
                raise InvalidInput(f"development {dev['label']!r} lists no competencies and neither does its developer; "
                                   "use --competency and --industry instead")
        industries = sorted(industry_index[i] for i in dev["industries"] if i in industry_index)
        if not industries:
            industries = sorted(set(q.cluster_industry[own_clusters].indices)) if own_clusters.size else []
        organisation = concept(p, "organisation", developer) if developer >= 0 else None
        development_json = {"iri": dev["iri"], "id": local_name(dev["iri"]), "label": dev["label"], "organisation": organisation}
    else:
        names = [c for c in (competencies or []) if c and c.strip()]
        if not names:
            raise InvalidInput("give a development or at least one competency (--competency)")
        given = [industry] if isinstance(industry, str) else list(industry or [])
        given = [i for i in given if i and i.strip()]
        if not given:
            raise InvalidInput("competencies need the industry they come from (--industry), to find clusters of other industries")
        chosen = np.array(sorted({p.resolve_competency(c) for c in names}), dtype=np.int64)
        industries = sorted({p.resolve_industry(i) for i in given})
        source = "given"

    chosen = np.unique(chosen)
    excluded = _excluded(p, q, industries, own_clusters)
    n_clusters = len(p.clusters)
    s = q.specificity[chosen]

    needs = q.needs_csc[:, chosen].toarray() > 0
    held = q.holds_csc[:, chosen].toarray() > 0
    broader = p.competencies["broader"].to_numpy()
    related = np.zeros((n_clusters, chosen.size))
    for j, k in enumerate(chosen):
        parent = broader[k]
        if parent < 0:
            continue
        under_parent = q.holds_csc[:, [parent]].toarray().ravel() > 0
        related[under_parent & ~held[:, j], j] = SIBLING_WEIGHT
        grand = broader[parent]
        if grand >= 0:
            under_grand = q.holds_csc[:, [grand]].toarray().ravel() > 0
            related[under_grand & ~under_parent & ~held[:, j], j] = COUSIN_WEIGHT
    # applied: the most specific industry of B in which k is applied, relative to the most specific industry
    weight = q.industry_weight / q.industry_weight.max() if q.industry_weight.size else q.industry_weight
    applied_in = q.applied[:, chosen].toarray() > 0  # industries x chosen
    cluster_industry = q.cluster_industry.toarray() > 0  # small: clusters x industries
    applied = np.zeros((n_clusters, chosen.size))
    for j in range(chosen.size):
        hits = cluster_industry & applied_in[:, j][None, :]
        applied[:, j] = (hits * weight[None, :]).max(axis=1) if hits.size else 0.0

    signal = needs + related + applied
    score = (signal * s).sum(axis=1) / s.sum()
    eligible = (score > 0) & ~excluded
    candidates = np.flatnonzero(eligible)
    order = candidates[np.lexsort((p.clusters["label"].to_numpy()[candidates], -score[candidates]))][:limit]

    labels = p.competencies["label"].to_numpy()
    industry_labels = p.industries["label"].to_numpy()
    by_weight = np.argsort(-s, kind="stable")
    items = []
    for rank, b in enumerate(order, start=1):
        b = int(b)
        needed = [labels[chosen[j]] for j in by_weight if needs[b, j]]
        near = [labels[chosen[j]] for j in by_weight if related[b, j] > 0]
        used = [labels[chosen[j]] for j in by_weight if applied[b, j] > 0]
        b_industries = row_indices(q.cluster_industry, b)
        why_parts = []
        if needed:
            why_parts.append(reason(N_("needs %(competencies)s"), competencies=and_list(needed[:_SHOWN])))
        if near:
            siblings = _sibling_examples(p, q, b, chosen, related[b])
            why_parts.append(reason(N_("works next to %(competencies)s (holds %(held)s)"), competencies=and_list(near[:_SHOWN]),
                                    held=siblings) if siblings
                             else reason(N_("works next to %(competencies)s"), competencies=and_list(near[:_SHOWN])))
        if used:
            j = next(j for j in by_weight if applied[b, j] > 0)
            where = [industry_labels[i] for i in sorted(b_industries, key=lambda i: -weight[i]) if applied_in[i, j]]
            why_parts.append(reason(N_("%(competency)s is applied in %(industries)s"), competency=labels[chosen[j]],
                                    industries=and_list(where[:2])))
        if source == "developer":
            why_parts.append(reason(N_("competencies of the developer (the development lists none)")))
        items.append(DisseminationTarget(
            rank=rank, iri=p.clusters["iri"].iat[b], id=p.clusters["id"].iat[b], label=p.clusters["label"].iat[b],
            countries=tuple(p.clusters["countries"].iat[b]),
            industries=tuple(industry_labels[i] for i in b_industries), score=round(float(score[b]), 6),
            needs=tuple(needed), related=tuple(near), applied=tuple(used), why=join(why_parts),
        ))
    return Dissemination(
        development=development_json, competency_source=source,
        competencies=tuple(concept(p, "competency", int(k)) for k in chosen),
        industries=tuple(concept(p, "industry", i) for i in industries),
        excluded_clusters=int(excluded.sum()), limit=limit, items=tuple(items),
    )


def _excluded(p: Projection, q, industries: list[int], own_clusters: np.ndarray) -> np.ndarray:
    """Clusters of the development's industry (finer schemes decide) and the developer's own."""
    schemes = p.industries["scheme"].to_numpy()
    fine = [i for i in industries if schemes[i] not in BROAD_INDUSTRY_SCHEMES]
    deciding = fine or industries
    excluded = np.zeros(len(p.clusters), dtype=bool)
    if deciding:
        excluded |= np.asarray(q.cluster_industry[:, deciding].sum(axis=1)).ravel() > 0
    excluded[own_clusters] = True
    return excluded


def _sibling_examples(p: Projection, q, cluster: int, chosen: np.ndarray, related_row: np.ndarray) -> list[str]:
    """Up to two competencies ``cluster`` holds next to the related ones (same broader competency)."""
    broader = p.competencies["broader"].to_numpy()
    parents = set()
    for j in np.flatnonzero(related_row):
        ancestor = broader[chosen[j]]
        if related_row[j] == COUSIN_WEIGHT:
            ancestor = broader[ancestor]
        parents.add(ancestor)
    examples = []
    for k in row_indices(q.direct, cluster):
        j, seen = k, 0  # the held competency itself may be the shared broader one
        while j >= 0 and seen < 64 and j not in parents:
            j, seen = broader[j], seen + 1
        if j >= 0 and j in parents:
            examples.append(p.competencies["label"].iat[k])
    return examples[:2]
