"""Write access: ``Authorization: Bearer <CLUSTERKG_ADMIN_TOKEN>``; without a token, no writes."""

from __future__ import annotations

import hmac

from flask import request

from clusterkg.graph.reasons import N_, reason
from clusterkg.webapp.errors import ApiError
from clusterkg.webapp.extension import state

__all__ = ["require_admin"]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="clusterkg"'}
ADMIN_AGENT = "admin"
"""The history's agent for writes made with the admin token (whoever holds it is the admin)."""


def require_admin() -> str:
    """The agent the write is recorded under; raise 403 if writes are disabled, 401 if the
    credentials are missing or wrong."""
    token = state().admin_token
    if not token:
        raise ApiError(reason(N_("writes are disabled on this server: no admin token is configured "
                                 "(CLUSTERKG_ADMIN_TOKEN)")), 403)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiError(reason(N_("writing needs 'Authorization: Bearer <admin token>'")), 401, _CHALLENGE)
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise ApiError(reason(N_("wrong admin token")), 401, _CHALLENGE)
    return ADMIN_AGENT
