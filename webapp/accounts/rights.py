"""Who may change what: the site admin everything, an editor their clusters and their members' records.

The actor of a request comes from a bearer token (the admin token, or a user's personal API
token) or from the logged-in session. Rights are checked on what a write would touch, before
anything is written: every row of the sheets it writes (:func:`row_problems`, located like any
import problem) and, for a revert, every resource whose triples it changes (:func:`foreign_resources`).

An editor of a cluster may change the cluster's own row, its affiliations and needs, and the
records of organisations affiliated with it (the organisation, its competency claims, needs,
shareable resources and developments) — including an organisation the same write affiliates.
Everything else (the taxonomy, countries, partnerships, policies, RDF files) is the admin's.
"""

from __future__ import annotations

import csv
import hmac
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import request
from flask_login import current_user

from clusterkg.graph.problems import Problem
from clusterkg.graph.reasons import N_, reason
from clusterkg.graph.sheets import KEY_JOINER, SHEETS
from clusterkg.graph.store import KnowledgeStore
from clusterkg.ontology.namespace import CKG, DATA
from clusterkg.webapp.auth import ADMIN_AGENT
from clusterkg.webapp.errors import ApiError
from clusterkg.webapp.extension import state

__all__ = ["Actor", "EDITOR_SHEETS", "current_actor", "foreign_resources", "require_actor", "row_problems"]

EDITOR_SHEETS = ("clusters", "organisations", "affiliations", "organisation_competencies", "needs",
                 "resources", "developments")
"""The sheets an editor may write (rows of their clusters and members only)."""

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="clusterkg"'}


@dataclass(frozen=True)
class Actor:
    """Who is asking: the name the history records, and their rights."""

    name: str
    admin: bool = False
    clusters: frozenset[str] = field(default_factory=frozenset)
    account_id: int | None = None

    def may_edit(self, cluster: str) -> bool:
        return self.admin or cluster in self.clusters


def current_actor() -> Actor | None:
    """The actor of this request, ``None`` for an anonymous reader; a wrong bearer token is 401."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and given.strip():
        given = given.strip()
        admin_token = state().admin_token
        if admin_token and hmac.compare_digest(given.encode(), admin_token.encode()):
            return Actor(ADMIN_AGENT, admin=True)
        from clusterkg.webapp.accounts import accounts

        account = accounts().by_api_token(given)
        if account is None:
            raise ApiError(reason(N_("unknown or revoked token")), 401, _CHALLENGE)
        return Actor(account.name, account.is_admin, account.clusters, account.id)
    if current_user and current_user.is_authenticated:
        return Actor(current_user.name, current_user.is_admin, current_user.clusters, current_user.id)
    return None


def require_actor(cluster: str | None = None) -> Actor:
    """The actor, who must be logged in (or hold a token) and, given ``cluster``, may edit it: else 403."""
    actor = current_actor()
    if actor is None:
        raise ApiError(reason(N_("log in (or send 'Authorization: Bearer <your API token>') to change the graph")), 403)
    if cluster is not None and not actor.may_edit(cluster):
        raise ApiError(reason(N_("%(who)s may not change the cluster %(cluster)s"), who=actor.name, cluster=repr(cluster)), 403)
    return actor


def _ids(iris: Iterable[str], kind: str) -> set[str]:
    prefix = str(DATA[kind + "/"])
    return {iri[len(prefix):] for iri in iris if iri.startswith(prefix)}


def members(store: KnowledgeStore, clusters: Iterable[str]) -> set[str]:
    """Ids of the organisations affiliated with any of ``clusters`` in the store."""
    clusters = sorted(clusters)
    if not clusters:
        return set()
    values = " ".join(str(ox.NamedNode(str(DATA[f"cluster/{c}"]))) for c in clusters)
    _, rows = store.select_values(f"SELECT DISTINCT ?o WHERE {{ VALUES ?c {{ {values} }} ?o <{CKG.affiliatedWith}> ?c }}")
    return _ids((r[0] for r in rows), "org")


def _owner(store: KnowledgeStore, kind: str, key: str) -> str | None:
    """The organisation id that offers a resource or made a development, as the store has it."""
    predicate = CKG.offeredBy if kind == "resource" else CKG.developedBy
    _, rows = store.select_values(f"SELECT ?o WHERE {{ <{DATA[f'{kind}/{key}']}> <{predicate}> ?o }}")
    owners = _ids((r[0] for r in rows), "org")
    return min(owners) if owners else None


#: a resource or development whose owner is not the editor's (by its sheet)
_BELONGS = {"resources": N_("this resource belongs to %(owner)s, which is not a member of your clusters"),
            "developments": N_("this development belongs to %(owner)s, which is not a member of your clusters")}


def row_problems(actor: Actor, files: dict[str, str], store: KnowledgeStore) -> list[Problem]:
    """What in the CSV sheets ``files`` (name -> text) the actor may not write, row by row."""
    if actor.admin:
        return []
    problems: list[Problem] = []
    parsed = {}
    for name, text in files.items():
        sheet = next((s for s in sorted(SHEETS, key=len, reverse=True) if name.endswith(f"{s}.csv")), None)
        if sheet not in EDITOR_SHEETS:
            problems.append(Problem(name, "", "", reason(
                N_("only a site admin may upload this file; editors upload the sheets %(sheets)s"),
                sheets=[f"{s}.csv" for s in EDITOR_SHEETS])))
            continue
        rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
        parsed[name] = (sheet, rows)
    known = members(store, actor.clusters)
    joining = {row.get("organisation", "").strip() for sheet, rows in parsed.values() if sheet == "affiliations"
               for row in rows if actor.may_edit(row.get("cluster", "").strip())}
    allowed = known | joining
    mine = sorted(actor.clusters) or reason(N_("none"))

    def member(org: str) -> bool:
        return org in allowed

    for name, (sheet, rows) in parsed.items():
        for number, row in enumerate(rows, start=2):
            cell = {k: (v or "").strip() for k, v in row.items() if k}
            where = f"row {number}"
            if sheet in ("clusters", "affiliations") or (sheet == "needs" and cell.get("cluster")):
                column = "id" if sheet == "clusters" else "cluster"
                if not actor.may_edit(cell.get(column, "")):
                    problems.append(Problem(name, where, column,
                                            reason(N_("you may edit only the clusters %(clusters)s"), clusters=mine)))
            elif sheet == "organisations":
                if not member(cell.get("id", "")):
                    problems.append(Problem(name, where, "id", reason(
                        N_("not a member of your clusters (%(clusters)s); add its affiliation in the same upload"),
                        clusters=mine)))
            else:
                if not member(cell.get("organisation", "")):
                    problems.append(Problem(name, where, "organisation",
                                            reason(N_("not a member of your clusters (%(clusters)s)"), clusters=mine)))
                if sheet in ("resources", "developments") and cell.get("id"):
                    owner = _owner(store, sheet[:-1], cell["id"])
                    if owner is not None and not member(owner):
                        problems.append(Problem(name, where, "id", reason(_BELONGS[sheet], owner=owner)))
    return problems


def foreign_resources(actor: Actor, iris: Iterable[str], store: KnowledgeStore, delta_triples=()) -> list[str]:
    """Of the resources ``iris`` (whose triples a change touches), those the actor may not change."""
    if actor.admin:
        return []
    allowed = members(store, actor.clusters)
    owners: dict[str, str] = {}  # resources and developments: their owner, from the store or the change
    for t in delta_triples:
        if t.predicate.value in (str(CKG.offeredBy), str(CKG.developedBy)):
            owners[t.subject.value] = t.object.value
        elif t.predicate.value == str(CKG.affiliatedWith) and any(map(actor.may_edit, _ids([t.object.value], "cluster"))):
            allowed |= _ids([t.subject.value], "org")  # one the change affiliates (or did) with their cluster
    foreign = []
    for iri in iris:
        kind, _, key = iri.removeprefix(str(DATA)).partition("/") if iri.startswith(str(DATA)) else ("", "", "")
        parts = key.split(KEY_JOINER)
        if kind == "cluster":
            ok = actor.may_edit(key)
        elif kind == "affiliation":
            ok = actor.may_edit(parts[0])
        elif kind == "need":
            holder = parts[0]
            ok = actor.may_edit(holder[len("cluster-"):]) if holder.startswith("cluster-") \
                else holder[len("org-"):] in allowed
        elif kind in ("org", "claim"):
            ok = parts[0] in allowed
        elif kind in ("resource", "development"):
            owner = owners.get(iri) or (lambda o: o and str(DATA[f"org/{o}"]))(_owner(store, kind, key))
            ok = bool(owner) and owner.removeprefix(str(DATA["org/"])) in allowed
        else:
            ok = False
        if not ok:
            foreign.append(iri)
    return foreign
