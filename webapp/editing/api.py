"""The editing operations as JSON, for scripts: ``Authorization: Bearer <personal API token>``.

(The admin token works too.) Same rights, checks and history as the pages; described in the
OpenAPI document. A refused write answers ``{"ok": false, "error", "status", "code", "message", "problems": [...]}``
with every located problem (400 ``invalid_input``: invalid, 403 ``http_403``: not yours) and writes nothing; ``message`` is the
summary in the request's language; each problem has its English ``error`` and its ``message`` in the
request's language.

- ``POST /api/clusters/<id>/rows`` ``{"sheets": {"needs": [{...}], ...}, "replace": false, "dry_run": false}``
- ``POST /api/clusters/<id>/profile`` ``{"row": {...}, "dry_run": false}``
- ``POST /api/clusters/<id>/upload`` multipart ``files`` with ``dry_run`` and ``replace``
- ``POST /api/clusters/<id>/remove`` ``{"rows": ["<IRI of an affiliation, claim, need, resource or development>"], "dry_run": false}``
- ``GET  /api/clusters/<id>/history``
- ``POST /api/clusters/<id>/revert`` ``{"activity": "<IRI>"}``
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from flask import Blueprint, jsonify, request

from clusterkg.graph.history import list_history
from clusterkg.graph.reasons import N_, reason
from clusterkg.graph.problems import ValidationFailed
from clusterkg.webapp.accounts.rights import require_actor
from clusterkg.webapp.editing.writes import Saved, cluster_iri, remove_rows, revert, save_profile, save_sheets, sheet_text
from clusterkg.webapp.errors import ApiError, problems_response
from clusterkg.webapp.extension import state

__all__ = ["bp"]

bp = Blueprint("editing_api", __name__)

_TRUE, _FALSE = {"1", "true", "yes", "on", True}, {"", "0", "false", "no", "off", False, None}


def _json() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(reason(N_("send a JSON object (Content-Type: application/json)")), 400)
    return body


def _flag(value, name: str) -> bool:
    if isinstance(value, str):
        value = value.lower()
    if value not in _TRUE | _FALSE:
        raise ApiError(reason(N_("%(name)s must be true or false, not %(value)s"), name=name, value=repr(value)), 400)
    return value in _TRUE


def _answer(save: Callable[[], Saved]):
    """What a save did, or every located problem (400 invalid, 403 not yours) with nothing written."""
    try:
        saved = save()
    except ValidationFailed as failure:
        status = getattr(failure, "status", 400)  # (403: rows the actor may not write)
        return problems_response(failure.problems, status=status)
    return jsonify(saved.as_dict())


def _actor(cluster_id: str):
    """The token's actor, who may edit the cluster. Tokens only: a browser's session cookie is no
    credential here (these requests carry no CSRF token)."""
    if not request.headers.get("Authorization"):
        raise ApiError(reason(N_("send 'Authorization: Bearer <your API token>'")), 401,
                       {"WWW-Authenticate": 'Bearer realm="clusterkg"'})
    return require_actor(cluster_id)


@bp.route("/api/clusters/<cluster_id>/rows", methods=["POST"])
def rows(cluster_id: str):
    actor = _actor(cluster_id)
    body = _json()
    sheets = body.get("sheets")
    if not isinstance(sheets, dict) or not sheets or not all(
            isinstance(r, list) and all(isinstance(x, dict) for x in r) for r in sheets.values()):
        raise ApiError(reason(N_('"sheets" must map sheet names to lists of rows (objects of column: value)')), 400)
    files = {f"{sheet}.csv": sheet_text(sheet, r).encode() for sheet, r in sheets.items()}
    replace, dry_run = _flag(body.get("replace"), "replace"), _flag(body.get("dry_run"), "dry_run")
    return _answer(lambda: save_sheets(actor, files, replace=replace, dry_run=dry_run))


@bp.route("/api/clusters/<cluster_id>/profile", methods=["POST"])
def profile(cluster_id: str):
    actor = _actor(cluster_id)
    body = _json()
    row = body.get("row")
    if not isinstance(row, dict):
        raise ApiError(reason(N_('"row" must be an object of column: value (the columns of clusters.csv)')), 400)
    dry_run = _flag(body.get("dry_run"), "dry_run")
    return _answer(lambda: save_profile(actor, cluster_id, {k: str(v) for k, v in row.items()}, dry_run=dry_run))


@bp.route("/api/clusters/<cluster_id>/upload", methods=["POST"])
def upload(cluster_id: str):
    actor = _actor(cluster_id)
    uploads = request.files.getlist("files")
    files = {Path(u.filename or "").name: u.read() for u in uploads}
    if not files or "" in files:
        raise ApiError(reason(N_("send the sheets as multipart/form-data, field 'files', each with its file name")), 400)
    replace = _flag(request.form.get("replace", ""), "replace")
    dry_run = _flag(request.form.get("dry_run", ""), "dry_run")
    return _answer(lambda: save_sheets(actor, files, replace=replace, dry_run=dry_run))


@bp.route("/api/clusters/<cluster_id>/remove", methods=["POST"])
def remove(cluster_id: str):
    actor = _actor(cluster_id)
    body = _json()
    rows = body.get("rows")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, str) for r in rows):
        raise ApiError(reason(N_('"rows" must be a list of the IRIs of the rows to remove')), 400)
    dry_run = _flag(body.get("dry_run"), "dry_run")
    return _answer(lambda: remove_rows(actor, rows, dry_run=dry_run))


@bp.route("/api/clusters/<cluster_id>/history")
def history(cluster_id: str):
    _actor(cluster_id)
    return jsonify({"cluster": cluster_id,
                    "changes": [asdict(e) for e in reversed(list_history(state().store, cluster_iri(cluster_id)))]})


@bp.route("/api/clusters/<cluster_id>/revert", methods=["POST"])
def revert_change(cluster_id: str):
    actor = _actor(cluster_id)
    activity = _json().get("activity")
    if not isinstance(activity, str) or not activity:
        raise ApiError(reason(N_('"activity" must be the IRI of a change (from the history)')), 400)
    report = revert(actor, cluster_id, activity)
    return jsonify({"ok": True, "reverted": report.activity, "removed": report.removed, "restored": report.added,
                    "data_version": state().store.data_version()})
