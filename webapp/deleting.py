"""``POST /api/delete``: the admin's ``clusterkg delete`` over HTTP, the same rules and answers.

Takes JSON ``{"resources": ["cluster/x", "https://…", …], "cascade": false}`` and needs the admin
token. While other resources point at what is to go, the answer is 409 with those triples
(``references: [{subject, predicate, object}]``) and nothing is deleted; ``"cascade": true``
removes them too, with the sheet rows that stand on what goes, and lists them. A deletion that
would leave the graph invalid is a 409 with ``code: invalid_after`` and the located ``problems``.
An unknown resource is a 404 that names the resources with the same id under another kind. The
deletion is recorded in the history with the agent ``admin``.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from clusterkg.graph.deletion import DELETION_REFUSED, StillReferenced, delete_resources
from clusterkg.graph.problems import ValidationFailed
from clusterkg.graph.reasons import N_, reason
from clusterkg.webapp.auth import require_admin
from clusterkg.webapp.errors import ApiError, problems_response
from clusterkg.webapp.extension import state
from clusterkg.webapp.i18n import say

__all__ = ["bp"]

bp = Blueprint("deleting", __name__)

_EXPECTED = N_('send JSON {"resources": ["cluster/x", …], "cascade": false}: %(problem)s')


def _triples(triples) -> list[dict[str, str]]:
    return [{"subject": s, "predicate": p, "object": o} for s, p, o in triples]


@bp.route("/api/delete", methods=["POST"])
def delete_endpoint():
    agent = require_admin()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):  # (not JSON, or JSON of another kind)
        raise ApiError(reason(_EXPECTED, problem=reason(N_("the body is not a JSON object"))), 400)
    resources = body.get("resources")
    if not isinstance(resources, list) or not resources:
        raise ApiError(reason(_EXPECTED, problem=reason(N_("'resources' must be a non-empty list"))), 400)
    if not all(isinstance(name, str) and name.strip() for name in resources):
        raise ApiError(reason(_EXPECTED, problem=reason(N_("every resource must be a non-empty string"))), 400)
    cascade = body.get("cascade", False)
    if not isinstance(cascade, bool):
        raise ApiError(reason(_EXPECTED, problem=reason(N_("'cascade' must be true or false"))), 400)
    try:
        report = state().write(lambda store: delete_resources(store, resources, cascade=cascade, agent=agent))
    except ValidationFailed as failure:  # (the graph as it would be breaks a check)
        return problems_response(failure.problems, status=409, code="invalid_after",
                                 summary=reason(DELETION_REFUSED, count=len(failure.problems)))
    except StillReferenced as refused:
        summary = reason(N_("%(count)s triple(s) of other resources point at what you asked to delete; nothing was "
                            "deleted (remove them first, or send \"cascade\": true)"), count=len(refused.references))
        response = jsonify({"ok": False, "status": 409, "code": "still_referenced", "error": str(summary),
                            "message": say(summary), "references": _triples(refused.references)})
        response.status_code = 409
        return response
    return jsonify({"ok": True, "resources": list(report.resources), "removed": report.removed,
                    "rows_removed": list(report.rows_removed), "references_removed": _triples(report.references_removed),
                    "data_version": state().store.data_version()})
