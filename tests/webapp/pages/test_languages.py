"""Every page renders in English and in Russian over the default dataset, with no interface text
left in English on the Russian page, the language switch on it, and numbers in the page's locale."""

from __future__ import annotations

import csv
import html as html_module
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import clusterkg.webapp as webapp_package
from clusterkg.webapp.i18n import TERMS

PO = Path(webapp_package.__file__).resolve().parent / "translations" / "ru" / "LC_MESSAGES" / "messages.po"
SHEETS = Path(webapp_package.__file__).resolve().parent.parent / "data" / "sheets"

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
    (a property's label on the resource page) may read the same; so are words with a context
    (``msgctxt``: the CLI's "admin" of an account, where a page shows the agent "admin").
    """
    with open(PO, "rb") as handle:
        catalogue = read_po(handle, locale="ru")
    texts = set()
    for message in catalogue:
        if message.id and isinstance(message.id, str) and "%(" not in message.id and "<" not in message.id \
                and message.string != message.id and message.id not in TERMS.values() and message.context is None:
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
    _both_languages(app.test_client(use_cookies=False), path, status)  # the language from the header alone


def _both_languages(client, path: str, status: int) -> None:
    """``path`` in English and in Russian (from ``Accept-Language``): no English left on the Russian page."""
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


# -- the events pages and the editing pages: they need data written and a logged-in editor --------

TOKEN = "languages-admin-token"
EVENT = "languages-blitz"
EDITOR_PAGES = [
    ("/events", 200),
    (f"/events/{EVENT}", 200),
    (f"/events/{EVENT}/plan", 200),
    (f"/events/{EVENT}/agenda/cluster/silicon-saxony", 200),
    ("/events/languages-table", 200),
    ("/roundtable", 200),
    ("/roundtable?theme=semiconductor-devices&theme=integrated-circuits&size=6", 200),
    ("/project-group", 200),
    ("/project-group?theme=semiconductor-devices&size=4", 200),
    ("/account", 200),
    ("/clusters/silicon-saxony", 200),
    ("/clusters/silicon-saxony/edit", 200),
    ("/clusters/silicon-saxony/history", 200),
]


@pytest.fixture(scope="module")
def world(default_store_template, tmp_path_factory):
    """The default dataset with a blitz session (participants, a meeting request, an outcome), a round
    table and a working group written through the API, and an editor of Silicon Saxony who saved once."""
    import shutil

    from clusterkg.webapp import create_app
    from clusterkg.webapp.pages import register

    store = shutil.copytree(default_store_template, tmp_path_factory.mktemp("languages-events") / "store")
    application = create_app({"STORE": str(store), "ADMIN_TOKEN": TOKEN, "QUERY_WORKERS": 1, "TESTING": True})
    register(application)
    api = application.test_client(use_cookies=False)
    auth = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    writes = [
        ("/api/events", {"kind": "blitz_session", "id": EVENT, "name": "Languages blitz", "date": "2026-05-04",
                         "start_time": "10:00", "place": "Dresden", "organiser": "silicon-saxony", "slots": "3",
                         "tables": "2"}),
        (f"/api/events/{EVENT}/participants", {"participant": "cluster/silicon-saxony", "role": "presenter",
                                               "offers": "chips", "offers_competencies": "semiconductor-devices"}),
        (f"/api/events/{EVENT}/participants", {"participant": "cluster/medicon-valley", "role": "participant",
                                               "looks_for": "sensors", "available_slots": "1; 2"}),
        (f"/api/events/{EVENT}/participants", {"participant": "org/fraunhofer-ikts", "role": "participant"}),
        (f"/api/events/{EVENT}/requests", {"by": "cluster/medicon-valley", "with": "cluster/silicon-saxony",
                                           "note": "sensors"}),
        (f"/api/events/{EVENT}/outcomes", {"kind": "opportunity", "label": "Joint sensor line",
                                           "competencies": "semiconductor-devices"}),
        ("/api/events", {"kind": "round_table", "id": "languages-table", "name": "Languages table",
                         "date": "2026-06-01", "organiser": "silicon-saxony", "competencies": "semiconductor-devices"}),
        ("/api/working-groups", {"name": "Languages group", "organiser": "silicon-saxony",
                                 "competencies": "semiconductor-devices", "paid_membership": "true",
                                 "members": ["fraunhofer-ikts", "globalfoundries"]}),
    ]
    for url, form in writes:
        answer = api.post(url, data=form, headers=auth)
        assert answer.status_code == 200, (url, answer.get_json())
    editor = application.test_client()
    invitation = application.extensions["clusterkg_accounts"].invite("editor@example.org", clusters=["silicon-saxony"],
                                                                     name="Editor")
    page = editor.get(f"/account/invitation/{invitation}").get_data(as_text=True)
    password = "correct horse battery staple"
    answer = editor.post(f"/account/invitation/{invitation}",
                         data={"csrf_token": _csrf(page), "password": password, "repeat": password})
    assert answer.status_code == 302
    edit = editor.get("/clusters/silicon-saxony/edit").get_data(as_text=True)
    saved = editor.post("/clusters/silicon-saxony/edit/profile", data={
        "csrf_token": _csrf(edit), "clusters.name": "Silicon Saxony", "clusters.countries": "DE",
        "clusters.source_url": "https://example.org/silicon-saxony", "clusters.source_quote": "Silicon Saxony"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    yield application, editor
    application.extensions["clusterkg"].close()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("path,status", EDITOR_PAGES, ids=[p for p, _ in EDITOR_PAGES])
def test_the_events_and_editing_pages_render_in_both_languages(world, path, status):
    """As a logged-in editor of Silicon Saxony (the edit link on the cluster's page, the account, the
    history with the editor's save in it)."""
    _both_languages(world[1], path, status)


def test_the_login_and_invitation_pages_render_in_both_languages(world):
    application, _ = world
    _both_languages(application.test_client(use_cookies=False), "/account/login", 200)
    token = application.extensions["clusterkg_accounts"].invite("new@example.org", clusters=["silicon-saxony"])
    _both_languages(application.test_client(use_cookies=False), f"/account/invitation/{token}", 200)
    _both_languages(application.test_client(use_cookies=False), "/account/invitation/no-such-token", 404)


def test_the_event_page_in_russian_names_the_codes_and_counts(world):
    html = world[1].get(f"/events/{EVENT}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "блиц-сессия" in html and "докладчик" in html and "возможность" in html
    assert "3 слота по 20 мин" in html and "2 стола" in html
    assert "Medicon Valley" in html and "просит о встрече с" in html
    config = json.loads(re.search(r'<script type="application/json" id="events-config">(.*?)</script>', html, re.S).group(1))
    assert config["strings"]["refused"] == "сервер отклонил изменение"  # the script's own message


def test_an_agenda_in_russian_names_its_items(world):
    html = world[1].get(f"/events/{EVENT}/agenda/cluster/medicon-valley", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Встреча с Silicon Saxony" in html and "Презентации" in html
    english = world[1].get(f"/events/{EVENT}/agenda/cluster/medicon-valley", headers={"Accept-Language": "en"})
    assert "Meeting with Silicon Saxony" in english.get_data(as_text=True)


# -- the analyses' why-lines and notes --------------------------------------------------------------


def _cells(html: str, css: str) -> list[str]:
    return [" ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(rf'<td class="{css}">(.*?)</td>', html, re.S)]


def test_partner_why_lines_in_both_languages(client):
    """The why-lines are said from their templates: Russian on the Russian page, English on the
    English one and in the JSON twin (the API), the same facts in both; the pages name a country,
    the JSON gives its code."""
    path = "/partner-search?cluster=silicon-saxony"
    english = _cells(client.get(path + "&lang=en").get_data(as_text=True), "small why")
    russian = _cells(client.get(path + "&lang=ru").get_data(as_text=True), "small why")
    data = client.get("/partner-search.json?cluster=silicon-saxony&lang=ru").get_json()
    assert len(english) == len(russian) == len(data["partners"]) > 3
    with open(SHEETS / "countries.csv", newline="", encoding="utf-8") as handle:
        names = {row["code"]: row["name"] for row in csv.DictReader(handle)}
    named = [re.sub(r"\(([A-Z]{2})(\)|, domestic\))", lambda m: f"({names[m[1]]}{m[2]}", p["why"]) for p in data["partners"]]
    assert named == english and named != [p["why"] for p in data["partners"]]
    assert any("(DE, domestic)" in p["why"] for p in data["partners"]) and "(Германия, своя страна)" in " ".join(russian)
    for en, ru in zip(english, russian):
        assert en.startswith("covers ") and ru.startswith("покрывает: ")
        for word in ("covers", "via ", "already partners", "shares", "worked with", "outside any cluster",
                     "stated by its source", "inferred from", "domestic", "H2020 project"):
            assert word not in ru, (word, ru)
        for said, in_russian in (("worked with", "работала с вашими участниками"), ("already partners via", "уже сотрудничает"),
                                 ("member(s) with this cluster", "общих участников с этим кластером"),
                                 ("inferred from its cluster's specialisation", "выведено из специализации её кластера")):
            assert (said in en) == (in_russian in ru), (said, en, ru)
    assert any("общих участников" in ru for ru in russian) and any("выведено из" in ru for ru in russian)


def test_gap_why_lines_and_recommendations_in_russian(client):
    html = client.get("/partner-search?cluster=silicon-saxony&lang=ru").get_data(as_text=True)
    gaps = [cell for cell in _cells(html, "small") if cell.startswith(("цепочка создания стоимости:", "сравнение с аналогами:",
                                                                      "потребности:"))]
    assert gaps and not any(word in cell for cell in gaps for word in ("peer clusters", "have it", "needed by", "required by"))
    # a figure with fixed decimals (the peers' weighted share) is written with the decimal comma
    assert any(re.search(r"доля 0,\d\d\)", cell) for cell in gaps) and not any(re.search(r"\d\.\d", cell) for cell in gaps)
    page = client.get("/clusters/silicon-saxony/recommendations?lang=ru").get_data(as_text=True)
    lines = _cells(page, "small")
    assert lines and all(re.search("[а-я]", line) for line in lines)
    assert not any(word in line for line in lines for word in ("which you lack", "both in", "same country", "shared partner"))


# -- names in the chosen language -----------------------------------------------------------------

MOSCOW = "/clusters/moscow-innovation-cluster"


def test_a_cluster_named_in_russian_shows_that_name_under_ru_and_english_under_en(client):
    russian = client.get(MOSCOW + "?lang=ru").get_data(as_text=True)
    english = client.get(MOSCOW + "?lang=en").get_data(as_text=True)
    assert "<h1>Московский инновационный кластер</h1>" in russian
    assert '<p class="muted" lang="en">Moscow Innovation Cluster</p>' in russian  # the English name beside it
    assert "<h1>Moscow Innovation Cluster</h1>" in english and "<h1>Московский" not in english
    listing = client.get("/clusters?country=RU&lang=ru").get_data(as_text=True)
    assert ">Московский инновационный кластер</a>" in listing and ">Moscow Innovation Cluster</a>" not in listing
    # the JSON twin keeps the data's (English) label: it is the API
    assert client.get(MOSCOW + ".json?lang=ru").get_json()["cluster"]["label"] == "Moscow Innovation Cluster"


def test_an_organisation_named_in_russian_in_the_partner_search(client):
    """Aviakor's source names it «Авиакор-авиационный завод»: the Russian page links it by that name."""
    html = client.get("/organisations/aviakor?lang=ru").get_data(as_text=True)
    assert "<h1>Авиакор-авиационный завод</h1>" in html
    assert "<h1>Aviakor</h1>" in client.get("/organisations/aviakor?lang=en").get_data(as_text=True)


@pytest.mark.parametrize("text,found", [("Московский инновационный кластер", "moscow-innovation-cluster"),
                                        ("московский инновационный", "moscow-innovation-cluster"),
                                        ("Moskovskii innovatsionnyi", "moscow-innovation-cluster"),
                                        ("Сигнатек", "signatek"), ("Авиакор", "aviakor")])
def test_search_finds_a_name_in_russian_whatever_the_page_language(client, text, found):
    for lang in ("en", "ru"):
        results = client.get("/index.json", query_string={"q": text, "lang": lang}).get_json()["results"]
        ids = [r["id"] for kind in results.values() for r in kind]
        assert found in ids[:3], (text, lang, ids[:5])


# -- error messages in the chosen language --------------------------------------------------------


def test_an_error_keeps_its_english_text_and_code_and_says_its_message_in_the_language(client):
    english = client.get("/clusters/no-such-cluster.json", headers={"Accept-Language": "en"})
    russian = client.get("/clusters/no-such-cluster.json", headers={"Accept-Language": "ru"})
    assert english.status_code == russian.status_code == 404
    en, ru = english.get_json(), russian.get_json()
    assert en["error"] == ru["error"] and en["error"].startswith("unknown cluster 'no-such-cluster'")
    assert en["code"] == ru["code"] == "not_found"
    assert en["message"] == en["error"]
    assert ru["message"].startswith("не найдено: кластер 'no-such-cluster'") and "unknown" not in ru["message"]
    page = client.get("/clusters/no-such-cluster?lang=ru").get_data(as_text=True)
    assert "не найдено: кластер" in page and "unknown cluster" not in page


def test_an_ambiguous_name_and_a_bad_parameter_in_russian(client):
    answer = client.get("/partner-search.json?cluster=valley&lang=ru").get_json()
    assert answer["code"] == "ambiguous_name" and "is ambiguous; it matches:" in answer["error"]
    assert "название 'valley' неоднозначно, подходят:" in answer["message"]
    bad = client.get("/clusters.json?lang=xx", headers={"Accept-Language": "ru"}).get_json()
    assert bad["code"] == "invalid_input" and bad["error"] == "parameter 'lang' must be one of en, ru, not 'xx'"
    assert bad["message"] == "параметр 'lang' должен быть одним из: en, ru, а не 'xx'"


def test_an_http_error_of_the_server_in_russian(client):
    answer = client.get("/no-such-page.json", headers={"Accept-Language": "ru", "Accept": "application/json"})
    body = answer.get_json()
    assert answer.status_code == 404 and body["code"] == "not_found"
    assert body["message"] == "Здесь ничего нет: этот адрес не страница и не ресурс этого сервера."
    assert body["error"] == "Nothing is here: the address is not a page or resource of this server."


def test_dates_are_written_the_locale_way(world):
    """The blitz session of 2026-05-04: "May 4, 2026" in English, "4 мая 2026 г." in Russian; the
    events table still sorts by the ISO date."""
    editor = world[1]
    english = editor.get(f"/events/{EVENT}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    russian = editor.get(f"/events/{EVENT}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "May 4, 2026" in english and "4 мая 2026\u202fг." in russian
    listing = editor.get("/events", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert '<td data-value="2026-05-04">4 мая 2026\u202fг.</td>' in listing
    history = editor.get("/clusters/silicon-saxony/history", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert re.search(r'<td data-value="\d{4}-\d\d-\d\dT[^"]+">\d{1,2} [а-я]+\.? \d{4}\s*г\., \d\d:\d\d:\d\d</td>', history)


def test_a_competency_is_named_by_its_preferred_russian_term_under_ru(client):
    """A competency's ``label_ru`` (``skos:prefLabel "…"@ru``) names it on Russian pages, not one of
    its other Russian terms (``alt_labels_ru``); English pages keep the English name."""
    # (the other term, "связь", would come first in an alphabetical pick)
    russian = client.get("/competencies/telecommunications?lang=ru").get_data(as_text=True)
    english = client.get("/competencies/telecommunications?lang=en").get_data(as_text=True)
    assert "<h1>телекоммуникации</h1>" in russian, re.findall(r"<h1>.*?</h1>", russian)
    assert "<h1>Telecommunications</h1>" in english


def test_a_competency_without_a_russian_term_falls_back_to_english_under_ru(client):
    """A competency the taxonomy names in no Russian term keeps its English name on Russian pages
    (its German and French names are not shown instead)."""
    russian = client.get("/competencies/energy-autarkic-sensors?lang=ru").get_data(as_text=True)
    assert "<h1>Energy-autarkic sensors</h1>" in russian, re.findall(r"<h1>.*?</h1>", russian)


def test_the_partner_search_names_the_cluster_and_its_gaps_in_russian(client):
    """A Russian-speaking manager of a cluster named in Russian sees its Russian name and the gap
    competencies' Russian names (``label_ru``) on the partner search; English pages keep English."""
    url = "/partner-search?cluster=samara-aerospace-cluster&pick=1"
    russian = client.get(url + "&lang=ru").get_data(as_text=True)
    assert "Пробелы кластера «Авиационно-космический кластер Самарской области» для поиска" in russian
    assert '<label for="gap-1">спутники</label>' in russian
    english = client.get(url + "&lang=en").get_data(as_text=True)
    assert "Gaps of Samara aerospace cluster to search for" in english and '<label for="gap-1">Satellites &amp; satellite systems</label>' in english
    found = client.get("/partner-search?searched=1&cluster=samara-aerospace-cluster&gap=satellites&lang=ru").get_data(as_text=True)
    assert "<h2>Партнёры для кластера Авиационно-космический кластер Самарской области</h2>" in found
    assert ">спутники</a>" in found  # the searched competencies, linked


def test_why_lines_name_the_data_in_the_page_language(client):
    """A why-line's names (competencies, clusters) are said in Russian where the data names them in
    Russian — not English names inside a Russian sentence; the English page and the JSON keep English."""
    url = "/partner-search?searched=1&cluster=samara-aerospace-cluster&gap=satellites"
    russian = _cells(client.get(url + "&lang=ru").get_data(as_text=True), "small why")
    english = _cells(client.get(url + "&lang=en").get_data(as_text=True), "small why")
    assert russian and len(russian) == len(english)
    assert all(line.startswith("покрывает: спутники") for line in russian), russian[:3]
    assert not any("Satellites & satellite systems" in line for line in russian)
    assert all(line.startswith("covers Satellites & satellite systems") for line in english), english[:3]
    data = client.get("/partner-search.json?cluster=samara-aerospace-cluster&gap=satellites&lang=ru").get_json()
    assert all(p["why"].startswith("covers Satellites & satellite systems") for p in data["partners"])


# -- countries and regions in the chosen language -------------------------------------------------


def test_a_cluster_page_names_its_countries_and_regions_in_russian(client):
    """Countries and regions have their iso-codes Russian names (``name_ru``): the Russian page shows
    them, a region iso-codes does not translate stays English, the English page stays English."""
    russian = client.get("/clusters/aerospace-valley?lang=ru").get_data(as_text=True)
    assert ">Франция</a>" in russian and ">Окситания</a>" in russian and ">Новая Аквитания</a>" in russian
    english = client.get("/clusters/aerospace-valley?lang=en").get_data(as_text=True)
    assert ">France</a>" in english and ">Occitanie</a>" in english and "Франция" not in english
    # Provence-Alpes-Côte d'Azur has no Russian name in iso-codes: its English name is shown
    assert ">Provence-Alpes-Côte d&#39;Azur</a>" in client.get("/clusters/pole-mer-mediterranee?lang=ru").get_data(as_text=True)


def test_lists_and_filters_name_countries_in_russian(client):
    listing = client.get("/clusters?country=FR&lang=ru").get_data(as_text=True)
    assert '<option value="FR" selected>Франция (' in listing
    assert '<option value="FR" selected>France (' in client.get("/clusters?country=FR&lang=en").get_data(as_text=True)
    search = client.get("/partner-search?cluster=samara-aerospace-cluster&pick=1&lang=ru").get_data(as_text=True)
    assert '<option value="DE" >Германия</option>' in search or '<option value="DE">Германия</option>' in search, \
        re.findall(r'<option value="DE"[^>]*>[^<]*<', search)
    assert ">Германия</dd>" in client.get("/organisations/atmel-dresden?lang=ru").get_data(as_text=True)
    assert "<dd>Germany</dd>" in client.get("/organisations/atmel-dresden?lang=en").get_data(as_text=True)


def test_the_cluster_list_reads_in_the_order_of_the_page_language(client):
    """Sorted by name as the page names the clusters, collated (Latin before Cyrillic, ё with е),
    ascending and descending; the JSON twin keeps its English order."""
    from clusterkg.webapp.i18n import collated

    def names(html: str) -> list[str]:
        table = html.split('id="clusters"', 1)[1]
        return [html_module.unescape(n) for n in re.findall(r'<tr><td><a href="[^"]+">([^<]+)</a>', table)]

    russian = names(client.get("/clusters?lang=ru&sort=label").get_data(as_text=True))
    english = names(client.get("/clusters?lang=en&sort=label").get_data(as_text=True))
    assert len(russian) == len(english) > 100 and russian != english
    assert russian == collated(russian) and english == collated(english)
    assert any(re.search("[а-яё]", n, re.I) for n in russian[-10:])  # the Russian names after the Latin ones
    assert names(client.get("/clusters?lang=ru&sort=label&order=desc").get_data(as_text=True)) == russian[::-1]
    json_en = [c["label"] for c in client.get("/clusters.json?lang=en").get_json()["clusters"]]
    assert [c["label"] for c in client.get("/clusters.json?lang=ru").get_json()["clusters"]] == json_en
    options = re.findall(r'<option value="([A-Z]{2})"[^>]*>([^(<]+) \(', client.get("/clusters?lang=ru").get_data(as_text=True))
    assert len(options) > 20 and [n.strip() for _, n in options] == collated([n.strip() for _, n in options])
    search = client.get("/partner-search?cluster=samara-aerospace-cluster&lang=ru").get_data(as_text=True)
    options = re.findall(r'<option value="([A-Z]{2})"[^>]*>([^<]+)</option>', search.split('name="country"', 1)[1].split("</select>", 1)[0])
    names = [n for _, n in options]
    assert len(options) > 10 and names == collated(names) and [c for c, _ in options] != sorted(c for c, _ in options)


def test_collation_puts_yo_with_ye():
    from clusterkg.webapp.i18n import collated

    # (in code point order Ё, U+0401, would come before А, U+0410: ё is е with a mark)
    assert collated(["Яхрома", "Жуково", "Ёлкино", "Егорьевск", "Елань", "Abakan", "абакан"]) == \
        ["Abakan", "абакан", "Егорьевск", "Елань", "Ёлкино", "Жуково", "Яхрома"]
