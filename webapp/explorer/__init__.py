"""The graph explorer: interactive graphs of clusters, members, competencies and partnerships.

Pages (each also answers JSON: ``.json`` or ``Accept: application/json``, the same payload as
the matching API route):

- ``/explore?view=partnerships[&shared=1]`` (the default view), ``/explore?view=ego&cluster=<id>
  [&limit=N]``, ``/explore?view=neighbours&of=<kind:id>[&limit=N]``, ``/explore?view=competencies``
  — the explorer page; filters, search, expansions and the selected node (``node=<kind:id>``)
  live in the URL (updated with ``history.replaceState``) so any view can be shared.
- ``/explore?focus=<IRI or kind:id>`` — redirects to the explorer centred on that resource
  (:func:`focus_url`): what every "Open in explorer" link of the pages opens.
- ``/explore/query?query=<SPARQL>`` — a CONSTRUCT/DESCRIBE or SELECT result drawn as a graph.

JSON API (errors: the app's one shape ``{"ok": false, "error": ..., "status": N}``):

``GET /api/graph/ego?cluster=<id|IRI|name>&limit=<1..1000, default 150>``
``GET /api/graph/neighbours?node=<kind:id>&limit=<1..1000, default 150>``
``GET /api/graph/partnerships?shared=<0|1>``
``GET /api/graph/competencies``
``GET|POST /api/graph/query?query=<SPARQL>`` (read-only, time-limited, SERVICE/LOAD refused)
    A graph: ``{"ok": true, "view", "title", "focus", "nodes", "edges", "physics", "layout",
    "aggregated", "more", "sparql", "options", "stats": {"nodes", "edges"}}``; nodes and edges
    as documented in :mod:`clusterkg.graph.explorer_model`, plus ``"url"`` on each node (the page
    it names: its profile or ``/resource`` page, a country's cluster list; null for a group); ``options`` are vis-network options; ``more``: ``[{"node", "relation", "shown",
    "total"}]``. A query result also has ``"truncated"``.
``GET /api/graph/expand?node=<kind:id>``
    Counts first, in display order: ``{"ok": true, "node", "counts": [{"relation": "members",
    "count": 42}, {"relation": "competencies", "count": 17}, ...]}``.
``GET /api/graph/expand?node=<kind:id>&relation=<name>&offset=<0..>&limit=<1..1000, default 50>``
    One page: ``{"ok": true, "node", "relation", "nodes", "edges", "total", "offset",
    "next_offset" (null on the last page), "remaining"}``.

Unknown nodes or clusters answer 404, malformed parameters 400, a query that is not read-only
or uses SERVICE/LOAD 400, a query past the time limit 503.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict

import pyoxigraph as ox
from flask import Flask, Response, jsonify, redirect, render_template, request, url_for

from clusterkg.graph import explorer_model
from clusterkg.graph.errors import InvalidInput, NotFound
from clusterkg.graph.reasons import N_, reason
from clusterkg.webapp.extension import state
from clusterkg.webapp.i18n import country, country_names, current_language, name
from clusterkg.webapp.pages import facts, reads
from clusterkg.webapp.pages.common import answer_key, entity_url, json_answer, json_bytes, page_blueprint
from clusterkg.webapp.pages.drawing import KIND_COLORS, vis_options
from clusterkg.webapp.sparql import base_url

__all__ = ["bp", "register", "focus_url"]

bp = page_blueprint("explorer", __name__)  # typed errors: an HTML page for browsers, JSON otherwise

#: most triples (or rows) a query result may draw
QUERY_ROW_CAP = 5000
_CACHE_SIZE = 32
VIEWS = ("partnerships", "ego", "neighbours", "competencies", "query")


def register(app: Flask) -> None:
    """Mount the explorer on ``app`` (once; calling it again does nothing)."""
    if "explorer" not in app.blueprints:
        app.register_blueprint(bp)


# --------------------------------------------------------------------------- parameters


def _int(name: str, default: int) -> int:
    text = request.values.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(reason(N_("parameter %(name)s must be a whole number, not %(value)s"), name=repr(name), value=repr(text))) from None


def _flag(name: str) -> bool:
    return request.values.get(name, "").lower() in ("1", "true", "yes", "on")


def _wants_json(suffix: bool) -> bool:
    if suffix:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes["application/json"] > request.accept_mimetypes["text/html"]


# --------------------------------------------------------------------------- drawing


def _node_url(node: dict) -> str | None:
    """The page a node names: its profile or resource page; a country's clusters; none for a group."""
    if node.get("iri"):
        return entity_url(node["iri"])
    if node["kind"] == "country" and node.get("ref"):
        return url_for("clusters.list", country=node["ref"])
    return None


def _with_urls(nodes: list[dict]) -> list[dict]:
    """The nodes with their pages, and their names in the request's language (English where the data
    has none); ``country_name`` their countries' names (``country`` keeps the codes, for the filter)."""
    return [{**n, "url": _node_url(n), "label": _local_label(n),
             "country_name": ", ".join(country(c) for c in n["country"].split(", ")) if n.get("country") else ""}
            for n in nodes]


def _local_label(node: dict) -> str:
    if node.get("kind") == "country" and node.get("ref") and not node.get("iri"):
        return country(node["ref"])
    return name(node) if node.get("iri") else node.get("label", "")


def _payload(view: explorer_model.GraphView, projection, **extra) -> dict:
    industry_labels = {i: {"iri": iri, "label": label} for i, iri, label
                       in zip(projection.industries["id"], projection.industries["iri"], projection.industries["label"])}
    used = sorted({i for n in view.nodes for i in n.get("industries", ())})
    countries = sorted({c for n in view.nodes if n.get("country") for c in n["country"].split(", ")})
    names = country_names(current_language())
    body = {"ok": True, **view.to_json(), "nodes": _with_urls(view.nodes), "options": vis_options(view.nodes, view.physics),
            "stats": {"nodes": len(view.nodes), "edges": len(view.edges)},
            "industry_labels": {i: name(industry_labels[i]) if i in industry_labels else i for i in used},
            "country_labels": {code: names.get(code, code) for code in countries}}
    body.update(extra)
    return body


_CACHE_LOCK = threading.Lock()


def _cached(key: tuple, build, encoded: bool = False):
    """Views are pure functions of the projection: keep the last few per content (and language,
    see :func:`answer_key`), as a dict for the pages or, with ``encoded``, as the API's JSON
    bytes (sent without encoding again)."""
    ckg = state()
    cache: OrderedDict = ckg.__dict__.setdefault("_explorer_cache", OrderedDict())
    projection = ckg.projections.get()
    full_key = (answer_key(projection, current_language()), request.script_root, encoded) + key
    with _CACHE_LOCK:  # (requests run in threads: a lookup must not race an eviction)
        found = cache.get(full_key)
        if found is not None:
            cache.move_to_end(full_key)
            return found
    payload = build(projection)
    if encoded:
        payload = json_bytes(payload)
    with _CACHE_LOCK:
        cache[full_key] = payload
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
    return payload


def ego_payload(cluster: str, limit: int, encoded: bool = False):
    if not cluster.strip():
        raise InvalidInput(reason(N_("give a cluster: ?cluster=<id, IRI or name>")))
    language = current_language()
    return _cached(("ego", cluster, limit, language),
                   lambda p: _payload(explorer_model.finish(p, explorer_model.ego_network(p, cluster, limit=limit, language=language)), p),
                   encoded)


def partnerships_payload(shared: bool, encoded: bool = False):
    language = current_language()
    return _cached(("partnerships", shared, language),
                   lambda p: _payload(explorer_model.finish(p, explorer_model.partnership_network(p, shared_members=shared, language=language)), p),
                   encoded)


def neighbours_payload(node: str, limit: int, encoded: bool = False):
    if not node.strip():
        raise InvalidInput(reason(N_("give a node: ?node=<kind:id> (?of= on the page), e.g. organisation:globalfoundries")))
    language = current_language()
    return _cached(("neighbours", node, limit, language),
                   lambda p: _payload(explorer_model.finish(p, explorer_model.neighbourhood(p, node, limit=limit, language=language)), p),
                   encoded)


def competencies_payload(encoded: bool = False):
    language = current_language()
    return _cached(("competencies", language),
                   lambda p: _payload(explorer_model.finish(p, explorer_model.competency_map(p, language=language)), p),
                   encoded)


def query_payload(query: str) -> dict:
    """Run a read-only query with the SPARQL endpoint's checks and limits; draw its result."""
    from clusterkg.webapp.sparql_text import check_query

    if not query.strip():
        raise InvalidInput(reason(N_("give a SPARQL CONSTRUCT, DESCRIBE or SELECT query: ?query=...")))
    check_query(query)  # refuses SERVICE (and anything that would fetch remote data)
    ckg = state()
    answer = reads.answer(query, "application/sparql-results+json, application/n-triples",
                          max_rows=QUERY_ROW_CAP, base_iri=base_url())
    projection = ckg.projections.get()
    if answer.form == "ASK":
        raise InvalidInput(reason(N_("an ASK query answers yes or no, not a graph: use CONSTRUCT or SELECT")))
    if answer.form == "SELECT":
        document = json.loads(answer.body)
        view = explorer_model.graph_from_rows(projection, document["head"]["vars"], document["results"]["bindings"], sparql=query)
    else:
        triples = []
        for t in ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES):
            subject = t.subject.value if isinstance(t.subject, ox.NamedNode) else "_:" + t.subject.value
            kind = ("iri" if isinstance(t.object, ox.NamedNode) else "bnode" if isinstance(t.object, ox.BlankNode)
                    else "literal" if t.object.language in (None, "en") else f"literal@{t.object.language}")
            triples.append((subject, t.predicate.value, t.object.value, kind))
        view = explorer_model.graph_from_triples(projection, triples, sparql=query)
    return _payload(explorer_model.finish(projection, view), projection, truncated=answer.truncated)


def _view_payload() -> tuple[str, dict]:
    view = request.args.get("view", "partnerships")
    if view == "ego":
        return view, ego_payload(request.args.get("cluster", ""), _int("limit", 150))
    if view == "neighbours":
        return view, neighbours_payload(request.args.get("of", ""), _int("limit", 150))
    if view == "partnerships":
        return view, partnerships_payload(_flag("shared"))
    if view == "competencies":
        return view, competencies_payload()
    raise InvalidInput(reason(N_("unknown view %(view)s; choose one of %(choices)s (or /explore/query)"), view=repr(view), choices=", ".join(VIEWS[:4])))


# --------------------------------------------------------------------------- pages


def _page(payload: dict, view: str, query: str = "") -> Response:
    html = render_template(
        "explorer/explore.html", payload=payload, view=view, query=query,
        sparql_url=url_for("sparql.endpoint") if "sparql" in _blueprints() else "/sparql",
        kind_colors={k: v for k, v in KIND_COLORS.items() if k != "recommended"}, physics_threshold=explorer_model.PHYSICS_THRESHOLD, cap=explorer_model.AGGREGATE_CAP,
    )
    return Response(html, content_type="text/html; charset=utf-8", headers={"Vary": "Accept"})


def _blueprints():
    from flask import current_app

    return current_app.blueprints


def focus_url(focus: str) -> str:
    """The explorer centred on ``focus`` (a data IRI or a node id such as ``organisation:x``).

    A cluster opens its ego network, any other node of the projection its neighbourhood, and
    any other resource of the store the graph of its own triples; the node is selected, so its
    details are open. Raises :class:`~clusterkg.graph.errors.NotFound` for what the store
    does not hold.
    """
    projection = state().projections.get()
    kind = focus.partition(":")[0]
    node = focus if kind in explorer_model.RELATIONS else explorer_model.node_for_iri(projection, focus)
    if node is not None:
        kind, _, ref = node.partition(":")
        if kind == "cluster":
            return url_for("explorer.explore", view="ego", cluster=ref, node=node)
        explorer_model.neighbour_counts(projection, node)  # NotFound / InvalidInput for a bad node
        return url_for("explorer.explore", view="neighbours", of=node, node=node)
    query = explorer_model.resource_query(focus)  # InvalidInput for what cannot be an IRI
    if not facts.exists(focus):
        raise NotFound("resource", focus)
    return url_for("explorer.explore_query", query=query, node="iri:" + focus)


@bp.route("/explore", defaults={"suffix": ""})
@bp.route("/explore.json", endpoint="explore_json", defaults={"suffix": ".json"})
def explore(suffix: str):
    focus = request.args.get("focus", "").strip()
    if focus:
        return redirect(focus_url(focus))
    view, payload = _view_payload()
    if _wants_json(bool(suffix)):
        return jsonify(payload)
    return _page(payload, view)


@bp.route("/explore/query", defaults={"suffix": ""}, methods=["GET", "POST"])
@bp.route("/explore/query.json", endpoint="explore_query_json", defaults={"suffix": ".json"}, methods=["GET", "POST"])
def explore_query(suffix: str):
    query = request.values.get("query", "")
    if _wants_json(bool(suffix)):
        return jsonify(query_payload(query))
    payload = query_payload(query) if query.strip() else None
    return _page(payload, "query", query)


# --------------------------------------------------------------------------- JSON API


@bp.route("/api/graph/ego")
def api_ego():
    return json_answer(ego_payload(request.args.get("cluster", ""), _int("limit", 150), encoded=True))


@bp.route("/api/graph/partnerships")
def api_partnerships():
    return json_answer(partnerships_payload(_flag("shared"), encoded=True))


@bp.route("/api/graph/neighbours")
def api_neighbours():
    return json_answer(neighbours_payload(request.args.get("node", ""), _int("limit", 150), encoded=True))


@bp.route("/api/graph/competencies")
def api_competencies():
    return json_answer(competencies_payload(encoded=True))


@bp.route("/api/graph/expand")
def api_expand():
    node = request.args.get("node", "")
    relation = request.args.get("relation", "")
    projection = state().projections.get()
    if not relation:
        counts = explorer_model.neighbour_counts(projection, node)
        return jsonify({"ok": True, "node": node,
                        "counts": [{"relation": name, "count": n} for name, n in counts.items()]})
    page = explorer_model.expand(projection, node, relation, offset=_int("offset", 0), limit=_int("limit", 50))
    body = page.to_json()
    body["nodes"] = _with_urls(body["nodes"])
    body["source"] = {**body["source"], "url": _node_url(body["source"])}
    return jsonify({"ok": True, **body})


@bp.route("/api/graph/query", methods=["GET", "POST"])
def api_query():
    return jsonify(query_payload(request.values.get("query", "")))
