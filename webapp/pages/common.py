"""What every page view shares: one view answers HTML or JSON, typed arguments, refs and links.

A page view computes one plain dict (the JSON twin's body) and hands it to :func:`respond`,
which returns it as JSON (``/path.json`` or ``Accept: application/json``) or renders the page's
template with it, so the two cannot drift apart. Errors raised in page views answer with the
one JSON error shape for JSON clients and with an HTML error page for browsers.
"""

from __future__ import annotations

import re
import threading
import weakref
from contextlib import contextmanager
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from cachetools import LRUCache
from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext
from markupsafe import Markup

from clusterkg.graph.errors import ClusterKGError, InvalidInput, NotFound, StoreFailure
from clusterkg.graph.reasons import N_, reason
from clusterkg.graph.projection import Projection, local_name
from clusterkg.ontology.namespace import DATA
from clusterkg.webapp.errors import error_code, error_response, message_of
from clusterkg.webapp.i18n import LANGUAGES, say
from clusterkg.webapp.extension import state

__all__ = [
    "DATA_IRI_BASE",
    "page_blueprint",
    "projection",
    "answer_key",
    "wants_json",
    "respond",
    "json_bytes",
    "json_answer",
    "Lazy",
    "Memo",
    "memo",
    "render_block",
    "json_rule",
    "twin_route",
    "arg_int",
    "arg_float",
    "arg_bool",
    "arg_list",
    "parameter",
    "entity_url",
    "explore_url",
    "outside_href",
    "ref",
    "labelled",
]

#: real data IRIs; ``/id/<kind>/<id>`` on the server dereferences them (see linked_data.py)
DATA_IRI_BASE = str(DATA)


def projection() -> Projection:
    return state().projections.get()


def answer_key(p: Projection, language: str) -> str:
    """What an answer computed from the projection alone, in ``language``, depends on.

    The projection's content: it stays the same across writes that touch nothing the projection
    holds (:attr:`Projection.content`), so such answers outlive those writes. In a language other
    than the data's own, names are read from the store once per data version
    (:func:`clusterkg.webapp.i18n.localised_names`), so there the data version.
    """
    return p.content if language == LANGUAGES[0] else p.version


def wants_json() -> bool:
    """True for ``/path.json``, ``/api/...`` and a client preferring ``application/json`` over HTML."""
    if request.path.endswith(".json") or request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


class Lazy:
    """A template value computed only when the page is rendered as HTML (e.g. a graph drawing)."""

    def __init__(self, compute):
        self.compute = compute


def respond(template: str, data: dict, status: int = 200, **context) -> Response:
    """The page's JSON twin (``data``) or its HTML, rendered from the same ``data``."""
    if wants_json():
        response = jsonify(data)
    else:
        context = {name: value.compute() if isinstance(value, Lazy) else value for name, value in context.items()}
        response = Response(render_template(template, data=data, **context), content_type="text/html; charset=utf-8")
    response.status_code = status
    response.headers["Vary"] = "Accept"
    return response


def json_bytes(value: object) -> bytes:
    """``value`` encoded exactly as the app's JSON responses encode it: an answer kept encoded
    (in a :class:`Memo`) is sent again without encoding it again (~1 ms for 100 KB)."""
    return current_app.json.response(value).get_data()


def json_answer(body: bytes) -> Response:
    """What ``jsonify`` answers, from bytes made by :func:`json_bytes`."""
    return current_app.response_class(body, mimetype=current_app.json.mimetype)


T = TypeVar("T")


class Memo:
    """Page parts computed once and kept, bounded in entries and in size (least recently used out).

    A key names everything the value depends on: the projection's content (:func:`answer_key`),
    the data version or a digest of the content itself, and for rendered HTML the language and
    the script root. So a write is seen at the next request, and one language never answers for
    another. Values
    are shared by concurrent requests: never change one in place.
    """

    def __init__(self, max_entries: int = 512, max_bytes: int = 64 << 20):
        self.max_entries = max_entries
        self._values = LRUCache(maxsize=max_bytes, getsizeof=lambda entry: entry[1])
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T], size: Callable[[T], int] = lambda value: 1024) -> T:
        """The value kept under ``key``, else ``make()`` kept with its ``size`` in bytes (a
        value larger than the whole budget is returned, not kept). Two requests missing the same
        key at once may both compute it: cheaper than making one wait on the other's lock."""
        with self._lock:
            entry = self._values.get(key)
        if entry is not None:
            return entry[0]
        return self.put(key, make(), size)

    def find(self, key: Hashable):
        """The value kept under ``key``, or None."""
        with self._lock:
            entry = self._values.get(key)
        return None if entry is None else entry[0]

    def put(self, key: Hashable, value: T, size: Callable[[T], int] = lambda value: 1024) -> T:
        """Keep ``value`` under ``key`` (in place of what was there); returns it."""
        weight = max(1, size(value))
        if weight <= self._values.maxsize:
            with self._lock:
                self._values[key] = (value, weight)
                while len(self._values) > self.max_entries:
                    self._values.popitem()
        return value

    def __len__(self) -> int:
        return len(self._values)

    @property
    def bytes(self) -> int:
        return self._values.currsize


def memo() -> Memo:
    """The app's :class:`Memo` of page parts (one per app, made on first use)."""
    found = current_app.extensions.get("clusterkg_page_memo")
    if found is None:
        found = current_app.extensions.setdefault("clusterkg_page_memo", Memo())
    return found


def render_block(template: str, block: str, imports: dict[str, str] | None = None, **context) -> Markup:
    """One ``{% block %}`` of a page template, rendered alone with the app's template context
    (its helpers, ``_``, the request's language): the part of a page worth keeping in a :class:`Memo`.

    A block rendered alone does not run its template's top level: ``imports`` (name -> template)
    are the ``{% import ... with context %}`` it needs, the block's other names come in ``context``.
    """
    app = current_app._get_current_object()
    environment = app.jinja_env
    compiled = environment.get_or_select_template(template)
    app.update_template_context(context)
    for name, path in (imports or {}).items():
        context[name] = environment.get_template(path).make_module(context)
    return Markup("".join(compiled.blocks[block](compiled.new_context(context))))


def json_rule(rule: str) -> str:
    """The JSON twin's URL rule: ``/clusters/<cluster_id>`` -> ``/clusters/<cluster_id>.json``; ``/`` -> ``/index.json``."""
    return "/index.json" if rule == "/" else rule + ".json"


def twin_route(bp: Blueprint, rule: str, endpoint: str):
    """Register a view at ``rule`` (HTML, or JSON by ``Accept``) and at its ``.json`` twin."""
    def decorate(view):
        bp.add_url_rule(rule, endpoint, view)
        bp.add_url_rule(json_rule(rule), endpoint + "_json", view)
        return view
    return decorate


def _page_error(error: ClusterKGError):
    status = int(getattr(error, "status", 400))
    message = message_of(error)  # a reason, said in the page's language
    if isinstance(error, StoreFailure):  # names the store's path or server: for the log only
        current_app.logger.error("store failure during %s: %s", request.path, error)
        message = gettext("the knowledge store could not answer (the reason is in the server's log); try again later")
    if wants_json():
        return error_response(message, status, getattr(error, "headers", None), error_code(error))
    html = render_template("pages/error.html", message=say(message), status=status)
    return Response(html, status=status, content_type="text/html; charset=utf-8")


def explore_url(iri: str) -> str:
    """The graph explorer centred on ``iri``: it redirects to the view that shows it, selected
    (:func:`clusterkg.webapp.explorer.focus_url`)."""
    return url_for("explorer.explore", focus=iri)


def outside_href(url: str | None) -> str:
    """A link to a source page only when it is http(s): never ``javascript:`` or ``data:`` from the data.

    >>> outside_href("javascript:alert(1)"), outside_href("https://example.org/a")
    ('#', 'https://example.org/a')
    """
    text = (url or "").strip()
    return text if re.match(r"^https?://", text, re.IGNORECASE) else "#"


def _template_helpers() -> dict:
    return {"entity_url": entity_url, "explore_url": explore_url, "outside_href": outside_href}


def page_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint whose typed errors become an HTML page for browsers, the JSON shape otherwise."""
    bp = Blueprint(name, import_name)
    bp.register_error_handler(ClusterKGError, _page_error)
    bp.context_processor(_template_helpers)
    return bp


# -- typed GET arguments (every view is restorable from its URL) -------------------------------


def arg_int(name: str, default: int, low: int, high: int) -> int:
    text = request.args.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidInput(reason(N_("parameter %(name)s must be a whole number, not %(value)s"), name=repr(name), value=repr(text))) from None
    if not low <= value <= high:
        raise InvalidInput(reason(N_("parameter %(name)s must be between %(low)s and %(high)s, not %(value)s"),
                                  name=repr(name), low=low, high=high, value=value))
    return value


def arg_float(name: str, default: float, low: float, high: float) -> float:
    text = request.args.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(reason(N_("parameter %(name)s must be a number, not %(value)s"), name=repr(name), value=repr(text))) from None
    if not low <= value <= high:  # also refuses nan
        raise InvalidInput(reason(N_("parameter %(name)s must be between %(low)s and %(high)s, not %(value)s"),
                                  name=repr(name), low=str(low), high=str(high), value=text))
    return value


def arg_bool(name: str) -> bool:
    text = request.args.get(name, "").strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise InvalidInput(reason(N_("parameter %(name)s must be 1/0, true/false, yes/no or on/off, not %(value)s"), name=repr(name), value=repr(text)))


def arg_list(name: str) -> list[str]:
    """All values of a repeated parameter; a value may also hold several, comma-separated."""
    values = []
    for raw in request.args.getlist(name):
        values.extend(part.strip() for part in raw.split(","))
    return list(dict.fromkeys(v for v in values if v))


@contextmanager
def parameter(name: str):
    """Inside: a name that finds nothing is a bad value of parameter ``name`` (400), not a missing page."""
    try:
        yield
    except NotFound as error:
        raise InvalidInput(reason(N_("parameter %(name)s: %(error)s"), name=repr(name), error=message_of(error))) from None


# -- references and links ------------------------------------------------------------------------

_KIND_ENDPOINTS = {"cluster": "clusters.profile", "org": "entities.organisation", "competency": "entities.competency",
                   "event": "events.event"}
_KIND_ARGS = {"cluster": "cluster_id", "org": "organisation_id", "competency": "competency_id", "event": "event_id"}
_DATA_IRI = re.compile(r"^https://w3id\.org/clusterkg/id/([a-z]+)/([^/#?]+)$")


def entity_url(iri: str) -> str:
    """The page of a resource: its own page for clusters, organisations, competencies; else /resource.

    Remembered per app and script root (a profile page links a few hundred resources, and
    ``url_for`` costs ~30 µs each)."""
    known = current_app.extensions.setdefault("clusterkg_entity_urls", {})
    key = (request.script_root if request else "", iri)
    url = known.get(key)
    if url is None:
        if len(known) > 65536:
            known.clear()
        url = known[key] = _entity_url(iri)
    return url


def _entity_url(iri: str) -> str:
    match = _DATA_IRI.match(iri or "")
    if match and match.group(1) in _KIND_ENDPOINTS:
        kind, identifier = match.groups()
        return url_for(_KIND_ENDPOINTS[kind], **{_KIND_ARGS[kind]: identifier})
    return url_for("entities.resource", iri=iri)


def ref(frame, row: int, *extra: str) -> dict:
    """``{"iri", "id", "label", ...extra columns}`` of one row of a projection table."""
    columns = _columns(frame)
    item = {"iri": columns("iri")[row], "id": columns("id")[row], "label": columns("label")[row]}
    for column in extra:
        value = columns(column)[row]
        item[column] = list(value) if isinstance(value, tuple) else value
    return item


_COLUMN_LISTS: dict[int, dict[str, list]] = {}


def _columns(frame):
    """The columns of a projection table as Python lists, made once per table (projection tables
    are never changed in place): a pandas lookup per cell made a member list of 170 rows cost
    ~40 ms a page."""
    lists = _COLUMN_LISTS.get(id(frame))
    if lists is None:
        lists = _COLUMN_LISTS[id(frame)] = {}
        weakref.finalize(frame, _COLUMN_LISTS.pop, id(frame), None)

    def column(name: str) -> list:
        values = lists.get(name)
        if values is None:
            values = lists[name] = frame[name].tolist()
        return values

    return column


def labelled(p: Projection, iris: Iterable[str]) -> list[dict]:
    """``{"iri", "id", "label"}`` for IRIs the projection knows a label of (else its id)."""
    return [{"iri": iri, "id": local_name(iri), "label": p.labels.get(iri, local_name(iri))} for iri in iris]
