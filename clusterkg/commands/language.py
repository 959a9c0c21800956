"""``--lang``: the language of the text an analysis verb prints for people.

``--lang ru`` prints the table's headers, the why-lines and notes, and the lines under the table
in Russian, from the web interface's catalogue (``webapp/translations``), so the command line
and the pages say the same things the same way. Without ``--lang`` the language comes from the
environment as gettext reads it (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``: ``ru_RU.UTF-8``
means Russian); a language not offered falls back to English.

What programs read does not change with the language: the JSON output (its keys, codes and
``why`` strings are the API) and the CSV's column names stay English; the CSV's why-lines and
notes are said in the language, as they are text for people.
"""

from __future__ import annotations

import gettext as gettext_module
import os
from functools import cached_property
from importlib.util import find_spec
from pathlib import Path

import click

__all__ = ["HEADERS", "LANGUAGES", "LANG_OPTION", "Language", "current_language", "environment_language"]

#: the languages offered, the first the default (as the web interface: ``clusterkg.webapp.i18n``)
LANGUAGES = ("en", "ru")
_META = "clusterkg.language"


def N_(message: str) -> str:
    """Marks a message for the catalogue; it is translated where it is printed."""
    return message


#: a result table's column -> its header for people (JSON and CSV keep the column's name)
HEADERS = {
    "rank": N_("rank"), "id": N_("id"), "label": N_("name"), "score": N_("score"), "why": N_("why"),
    "competency_id": N_("competency id"), "competency_label": N_("competency"), "lens": N_("lens"),
    "lenses": N_("lenses"), "target_score": N_("value chain"), "peers_score": N_("peers"),
    "demand_score": N_("declared needs"), "organisation_id": N_("organisation id"),
    "organisation_label": N_("organisation"), "type": N_("type"), "country": N_("country"),
    "countries": N_("countries"), "coverage": N_("coverage"), "covers": N_("covers"), "clusters": N_("clusters"),
    "in_cover": N_("in the covering set"), "evidence": N_("evidence"), "industries": N_("industries"),
    "complementarity": N_("complementarity"), "common_ground": N_("common ground"), "they_offer": N_("they offer"),
    "you_offer": N_("you offer"), "existing_partnerships": N_("existing partnerships"),
    "link_prediction": N_("link prediction"), "needs": N_("needs"), "related": N_("related"), "applied": N_("applied"),
    "competencies": N_("competencies"), "scheme": N_("scheme"), "level": N_("level"), "size": N_("size"),
    "partnerships": N_("partnerships"), "kind": N_("kind"), "round": N_("round"), "a": N_("participant A"),
    "b": N_("participant B"), "slot": N_("slot"), "start": N_("start"), "end": N_("end"), "table": N_("table"),
    "requested": N_("requested"), "seat": N_("seat"), "reason": N_("why"), "gain": N_("gain"),
}


def environment_language(environ: os._Environ | dict | None = None) -> str:
    """The language the environment asks for, as gettext reads it; English if it asks for none offered.

    >>> environment_language({"LANG": "ru_RU.UTF-8"}), environment_language({"LC_ALL": "C"}), environment_language({})
    ('ru', 'en', 'en')
    >>> environment_language({"LANGUAGE": "de:ru", "LANG": "en_GB.UTF-8"})
    'ru'
    """
    environ = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if not value:
            continue
        for item in value.split(":"):  # LANGUAGE is a list of preferences
            code = item.split(".")[0].split("_")[0].split("@")[0].lower()
            if code in LANGUAGES:
                return code
        if name != "LANGUAGE":  # the first locale variable set decides, as in gettext
            return LANGUAGES[0]
    return LANGUAGES[0]


class Language:
    """One language's messages (the web interface's catalogue) and numbers."""

    def __init__(self, code: str):
        if code not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {code!r}")
        self.code = code

    @cached_property
    def _translations(self) -> gettext_module.NullTranslations:
        if self.code == LANGUAGES[0]:
            return gettext_module.NullTranslations()
        from babel.support import Translations

        webapp = Path(find_spec("clusterkg.webapp").submodule_search_locations[0])  # without importing Flask
        return Translations.load(str(webapp / "translations"), [self.code])

    def gettext(self, message: str, **params) -> str:
        """``message`` in this language, ``%(name)s`` filled from ``params``."""
        text = self._translations.gettext(message)
        return text % params if params else text

    def pgettext(self, context: str, message: str) -> str:
        """``message`` in this language, as the catalogue words it in ``context`` (a word that means
        other things elsewhere)."""
        return self._translations.pgettext(context, message)

    def number(self, value) -> str:
        from babel.numbers import format_decimal

        return format_decimal(value, locale=self.code)

    def say(self, value) -> str:
        """A why-line or note (``clusterkg.graph.reasons``) in this language; other values as text."""
        from clusterkg.graph.reasons import render

        return render(value, self._translations.gettext, self.number, language=self.code)

    def frame(self, frame, headers: bool):
        """``frame`` with its why-lines and notes said in this language, and its headers too if ``headers``."""
        if self.code == LANGUAGES[0]:
            return frame
        from clusterkg.graph.reasons import Reason

        said = frame.copy()
        for column in said.columns:
            if said[column].map(lambda v: isinstance(v, Reason)).any():
                said[column] = said[column].map(lambda v: self.say(v) if isinstance(v, Reason) else v)
        if headers:
            said.columns = [self.gettext(HEADERS[c]) if c in HEADERS else c for c in said.columns]
        return said


def _remember(ctx: click.Context, _param, value: str | None) -> str | None:
    ctx.meta[_META] = Language(value or environment_language())
    return value


#: the ``--lang`` option (its value is kept on the context for :func:`current_language`)
LANG_OPTION = click.option(
    "--lang", type=click.Choice(LANGUAGES), default=None, expose_value=False, callback=_remember,
    help="Language of the text for people (table headers, why-lines, notes): en or ru. "
         "Default: from LANGUAGE/LC_ALL/LC_MESSAGES/LANG, else en. JSON and CSV column names stay English.",
)


def current_language() -> Language:
    """The language of the running command (``--lang`` or the environment); English outside a command."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if _META in ctx.meta:
            return ctx.meta[_META]
        ctx = ctx.parent
    return Language(LANGUAGES[0])
