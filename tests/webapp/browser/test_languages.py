"""The interface's language in a real browser: Russian from Accept-Language, the switch to English
and back (kept by the cookie on pages opened without ``?lang=``), and the partner search end to
end in Russian."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

RUSSIAN = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}


def _lang(page) -> str:
    return page.locator("html").get_attribute("lang")


def test_russian_from_the_browser_then_english_and_back(page, live_server):
    page.set_extra_http_headers(RUSSIAN)
    page.goto(live_server + "/")
    assert _lang(page) == "ru"
    assert page.get_by_role("heading", name="С чего начать").is_visible()
    assert page.get_by_placeholder("например, полупроводники, Medicon, Fraunhofer").is_visible()
    switch = page.get_by_role("navigation", name="Язык")
    assert switch.get_by_role("link", name="Русский").get_attribute("aria-current") == "true"

    switch.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"\?lang=en$"))
    assert _lang(page) == "en" and page.get_by_role("heading", name="Start here").is_visible()
    # the cookie keeps English on a page opened without ?lang=, though the browser prefers Russian
    page.get_by_role("link", name="Clusters", exact=True).first.click()
    page.wait_for_url(live_server + "/clusters")
    assert _lang(page) == "en" and page.get_by_role("heading", level=1).text_content() == "Clusters"

    page.get_by_role("navigation", name="Language").get_by_role("link", name="Русский").click()
    page.wait_for_url(live_server + "/clusters?lang=ru")
    assert _lang(page) == "ru" and page.get_by_role("heading", level=1).text_content() == "Кластеры"
    assert page.get_by_role("button", name="Отфильтровать").is_visible()


def test_partner_search_end_to_end_in_russian(page, live_server):
    page.set_extra_http_headers(RUSSIAN)
    page.goto(live_server + "/")
    page.get_by_role("navigation", name="Сайт").get_by_role("link", name="Поиск партнёров").click()
    page.wait_for_url(live_server + "/partner-search")
    assert page.get_by_role("heading", level=1).text_content() == "Поиск партнёров"
    assert page.get_by_role("status").first.text_content() == "выберите кластер, чтобы увидеть его пробелы"

    page.get_by_label("Кластер", exact=True).select_option("silicon-saxony")
    page.get_by_role("button", name="Показать его пробелы").click()
    page.wait_for_selector("#gaps tbody tr")
    legend = page.locator("fieldset.gaps legend").text_content()
    assert legend == "2. Пробелы кластера «Silicon Saxony» для поиска"
    page.get_by_role("button", name="снять все").click()
    boxes = page.locator("#gaps input[name=gap]")
    assert boxes.count() >= 2
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="Искать партнёров").click()
    page.wait_for_selector("#partners tbody tr")

    assert _lang(page) == "ru"
    assert page.get_by_role("heading", name="Партнёры для кластера Silicon Saxony").is_visible()
    assert page.locator("#results").get_by_text(re.compile(r"^Ищем 2 компетенции: ")).is_visible()
    assert page.get_by_role("heading", name="Наименьший покрывающий набор").is_visible()
    headers = page.locator("#partners thead th").all_text_contents()
    assert headers == ["Место", "Организация", "Тип", "Страна", "Оценка", "Покрытие", "Почему"]
    # why each partner: said from its templates in Russian, the names from the data as they are
    whys = page.locator("#partners tbody td.why").all_inner_texts()
    assert whys and all(w.startswith("покрывает: ") for w in whys), whys
    assert not [w for w in whys if re.search(r"\b(covers|via|already partners|shares|worked with|domestic)\b", w)], whys
    gap_whys = page.locator("#gaps tbody td.small").all_inner_texts()
    assert gap_whys and not [w for w in gap_whys if re.search(r"peer clusters|have it|needed by|required by", w)], gap_whys
    scores = page.locator("#partners tbody td.num:nth-child(5)").all_text_contents()
    assert scores and all(re.fullmatch(r"\d,\d{3}", s) for s in scores), scores  # a decimal comma
    # sorting still reads the numbers, not the localised text
    page.locator("#partners").get_by_role("button", name="Оценка").click()
    page.locator("#partners").get_by_role("button", name="Оценка").click()
    shown = [float(v) for v in page.locator("#partners tbody td.num:nth-child(5)").evaluate_all(
        "cells => cells.map(c => c.dataset.value)")]
    assert shown == sorted(shown, reverse=True)
    # the shared link of this result opens it in Russian, and keeps the ticked gaps
    query = parse_qs(urlsplit(page.url).query)
    assert len(query["gap"]) == 2 and query["cluster"] == ["silicon-saxony"]
    with page.expect_navigation():  # the Russian page has partner rows too: wait for the English one
        page.get_by_role("link", name="English").click()
    assert _lang(page) == "en" and page.get_by_role("heading", name="Partners for Silicon Saxony").is_visible()
    assert parse_qs(urlsplit(page.url).query)["gap"] == query["gap"]


def test_a_name_in_russian_is_found_and_shown(page, live_server):
    """Searching the Russian name of a cluster whose source names it in Russian finds it; its page
    is headed with that name, the English one beside it; in English, the English name."""
    page.set_extra_http_headers(RUSSIAN)
    page.goto(live_server + "/")
    page.get_by_placeholder("например, полупроводники, Medicon, Fraunhofer").fill("Московский инновационный")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Московский инновационный кластер").first.click()
    page.wait_for_url(re.compile(r"/clusters/moscow-innovation-cluster"))
    assert page.get_by_role("heading", level=1).text_content() == "Московский инновационный кластер"
    assert page.locator("h1 + p.muted").text_content() == "Moscow Innovation Cluster"
    page.get_by_role("navigation", name="Язык").get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"lang=en"))
    assert page.get_by_role("heading", level=1).text_content() == "Moscow Innovation Cluster"


def test_the_explorer_in_russian(page, live_server):
    page.set_extra_http_headers(RUSSIAN)
    page.goto(live_server + "/explore?view=ego&cluster=silicon-saxony&limit=5")
    page.wait_for_function("window.__explorerDrawnAt !== undefined", timeout=30_000)
    page.evaluate("window.__explorer.ready")
    assert page.locator("h1").inner_text() == "Эго-сеть кластера Silicon Saxony"
    status = page.locator("#explorer-status")
    assert re.match(r"показано узлов: \d+ из \d+, рёбер: \d+ · ", status.inner_text()), status.inner_text()
    assert page.locator("#node-table thead th").all_inner_texts() == ["Вид", "Название", "Страна", "Степень"]
    kinds = set(page.locator("#node-table tbody tr td:first-child").all_inner_texts())
    assert kinds and kinds <= {"кластер", "организация", "компетенция", "отрасль", "страна", "группа", "ресурс"}
    # a cut relation offers its remaining nodes in Russian, and expanding it reports in Russian
    more = page.get_by_role("button", name=re.compile(r"^ещё \d+: участники$"))
    more.click()
    page.wait_for_function("document.getElementById('explorer-status').textContent.startsWith('Добавлено узлов')")
    page.evaluate("window.__explorer.select('cluster:silicon-saxony', true)")
    assert page.locator("#details-kind").inner_text().startswith("кластер · ")
    assert page.locator("#details-counts").inner_text() == "Раскрыть соседей…"
