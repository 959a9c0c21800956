"""Every page renders in English and in Russian over the default dataset, with no interface text
left in English on the Russian page, the language switch on it, and numbers in the page's locale."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import clusterkg.webapp as webapp_package
from clusterkg.webapp.i18n import TERMS

PO = Path(webapp_package.__file__).resolve().parent / "translations" / "ru" / "LC_MESSAGES" / "messages.po"

#: (path, expected status): each page family, empty and filled, and an error page
PAGES = [
    ("/", 200),
    ("/?q=Технополис", 200),
    ("/?q=zzzz-nothing", 200),
    ("/clusters", 200),
    ("/clusters?country=RU", 200),
    ("/clusters/silicon-saxony", 200),
    ("/clusters/silicon-saxony/recommendations", 200),
    ("/clusters/silicon-saxony/applications", 200),
    ("/organisations/fraunhofer-ikts", 200),
    ("/competencies/semiconductor-devices", 200),
    ("/resource?iri=https://w3id.org/clusterkg/id/country/DE", 200),
    ("/partner-search", 200),
    ("/partner-search?cluster=silicon-saxony", 200),
    ("/partner-search?cluster=silicon-saxony&searched=1", 200),
    ("/market-check", 200),
    ("/market-check?development=thrombodynamics-4d-prototype", 200),
    ("/communities", 200),
    ("/blitz", 200),
    ("/blitz?participant=silicon-saxony&participant=medicon-valley&participant=technopolis-moscow", 200),
    ("/clusters/no-such-cluster", 404),
    ("/explore?view=partnerships", 200),
    ("/explore?view=ego&cluster=silicon-saxony", 200),
    ("/explore?view=competencies", 200),
    ("/explore/query", 200),
    ("/sparql", 200),
]


def _english_messages() -> set[str]:
    """English interface texts whose Russian differs (a text node equal to one is untranslated).

    The names of data codes (``i18n.TERMS``: "country", "cluster") are left out: the data itself
    (a property's label on the resource page) may read the same.
    """
    with open(PO, "rb") as handle:
        catalogue = read_po(handle, locale="ru")
    texts = set()
    for message in catalogue:
        if message.id and isinstance(message.id, str) and "%(" not in message.id and "<" not in message.id \
                and message.string != message.id and message.id not in TERMS.values():
            texts.add(message.id)
    return texts


ENGLISH = _english_messages()


class _Texts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.attributes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")
        self.attributes += [v.strip() for k, v in attrs if k in ("title", "placeholder", "aria-label", "label") and v]

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def _read(html: str) -> _Texts:
    parser = _Texts()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture()
def client(app):
    """A client of its own per test: a language cookie one test sets does not reach another."""
    return app.test_client()


@pytest.mark.parametrize("path,status", PAGES, ids=[p for p, _ in PAGES])
def test_each_page_renders_in_both_languages(app, path, status):
    client = app.test_client(use_cookies=False)  # the language from the header alone
    english = client.get(path, headers={"Accept-Language": "en", "Accept": "text/html"})
    russian = client.get(path, headers={"Accept-Language": "ru,en;q=0.5", "Accept": "text/html"})
    assert english.status_code == russian.status_code == status
    english_html, russian_html = english.get_data(as_text=True), russian.get_data(as_text=True)
    assert '<html lang="en">' in english_html and '<html lang="ru">' in russian_html
    seen = _read(russian_html)
    left = sorted({text for text in seen.texts + seen.attributes if text in ENGLISH})
    assert left == [], f"English left on the Russian page {path}: {left}"
    title = re.search(r"<title>(.*?)</title>", russian_html, re.S).group(1)
    assert re.search("[а-яА-Я]", title) or "clusterkg" in title
    assert "Поиск партнёров" in russian_html and "Partner search" in english_html  # the menu
    # the switch keeps the page and its parameters
    assert 'hreflang="en"' in russian_html and 'hreflang="ru"' in russian_html


def test_numbers_follow_the_locale(client):
    english = client.get("/?lang=en").get_data(as_text=True)
    russian = client.get("/?lang=ru").get_data(as_text=True)
    triples = max(int(n) for n in re.findall(r'<td class="num" data-value="(\d+)">', english))
    assert triples >= 1000
    assert f"{triples:,}" in english
    assert f"{triples:,}".replace(",", "\xa0") in russian  # grouped with a no-break space
    score = client.get("/clusters/silicon-saxony?lang=ru").get_data(as_text=True)
    assert re.search(r'data-value="0\.\d+">0,\d{3}<', score), "a Russian score has a decimal comma"


def test_the_search_in_russian(client):
    html = client.get("/?q=Технополис&lang=ru").get_data(as_text=True)
    assert "по запросу «Технополис»" in html and "Technopolis Moscow" in html
    assert re.search(r"\d+ результат(а|ов)? по запросу", html)


def test_json_twins_do_not_change_with_the_language(client):
    """The JSON keys and codes are the API: the same whatever the language asked."""
    english = client.get("/clusters/silicon-saxony.json?lang=en").get_json()
    russian = client.get("/clusters/silicon-saxony.json", headers={"Accept-Language": "ru"}).get_json()
    assert english == russian


def test_partner_search_empty_state_in_russian(client):
    html = client.get("/partner-search?lang=ru").get_data(as_text=True)
    assert "выберите кластер, чтобы увидеть его пробелы" in html
    html = client.get("/partner-search?cluster=silicon-saxony&searched=1&lang=ru").get_data(as_text=True)
    assert "пробелы не отмечены" in html
    assert 'name="lang" value="ru"' in html  # the form keeps the language of its URL


def test_the_drawings_speak_the_page_language(client):
    import json

    html = client.get("/clusters/silicon-saxony?lang=ru").get_data(as_text=True)
    graph = json.loads(re.search(r'<script type="application/json" id="graph-data-cluster">(.*?)</script>', html, re.S).group(1))
    assert graph["kindNames"]["cluster"] == "кластер" and graph["kindNames"]["organisation"] == "организация"
    organisations = [n for n in graph["nodes"] if n["kind"] == "organisation"]
    assert organisations and all(list(n["detail"]) == ["связь"] for n in organisations)
    assert {e["label"] for e in graph["edges"] if e["relation"] == "members"} <= {"Учредители", "Члены правления", "Участники",
                                                                                   "Резиденты", "Партнёры по проектам",
                                                                                   "Расположены в регионе кластера"}
    assert 'aria-label="рисунок графа: ' in html and "щёлкните узел" in html


@pytest.mark.parametrize("path,russian,english", [
    ("/explore?view=ego&cluster=silicon-saxony", "Эго-сеть кластера Silicon Saxony", "Ego network of Silicon Saxony"),
    ("/explore?view=partnerships", "Межкластерные партнёрства", "Cross-cluster partnerships"),
    ("/explore/query", "Запрос в виде графа", "Query as a graph"),
])
def test_the_explorer_title_in_both_languages(client, path, russian, english):
    for lang, title in (("ru", russian), ("en", english)):
        html = client.get(path, headers={"Accept-Language": lang}).get_data(as_text=True)
        assert f'<h1 id="explorer-title">{title}</h1>' in html
