"""``POST /api/import``: the admin's import over HTTP, the same checks and answers as the CLI.

Takes the files as ``multipart/form-data`` (field ``files``, repeated; each part's file name
decides its format and, for CSV, its sheet), with the form fields ``dry_run`` and ``replace``
(``1``/``true``/``yes``). Needs the admin token. All or nothing: on any problem the answer is 400
with every located problem, ``{"ok": false, "error", "status", "code": "invalid_input", "message", "problems": [{file, location,
field, error, message}]}`` (``error`` English, ``message`` in the request's language), and nothing is written. The change is recorded in the history with the
agent ``admin``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, jsonify, request

from clusterkg.graph.importer import import_files
from clusterkg.graph.reasons import N_, reason
from clusterkg.graph.problems import ValidationFailed
from clusterkg.webapp.auth import require_admin
from clusterkg.webapp.errors import ApiError, problems_response
from clusterkg.webapp.extension import state

__all__ = ["bp"]

bp = Blueprint("importing", __name__)

_TRUE = {"1", "true", "yes", "on"}


def _flag(name: str) -> bool:
    value = request.form.get(name, request.args.get(name, ""))
    if value.lower() not in _TRUE | {"", "0", "false", "no", "off"}:
        raise ApiError(reason(N_("%(name)s must be true or false, not %(value)s"), name=name, value=repr(value)), 400)
    return value.lower() in _TRUE


@bp.route("/api/import", methods=["POST"])
def import_endpoint():
    agent = require_admin()
    dry_run, replace = _flag("dry_run"), _flag("replace")
    uploads = request.files.getlist("files")
    if not uploads:
        raise ApiError(reason(N_("send the files as multipart/form-data, field 'files'")), 400)
    names = [Path(upload.filename or "").name for upload in uploads]
    if any(not name for name in names):
        raise ApiError(reason(N_("every uploaded file needs a file name (it decides the format)")), 400)
    for name in names:
        if not name.isprintable() or len(name.encode()) > 255:
            raise ApiError(reason(N_("uploaded file name %(name)s: expected at most 255 bytes of printable characters"),
                                  name=repr(name)), 400)
    if len(set(names)) != len(names):
        raise ApiError(reason(N_("two uploaded files have the same name")), 400)
    with tempfile.TemporaryDirectory(prefix="clusterkg-upload-") as folder:
        paths = []
        for upload, name in zip(uploads, names):
            path = Path(folder) / name
            upload.save(path)
            paths.append(path)
        shown = {str(path): name for path, name in zip(paths, names)}
        try:
            report = state().write(lambda store: import_files(
                paths, store, dry_run=dry_run, replace=replace, agent=agent, progress=False, names=names))
        except ValidationFailed as failure:
            return problems_response(failure.problems, files=shown)
    return jsonify({"ok": True, "dry_run": report.dry_run, "files": report.files,
                    "batch_triples": report.batch_triples, "added": report.added, "removed": report.removed,
                    "triples": report.triples_after, "data_version": state().store.data_version()})
