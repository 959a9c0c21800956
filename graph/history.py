"""The change history: every write to the store recorded as a PROV activity.

Each import, replacement, deletion, SPARQL Update, load or clear made through
:class:`~clusterkg.graph.store.KnowledgeStore` adds one ``prov:Activity`` to the named graph
:data:`HISTORY_GRAPH`, in the same transaction as the change itself, so the record and the data
can never disagree. An activity says who (``prov:wasAssociatedWith``, an agent with an
``rdfs:label``), when (``prov:startedAtTime`` / ``prov:endedAtTime``), which files
(``prov:used``, each with ``rdfs:label`` and ``ckg:sha256``), how much changed
(``ckg:triplesAdded`` / ``ckg:triplesRemoved`` when counted), the data version it produced
(``ckg:dataVersion``) and the one before (``ckg:previousDataVersion``), and, when at most
:data:`MAX_LISTED_RESOURCES` resources changed, each of them (``ckg:changedResource``). An
activity without ``ckg:changedResource`` means "not listed": treat everything as changed.

A small change (at most :data:`MAX_DELTA_TRIPLES` triples added and removed, no blank nodes)
also keeps its exact triples, so it can be reverted: the triples it added in the named graph
``prov:generated`` by the activity, those it removed in the one it ``prov:invalidated``
(:func:`delta_graphs`). A revert is itself an activity (``ckg:operation "revert"``) that
``prov:wasInformedBy`` the change it undid, with its own delta: it can be reverted too.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox

from clusterkg.ontology.namespace import CKG, DATA, PROV, RDF, RDFS, XSD

__all__ = [
    "HISTORY_GRAPH",
    "MAX_LISTED_RESOURCES",
    "Activity",
    "HistoryEntry",
    "MAX_DELTA_TRIPLES",
    "Delta",
    "default_agent",
    "delta_graphs",
    "file_digest",
    "list_history",
]

HISTORY_GRAPH = "https://w3id.org/clusterkg/graph/history"
"""Named graph of the change history; queryable with ``GRAPH <...>`` like any named graph."""

MAX_LISTED_RESOURCES = 10_000
"""Above this many changed resources an activity lists none (the count still says how much)."""


MAX_DELTA_TRIPLES = 10_000
"""Above this many triples added plus removed a change keeps no delta (and cannot be reverted)."""

CHANGE_GRAPHS = "https://w3id.org/clusterkg/graph/change/"
"""Prefix of the named graphs holding each change's delta: ``{prefix}{uuid}/added`` and ``/removed``."""


@dataclass(frozen=True)
class Delta:
    """The exact triples a change added and removed (IRIs and literals only)."""

    added: tuple[ox.Triple, ...] = ()
    removed: tuple[ox.Triple, ...] = ()

    def __len__(self) -> int:
        return len(self.added) + len(self.removed)

    def subjects(self) -> list[str]:
        """The IRIs of every subject whose triples change: what ``ckg:changedResource`` lists."""
        return sorted({t.subject.value for t in self.added + self.removed if isinstance(t.subject, ox.NamedNode)})


def delta_graphs(activity: str) -> tuple[str, str]:
    """The named graphs of an activity's added and removed triples (whether or not it kept them)."""
    name = activity.rsplit("/", 1)[-1]
    return f"{CHANGE_GRAPHS}{name}/added", f"{CHANGE_GRAPHS}{name}/removed"


def default_agent() -> str:
    """Who makes a change from this process when nobody says otherwise: the OS user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "unknown"


def file_digest(path: str | Path) -> str:
    """Hexadecimal SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Activity:
    """One change to record; counts and resources are filled in once known."""

    operation: str
    agent: str = field(default_factory=default_agent)
    files: list[tuple[str, str]] = field(default_factory=list)  # (name, sha256)
    added: int | None = None
    removed: int | None = None
    changed: Iterable[str] | None = None  # IRIs of changed subjects; None: unknown
    started: datetime = field(default_factory=_now)
    delta: Delta | None = None  # the exact triples, when small enough to keep (revertible)
    reverts: str | None = None  # the IRI of the activity this one undoes

    def quads(self, version: str, previous: str) -> list[ox.Quad]:
        """The activity as quads in :data:`HISTORY_GRAPH`, ended now."""
        graph = ox.NamedNode(HISTORY_GRAPH)
        node = ox.NamedNode(DATA[f"activity/{uuid.uuid4()}"])
        agent = ox.NamedNode(DATA["agent/" + quote(self.agent, safe="")])

        def term(predicate) -> ox.NamedNode:
            return ox.NamedNode(str(predicate))

        def literal(value, datatype=XSD.string) -> ox.Literal:
            return ox.Literal(str(value), datatype=ox.NamedNode(str(datatype)))

        def time(moment: datetime) -> ox.Literal:
            return literal(moment.isoformat(), XSD.dateTime)

        triples = [
            (node, term(RDF.type), term(PROV.Activity)),
            (node, term(CKG.operation), literal(self.operation)),
            (node, term(PROV.startedAtTime), time(self.started)),
            (node, term(PROV.endedAtTime), time(_now())),
            (node, term(PROV.wasAssociatedWith), agent),
            (agent, term(RDF.type), term(PROV.Agent)),
            (agent, term(RDFS.label), literal(self.agent)),
            (node, term(CKG.dataVersion), literal(version)),
            (node, term(CKG.previousDataVersion), literal(previous)),
        ]
        for number, (name, digest) in enumerate(self.files, start=1):
            used = ox.NamedNode(f"{node.value}/file/{number}")
            triples += [
                (node, term(PROV.used), used),
                (used, term(RDF.type), term(PROV.Entity)),
                (used, term(RDFS.label), literal(name)),
                (used, term(CKG.sha256), literal(digest)),
            ]
        if self.added is not None:
            triples.append((node, term(CKG.triplesAdded), literal(self.added, XSD.integer)))
        if self.removed is not None:
            triples.append((node, term(CKG.triplesRemoved), literal(self.removed, XSD.integer)))
        changed = list(self.changed) if self.changed is not None else []
        if len(changed) <= MAX_LISTED_RESOURCES:
            triples += [(node, term(CKG.changedResource), ox.NamedNode(iri)) for iri in changed]
        if self.reverts:
            triples.append((node, term(PROV.wasInformedBy), ox.NamedNode(self.reverts)))
        quads = [ox.Quad(s, p, o, graph) for s, p, o in triples]
        if self.delta is not None and len(self.delta) <= MAX_DELTA_TRIPLES:
            added, removed = (ox.NamedNode(name) for name in delta_graphs(node.value))
            quads += [ox.Quad(node, term(PROV.generated), added, graph),
                      ox.Quad(node, term(PROV.invalidated), removed, graph)]
            quads += [ox.Quad(t.subject, t.predicate, t.object, added) for t in self.delta.added]
            quads += [ox.Quad(t.subject, t.predicate, t.object, removed) for t in self.delta.removed]
        return quads

    def to_json(self) -> str:
        """The activity as JSON, without its agent: how the command line hands the record of a
        write to the ``clusterkg serve`` that holds the store (:meth:`from_json`), so the server
        records it once, as the token's agent, in the write's own transaction."""
        delta = None if self.delta is None else {
            side: ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
            for side, triples in (("added", self.delta.added), ("removed", self.delta.removed))}
        return json.dumps({"operation": self.operation, "files": [list(f) for f in self.files],
                           "added": self.added, "removed": self.removed,
                           "changed": None if self.changed is None else list(self.changed),
                           "started": self.started.isoformat(), "delta": delta, "reverts": self.reverts})

    @classmethod
    def from_json(cls, text: str, agent: str) -> Activity:
        """The activity :meth:`to_json` wrote, made by ``agent``; ``ValueError`` if malformed."""
        try:
            data = json.loads(text)
            delta = data["delta"]
            if delta is not None:
                delta = Delta(*(tuple(ox.Triple(q.subject, q.predicate, q.object) for q in
                                      ox.parse(delta[side].encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))
                                for side in ("added", "removed")))
            return cls(str(data["operation"]), agent=agent,
                       files=[(str(name), str(digest)) for name, digest in data["files"]],
                       added=None if data["added"] is None else int(data["added"]),
                       removed=None if data["removed"] is None else int(data["removed"]),
                       changed=None if data["changed"] is None else [str(iri) for iri in data["changed"]],
                       started=datetime.fromisoformat(data["started"]), delta=delta,
                       reverts=None if data["reverts"] is None else str(data["reverts"]))
        except (KeyError, TypeError, ValueError, SyntaxError) as error:
            raise ValueError(f"not an activity record: {error}") from error


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded change, as :func:`list_history` reads it back."""

    activity: str
    operation: str
    agent: str
    started: str
    ended: str
    added: int | None
    removed: int | None
    version: str
    files: tuple[str, ...]
    revertible: bool = False  # it kept its delta
    reverts: str | None = None  # the activity it undid
    reverted_by: str | None = None  # the revert that undid it


def _history_query(resource: str | None) -> str:
    concern = ""
    if resource is not None:
        iri = str(ox.NamedNode(resource))
        concern = f"""{{ SELECT DISTINCT ?activity WHERE {{
    {{ GRAPH <{HISTORY_GRAPH}> {{ ?activity ckg:changedResource {iri} }} }}
    UNION {{ GRAPH <{HISTORY_GRAPH}> {{ ?activity prov:generated|prov:invalidated ?delta }}
             GRAPH ?delta {{ ?ds ?dp {iri} }} }}
    UNION {{ ?member ckg:affiliatedWith {iri} .
             GRAPH <{HISTORY_GRAPH}> {{ ?activity ckg:changedResource ?member }} }} }} }}"""
    return f"""
PREFIX prov: <{PROV}>
PREFIX ckg: <{CKG._NS}>
PREFIX rdfs: <{RDFS}>
SELECT ?activity ?operation ?agent ?started ?ended ?added ?removed ?version
       (GROUP_CONCAT(?file; separator="\\u0000") AS ?files) (SAMPLE(?kept) AS ?delta)
       (SAMPLE(?undid) AS ?reverts) (SAMPLE(?undoer) AS ?reverted_by)
WHERE {{ {concern} GRAPH <{HISTORY_GRAPH}> {{
    ?activity a prov:Activity ; ckg:operation ?operation ; prov:startedAtTime ?started ;
        prov:endedAtTime ?ended ; ckg:dataVersion ?version ;
        prov:wasAssociatedWith [ rdfs:label ?agent ] .
    OPTIONAL {{ ?activity ckg:triplesAdded ?added }}
    OPTIONAL {{ ?activity ckg:triplesRemoved ?removed }}
    OPTIONAL {{ ?activity prov:used [ rdfs:label ?file ] }}
    OPTIONAL {{ ?activity prov:generated ?kept }}
    OPTIONAL {{ ?activity prov:wasInformedBy ?undid }}
    OPTIONAL {{ ?undoer prov:wasInformedBy ?activity ; ckg:operation "revert" }}
}} }}
GROUP BY ?activity ?operation ?agent ?started ?ended ?added ?removed ?version
ORDER BY ?started ?ended
"""


def list_history(store, about: str | None = None) -> list[HistoryEntry]:
    """Every recorded change in ``store``, oldest first; with ``about`` (an IRI), those that concern it.

    A change concerns a resource when it lists it as changed, when its kept delta mentions it
    (an affiliation or a need pointing at a cluster), or when it changed an organisation that is
    now affiliated with it (a member's competency claim).
    """
    variables, rows = store.select_values(_history_query(about))
    entries = []
    for row in rows:
        values = dict(zip(variables, row))
        entries.append(HistoryEntry(
            activity=values["activity"],
            operation=values["operation"],
            agent=values["agent"],
            started=values["started"],
            ended=values["ended"],
            added=None if values["added"] is None else int(values["added"]),
            removed=None if values["removed"] is None else int(values["removed"]),
            version=values["version"],
            files=tuple(sorted(f for f in (values["files"] or "").split("\x00") if f)),
            revertible=values["delta"] is not None,
            reverts=values["reverts"],
            reverted_by=values["reverted_by"],
        ))
    return entries
