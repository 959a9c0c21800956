"""The OpenAPI 3 description of the JSON API, served at ``/api/openapi.json``.

Hand-written: :data:`PATHS` lists every JSON route of the app (a test compares it with the app's
URL map both ways). Every page answers JSON at its ``.json`` twin or with
``Accept: application/json``; the bodies are the analyses' ``to_json()`` dicts, whose exact
shapes are documented in the module docstrings named in each operation's description. Every
error has one shape, :data:`ERROR_SCHEMA`.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

__all__ = ["bp", "ERROR_SCHEMA", "PATHS", "document"]

bp = Blueprint("openapi", __name__)

ERROR_SCHEMA = {
    "type": "object",
    "required": ["ok", "error", "status"],
    "properties": {"ok": {"type": "boolean", "enum": [False]},
                   "error": {"type": "string", "description": "the message in English (the same in every language)"},
                   "status": {"type": "integer"},
                   "code": {"type": "string", "description": "the kind of error, for programs: not_found, ambiguous_name, "
                                                             "invalid_input (a refused write lists its problems), still_referenced, invalid_after, "
                                                             "store_failure, bad_request, http_NNN"},
                   "message": {"type": "string", "description": "the message in the request's language (?lang=, cookie, Accept-Language)"}},
}


def _param(name: str, description: str, kind: str = "string", *, where: str = "query", required: bool = False,
           repeated: bool = False) -> dict:
    schema: dict = {"type": kind}
    if repeated:
        schema = {"type": "array", "items": schema}
    item = {"name": name, "in": where, "description": description, "required": required or where == "path",
            "schema": schema}
    if repeated:
        item.update(style="form", explode=True)
    return item


def _errors(*codes: int) -> dict:
    reasons = {400: "a bad parameter", 404: "nothing with that name (the message lists the closest names)",
               406: "no acceptable format"}
    return {str(code): {"description": reasons[code],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            for code in codes}


def _json_op(summary: str, shape: str, parameters: list[dict], errors=(400,), html: bool = True) -> dict:
    content = {"application/json": {"schema": {"type": "object", "description": shape}}}
    if html:
        content["text/html"] = {"schema": {"type": "string", "description": "the page"}}
    return {"get": {"summary": summary, "description": f"JSON shape: {shape}", "parameters": parameters,
                    "responses": {"200": {"description": "the answer", "content": content}, **_errors(*errors)}}}


def _twin(path: str, summary: str, shape: str, parameters: list[dict], errors=(400,)) -> dict:
    """The page (HTML or JSON by Accept) and its ``.json`` twin."""
    twin = "/index.json" if path == "/" else path + ".json"
    return {path: _json_op(summary, shape, parameters, errors),
            twin: _json_op(summary + " (JSON)", shape, parameters, errors, html=False)}


_CLUSTER = _param("cluster_id", "a cluster id (e.g. silicon-saxony), IRI or unambiguous name", where="path")
_LIMIT = _param("limit", "how many items (1-100)", "integer")
_PARTNER_PARAMETERS = [
    _param("cluster", "the cluster (id, IRI or name)", required=True),
    _param("gap", "ticked gap competency ids; absent = every gap offered", repeated=True),
    _param("searched", "set by the form: with no gap given, nothing is ticked"),
    _param("pick", "the form's 'show its gaps': every gap ticked"),
    _param("gaps", "how many gaps to offer (1-50)", "integer"),
    _param("country", "ISO country codes of the partner", repeated=True),
    _param("domestic", "only the cluster's own countries (1/0)"),
    _param("region", "region ids or IRIs of the partner", repeated=True),
    _param("org_type", "organisation types (sme, university, ...)", repeated=True),
    _param("industry", "an industry of one of the partner's clusters", repeated=True),
    _param("exclude", "drop organisations tied to these clusters", repeated=True),
    _param("prefer_domestic", "bonus for a partner in the cluster's countries (0-5)", "number"),
    _param("prefer_partners", "bonus for a partner tied to a partnering cluster (0-5)", "number"),
    _param("prefer_track_record", "bonus (times its strength) for a partner that took part in H2020 projects with the cluster's members (0-5)", "number"),
    _LIMIT,
]

_GRAPH_SHAPE = '{ok, view, title, focus, nodes:[{id, kind, label, iri, ref, country, industries, size, detail, url, x?, y?, count?, expand?}], edges:[{id, from, to, relation, label}], physics, layout, aggregated, more:[{node, relation, shown, total}], sparql, options, stats:{nodes, edges}, industry_labels} (clusterkg.graph.explorer_model)'

PATHS: dict[str, dict] = {
    **_twin("/", "Home: counts and a search over clusters, organisations and competencies",
            "clusterkg.webapp.pages.home", [_param("q", "search text")]),
    **_twin("/clusters", "Clusters, filtered and sorted", "clusterkg.webapp.pages.clusters (/clusters)",
            [_param("country", "ISO country codes", repeated=True), _param("industry", "industry ids", repeated=True),
             _param("sort", "label, countries, members, competencies or partnerships"), _param("order", "asc or desc")]),
    **_twin("/clusters/{cluster_id}", "A cluster's profile", "clusterkg.webapp.pages.clusters (/clusters/<id>)",
            [_CLUSTER], errors=(400, 404)),
    **_twin("/clusters/{cluster_id}/recommendations", "Clusters to partner with",
            "Recommendations.to_json(), clusterkg.graph.analysis.recommend",
            [_CLUSTER, _LIMIT, _param("include_existing", "include clusters already partnering (1/0; default 1)"),
             _param("searched", "set by the form: without include_existing, it means 0")], errors=(400, 404)),
    **_twin("/clusters/{cluster_id}/applications", "Industries where the cluster's competencies apply",
            "Applications.to_json(), clusterkg.graph.analysis.applications",
            [_CLUSTER, _LIMIT, _param("scheme", "only industries of this scheme")], errors=(400, 404)),
    **_twin("/organisations/{organisation_id}", "An organisation", "clusterkg.webapp.pages.entities (/organisations/<id>)",
            [_param("organisation_id", "an organisation id, IRI or name", where="path")], errors=(400, 404)),
    **_twin("/competencies/{competency_id}", "A competency: who has it, who needs it, where it applies",
            "clusterkg.webapp.pages.entities (/competencies/<id>)",
            [_param("competency_id", "a competency id, IRI or name", where="path")], errors=(400, 404)),
    **_twin("/resource", "Any resource of the graph: its triples", "clusterkg.webapp.pages.entities (/resource)",
            [_param("iri", "the resource's IRI", required=True)], errors=(400, 404)),
    **_twin("/partner-search", "Partners for a cluster's gaps",
            "PartnerSearch.to_json() (clusterkg.graph.analysis.partners) plus offered, selected, sparql "
            "(clusterkg.webapp.pages.partner_search)", _PARTNER_PARAMETERS, errors=(400, 404)),
    "/partner-search.csv": {"get": {
        "summary": "Partners for a cluster's gaps, as CSV (PartnerSearch.to_frame())",
        "parameters": _PARTNER_PARAMETERS,
        "responses": {"200": {"description": "one row per partner", "content": {"text/csv": {"schema": {"type": "string"}}}},
                      **_errors(400, 404)}}},
    **_twin("/market-check", "Clusters of other industries to tell about a development",
            "Dissemination.to_json(), clusterkg.graph.analysis.dissemination",
            [_param("development", "a development id, IRI or name"), _param("competency", "competency ids", repeated=True),
             _param("industry", "industry ids the competencies come from", repeated=True), _LIMIT]),
    **_twin("/communities", "Communities of clusters (candidate meta-clusters)",
            "Communities.to_json(), clusterkg.graph.analysis.communities",
            [_param("resolution", "Louvain resolution (0.05-10)", "number"), _param("min_size", "smallest community", "integer"),
             _param("seed", "random seed", "integer")]),
    **_twin("/blitz", "A blitz-meeting schedule", "MeetingPlan.to_json(), clusterkg.graph.analysis.matchmaking",
            [_param("participant", "a cluster or organisation (one name per value)", repeated=True),
             _param("rounds", "number of rounds (1-100)", "integer")]),
    "/id/{kind}/{identifier}": {"get": {
        "summary": "Dereference https://w3id.org/clusterkg/id/{kind}/{identifier} (linked data)",
        "description": "303 to the page for a browser; the resource's triples as Turtle, JSON-LD, N-Triples or RDF/XML.",
        "parameters": [_param("kind", "cluster, org, competency, industry, ...", where="path"),
                       _param("identifier", "the id", where="path")],
        "responses": {"200": {"description": "the resource's triples", "content": {
            media: {"schema": {"type": "string"}} for media in
            ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml")}},
            "303": {"description": "a browser: see the resource's page"}, **_errors(404, 406)}}},
    **_twin("/explore", "The graph explorer: a view of the graph (page, or the view as JSON)", _GRAPH_SHAPE,
            [_param("view", "partnerships, ego, neighbours or competencies"), _param("cluster", "focus cluster for the ego view"),
             _param("of", "the node (kind:id) of the neighbours view"),
             _param("node", "the selected node (kind:id), its details open"),
             _param("focus", "an IRI or kind:id: redirects (302) to the view centred on it"),
             _param("limit", "most neighbours per relation (1-1000)", "integer")], errors=(400, 404)),
    **_twin("/explore/query", "A SPARQL CONSTRUCT or SELECT result drawn as a graph", _GRAPH_SHAPE + " plus truncated",
            [_param("query", "a read-only SPARQL CONSTRUCT or SELECT", required=True)], errors=(400,)),
    "/api/graph/ego": _json_op("A cluster's ego network: members, competencies, partner clusters", _GRAPH_SHAPE,
                               [_param("cluster", "a cluster id, IRI or name", required=True),
                                _param("limit", "most neighbours per relation (1-1000, default 150)", "integer")],
                               errors=(400, 404), html=False),
    "/api/graph/neighbours": _json_op("Any node with its neighbours along each of its relations", _GRAPH_SHAPE,
                                      [_param("node", "a node id kind:id", required=True),
                                       _param("limit", "most neighbours per relation (1-1000, default 150)", "integer")],
                                      errors=(400, 404), html=False),
    "/api/graph/partnerships": _json_op("The cross-cluster partnership network", _GRAPH_SHAPE,
                                        [_param("shared", "also draw shared-member ties (0/1)", "integer")], html=False),
    "/api/graph/competencies": _json_op("The competency map: competencies, broader links, industries", _GRAPH_SHAPE,
                                        [], html=False),
    "/api/graph/expand": _json_op(
        "Expand a node: counts per relation first, then one page of a relation",
        "{ok, node, counts:[{relation, count}]} without relation; with it {ok, node, relation, source, nodes, edges, "
        "total, offset, next_offset, remaining} (clusterkg.graph.explorer_model)",
        [_param("node", "a node id kind:id", required=True), _param("relation", "the relation to add"),
         _param("offset", "first item of the page", "integer"), _param("limit", "page size (1-1000, default 50)", "integer")],
        errors=(400, 404), html=False),
    "/api/graph/query": _json_op("A SPARQL CONSTRUCT or SELECT result as a graph", _GRAPH_SHAPE + " plus truncated",
                                 [_param("query", "a read-only SPARQL CONSTRUCT or SELECT", required=True)], html=False),
    "/api/openapi.json": {"get": {
        "summary": "This description", "parameters": [],
        "responses": {"200": {"description": "OpenAPI 3", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
}

# --- the admin's import and delete (clusterkg.webapp.importing, clusterkg.webapp.deleting) -------------
_ADMIN = _param("Authorization", "Bearer <admin token>", where="header", required=True)
_ADMIN_REFUSALS = {
    "401": {"description": "missing or wrong admin token",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    "403": {"description": "writes are disabled (no admin token configured)",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
PATHS["/api/import"] = {"post": {
    "summary": "Import files (admin token): every check of `clusterkg import`, all or nothing",
    "description": "JSON: {ok, dry_run, files, batch_triples, added, removed, triples, data_version}; on problems "
                   "400 with {ok: false, error, status, code: invalid_input, message, problems: [{file, location, field, error, message}]}.",
    "parameters": [_ADMIN],
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["files"],
        "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"},
                                 "description": "CSV sheets, Turtle, N-Triples, JSON-LD or RDF/XML; the name decides"},
                       "dry_run": {"type": "boolean", "description": "check only, write nothing"},
                       "replace": {"type": "boolean", "description": "replace the earlier descriptions"}}}}}},
    "responses": {"200": {"description": "imported (or, with dry_run, valid)",
                          "content": {"application/json": {"schema": {"type": "object"}}}},
                  "400": {"description": "the located problems; nothing was written",
                          "content": {"application/json": {"schema": {"type": "object"}}}},
                  **_ADMIN_REFUSALS}}}


PATHS["/api/delete"] = {"post": {
    "summary": "Delete resources (admin token): `clusterkg delete`, all or nothing",
    "description": "JSON: {ok, resources, removed, rows_removed, references_removed: [{subject, predicate, object}], "
                   "data_version}. While other resources point at them: 409 with {ok: false, code: still_referenced, "
                   "error, message, references: [{subject, predicate, object}]} and nothing deleted; cascade removes "
                   "those triples too, and the sheet rows (affiliations, claims, needs, ...) that stand on what goes. "
                   "A deletion checked like an import, that would leave the graph invalid: 409 with {code: "
                   "invalid_after, problems} and nothing deleted. An unknown resource: 404, naming the resources "
                   "with the same id under another kind.",
    "parameters": [_ADMIN],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["resources"],
        "properties": {"resources": {"type": "array", "minItems": 1, "items": {"type": "string"},
                                     "description": "kind/id (cluster/silicon-saxony) or full IRIs"},
                       "cascade": {"type": "boolean", "default": False,
                                   "description": "also remove the triples of other resources that point at "
                                                  "them, and the rows that stand on them"}}}}}},
    "responses": {"200": {"description": "deleted", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "409": {"description": "still referenced, or the graph would be invalid; nothing was deleted",
                          "content": {"application/json": {"schema": {"type": "object"}}}},
                  **_errors(400, 404),
                  **_ADMIN_REFUSALS}}}


# --- events: blitz sessions, round tables, project groups (clusterkg.webapp.pages.events) --------
_EVENT = _param("event_id", "an event id (e.g. optics-meets-chips)", where="path")
_AGENDA = [_EVENT, _param("kind", "cluster or org", where="path"), _param("pid", "the participant's id", where="path")]
PATHS.update({
    **_twin("/events", "The recorded blitz sessions and round tables, newest first, and the project working groups",
            "{events: [{iri, id, label, kind, date, organiser}], working_groups: [{iri, id, label, members, paid, project}]} "
            "(clusterkg.graph.events)", []),
    **_twin("/events/{event_id}", "An event with its participants, meeting requests and outcomes",
            "{event, participants, requests, outcomes} (clusterkg.webapp.pages.events)", [_EVENT], errors=(400, 404)),
    **_twin("/events/{event_id}/plan", "A blitz session's timetable: presentations, then 1:1 meetings at tables",
            "BlitzPlan.to_json(), clusterkg.graph.analysis.blitz", [_EVENT], errors=(400, 404)),
    **_twin("/events/{event_id}/agenda/{kind}/{pid}", "One participant's agenda (printable page)",
            "{event, participant, items: [{start, end, what, with, table, why}]}", _AGENDA, errors=(400, 404)),
    **_twin("/roundtable", "A round table's invitation list where the themes meet",
            "RoundTablePlan.to_json(), clusterkg.graph.analysis.roundtable",
            [_param("theme", "a competency or industry (id, IRI or name), two or more", repeated=True),
             _param("size", "seats (2-100)", "integer")], errors=(400,)),
    **_twin("/project-group", "Candidate members of a project working group on a theme",
            "ProjectGroup.to_json(), clusterkg.graph.analysis.project_groups",
            [_param("theme", "a competency or industry (id, IRI or name)", required=True),
             _param("size", "at most this many members (2-100)", "integer")], errors=(400,)),
})
PATHS["/events/{event_id}/plan.csv"] = {"get": {
    "summary": "A blitz session's timetable as CSV (BlitzPlan.to_frame())", "parameters": [_EVENT],
    "responses": {"200": {"description": "one row per presentation and meeting",
                          "content": {"text/csv": {"schema": {"type": "string"}}}}, **_errors(400, 404)}}}
PATHS["/events/{event_id}/agenda/{kind}/{pid}.ics"] = {"get": {
    "summary": "One participant's agenda as an iCalendar file (RFC 5545)", "parameters": _AGENDA,
    "responses": {"200": {"description": "one VEVENT per item",
                          "content": {"text/calendar": {"schema": {"type": "string"}}}}, **_errors(400, 404)}}}


def _event_write(summary: str, fields: str, path_parameters: list[dict]) -> dict:
    return {"post": {
        "summary": summary + " (write authorisation: Bearer <admin token>); validated import, all or nothing",
        "description": f"Form fields (application/x-www-form-urlencoded), named as the sheet columns: {fields}. "
                       "JSON: {ok: true, url}; on problems 400 with {ok: false, error, status, code: invalid_input, message, problems: [{file, location, field, error, message}]}.",
        "parameters": [*path_parameters, _param("Authorization", "Bearer <admin token>", where="header", required=True)],
        "responses": {"200": {"description": "recorded", "content": {"application/json": {"schema": {"type": "object"}}}},
                      "400": {"description": "the located problems; nothing was written",
                              "content": {"application/json": {"schema": {"type": "object"}}}},
                      "401": {"description": "missing or wrong credentials",
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                      "403": {"description": "writes are disabled",
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}}


PATHS["/api/events"] = _event_write(
    "Create an event", "the events sheet (id optional: made from the name); invite (repeated, role|cluster/ID or "
    "role|org/ID) registers participants in the same batch", [])
PATHS["/api/working-groups"] = _event_write(
    "Record a project working group", "the working_groups sheet (id optional: made from the name; members repeated)", [])
PATHS["/api/events/{event_id}/participants"] = _event_write(
    "Register a participant", "participant (cluster/ID or org/ID) and the event_participants sheet's role, offers, "
    "looks_for, offers_competencies, looks_for_competencies, available_slots", [_EVENT])
PATHS["/api/events/{event_id}/requests"] = _event_write(
    "Request a 1:1 meeting", "by and with (cluster/ID or org/ID), note", [_EVENT])
PATHS["/api/events/{event_id}/outcomes"] = _event_write(
    "Record an outcome", "the event_outcomes sheet; need_of (cluster/ID or org/ID) also records an opportunity "
    "as that participant's declared need of its competencies, development_of (org/ID) as that organisation's "
    "development (for the market check), both with the event as source", [_EVENT])

# --- editing with a personal API token (clusterkg.webapp.editing.api) ------------------------------
def _editing_op(summary: str, body: dict | None, description: str, method: str = "post") -> dict:
    """One editing operation: a user's token (or the admin token), the cluster in the path."""
    json_error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    operation = {
        "summary": summary,
        "description": description + " Refused writes answer {ok: false, error, status, code, message, problems: [{file, "
                       "location, field, error, message}]} (`error` English, `message` in the request's language; 400 (code invalid_input): invalid; 403 (code http_403): rows of clusters or organisations the "
                       "token's owner may not change) and change nothing.",
        "parameters": [_param("Authorization", "Bearer <personal API token> (from /account) or the admin token",
                              where="header", required=True),
                       _param("cluster_id", "the cluster's id", where="path")],
        "responses": {"200": {"description": "done", "content": {"application/json": {"schema": {"type": "object"}}}},
                      "400": {"description": "invalid input; nothing was written", **json_error},
                      "401": {"description": "no token, or an unknown one", **json_error},
                      "403": {"description": "not an editor of this cluster (or of every row sent)", **json_error},
                      "409": {"description": "cannot be reverted (already reverted, later changes, kept no delta)",
                              **json_error}},
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": body}
    return {method: operation}


_ROWS = {"application/json": {"schema": {"type": "object", "required": ["sheets"], "properties": {
    "sheets": {"type": "object", "description": "sheet name (as in `clusterkg import`: needs, affiliations, ...) "
                                                "-> list of rows {column: value}",
               "additionalProperties": {"type": "array", "items": {"type": "object"}}},
    "replace": {"type": "boolean"}, "dry_run": {"type": "boolean"}}}}}
_SAVED = "JSON: {ok, dry_run, added, removed, triples, data_version}; recorded in the history with the user's name."
PATHS["/api/clusters/{cluster_id}/rows"] = _editing_op(
    "Add (or replace) rows of the cluster's sheets: one validated, all-or-nothing import", _ROWS, _SAVED)
PATHS["/api/clusters/{cluster_id}/profile"] = _editing_op(
    "Replace the cluster's profile (its row of clusters.csv), keeping what other sheets say about it",
    {"application/json": {"schema": {"type": "object", "required": ["row"], "properties": {
        "row": {"type": "object"}, "dry_run": {"type": "boolean"}}}}}, _SAVED)
PATHS["/api/clusters/{cluster_id}/upload"] = _editing_op(
    "Upload CSV sheets (multipart field `files`, with `dry_run` and `replace`): validate, then write",
    {"multipart/form-data": {"schema": {"type": "object", "required": ["files"], "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
        "dry_run": {"type": "boolean"}, "replace": {"type": "boolean"}}}}}, _SAVED)
PATHS["/api/clusters/{cluster_id}/remove"] = _editing_op(
    "Remove rows (affiliations, competency claims, needs, resources, developments) by their IRIs: one "
    "validated, all-or-nothing, revertible change",
    {"application/json": {"schema": {"type": "object", "required": ["rows"], "properties": {
        "rows": {"type": "array", "items": {"type": "string"},
                 "description": "IRIs such as https://w3id.org/clusterkg/id/need/cluster-x--chip-design"},
        "dry_run": {"type": "boolean"}}}}}, _SAVED)
PATHS["/api/clusters/{cluster_id}/history"] = _editing_op(
    "The changes that concern the cluster, newest first", None,
    "JSON: {cluster, changes: [{activity, operation, agent, started, ended, added, removed, version, files, "
    "revertible, reverts, reverted_by}]}.", method="get")
PATHS["/api/clusters/{cluster_id}/revert"] = _editing_op(
    "Revert one change (itself recorded, and revertible)",
    {"application/json": {"schema": {"type": "object", "required": ["activity"],
                                     "properties": {"activity": {"type": "string", "description": "its IRI"}}}}},
    "JSON: {ok, reverted, removed, restored, data_version}.")

def document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "clusterkg JSON API", "version": "1",
                 "description": "The JSON twins of the clusterkg pages. Errors: {ok: false, error, status}."},
        "paths": PATHS,
        "components": {"schemas": {"Error": ERROR_SCHEMA}},
    }


@bp.route("/api/openapi.json")
def openapi_json():
    return jsonify(document())
