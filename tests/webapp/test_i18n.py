"""The interface's catalogues: no template text left untranslated, every message translated into
Russian, the committed ``.mo`` compiled from the committed ``.po``, and the language chosen per
request (``?lang=``, cookie, ``Accept-Language``).

The template check lexes each template with Jinja's lexer: the text outside ``{% trans %}``
blocks, and the attributes people read (``title``, ``placeholder``, ``aria-label``, ``alt``,
``label``, a button input's ``value``), parsed with :mod:`html.parser`, must hold no letters
but the proper names of :data:`ALLOWED`; a string literal in a ``{{ }}``/``{% %}`` that reads
like prose (a capital letter, or two words) must be an argument of ``_()``/``gettext()``/``ngettext()``.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, render_template_string
from jinja2 import Environment

import clusterkg.webapp as webapp_package
from clusterkg.webapp import i18n

ROOT = Path(webapp_package.__file__).resolve().parent.parent
WEBAPP = ROOT / "webapp"
TEMPLATES = WEBAPP / "templates"
PO = WEBAPP / "translations" / "ru" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")

#: words that stay as they are in every language: names and formats
ALLOWED = ("clusterkg", "SPARQL", "JSON", "IRI")
#: attributes a person reads (on screen, as a tooltip, or from a screen reader)
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "label"}
GETTEXT = {"_", "gettext", "ngettext"}
HOLE = "\ue000"  # stands for a Jinja expression or tag: not a letter
_LETTER = re.compile(r"[^\W\d_]")
_ALLOWED = re.compile(r"\b(?:" + "|".join(ALLOWED) + r")\b")
_PROSE = re.compile(r"^[\"'](?:[A-Z][a-z]|.*[A-Za-z]\s+[A-Za-z])")


def _has_words(text: str) -> bool:
    return bool(_LETTER.search(_ALLOWED.sub("", text)))


class _Reader(HTMLParser):
    """Collects (line, text) of what a person reads and that has letters."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0  # inside <script> or <style>: not read

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        shown = dict(attrs)
        names = set(READ_ATTRIBUTES)
        if tag == "input" and shown.get("type") in ("submit", "button", "reset"):
            names.add("value")
        for name, value in attrs:
            if name in names and value and _has_words(value):
                self.found.append((self.getpos()[0], f'{name}="{" ".join(value.replace(HOLE, " ").split())}"'))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and _has_words(data):
            self.found.append((self.getpos()[0] + data[: len(data) - len(data.lstrip())].count("\n"),
                               " ".join(data.replace(HOLE, " ").split())))


def untranslated(source: str, name: str = "template") -> list[str]:
    """``"name:line: text"`` for every piece of interface text of ``source`` not put through the catalogue."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    html: list[str] = []
    problems: list[str] = []
    in_trans = False
    previous: list[tuple[str, str]] = []  # the last significant tokens (type, value)
    plural_next = False
    for line, kind, value in env.lexer.tokeniter(source, name):
        if kind == "data":
            html.append(HOLE + "\n" * value.count("\n") if in_trans else value)
            continue
        html.append(HOLE + "\n" * value.count("\n"))
        if kind in ("whitespace", "comment", "comment_begin", "comment_end"):
            continue
        if kind == "name" and previous and previous[-1][0] == "block_begin":
            if value == "trans":
                in_trans = True
            elif value == "endtrans":
                in_trans = False
        if kind == "string":
            translated = len(previous) >= 2 and previous[-1] == ("operator", "(") and previous[-2][0] == "name" \
                and previous[-2][1] in GETTEXT
            if plural_next and previous and previous[-1] == ("operator", ","):
                translated = True
            plural_next = translated and previous[-2][1] == "ngettext" if translated and len(previous) >= 2 else False
            if not translated and _PROSE.match(value):
                problems.append(f"{name}:{line}: string {value} not in _()")
        previous = (previous + [(kind, value)])[-2:]
    reader = _Reader()
    reader.feed("".join(html))
    reader.close()
    problems += [f"{name}:{line}: {text!r}" for line, text in reader.found]
    return problems


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def test_the_check_finds_untranslated_text_attributes_and_strings():
    source = ('<p>{{ _("Fine") }}</p>\n<p title="Hover me">ok {{ x }}</p>\n'
              '{% trans %}Also fine{% endtrans %}\n{{ m.empty("No cluster found.") }}\n'
              '<input type="submit" value="Go"><span>clusterkg · SPARQL</span>\n'
              '{{ ngettext("%(num)d cluster", "%(num)d clusters", n) }}{{ "selected" if s }}')
    found = untranslated(source, "t.html")
    assert found == ["t.html:4: string \"No cluster found.\" not in _()", "t.html:2: 'title=\"Hover me\"'",
                     "t.html:2: 'ok'", "t.html:5: 'value=\"Go\"'"]


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_text_is_left_untranslated(template: Path):
    assert untranslated(template.read_text(encoding="utf-8"), str(template.relative_to(TEMPLATES))) == []


def _extracted() -> dict:
    """The messages of the sources now, extracted as ``pybabel extract -F babel.cfg`` does."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    messages = {}
    for filename, line, message, _comments, _context in extract_from_dir(ROOT, method_map, options_map):
        messages.setdefault(message, f"{filename}:{line}")
    return messages


def test_every_message_has_a_russian_translation_and_the_catalogue_is_current():
    with open(PO, "rb") as handle:
        catalogue = read_po(handle, locale="ru")
    extracted = _extracted()
    assert extracted, "no message extracted: babel.cfg finds no source"
    in_catalogue = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in catalogue if m.id}
    missing = [f"{where}: {message!r}" for message, where in extracted.items() if message not in in_catalogue]
    assert missing == [], "not in messages.po (run pybabel extract and update, see README):\n" + "\n".join(missing)
    stale = [message for message in in_catalogue if message not in extracted]
    assert stale == [], "in messages.po but no longer in the sources (run pybabel update)"
    untranslated_ids = [m.id for m in in_catalogue.values()
                        if m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string))]
    assert untranslated_ids == []
    plural = [m for m in in_catalogue.values() if m.pluralizable]
    assert plural and all(len(m.string) == 3 for m in plural)  # Russian: one, few, many


def test_the_committed_mo_is_the_compiled_po():
    with open(PO, "rb") as handle:
        catalogue = read_po(handle, locale="ru")
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    assert MO.read_bytes() == compiled.getvalue(), "messages.mo is stale: run pybabel compile -d webapp/translations"


# -- the language of a request ---------------------------------------------------------------


@pytest.fixture()
def little_app() -> Flask:
    app = Flask(webapp_package.__name__)  # the package's root: its translations folder
    i18n.init_app(app)

    @app.route("/page")
    def page():
        return render_template_string(
            '<html lang="{{ current_language() }}">{{ _("Partner search") }} · {{ 1234567.891|decimalformat }} · '
            '{{ ngettext("%(num)d cluster", "%(num)d clusters", n) }} · {{ "sme"|term }}'
            '{% for l in languages() %} <a href="{{ l.url }}">{{ l.name }}</a>{% endfor %}', n=int(__import__("flask").request.args.get("n", 5)))

    return app


def test_accept_language_chooses_and_english_is_the_default(little_app: Flask):
    client = little_app.test_client()
    english = client.get("/page").get_data(as_text=True)
    assert '<html lang="en">' in english and "Partner search" in english and "1,234,567.891" in english
    russian = client.get("/page", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ru">' in russian and "Поиск партнёров" in russian and "МСП" in russian
    assert "1\xa0234\xa0567,891" in russian  # Russian groups with a no-break space, a decimal comma
    assert client.get("/page", headers={"Accept-Language": "de-DE"}).get_data(as_text=True).startswith('<html lang="en">')
    assert client.get("/page", headers={"Accept-Language": "ru-RU"}).get_data(as_text=True).startswith('<html lang="ru">')


def test_russian_plurals_take_three_forms(little_app: Flask):
    client = little_app.test_client()
    words = [client.get(f"/page?lang=ru&n={n}").get_data(as_text=True).split(" · ")[2] for n in (1, 3, 5, 11, 21, 22)]
    assert words == ["1 кластер", "3 кластера", "5 кластеров", "11 кластеров", "21 кластер", "22 кластера"]


def test_lang_in_the_url_wins_and_is_kept_in_a_cookie(little_app: Flask):
    client = little_app.test_client()
    response = client.get("/page?lang=ru&n=2", headers={"Accept-Language": "en"})
    assert '<html lang="ru">' in response.get_data(as_text=True)
    assert "lang=ru" in response.headers["Set-Cookie"] and "Accept-Language" in response.headers["Vary"]
    # the cookie keeps the language on the next page, over the browser's preference
    assert '<html lang="ru">' in client.get("/page", headers={"Accept-Language": "en"}).get_data(as_text=True)
    # the switch: links to this page, its parameters kept, in each language
    page = client.get("/page?n=2").get_data(as_text=True)
    assert '<a href="/page?n=2&amp;lang=en">English</a>' in page and '<a href="/page?n=2&amp;lang=ru">Русский</a>' in page
    back = client.get("/page?lang=en")
    assert '<html lang="en">' in back.get_data(as_text=True) and "lang=en" in back.headers["Set-Cookie"]


def test_an_unknown_language_is_a_clear_400(little_app: Flask):
    from clusterkg.webapp.errors import register_error_handlers

    register_error_handlers(little_app)
    response = little_app.test_client().get("/page?lang=xx")
    assert response.status_code == 400
    assert response.get_json()["error"] == "parameter 'lang' must be one of en, ru, not 'xx'"


def test_every_script_string_is_translated(little_app: Flask):
    with little_app.test_request_context("/?lang=ru"):
        for script, messages in i18n.SCRIPT_MESSAGES.items():
            strings = i18n.script_strings(script)
            assert strings.keys() == messages.keys()
            same = [key for key, text in strings.items() if text == messages[key] and _has_words(text.replace("%(", "").replace(")s", ""))]
            assert same == [], f"{script}: untranslated {same}"
            for key, text in strings.items():  # the script fills the same placeholders
                assert sorted(re.findall(r"%\((\w+)\)s", text)) == sorted(re.findall(r"%\((\w+)\)s", messages[key])), key
