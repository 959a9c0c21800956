"""One error type, one handler, one JSON shape: ``{"ok": false, "error": "...", "status": N, "code": "...", "message": "..."}``.

``error`` is the message in English and ``code`` the kind of error (``not_found``, ``ambiguous_name``,
``invalid_input``, ``store_failure``, ``bad_request``, ``http_405``, ...): both stay the same whatever
the language, for programs; ``message`` is the same message in the request's language (English or
Russian, see ``clusterkg.webapp.i18n``), for people.
A refused write (an import, an editor's save, a deletion) adds ``problems``, every located problem
(:func:`problems_response`).

A :class:`~clusterkg.graph.errors.ClusterKGError` (something the user asked for) answers with its
``.status``; an HTTP error raised by Flask (404, 405, ...) with its own code; anything else is our
bug: 500, logged with its traceback, and the client sees no detail.
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify
from werkzeug.exceptions import HTTPException

from clusterkg.graph.errors import AmbiguousName, ClusterKGError, InvalidInput, NotFound, StoreFailure
from clusterkg.graph.problems import NOTHING_WRITTEN
from clusterkg.graph.reasons import N_, reason
from clusterkg.webapp.i18n import said_problem, say

__all__ = ["ApiError", "error_response", "problems_response", "register_error_handlers"]


class ApiError(ClusterKGError):
    """An error with an explicit HTTP status and optional extra headers."""

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def error_response(message: str, status: int, headers: dict[str, str] | None = None, code: str | None = None):
    response = jsonify({"ok": False, "error": str(message), "status": status, "code": code or _code_of_status(status),
                        "message": say(message)})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def problems_response(problems, *, status: int = 400, code: str | None = None, summary=None,
                      files: dict[str, str] | None = None):
    """The one answer of a refused write: the error's shape plus ``problems``, every located
    problem with its English ``error`` and its ``message`` in the request's language. ``code``
    defaults to ``invalid_input`` for a 400 (otherwise ``http_NNN``). ``summary``
    defaults to :data:`~clusterkg.graph.problems.NOTHING_WRITTEN`; ``files`` maps the paths
    the problems name to the names the client sent (an upload's temporary copies)."""
    summary = summary or reason(NOTHING_WRITTEN, count=len(problems))
    said = [said_problem(problem) for problem in problems]
    for problem in said if files else ():
        problem["file"] = files.get(problem["file"], problem["file"])
    code = code or ("invalid_input" if status == 400 else _code_of_status(status))
    response = jsonify({"ok": False, "status": status, "code": code, "error": str(summary), "message": say(summary),
                        "problems": said})
    response.status_code = status
    return response


def _code_of_status(status: int) -> str:
    return {400: "bad_request", 404: "not_found", 500: "internal_error", 503: "store_failure"}.get(status, f"http_{status}")


#: the kinds of ClusterKGError a program can tell apart (a subclass answers with its family's code)
ERROR_CODES = {NotFound: "not_found", AmbiguousName: "ambiguous_name", InvalidInput: "invalid_input",
               StoreFailure: "store_failure"}


def error_code(error: ClusterKGError) -> str:
    """The kind of a ClusterKGError, for programs: ``ClusterNotFound`` -> ``not_found``; else by its status."""
    for kind in type(error).__mro__:
        if kind in ERROR_CODES:
            return ERROR_CODES[kind]
    return _code_of_status(int(getattr(error, "status", 400)))


def message_of(error: ClusterKGError):
    """The error's message as raised: a reason (``clusterkg.graph.reasons``) says itself in any language."""
    return error.args[0] if error.args and isinstance(error.args[0], str) else str(error)


def _clusterkg_error(error: ClusterKGError):
    return error_response(message_of(error), int(getattr(error, "status", 400)), getattr(error, "headers", None),
                          error_code(error))


#: Werkzeug's own descriptions of the HTTP errors it raises, in words that translate
HTTP_MESSAGES = {
    400: N_("The request could not be understood: check its parameters."),
    404: N_("Nothing is here: the address is not a page or resource of this server."),
    405: N_("This address does not accept that method."),
    406: N_("This resource is not available in the format asked for (Accept)."),
    413: N_("The request is larger than this server accepts."),
    415: N_("This address does not accept that content type."),
}


def _http_error(error: HTTPException):
    code = error.code or 500
    own = type(error).description  # a description given where it was raised is specific: keep it
    if code in HTTP_MESSAGES and (not error.description or error.description == own):
        return error_response(reason(HTTP_MESSAGES[code]), code)
    return error_response(error.description or error.name, code)


def _bug(error: Exception):
    current_app.logger.exception("unhandled error: %s", error)
    return error_response(reason(N_("internal server error (logged on the server)")), 500)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ClusterKGError, _clusterkg_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _bug)
