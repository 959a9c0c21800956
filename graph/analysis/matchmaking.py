"""Blitz meetings: a schedule of 1:1 talks between an event's participants.

The literature's blitz meeting (``domain.md``): short pitches, then pre-arranged 1:1 talks
with people from *other* industries who sent their profiles in advance. Participants here are
clusters or organisations (mixed freely); a name is looked up as a cluster first, then as an
organisation.

**Complementarity** of ``a`` and ``b``: what each offers the other. ``a`` offers ``b`` the
competencies ``a`` has (with their broader ones) and ``b`` lacks, each worth its specificity
(:attr:`Projection.competency_specificity`: a rare skill is worth more than a common one), and
twice that when ``b`` declared it needs it. The pair's score is the geometric mean of both
directions, ``sqrt(offer(a→b) × offer(b→a))``: a talk is worth what *both* sides take home, so
two participants with much to give each other beat a rich one pitching to someone with
nothing to give back (with the arithmetic mean a rich participant would be worth the same to
everybody, and the matching could not tell pairs apart). Then times :data:`SAME_CLUSTER_FACTOR` when they already share a cluster (two members of one cluster,
or an organisation and its own cluster) and :data:`PARTNER_FACTOR` when two clusters already
partner: those people can meet any day.

**Schedule**: round by round, a maximum-weight matching (``networkx.max_weight_matching``,
maximum cardinality first, so nobody idles when a partner is free) on the pairs that have not
met yet. Each round is optimal given the rounds before it; the schedule as a whole is not
always: the best set of N rounds is a maximum-weight set of N disjoint matchings, which in a
general graph cannot always be split into rounds (Vizing's theorem: edges of maximum degree N
may need N + 1 colours) and is a hard problem. The greedy order is good enough, and at an event
better: the most valuable talks happen first, when attention is highest and before anyone
leaves, and later rounds lose only pairs of lower value. With an odd number of participants one
sits out each round: whoever has sat out least, then whoever loses least by sitting out (passed
over if the others could then not all meet someone new). Greedy rounds can still paint
themselves into a corner near the end of a long event: then someone sits out an extra round.
When the rounds asked for are the most possible (``n - 1``, or ``n`` when ``n`` is odd),
everybody meets everybody, every schedule has the same total, and the circle method gives one
with nobody idle, its most valuable rounds first.

:func:`plan_meetings` returns :class:`MeetingPlan`; ``to_json()`` is::

    {
      "participants": [participant, ...],          # in the order given
      "total_score": 12.3,
      "rounds": [
        {
          "round": 1,
          "meetings": [
            {
              "a": participant, "b": participant,
              "score": 4.2,                          # complementarity (see above)
              "a_offers": ["Power semiconductors", ...],   # most specific first, up to 5
              "b_offers": ["Antibody engineering", ...],
              "why": "Silicon Saxony offers Power semiconductors, ...; BioRN offers ..."
            }
          ],
          "sitting_out": [participant, ...]
        }
      ]
    }

where ``participant`` is ``{"kind": "cluster" | "organisation", "iri", "id", "label", "name"}``
(``name`` is what the user typed).

>>> from clusterkg.graph.sheets import build_rows
>>> from clusterkg.graph.store import OxigraphStore
>>> from clusterkg.graph.projection import build_projection
>>> store = OxigraphStore()
>>> url = "https://example.org"
>>> rows = {
...     "competencies": [{"id": k, "label": k.title()} for k in ("optics", "lasers", "chips", "sensors")],
...     "organisations": [{"id": o, "name": o.title(), "type": "sme", "source_url": url} for o in ("lumen", "silico")],
...     "organisation_competencies": [{"organisation": o, "competency": k, "source_url": url}
...         for o, k in [("lumen", "optics"), ("lumen", "lasers"), ("silico", "chips"), ("silico", "sensors")]],
... }
>>> for sheet, sheet_rows in rows.items():
...     store.insert_graph(build_rows(sheet, sheet_rows)[0])
>>> plan = plan_meetings(build_projection(store), ["lumen", "silico"], rounds=1)
>>> meeting = plan.rounds[0].meetings[0]
>>> meeting.a["label"], meeting.b["label"], meeting.why
('Lumen', 'Silico', 'Lumen offers Lasers, Optics; Silico offers Chips, Sensors')
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from clusterkg.graph.reasons import N_, Reason, join, reason
from clusterkg.graph.errors import AmbiguousName, InvalidInput, NotFound
from clusterkg.graph.projection import Projection

__all__ = [
    "SAME_CLUSTER_FACTOR",
    "PARTNER_FACTOR",
    "NEED_BONUS",
    "Meeting",
    "Round",
    "MeetingPlan",
    "resolve_participant",
    "complementarity",
    "participant_profiles",
    "describe_meeting",
    "plan_meetings",
]

#: value kept by a meeting of two people who already share a cluster
SAME_CLUSTER_FACTOR = 0.25
#: value kept by a meeting of two clusters that already partner
PARTNER_FACTOR = 0.5
#: extra weight (× specificity) of a competency the other side declared it needs
NEED_BONUS = 1.0
_OFFERS_SHOWN = 5


@dataclass(frozen=True)
class Meeting:
    """One 1:1 talk and what each side brings to it."""

    a: dict
    b: dict
    score: float
    a_offers: tuple[str, ...]
    b_offers: tuple[str, ...]
    why: str

    def to_json(self) -> dict:
        return {"a": dict(self.a), "b": dict(self.b), "score": self.score, "a_offers": list(self.a_offers),
                "b_offers": list(self.b_offers), "why": self.why}


@dataclass(frozen=True)
class Round:
    number: int
    meetings: tuple[Meeting, ...]
    sitting_out: tuple[dict, ...]

    def to_json(self) -> dict:
        return {"round": self.number, "meetings": [m.to_json() for m in self.meetings],
                "sitting_out": [dict(p) for p in self.sitting_out]}


@dataclass(frozen=True)
class MeetingPlan:
    """The whole schedule: rounds of meetings, and who sits out in each."""

    participants: tuple[dict, ...]
    rounds: tuple[Round, ...]

    @property
    def total_score(self) -> float:
        return round(sum(m.score for r in self.rounds for m in r.meetings), 6)

    def to_json(self) -> dict:
        return {"participants": [dict(p) for p in self.participants], "total_score": self.total_score,
                "rounds": [r.to_json() for r in self.rounds]}

    def to_frame(self) -> pd.DataFrame:
        """One row per meeting, and one per participant sitting out (``b`` empty)."""
        rows = []
        for r in self.rounds:
            for m in r.meetings:
                rows.append({"round": r.number, "a": m.a["label"], "b": m.b["label"], "score": m.score, "why": m.why})
            for p in r.sitting_out:
                rows.append({"round": r.number, "a": p["label"], "b": "", "score": 0.0, "why": reason(N_("sits out this round"))})
        return pd.DataFrame(rows, columns=["round", "a", "b", "score", "why"])


def resolve_participant(projection: Projection, name: str) -> tuple[str, int]:
    """``("cluster", row)`` or ``("organisation", row)`` for a name, id or IRI; clusters first.

    Raises :class:`AmbiguousName` when the name fits several clusters (or, failing any cluster,
    several organisations), :class:`NotFound` when it fits nothing (with the closest names).
    """
    try:
        return "cluster", projection.resolve_cluster(name)
    except AmbiguousName as error:
        raise AmbiguousName("participant", name, [f"cluster {c}" for c in error.candidates]) from error
    except NotFound as cluster_error:
        try:
            return "organisation", projection.resolve_organisation(name)
        except AmbiguousName as error:
            raise AmbiguousName("participant", name, [f"organisation {c}" for c in error.candidates]) from error
        except NotFound as error:
            candidates = cluster_error.candidates + error.candidates
            raise NotFound("participant (cluster or organisation)", name, candidates) from error


def _participant(projection: Projection, kind: str, row: int, name: str) -> dict:
    frame = projection.clusters if kind == "cluster" else projection.organisations
    return {"kind": kind, "iri": frame["iri"].iat[row], "id": frame["id"].iat[row],
            "label": frame["label"].iat[row], "name": name}


def complementarity(projection: Projection, entities: list[tuple[str, int]],
                    profiles: tuple[sp.csr_matrix, sp.csr_matrix] | None = None) -> np.ndarray:
    """``score[i, j]`` of each pair of participants ``(kind, row)``: symmetric, zero diagonal.

    Sparse products over the participants' rows only: ``offer = has·s·1ᵀ + b·(has·s)·needsᵀ
    - (has·s)·hasᵀ - b·(has·s)·(has∘needs)ᵀ`` is, for each pair, the specificity ``s`` of what
    ``i`` has and ``j`` lacks, raised by ``b`` (:data:`NEED_BONUS`) where ``j`` needs it; the
    score is ``sqrt(offer[i, j] × offer[j, i])`` times the familiarity factor. ``profiles``
    (``has``, ``needs``) replaces :func:`participant_profiles`, e.g. with what participants
    declared for an event added (:mod:`clusterkg.graph.analysis.blitz`).
    """
    has, needs = profiles if profiles is not None else participant_profiles(projection, entities)
    valued = has @ sp.diags(projection.competency_specificity)
    offer = (np.asarray(valued.sum(axis=1)) + NEED_BONUS * (valued @ needs.T).toarray()
             - (valued @ has.T).toarray() - NEED_BONUS * (valued @ has.multiply(needs).T).toarray())
    score = np.sqrt(np.maximum(offer, 0.0) * np.maximum(offer.T, 0.0))
    for i, j in zip(*np.triu_indices(len(entities), 1)):
        factor = _familiarity(projection, entities[i], entities[j])[0]
        score[i, j] = score[j, i] = score[i, j] * factor
    np.fill_diagonal(score, 0.0)
    return np.maximum(score, 0.0)


def participant_profiles(p: Projection, entities: list[tuple[str, int]]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """0/1 matrices participants × competencies: what each has (with broader ones), and needs."""
    has = sp.vstack([p.cluster_competency[row] if kind == "cluster" else p.org_competency_up[row]
                     for kind, row in entities]).tocsr()
    needs = sp.vstack([p.cluster_needs[row] if kind == "cluster" else p.org_needs[row]
                       for kind, row in entities]).tocsr()
    return (has > 0).astype(np.float64).tocsr(), (needs > 0).astype(np.float64).tocsr()


def _clusters_of(p: Projection, entity: tuple[str, int]) -> set[int]:
    kind, row = entity
    return {row} if kind == "cluster" else {int(c) for c in p.clusters_of(row)}


def _familiarity(p: Projection, a: tuple[str, int], b: tuple[str, int]) -> tuple[float, Reason | str]:
    """How much of a meeting's value is kept when the two already know each other, and why."""
    shared = sorted(_clusters_of(p, a) & _clusters_of(p, b))
    if shared:
        return SAME_CLUSTER_FACTOR, reason(N_("already together in %(cluster)s (value ×%(factor)s)"),
                                           cluster=p.clusters['label'].iat[shared[0]], factor=f"{SAME_CLUSTER_FACTOR:g}")
    if a[0] == b[0] == "cluster":
        partnerships = p.partners_of(a[1]).get(b[1])
        if partnerships:
            return PARTNER_FACTOR, reason(N_("already partners via %(partnership)s (value ×%(factor)s)"),
                                          partnership=partnerships[0], factor=f"{PARTNER_FACTOR:g}")
    return 1.0, ""


def plan_meetings(projection: Projection, participants: list[str], rounds: int) -> MeetingPlan:
    """A schedule of 1:1 meetings over ``rounds`` rounds that favours complementary pairs.

    Parameters
    ----------
    projection : Projection
    participants : list of str
        Cluster or organisation names, ids or IRIs (at least 2, each once).
    rounds : int
        Number of meeting rounds (>= 1; at most ``n - 1`` for an even number ``n`` of
        participants and ``n`` for an odd one, or some pair would have to meet twice).

    Raises
    ------
    InvalidInput
        Too few participants, a participant named twice, or an impossible number of rounds.
    NotFound, AmbiguousName
        A name that fits no cluster or organisation, or several.
    """
    if rounds < 1:
        raise InvalidInput(f"rounds must be at least 1, not {rounds}")
    names = [name for name in participants if name.strip()]
    if len(names) < 2:
        raise InvalidInput(f"a blitz meeting needs at least 2 participants, got {len(names)}")
    entities, seen = [], {}
    for name in names:
        entity = resolve_participant(projection, name)
        if entity in seen:
            label = _participant(projection, *entity, name)["label"]
            raise InvalidInput(f"participant {label!r} is listed twice (as {seen[entity]!r} and {name!r})")
        seen[entity] = name
        entities.append(entity)
    n = len(entities)
    most = n - 1 if n % 2 == 0 else n
    if rounds > most:
        raise InvalidInput(f"{n} participants can meet in at most {most} rounds without a pair meeting twice, not {rounds}")

    people = tuple(_participant(projection, kind, row, name) for (kind, row), name in zip(entities, names))
    score = complementarity(projection, entities)
    has, needs = participant_profiles(projection, entities)
    met: set[tuple[int, int]] = set()
    sat_out = [0] * n
    schedule = []
    if rounds == most:  # everybody meets everybody: any schedule has the same total value
        for number, pairs in enumerate(_round_robin(n, score), start=1):
            schedule.append(_round(projection, people, entities, score, has, needs, number, pairs))
        return MeetingPlan(people, tuple(schedule))
    for number in range(1, rounds + 1):
        candidates: list[int | None] = [None]
        if n % 2:  # whoever has sat out least, then whoever loses least by sitting out
            def loss(i: int) -> float:
                return max((score[i, j] for j in range(n) if j != i and (min(i, j), max(i, j)) not in met), default=0.0)
            candidates = sorted(range(n), key=lambda i: (sat_out[i], loss(i), i))
        matching: set = set()
        for sitter in candidates:  # the first sitter that lets everybody else meet someone new
            attempt = _best_matching(score, [i for i in range(n) if i != sitter], met)
            if len(attempt) > len(matching):
                matching = attempt
            if 2 * len(attempt) >= n - 1:
                break
        pairs = sorted((min(i, j), max(i, j)) for i, j in matching)
        met.update(pairs)
        for i in set(range(n)) - {i for pair in pairs for i in pair}:
            sat_out[i] += 1
        schedule.append(_round(projection, people, entities, score, has, needs, number, pairs))
    return MeetingPlan(people, tuple(schedule))


def _round(p: Projection, people, entities, score, has, needs, number: int, pairs: list[tuple[int, int]]) -> Round:
    matched = {i for pair in pairs for i in pair}
    meetings = sorted((describe_meeting(p, people, entities, score, has, needs, i, j) for i, j in pairs), key=lambda m: -m.score)
    return Round(number, tuple(meetings), tuple(person for i, person in enumerate(people) if i not in matched))


def _round_robin(n: int, score: np.ndarray) -> list[list[tuple[int, int]]]:
    """Every pair exactly once (the circle method), the most valuable rounds first."""
    seats: list[int | None] = list(range(n)) + ([None] if n % 2 else [])
    m = len(seats)
    rounds = []
    for _ in range(m - 1):
        pairs = [(seats[i], seats[m - 1 - i]) for i in range(m // 2)]
        rounds.append(sorted((min(a, b), max(a, b)) for a, b in pairs if a is not None and b is not None))
        seats = [seats[0], seats[-1], *seats[1:-1]]
    return sorted(rounds, key=lambda pairs: -sum(score[a, b] for a, b in pairs))


def _best_matching(score: np.ndarray, present: list[int], met: set[tuple[int, int]]) -> set:
    """Maximum-cardinality, then maximum-weight matching of the pairs that have not met."""
    graph = nx.Graph()
    graph.add_nodes_from(present)
    for x, i in enumerate(present):
        for j in present[x + 1:]:
            if (i, j) not in met:
                # integer weights keep the matching exact; +1 so a pair of zero value still meets
                graph.add_edge(i, j, weight=int(round(score[i, j] * 1e6)) + 1)
    return nx.max_weight_matching(graph, maxcardinality=True, weight="weight")


def describe_meeting(p: Projection, people, entities, score, has, needs, i: int, j: int) -> Meeting:
    """The meeting of participants ``i`` and ``j``: what each offers the other, and why meet."""
    a_offers = _offers(p, has, needs, i, j)
    b_offers = _offers(p, has, needs, j, i)
    a, b = people[i]["label"], people[j]["label"]
    if a_offers or b_offers:
        parts = [reason(N_("%(a)s offers %(competencies)s"), a=a, competencies=list(a_offers)) if a_offers
                 else reason(N_("%(a)s has nothing on record that %(b)s lacks"), a=a, b=b),
                 reason(N_("%(a)s offers %(competencies)s"), a=b, competencies=list(b_offers)) if b_offers
                 else reason(N_("%(a)s has nothing on record that %(b)s lacks"), a=b, b=a)]
    else:
        parts = [reason(N_("no complementary competencies on record: a chance to exchange profiles"))]
    note = _familiarity(p, entities[i], entities[j])[1]
    if note:
        parts.append(note)
    return Meeting(people[i], people[j], round(float(score[i, j]), 6), a_offers, b_offers, join(parts))


def _offers(p: Projection, has: sp.csr_matrix, needs: sp.csr_matrix, giver: int, taker: int) -> tuple[str, ...]:
    """Labels of what ``giver`` has and ``taker`` lacks, most valuable first, narrowest only."""
    mine = set(has[giver].indices) - set(has[taker].indices)
    broader = p.competencies["broader"].to_numpy()
    covered = {int(broader[c]) for c in mine if broader[c] >= 0}
    shown = [c for c in mine if c not in covered]
    wanted = set(needs[taker].indices)
    specificity = p.competency_specificity
    labels = p.competencies["label"]
    shown.sort(key=lambda c: (-(specificity[c] * (1 + NEED_BONUS * (c in wanted))), labels.iat[c]))
    return tuple(labels.iat[c] for c in shown[:_OFFERS_SHOWN])
