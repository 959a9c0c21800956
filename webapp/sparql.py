"""The SPARQL 1.1 Protocol endpoint as a blueprint any Flask app can mount (``/sparql``).

Queries: GET ``?query=``, form POST, direct POST (``application/sparql-query``), with the
``default-graph-uri`` / ``named-graph-uri`` dataset. Updates: form POST ``update=`` or direct
POST (``application/sparql-update``) with ``using-graph-uri`` / ``using-named-graph-uri``, only
with the admin token. GET without a query answers a browser with the query editor and anything
else with the SPARQL 1.1 Service Description.

Limits every query carries: no ``SERVICE``/``LOAD`` (no outbound connection, ever), a time limit
that stops the work (``CLUSTERKG_QUERY_TIMEOUT``) and a row cap (``CLUSTERKG_MAX_ROWS``); a cut
answer carries ``X-ClusterKG-Truncated: <max rows>`` (and, in SPARQL JSON, a top-level
``"clusterkg": {"truncated": true, "max_rows": N}`` member).
"""

from __future__ import annotations

import io
import urllib.parse
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request, url_for
from werkzeug.sansio.utils import get_current_url
from werkzeug.wsgi import get_current_url as environ_url

from clusterkg.graph.history import Activity
from clusterkg.graph.reasons import N_, reason
from clusterkg.graph.running_server import ACTIVITY_FIELD
from clusterkg.graph.store import StoreError
from clusterkg.webapp.auth import require_admin
from clusterkg.webapp.errors import ApiError
from clusterkg.webapp.extension import state
from clusterkg.graph.media_types import MEDIA_TYPES
from clusterkg.ontology.namespace import DCT, RDF
from clusterkg.webapp.negotiation import GRAPH_FORMATS, RESULT_FORMATS, choose
from clusterkg.webapp.query_runner import QueryJob, forget_frames
from clusterkg.webapp.sparql_text import check_query, check_update, data_subjects, with_using_graphs

__all__ = ["LeanQueries", "bp", "example_queries", "base_url"]

bp = Blueprint("sparql", __name__, url_prefix="/sparql")

FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
TRUNCATED_HEADER = "X-ClusterKG-Truncated"


# --------------------------------------------------------------------------- request parsing

_current_url = lru_cache(maxsize=1024)(get_current_url)


def base_url() -> str:
    """``request.base_url`` (the base IRI of a query), remembered per scheme, host and path:
    werkzeug decodes the host as IDNA on every request, ~0.1 ms of the endpoint's ~0.5 ms."""
    return _current_url(request.scheme, request.host, request.root_path, request.path)



#: what is not UTF-8 -> the message that says so
_NOT_UTF8 = {"query": N_("the query is not valid UTF-8: %(error)s"), "update": N_("the update is not valid UTF-8: %(error)s")}


def _decode(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(reason(_NOT_UTF8[what], error=str(error)), 400) from error


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise ApiError(reason(N_("give exactly one '%(name)s' parameter, not %(count)s"), name=name, count=len(values)), 400)
    return values[0] if values else None


def _parse_request() -> tuple[str | None, str | None, object]:
    """(query, update, parameters) from any of the protocol's request forms."""
    if request.method == "GET":
        if "update" in request.args:
            raise ApiError(reason(N_("SPARQL Update must be sent with POST, not GET")), 400)
        return _one(request.args.getlist("query"), "query"), None, request.args
    media = request.mimetype
    charset = request.mimetype_params.get("charset")
    if charset and charset.lower().replace("-", "") != "utf8":
        raise ApiError(reason(N_("only UTF-8 is accepted, not charset=%(charset)s"), charset=charset), 415)
    if not media:
        raise ApiError(reason(N_("a POST needs a Content-Type: %(form)s, %(query)s or %(update)s"),
                              form=FORM, query=QUERY_TYPE, update=UPDATE_TYPE), 400)
    if media == FORM:
        if "query" in request.args or "update" in request.args:
            raise ApiError(reason(N_("with a form POST, 'query' / 'update' belong in the body, not the URL")), 400)
        form = request.form
        query = _one(form.getlist("query"), "query")
        update = _one(form.getlist("update"), "update")
        if query is not None and update is not None:
            raise ApiError(reason(N_("give either 'query' or 'update', not both")), 400)
        return query, update, _merged(form, request.args)
    if media == QUERY_TYPE:
        return _decode(request.get_data(), "query"), None, request.args
    if media == UPDATE_TYPE:
        return None, _decode(request.get_data(), "update"), request.args
    raise ApiError(reason(N_("unsupported Content-Type %(media)s; use %(form)s, %(query)s or %(update)s"), media=repr(media),
                          form=FORM, query=QUERY_TYPE, update=UPDATE_TYPE), 415)


class _Merged:
    """Form parameters first, URL parameters after (dataset IRIs may come in either)."""

    def __init__(self, *sources):
        self.sources = sources

    def getlist(self, name: str) -> list[str]:
        return [v for source in self.sources for v in source.getlist(name)]


def _merged(*sources) -> _Merged:
    return _Merged(*sources)


def _graphs(params, name: str) -> tuple[str, ...] | None:
    values = tuple(v for v in params.getlist(name) if v.strip())
    return values or None


# --------------------------------------------------------------------------- the endpoint


@bp.route("", methods=["GET", "POST"], strict_slashes=False)
def endpoint():
    failure = request.environ.get(LeanQueries.FAILURE)
    if failure is not None:  # the lean path ran this query and it failed: answer as always
        raise failure
    query, update, params = _parse_request()
    if update is not None:
        return _update(update, params)
    if query is None:
        return _no_query()
    if choose(request.headers.get("Accept"), RESULT_FORMATS, extra=("text/html",)) == "text/html" \
            and "text/html" in (request.headers.get("Accept") or ""):
        return _editor(query)
    return _query(query, params)


def _answer(ckg, query: str, accept: str | None, default_graphs, named_graphs, base_iri: str):
    """Check ``query``, run it and return (content type, body, extra headers): the one truth
    for a query's answer, shared by the Flask endpoint and :class:`LeanQueries`."""
    check_query(query)
    answer = ckg.runner.run(QueryJob(
        query,
        accept=accept,
        default_graphs=default_graphs if default_graphs or named_graphs else None,
        named_graphs=named_graphs if default_graphs or named_graphs else None,
        max_rows=ckg.max_rows,
        base_iri=base_iri,
    ))
    body = answer.body
    headers = []
    if answer.truncated:
        headers.append((TRUNCATED_HEADER, str(ckg.max_rows)))
        if answer.content_type.startswith("application/sparql-results+json"):
            body = body[:-1] + b',"clusterkg":{"truncated":true,"max_rows":%d}}' % ckg.max_rows
    headers += [("Vary", "Accept"), ("Access-Control-Expose-Headers", TRUNCATED_HEADER)]
    return answer.content_type, body, headers


def _query(query: str, params) -> Response:
    content_type, body, headers = _answer(
        state(), query, request.headers.get("Accept"), _graphs(params, "default-graph-uri"),
        _graphs(params, "named-graph-uri"), base_url())
    return Response(body, content_type=content_type, headers=headers)


# --------------------------------------------------------------------------- the lean path


class LeanQueries:
    """WSGI middleware that answers the common query requests, ``GET /sparql?query=...`` and a
    direct or form ``POST`` of a query, asking for results (not the editor), without Flask's
    request machinery (request context, routing, language and session hooks, response object):
    ~0.2 ms of a front's CPU per query.

    It runs the same checks and the same runner as the endpoint (:func:`_answer`) and gives the
    same answer byte for byte, headers included (``tests/webapp/test_sparql_lean.py``). Anything
    else goes to Flask unchanged: updates, a ``lang`` parameter, a request with cookies (a session
    to refresh, a language), a browser asking for the editor, a body or query string it does not
    read plainly (another charset, no length, over :data:`BODY_LIMIT`). A query that fails is
    answered by Flask too, with the failure handed over in the WSGI environ (the query does not
    run twice), so error pages, their language and their headers have one truth. ``before`` holds
    callables run before each query it answers, as Flask runs its ``before_request`` hooks (a
    reader front's catch-up with the writer's writes, see ``fronts.follow_writes``).
    """

    FAILURE = "clusterkg.lean_failure"
    BODY_LIMIT = 1 << 16  # a longer POSTed query goes to Flask, which applies its own limits
    _GRAPHS = ("default-graph-uri", "named-graph-uri")

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.before: list[Callable[[], None]] = []

    def _parameters(self, environ) -> dict[str, list[str]] | None:
        """The request's query and dataset parameters, or ``None``: Flask answers it."""
        if environ.get("PATH_INFO") != "/sparql" or "HTTP_COOKIE" in environ:
            return None  # (a session or a language cookie: Flask's hooks read them)
        method = environ.get("REQUEST_METHOD")
        if method == "GET":
            params = _pairs(environ.get("QUERY_STRING", ""))
            if params is None or "update" in params or "lang" in params:
                return None
        elif method == "POST":
            params = self._posted(environ)
        else:
            return None
        if params is None or len(params.get("query", ())) != 1:
            return None
        accept = environ.get("HTTP_ACCEPT")
        if accept and "text/html" in accept \
                and choose(accept, RESULT_FORMATS, extra=("text/html",)) == "text/html":
            return None  # the query editor
        return params

    def _posted(self, environ) -> dict[str, list[str]] | None:
        """:meth:`_parameters` of a POST: read as :func:`_parse_request` does (the body is kept
        in ``wsgi.input`` for Flask)."""
        media, _, options = environ.get("CONTENT_TYPE", "").partition(";")
        media = media.strip().lower()
        if media not in (FORM, QUERY_TYPE) or options.strip().lower().replace(" ", "") not in _UTF8_OPTIONS:
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None
        if not 0 <= length <= self.BODY_LIMIT:
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # (read again by Flask if it answers)
        args = _pairs(environ.get("QUERY_STRING", ""))
        if len(body) != length or args is None or "lang" in args:
            return None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if media == QUERY_TYPE:
            return {"query": [text], **{name: args[name] for name in self._GRAPHS if name in args}}
        form = _pairs(text)
        if form is None or "update" in form or "query" in args or "update" in args:
            return None
        for name in self._GRAPHS:  # the form's first, then the URL's (as _merged)
            if name in args:
                form[name] = form.get(name, []) + args[name]
        return form

    def __call__(self, environ, start_response):
        params = self._parameters(environ)
        if params is None:
            return self.wsgi_app(environ, start_response)
        try:
            for hook in self.before:
                hook()
        except Exception:  # Flask runs the hooks again and answers the error as always
            return self.wsgi_app(environ, start_response)
        ckg = self.app.extensions["clusterkg"]
        try:
            content_type, body, headers = _answer(
                ckg, params["query"][0], environ.get("HTTP_ACCEPT"),
                tuple(v for v in params.get("default-graph-uri", ()) if v.strip()) or None,
                tuple(v for v in params.get("named-graph-uri", ()) if v.strip()) or None,
                _environ_base_url(environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"),
                                  environ.get("SERVER_NAME"), environ.get("SERVER_PORT"),
                                  environ.get("SCRIPT_NAME", "")))
        except Exception as failure:  # (a bug too: Flask's handler logs it and answers 500 as always)
            forget_frames(failure)  # (Flask answers it on this thread, after our frames are gone)
            environ[self.FAILURE] = failure
            try:
                return self.wsgi_app(environ, start_response)
            finally:
                del environ[self.FAILURE]  # (no cycle environ -> failure -> frame -> environ)
        # (Flask says Vary: Cookie too: Flask-Login looks at the session after every request)
        headers = [(name, "Accept, Cookie" if name == "Vary" else value) for name, value in headers]
        start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers])
        return [body]


#: the Content-Type parameters a lean POST may carry (spaces removed, lower case)
_UTF8_OPTIONS = frozenset({"", "charset=utf-8", "charset=utf8", 'charset="utf-8"'})


def _pairs(text: str) -> dict[str, list[str]] | None:
    """Form-encoded ``text`` as lists of values by name, or ``None`` when not plain UTF-8."""
    try:
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    params: dict[str, list[str]] = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


@lru_cache(maxsize=1024)
def _environ_base_url(scheme, host, server_name, server_port, script_name) -> str:
    """``request.base_url`` of ``GET /sparql`` from the environ's parts that decide it."""
    environ = {"wsgi.url_scheme": scheme, "SERVER_NAME": server_name, "SERVER_PORT": server_port,
               "SCRIPT_NAME": script_name, "PATH_INFO": "/sparql"}
    if host is not None:
        environ["HTTP_HOST"] = host
    return environ_url(environ, strip_querystring=True)


def _update(update: str, params) -> Response:
    agent = require_admin()
    check_update(update)
    # relative IRIs resolve against the endpoint's URL (a BASE carries over to later operations)
    text = f"BASE <{base_url()}>\n" + with_using_graphs(
        update,
        list(params.getlist("using-graph-uri")),
        list(params.getlist("using-named-graph-uri")),
    )
    activity = _recorded_activity(params, agent)
    try:
        if activity is not None:
            state().write(lambda store: store.commit_update(text, activity))
        else:
            # (an INSERT/DELETE DATA names what it changes: the history lists it, pages catch up cheaply)
            state().write(lambda store: store.update(text, agent=agent, changed=data_subjects(text)))
    except StoreError as error:
        raise ApiError(str(error), 400) from error
    response = Response(b'{"ok":true}', status=200, content_type="application/json")
    return response


def _recorded_activity(params, agent: str) -> Activity | None:
    """The write's own history record, sent by the command line beside this server (see
    :data:`ACTIVITY_FIELD`); ``None`` for any other client, whose update is recorded here."""
    recorded = _one(params.getlist(ACTIVITY_FIELD), ACTIVITY_FIELD)
    if recorded is None:
        return None
    try:
        return Activity.from_json(recorded, agent)
    except ValueError as error:
        raise ApiError(reason(N_("the %(field)s field: %(error)s"), field=ACTIVITY_FIELD, error=str(error)), 400) from error


def _no_query() -> Response:
    accept = request.headers.get("Accept")
    best = choose(accept, GRAPH_FORMATS, extra=("text/html",))
    if best == "text/html" and "text/html" in (accept or ""):
        return _editor("")
    if best is None or best == "text/html":
        raise ApiError(reason(N_("no 'query' or 'update' parameter; GET without one returns the service description as RDF")), 400)
    fmt = GRAPH_FORMATS[best]
    return Response(ox.serialize(service_description(base_url()), format=fmt.ox_format),
                    content_type=fmt.content_type, headers={"Vary": "Accept"})


# --------------------------------------------------------------------------- service description

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
_FORMAT_IRIS = [m.format_iri for m in MEDIA_TYPES if m.format_iri]


def service_description(endpoint_url: str) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description of this endpoint, as triples."""
    ckg = state()
    rdf_type = ox.NamedNode(str(RDF.type))
    service, dataset, graph = ox.BlankNode(), ox.BlankNode(), ox.BlankNode()

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(SD + name)

    triples = [
        ox.Triple(service, rdf_type, sd("Service")),
        ox.Triple(service, sd("endpoint"), ox.NamedNode(endpoint_url)),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("defaultEntailmentRegime"), ox.NamedNode("http://www.w3.org/ns/entailment/Simple")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), graph),
        ox.Triple(graph, rdf_type, sd("Graph")),
        ox.Triple(service, ox.NamedNode(str(DCT.description)), ox.Literal(
            f"clusterkg SPARQL endpoint. Queries stop after {ckg.query_timeout:g} s and return at most "
            f"{ckg.max_rows} rows; SERVICE and LOAD are refused. Updates need the admin token.")),
    ]
    if ckg.admin_token:
        triples.append(ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Update")))
    for name in _FORMAT_IRIS:
        triples.append(ox.Triple(service, sd("resultFormat"), ox.NamedNode(FORMATS_NS + name)))
    return triples


# --------------------------------------------------------------------------- the query editor


def example_queries() -> list[dict[str, str]]:
    """The named example queries of ``data/queries/*.rq`` (first line ``# title: ...``)."""
    folder = resources.files("clusterkg.data") / "queries"
    examples = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".rq"):
            continue
        text = entry.read_text(encoding="utf-8")
        first = text.splitlines()[0] if text else ""
        title = first.split(":", 1)[1].strip() if first.lower().startswith("# title:") else entry.name[:-3]
        examples.append({"name": entry.name[:-3], "title": title, "query": text})
    return examples


def _editor(query: str) -> Response:
    ckg = state()
    html = render_template(
        "sparql/editor.html",
        endpoint=url_for("sparql.endpoint", _external=True),
        examples=example_queries(),
        query=query,
        timeout=ckg.query_timeout,
        max_rows=ckg.max_rows,
        truncated_header=TRUNCATED_HEADER,
    )
    return Response(html, content_type="text/html; charset=utf-8", headers={"Vary": "Accept"})
