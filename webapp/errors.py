"""One error type, one handler, one JSON shape: ``{"ok": false, "error": "...", "status": N}``.

A :class:`~clusterkg.graph.errors.ClusterKGError` (something the user asked for) answers with its
``.status``; an HTTP error raised by Flask (404, 405, ...) with its own code; anything else is our
bug: 500, logged with its traceback, and the client sees no detail.
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify
from werkzeug.exceptions import HTTPException

from clusterkg.graph.errors import ClusterKGError

__all__ = ["ApiError", "error_response", "register_error_handlers"]


class ApiError(ClusterKGError):
    """An error with an explicit HTTP status and optional extra headers."""

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def error_response(message: str, status: int, headers: dict[str, str] | None = None):
    response = jsonify({"ok": False, "error": message, "status": status})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _clusterkg_error(error: ClusterKGError):
    return error_response(str(error), int(getattr(error, "status", 400)), getattr(error, "headers", None))


def _http_error(error: HTTPException):
    return error_response(error.description or error.name, error.code or 500)


def _bug(error: Exception):
    current_app.logger.exception("unhandled error: %s", error)
    return error_response("internal server error (logged on the server)", 500)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ClusterKGError, _clusterkg_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _bug)
