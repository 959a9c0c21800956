"""The interface's language: English or Russian, chosen per request, kept in the URL and a cookie.

The language of a request is, in order: ``?lang=`` (so a shared link shows the language it was
copied in), the ``lang`` cookie (set whenever ``?lang=`` names a language, so it stays while a
person browses), the browser's ``Accept-Language``, English. An unknown ``?lang=`` is a 400
naming the languages offered.

Messages come from the catalogues in ``webapp/translations/<lang>/LC_MESSAGES/messages.po``,
compiled to the ``.mo`` beside it when the catalogue changes (``pybabel compile``, see the
README), never at run time. Templates use ``_()``, ``ngettext()`` and ``{% trans %}``; numbers go
through Flask-Babel's filters (``numberformat``, ``decimalformat``) so "1,234.5" reads "1 234,5"
in Russian.

Front-end scripts get their strings from the page: :func:`script_strings` returns a script's
table, translated, and the template writes it as JSON for the script to read.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime
from urllib.parse import urlencode

from babel import Locale
from babel.numbers import get_decimal_symbol
from flask import Flask, Response, request
from flask_babel import Babel, format_date, format_datetime, format_decimal, get_locale, gettext

from clusterkg.graph.reasons import ORGANISATION_TYPE_WORDS, reason, render
from clusterkg.graph.errors import InvalidInput

__all__ = [
    "LANGUAGES", "COOKIE", "TERMS", "SCRIPT_MESSAGES", "N_", "init_app", "current_language", "language_url",
    "collated", "country", "country_names", "day", "localised_names", "name", "said_problem", "say", "script_strings",
    "term", "term_names",
]

#: the interface languages, the first the default
LANGUAGES = ("en", "ru")
#: the cookie that keeps the chosen language
COOKIE = "lang"
_COOKIE_AGE = 365 * 24 * 3600


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; it is translated where it is shown.

    >>> N_("Members")
    'Members'
    """
    return message


def _asked() -> str | None:
    value = request.args.get("lang", "").strip().lower()
    return value if value in LANGUAGES else None


def current_language() -> str:
    """The request's interface language (see the module's docstring for the order)."""
    asked = _asked()
    if asked:
        return asked
    kept = request.cookies.get(COOKIE, "")
    if kept in LANGUAGES:
        return kept
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def _check_lang_parameter() -> None:
    value = request.args.get("lang")
    if value is not None and value.strip().lower() not in LANGUAGES:
        raise InvalidInput(reason(N_("parameter 'lang' must be one of %(languages)s, not %(value)s"),
                                  languages=list(LANGUAGES), value=repr(value)))


def _keep_language(response: Response) -> Response:
    """Set the cookie when ``?lang=`` chose a language; HTML varies with the language asked."""
    asked = _asked()
    if asked and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=_COOKIE_AGE, samesite="Lax", httponly=True)
    if response.mimetype == "text/html":
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def language_url(code: str) -> str:
    """This page in another language: the same path and parameters, ``lang`` set to ``code``."""
    params = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"] + [("lang", code)]
    return request.script_root + request.path + "?" + urlencode(params)


def _languages() -> list[dict]:
    """The switch: each language named in itself ("English", "Русский")."""
    return [{"code": code, "name": Locale.parse(code).get_display_name(code).capitalize(), "url": language_url(code)}
            for code in LANGUAGES]


# -- codes of the data shown as words ------------------------------------------------------------

#: a code from the data (an organisation type, a drawing's node kind, a count of the home page,
#: a gap lens, a partnership or community level) -> its name; translated by the ``term`` filter
TERMS: dict[str, str] = {
    # organisation types (clusterkg.graph.projection.ORGANISATION_TYPES), worded as the why-lines word them
    **ORGANISATION_TYPE_WORDS,
    # node kinds of the drawings (clusterkg.webapp.pages.drawing.KIND_COLORS)
    "cluster": N_("cluster"), "organisation": N_("organisation"), "competency": N_("competency"),
    "industry": N_("industry"), "country": N_("country"), "group": N_("group"), "resource": N_("resource"),
    "recommended": N_("recommended"),
    # the explorer's relations (clusterkg.graph.explorer_model.RELATIONS; the others are named above)
    "members": N_("members"), "partners": N_("partners"), "needs": N_("needs"), "holders": N_("holders"),
    "broader": N_("broader"), "narrower": N_("narrower"),
    # what the graph holds (clusterkg.graph.stats.ORDER and the home page's extra counts)
    "clusters": N_("clusters"), "organisations": N_("organisations"), "affiliations": N_("affiliations"),
    "memberships": N_("memberships"), "competencies": N_("competencies"), "competency claims": N_("competency claims"),
    "competency needs": N_("competency needs"), "industries": N_("industries"), "countries": N_("countries"),
    "regions": N_("regions"), "partnerships": N_("partnerships"), "cluster policies": N_("cluster policies"),
    "shared resources": N_("shared resources"), "developments": N_("developments"),
    "countries with clusters": N_("countries with clusters"), "triples": N_("triples"),
    # gap lenses (clusterkg.graph.analysis.gaps)
    "target": N_("value chain"), "peers": N_("peers"), "demand": N_("declared needs"),
    # partnership and community levels
    "cooperation_agreement": N_("cooperation agreement"), "cross_cluster_project": N_("cross-cluster project"),
    "super_regional_cluster": N_("super-regional cluster"), "meta_cluster": N_("meta-cluster"),
    "regional": N_("regional"),
    # where a market check took its competencies from (clusterkg.graph.analysis.dissemination)
    "development": N_("from the development"), "developer": N_("from the developer"), "given": N_("as given"),
    # competency levels
    "basic": N_("basic"), "advanced": N_("advanced"), "leading": N_("leading"),
    # events: kinds, roles, outcome kinds (clusterkg.graph.sheets.EVENT_KINDS, EVENT_ROLES, OUTCOME_KINDS)
    "blitz_session": N_("blitz session"), "round_table": N_("round table"), "presenter": N_("presenter"),
    "participant": N_("participant"), "stakeholder": N_("stakeholder"), "moderator": N_("moderator"),
    "challenge": N_("challenge"), "opportunity": N_("opportunity"),
    # the editing forms' choices (clusterkg.graph.sheets.AFFILIATION_TYPES, RESOURCE_KINDS, CLUSTER_STAGES)
    "member": N_("member"), "founding_member": N_("founding member"), "board_member": N_("board member"),
    "resident": N_("resident"), "project_partner": N_("project partner"), "located_in_region": N_("located in region"),
    "equipment": N_("equipment"), "laboratory": N_("laboratory"), "test_bed": N_("test bed"),
    "pilot_line": N_("pilot line"), "facility": N_("facility"), "service": N_("service"),
    "emerging": N_("emerging"), "growing": N_("growing"), "mature": N_("mature"),
    # the history's operations (clusterkg.graph.history: Activity of the importer, store, deletion, revert)
    "import": N_("import"), "replace": N_("replace"), "revert": N_("revert"), "delete": N_("delete"),
    "update": N_("update"), "load": N_("load"), "clear": N_("clear"),
    "remove": N_("remove"),  # (clusterkg.webapp.editing.writes.remove_rows)
}


def term(code: str | None) -> str:
    """A data code as a word in the request's language; an unknown code with ``_`` read as spaces.

    The name is only for people: JSON twins keep the code.
    """
    text = str(code or "")
    return gettext(TERMS[text]) if text in TERMS else text.replace("_", " ")


_FIXED_DECIMAL = re.compile(r"-?\d+\.\d+")
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")


def say(text) -> str:
    """An analysis's why-line or note in the request's language (see ``clusterkg.graph.reasons``):
    its messages through the catalogue, its numbers written the locale's way, the names of the
    data in the language where the data has them (:func:`names_by_english`); other text as it is."""
    if text is None:
        return ""
    renames = names_by_english(current_language())
    point = get_decimal_symbol(get_locale())

    def rename(value: str) -> str | None:  # a figure with fixed decimals ("0.57") keeps them, in the locale's way
        if _FIXED_DECIMAL.fullmatch(value):
            return value.replace(".", point)
        if _COUNTRY_CODE.fullmatch(value):  # a country's code ("DE"), as the analyses hand them over
            return country_names(current_language()).get(value)  # (read only when a line names one)
        return renames.get(value)

    return render(text, gettext, format_decimal, rename, current_language())


def said_problem(problem) -> dict[str, str]:
    """A located problem for the JSON answers: ``error`` its English text (for programs, as the
    answer's own ``error``), ``message`` the same said in the request's language."""
    return {**problem.as_dict(), "error": str(problem.message), "message": say(problem.message)}


def day(value) -> str:
    """A date of the data (``YYYY-MM-DD``, or a timestamp) written the locale's way ("4 May 2026",
    "4 мая 2026 г."); a bare year, or anything else, as it is."""
    text = str(value or "")
    try:
        if len(text) == 10:
            return format_date(date.fromisoformat(text), "long")
        if len(text) >= 16 and text[10] == "T":
            return format_datetime(datetime.fromisoformat(text.replace("Z", "+00:00")), "medium")
    except ValueError:
        pass
    return text


# -- names from the data in the chosen language ---------------------------------------------------

#: names of things in one language: a cluster's or organisation's ``rdfs:label``, a competency's or
#: industry's ``skos:prefLabel``, else its first ``skos:altLabel`` (``?rank`` says which comes first)
NAMES_QUERY = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?s ?name ?rank WHERE {
  VALUES (?p ?rank) { (rdfs:label 0) (skos:prefLabel 0) (skos:altLabel 1) }
  ?s ?p ?name FILTER(LANGMATCHES(LANG(?name), "%s"))
}"""


def localised_names(language: str) -> dict[str, str]:
    """IRI -> its name in ``language``, for what the data names in it (read once per data version).

    English is the data's own (untagged) name: the projection's ``label``; nothing to look up.
    """
    if language == LANGUAGES[0]:
        return {}
    from clusterkg.webapp.extension import state
    from clusterkg.webapp.pages import reads
    from clusterkg.webapp.pages.common import projection

    version = projection().version
    cache = state().__dict__.setdefault("_localised_names", {})
    if cache.get("version") != version:
        cache.clear()
        cache["version"] = version
    if language not in cache:
        best: dict[str, tuple[int, str]] = {}
        for subject, name, rank in reads.select(NAMES_QUERY % language).rows:
            candidate = (int(rank), str(name))
            if str(subject) not in best or candidate < best[str(subject)]:
                best[str(subject)] = candidate
        cache[language] = {iri: name for iri, (_, name) in best.items()}
    return cache[language]


def names_by_english(language: str) -> dict[str, str]:
    """English name -> name in ``language``, for the why-lines, which carry names as English text.

    Only a name that belongs to one thing is renamed: two organisations both called "Vertex" in
    English stay "Vertex", rather than risk giving one of them the other's Russian name.
    """
    if language == LANGUAGES[0]:
        return {}
    from clusterkg.webapp.extension import state
    from clusterkg.webapp.pages.common import projection

    cache = state().__dict__.setdefault("_localised_names", {})
    key = ("by_english", language)
    names = localised_names(language)  # (also drops the cache of an older data version)
    if key not in cache:
        english = projection().labels
        owners = Counter(english.values())
        cache[key] = {english[iri]: local for iri, local in names.items()
                      if iri in english and owners[english[iri]] == 1 and local != english[iri]}
    return cache[key]


def name(item) -> str:
    """``item``'s name (``{"iri", "label"}``) in the request's language, its ``label`` where the data has none."""
    label = item.get("label") if isinstance(item, Mapping) else None
    iri = item.get("iri") if isinstance(item, Mapping) else None
    if not iri:
        return label or ""
    return localised_names(current_language()).get(str(iri), label or "")


#: every country's code, English name and name in each language the data names it in
COUNTRY_NAMES_QUERY = """PREFIX ckg: <https://w3id.org/clusterkg/ns#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?code ?name WHERE { ?c a ckg:Country ; skos:notation ?code ; skos:prefLabel ?name }"""


def country_names(language: str) -> dict[str, str]:
    """Country code -> its name in ``language``, else its English name (read once per data version)."""
    from clusterkg.webapp.extension import state
    from clusterkg.webapp.pages import reads
    from clusterkg.webapp.pages.common import projection

    version = projection().version
    cache = state().__dict__.setdefault("_country_names", {})
    if cache.get("version") != version:
        cache.clear()
        cache["version"] = version
    if language not in cache:
        names: dict[str, dict[str, str]] = {}
        for code, label in reads.select(COUNTRY_NAMES_QUERY).rows:
            names.setdefault(str(code), {})[getattr(label, "language", None) or "en"] = str(label)
        cache[language] = {code: by_language.get(language) or by_language.get("en") or code
                           for code, by_language in names.items()}
    return cache[language]


def country(code) -> str:
    """A country code's name in the request's language (``DE`` -> "Германия", "Germany"), else in
    English, else the code itself (a code the data does not know)."""
    if not code:
        return ""
    return country_names(current_language()).get(str(code), str(code))


@functools.cache
def _collator():
    import pyuca

    return pyuca.Collator()  # the Unicode Collation Algorithm's default table (~0.1 s to load)


def collated(items, key=lambda item: item):
    """``items`` sorted by ``key`` (text) as a reader expects in any language: case- and
    accent-blind first, Cyrillic "ё" with "е" (the Unicode Collation Algorithm, via pyuca).

    >>> collated(["Ёлка", "ель", "Жук", "Еда", "apple"])
    ['apple', 'Еда', 'Ёлка', 'ель', 'Жук']
    """
    sort_key = _collator().sort_key
    return sorted(items, key=lambda item: sort_key(key(item)))


# -- the strings of the front-end scripts --------------------------------------------------------

#: script -> key -> message (``%(name)s`` placeholders, filled by the script)
SCRIPT_MESSAGES: dict[str, dict[str, str]] = {
    "explorer": {
        "expandGroup": N_("Expand this group"),
        "expandNeighbours": N_("Expand neighbours…"),
        "counting": N_("Counting neighbours of %(label)s…"),
        "countFailed": N_("Could not count neighbours: %(error)s"),
        "added": N_("Nodes added: %(count)s (%(relation)s of %(label)s, %(shown)s of %(total)s)."),
        "expanding": N_("Expanding %(relation)s…"),
        "expandFailed": N_("Could not expand: %(error)s"),
        "noMatch": N_("No node shown matches “%(text)s”."),
        "found": N_("Matches: %(count)s; showing “%(label)s”."),
        "more": N_("+%(count)s more %(relation)s"),
        "shown": N_("%(shown)s of %(total)s nodes shown, %(edges)s edges"),
        "physics": N_("physics layout"),
        "serverLayout": N_("layout computed on the server (%(layout)s), physics off"),
        "aggregated": N_("aggregated: square nodes stand for groups, expand them to see inside"),
        "truncated": N_("the query result was cut at the row limit"),
    },
    "sparql": {
        "timedOut": N_("Timed out after %(seconds)s s: %(message)s"),
        "error": N_("Error %(status)s: %(message)s"),
        "answer": N_("Answer: %(answer)s (%(time)s)"),
        "truncatedRows": N_("Truncated at %(count)s rows: the query has more results; add a LIMIT or narrow it (%(time)s)."),
        "noResults": N_("No results (%(time)s)."),
        "rows": N_("Rows: %(count)s (%(time)s)."),
        "seconds": N_("%(seconds)s s"),
        "truncatedTriples": N_("Truncated at %(count)s triples (%(time)s)."),
        "done": N_("Done (%(time)s)."),
        "running": N_("Running…"),
        "loaded": N_("Loaded example: %(title)s. Press the run button."),
    },
    "events": {
        "refused": N_("the server refused the change"),
    },
}


def term_names(codes=None) -> dict[str, str]:
    """``{code: name}`` for a script that shows data codes (node kinds, relations); every term by default."""
    return {str(code): term(code) for code in (TERMS if codes is None else codes)}


def script_strings(script: str) -> dict[str, str]:
    """A script's messages in the request's language, for the page to hand over as JSON."""
    return {key: gettext(message) for key, message in SCRIPT_MESSAGES[script].items()}


def init_app(app: Flask) -> None:
    """Flask-Babel on ``app`` with the language chosen per request, and the switch's helpers."""
    Babel(app, locale_selector=current_language, default_translation_directories="translations")
    app.before_request(_check_lang_parameter)
    app.after_request(_keep_language)
    app.add_template_filter(term, "term")
    app.add_template_filter(say, "say")
    app.add_template_filter(name, "name")
    app.add_template_filter(country, "country")
    app.add_template_filter(day, "day")

    @app.context_processor
    def _language_helpers() -> dict:
        return {"current_language": current_language, "languages": _languages, "script_strings": script_strings,
                "term_names": term_names}
