"""The errors of editing, accounts and the SPARQL protocol say themselves in the request's language.

On a real server: an editor editing another cluster, a wrong token, a bad invitation, a short
password, too many failed logins, bad ``/sparql`` requests and uploads without a file, all asked
for in Russian. The JSON ``message`` (and the page a person sees) is Russian; the JSON ``error``
stays the English text programs read.
"""

from __future__ import annotations

import html
import json
import re

from tests.webapp.editing.conftest import Client, multipart

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
RU = {"Accept-Language": "ru"}
JSON = {"Content-Type": "application/json"}


def _refused(reply, status: int, english: str, russian: str) -> None:
    """A JSON refusal: the status, ``error`` exactly the English text, ``message`` the Russian one."""
    body = reply.json()
    assert reply.status == status, reply.text
    assert (body["error"], body["message"]) == (english, russian)


def _page_says(reply, status: int, russian: str) -> None:
    assert reply.status == status, reply.text
    assert russian in html.unescape(reply.text), reply.text


def test_editing_api_errors_are_russian_with_english_error(editing_server):
    server = editing_server()
    editor = server.editor("anna@example.org", clusters=["silicon-saxony"])
    bearer = {"Authorization": f"Bearer {server.api_token(editor)}"}
    api = Client(server.base)
    _refused(api.post("/api/clusters/medicon-valley/profile", json.dumps({"row": {}}).encode(),
                      headers={**bearer, **JSON, **RU}),
             403, "anna may not change the cluster 'medicon-valley'", "anna не может изменять кластер 'medicon-valley'")
    _refused(api.post("/api/clusters/silicon-saxony/profile", b"[1]", headers={**bearer, **JSON, **RU}),
             400, "send a JSON object (Content-Type: application/json)",
             "отправьте объект JSON (Content-Type: application/json)")
    _refused(api.post("/api/clusters/silicon-saxony/rows", json.dumps({"sheets": {"needs": [{}]}, "dry_run": "maybe"}).encode(),
                      headers={**bearer, **JSON, **RU}),
             400, "dry_run must be true or false, not 'maybe'", "dry_run должен быть true или false, а не 'maybe'")
    body, kind = multipart({"dry_run": "true"}, [])
    _refused(api.post("/api/clusters/silicon-saxony/upload", body, headers={**bearer, "Content-Type": kind, **RU}),
             400, "send the sheets as multipart/form-data, field 'files', each with its file name",
             "отправьте таблицы как multipart/form-data, поле 'files', каждую с именем файла")
    _refused(api.post("/api/clusters/silicon-saxony/rows", json.dumps({"sheets": {"plans": [{"a": "b"}]}}).encode(),
                      headers={**bearer, **JSON, **RU}),
             400, "unknown sheet 'plans'; expected one of " + ", ".join(_sheets()),
             "неизвестная таблица 'plans'; ожидается одна из: " + ", ".join(_sheets()))
    # a located problem the editing layer finds (rights, row by row): the summary and the page in Russian
    foreign = api.post("/api/clusters/silicon-saxony/rows", json.dumps({"sheets": {"needs": [
        {"cluster": "medicon-valley", "competency": "chip-design", "source_url": "https://example.org/x"}]}}).encode(),
        headers={**bearer, **JSON, **RU})
    _refused(foreign, 403, "1 problem(s) found; nothing was written", "найдено проблем: 1; ничего не записано")
    assert foreign.json()["code"] == "http_403"
    problem = foreign.json()["problems"][0]  # its English error for programs, its message in Russian
    assert (problem["error"], problem["message"]) == ("you may edit only the clusters silicon-saxony",
                                                      "вы можете редактировать только кластеры silicon-saxony")
    missing = api.post("/api/clusters/silicon-saxony/remove", json.dumps({"rows": [
        "https://w3id.org/clusterkg/id/affiliation/silicon-saxony--nobody--member"]}).encode(),
        headers={**bearer, **JSON, **RU})
    _refused(missing, 404, "no such row: https://w3id.org/clusterkg/id/affiliation/silicon-saxony--nobody--member",
             "нет такой строки: https://w3id.org/clusterkg/id/affiliation/silicon-saxony--nobody--member")
    _refused(api.post("/api/clusters/silicon-saxony/rows", b"{}", headers={"Authorization": "Bearer not-a-token", **JSON, **RU}),
             401, "unknown or revoked token", "неизвестный или отозванный токен")
    _refused(api.post("/api/clusters/silicon-saxony/rows", b"{}", headers={**JSON, **RU}),
             401, "send 'Authorization: Bearer <your API token>'", "отправьте 'Authorization: Bearer <ваш API-токен>'")
    # the same refusal under English says itself in English
    english = api.post("/api/clusters/medicon-valley/profile", json.dumps({"row": {}}).encode(),
                       headers={**bearer, **JSON, "Accept-Language": "en"}).json()
    assert english["message"] == english["error"] == "anna may not change the cluster 'medicon-valley'"


def _sheets() -> list[str]:
    from clusterkg.graph.sheets import SHEETS

    return list(SHEETS)


def test_editing_pages_say_their_errors_and_problems_in_russian(editing_server):
    server = editing_server()
    editor = server.editor("anna@example.org", clusters=["silicon-saxony"])
    csrf = editor.get("/clusters/silicon-saxony/edit").csrf()
    _page_says(editor.get("/clusters/medicon-valley/edit", headers=RU), 403,
               "anna не может изменять кластер 'medicon-valley'")
    body, kind = multipart({"csrf_token": csrf, "step": "preview", "mode": "add"}, [])
    _page_says(editor.post("/clusters/silicon-saxony/upload", body, headers={"Content-Type": kind, **RU}), 400,
               "выберите хотя бы одну таблицу (CSV) для загрузки")
    sheet = ("cluster,competency,description,source_url\n"
             "medicon-valley,chip-design,,https://example.org/x\n").encode()
    body, kind = multipart({"csrf_token": csrf, "step": "preview", "mode": "add"}, [("files", "needs.csv", sheet)])
    _page_says(editor.post("/clusters/silicon-saxony/upload", body, headers={"Content-Type": kind, **RU}), 403,
               "вы можете редактировать только кластеры silicon-saxony")
    _page_says(editor.post("/clusters/silicon-saxony/upload", {"step": "preview"}, headers=RU), 400,
               "форма отклонена: ")
    anonymous = Client(server.base)
    _page_says(anonymous.get("/clusters/silicon-saxony/edit", headers=RU), 403,
               "чтобы изменять граф, войдите (или отправьте 'Authorization: Bearer <ваш API-токен>')")


def test_account_errors_are_russian(editing_server):
    server = editing_server()
    accounts = server.app.extensions["clusterkg_accounts"]
    token = accounts.invite("bo@example.org", clusters=["silicon-saxony"])
    client = Client(server.base)
    page = client.get(f"/account/invitation/{token}")
    _page_says(client.post(f"/account/invitation/{token}", {"csrf_token": page.csrf(), "password": "short",
                                                             "repeat": "short"}, headers=RU),
               400, "пароль должен содержать не меньше 10 символов")
    admin = server.editor("root@example.org", admin=True)
    form = admin.get("/admin/accounts").csrf()
    _page_says(admin.post("/admin/accounts", {"csrf_token": form, "email": "not an address"}, headers=RU), 400,
               "'not an address' — не адрес электронной почты")
    _page_says(admin.post("/admin/accounts", {"csrf_token": form, "email": "ed@example.org", "clusters": "no-such"},
                          headers=RU), 400, "неизвестные кластеры: no-such")
    _page_says(server.editor("dee@example.org", clusters=["silicon-saxony"]).get("/admin/accounts", headers=RU), 403,
               "приглашать людей может только администратор сайта")
    login = Client(server.base)
    for _ in range(5):
        assert login.log_in("bo@example.org", "not the password").status == 401
    csrf = login.get("/account/login").csrf()
    refused = login.post("/account/login", {"csrf_token": csrf, "email": "bo@example.org", "password": "x"}, headers=RU)
    assert refused.status == 429
    assert re.search(r"слишком много неудачных входов; попробуйте снова через \d+ с", refused.text), refused.text


def test_sparql_protocol_errors_are_russian_and_keep_their_english(editing_server):
    server = editing_server()
    client = Client(server.base)
    _refused(client.get("/sparql?update=CLEAR%20ALL", headers=RU), 400,
             "SPARQL Update must be sent with POST, not GET", "SPARQL Update нужно отправлять методом POST, а не GET")
    _refused(client.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D", headers=RU), 400,
             "give exactly one 'query' parameter, not 2", "укажите ровно один параметр 'query', а не 2")
    _refused(client.post("/sparql", b"ASK {}", headers={"Content-Type": "application/sparql-query; charset=latin-1", **RU}),
             415, "only UTF-8 is accepted, not charset=latin-1", "принимается только UTF-8, а не charset=latin-1")
    _refused(client.post("/sparql", b"CLEAR ALL", headers={"Content-Type": "application/sparql-update", **RU}), 401,
             "writing needs 'Authorization: Bearer <admin token>'",
             "для записи нужен заголовок 'Authorization: Bearer <токен администратора>'")
    _refused(client.get("/store?graph=relative", headers={"Accept": "application/n-triples", **RU}), 400,
             *_graph_iri_messages(client))
    _refused(client.post("/api/import", multipart({}, [])[0], headers={"Authorization": "Bearer wrong", **RU}), 401,
             "wrong admin token", "неверный токен администратора")


def _graph_iri_messages(client) -> tuple[str, str]:
    """The English error for a relative graph IRI (its reason comes from the IRI check) and the Russian start."""
    english = client.get("/store?graph=relative", headers={"Accept": "application/n-triples"}).json()["error"]
    assert english.startswith("the graph must be an absolute IRI, not 'relative' (")
    return english, english.replace("the graph must be an absolute IRI, not", "граф должен быть абсолютным IRI, а не")


def test_no_message_is_left_in_english_under_russian(editing_server):
    """A sweep of simple refusals: every ``message`` has Cyrillic, every ``error`` has none."""
    server = editing_server()
    client = Client(server.base)
    replies = [
        client.get("/sparql", headers={"Accept": "application/json", **RU}),
        client.post("/sparql", b"x", headers={"Content-Type": "text/plain", **RU}),
        client.post("/sparql?query=ASK%7B%7D", b"update=CLEAR%20ALL",
                    headers={"Content-Type": "application/x-www-form-urlencoded", **RU}),
        client.post("/sparql", b"query=ASK%7B%7D&update=CLEAR%20ALL",
                    headers={"Content-Type": "application/x-www-form-urlencoded", **RU}),
        client.get("/store?default&graph=http://example.org/g", headers=RU),
        client.get("/store", headers=RU),
        client.get("/store?default", headers={"Accept": "text/nonsense", **RU}),
    ]
    for reply in replies:
        body = reply.json()
        assert reply.status >= 400 and CYRILLIC.search(body["message"]) and not CYRILLIC.search(body["error"]), body


def test_a_rejected_upload_says_each_cell_problem_in_russian(editing_server):
    """A sheet with bad cells, uploaded in Russian: each cell problem's ``message`` is Russian (only
    the quoted values stay as written), its ``error`` English; the edit page says them in Russian
    too. (The checks of the shapes that such a refused row also trips still say themselves in
    English: their messages are not in the catalogue yet.)"""
    server = editing_server()
    editor = server.editor("anna@example.org", clusters=["silicon-saxony"])
    bearer = {"Authorization": f"Bearer {server.api_token(editor)}"}
    sheet = ("cluster,competency,description,valid_until,source_url\n"
             "silicon-saxony,chip-design,,31.12.2027,ftp://example.org/x\n"
             "silicon-saxony,lasers,,soon,https://example.org/x\n").encode()
    body, kind = multipart({"dry_run": "true"}, [("files", "needs.csv", sheet)])
    reply = Client(server.base).post("/api/clusters/silicon-saxony/upload", body, headers={**bearer, "Content-Type": kind, **RU})
    assert reply.status == 400, reply.text
    problems = reply.json()["problems"]
    said = {(p["location"], p["field"]): p["message"] for p in problems if p["field"] in ("valid_until", "source_url")}
    assert said == {("row 2", "valid_until"): "ожидалась дата (ГГГГ-ММ-ДД) из цифр ASCII, получено '31.12.2027'",
                    ("row 2", "source_url"): "ожидался адрес http(s), получено 'ftp://example.org/x'",
                    ("row 3", "valid_until"): "ожидалась дата (ГГГГ-ММ-ДД) из цифр ASCII, получено 'soon'"}, problems
    for p in problems:  # the English text stays for programs
        assert not CYRILLIC.search(p["error"]), p
    csrf = editor.get("/clusters/silicon-saxony/edit").csrf()
    body, kind = multipart({"csrf_token": csrf, "step": "preview", "mode": "add"}, [("files", "needs.csv", sheet)])
    _page_says(editor.post("/clusters/silicon-saxony/upload", body, headers={"Content-Type": kind, **RU}), 400,
               "ожидалась дата (ГГГГ-ММ-ДД) из цифр ASCII, получено '31.12.2027'")
