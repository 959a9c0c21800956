"""``POST /api/import`` on a live server over an on-disk store: same checks, all or nothing."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).parent.parent / "data"
MINI = sorted((DATA_DIR / "mini").glob("*.csv"))
BROKEN = DATA_DIR / "broken"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def multipart(files: list[tuple[str, bytes]], **fields: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for filename, content in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def site(serve_app, store_path, raw):
    server = serve_app(store_path)

    def post(files, token=raw.token, language="en", **fields):
        body, media = multipart(files, **fields)
        headers = {"Content-Type": media, "Accept-Language": language,
                   **({"Authorization": f"Bearer {token}"} if token else {})}
        return raw.request("POST", f"{server}/api/import", body, headers)

    def count() -> int:
        reply = raw.request("GET", f"{server}/sparql?query={raw.quote(COUNT)}",
                            headers={"Accept": "application/sparql-results+json"})
        return int(json.loads(reply.body)["results"]["bindings"][0]["n"]["value"])

    return post, count


def _files(paths) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in paths]


def test_import_then_the_endpoint_sees_the_new_data(site):
    post, count = site
    before = count()
    dry = post(_files(MINI), dry_run="true")
    assert dry.status == 200 and dry.json()["dry_run"] and count() == before
    reply = post(_files(MINI))
    assert reply.status == 200, reply.body
    answer = reply.json()
    assert answer["ok"] and answer["added"] > 100 and count() == before + answer["added"]


def test_rejected_import_lists_located_problems_and_writes_nothing(site):
    post, count = site
    before = count()
    reply = post(_files([DATA_DIR / "mini" / "clusters.csv", BROKEN / "affiliations.csv", BROKEN / "syntax.ttl"]))
    assert reply.status == 400
    problems = reply.json()["problems"]
    unknown = "unknown cluster cluster/no-such-cluster: not in this import nor in the store"
    assert {"file": "affiliations.csv", "location": "row 2", "field": "cluster", "error": unknown, "message": unknown} in problems
    assert any(p["file"] == "syntax.ttl" and p["location"] == "line 4" for p in problems)
    assert reply.json()["error"] == reply.json()["message"] == f"{len(problems)} problem(s) found; nothing was written"
    assert reply.json()["code"] == "invalid_input"
    russian = post(_files([BROKEN / "affiliations.csv"]), language="ru").json()
    found = len(russian["problems"])
    assert russian["error"] == f"{found} problem(s) found; nothing was written"  # for programs: the same in every language
    assert russian["message"] == f"найдено проблем: {found}; ничего не записано"
    assert count() == before


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("wrong", 401)])
def test_import_needs_the_admin_token(site, token, status):
    post, count = site
    before = count()
    assert post(_files(MINI), token=token).status == status
    assert count() == before


#: what a Russian problem may keep in Latin letters: quoted values, CURIEs and IRIs, ids and
#: check names (with - or _), codes and acronyms (URL, IRI, ZZ)
_NOT_PROSE = re.compile(r"'[^']*'|\"[^\"]*\"|«[^»]*»|\S*[:/]\S*|[\w.]*[-_][\w.-]*|\b[A-Z0-9]{2,}\b")


def english_words_left(message: str) -> list[str]:
    """The Latin words of ``message`` outside quoted values, CURIEs, IRIs, ids and codes.

    >>> english_words_left("не найдено (страна): country/ZZ — нет в 'Foo Bar' (ckg:Country, URL)")
    []
    >>> english_words_left("unknown country country/ZZ")
    ['unknown', 'country']
    """
    return re.findall(r"[A-Za-z]{2,}", _NOT_PROSE.sub(" ", message))


def russian_twin(english: str) -> str:
    """A shape message's Russian twin, as ``ontology/shapes.ttl`` gives it."""
    from rdflib import Literal
    from rdflib.namespace import SH

    from clusterkg.ontology import shapes_graph

    shapes = shapes_graph()
    holder = next(shapes.subjects(SH.message, Literal(english)))
    return next(str(m) for m in shapes.objects(holder, SH.message) if m.language == "ru")


def assert_every_check_in_russian(messages: list[str]) -> None:
    """``broken/every-check.ttl``'s problems, said in Russian: a shape, a reference, a consistency check."""
    assert len(messages) >= 3 and all(re.search("[а-яё]", m) for m in messages), messages
    assert all(english_words_left(m) == [] for m in messages), [english_words_left(m) for m in messages]
    source = russian_twin("A cluster needs at least one dct:source: the URL of a public page that supports it.")
    assert f"{source} (cluster/every-check)" in messages
    assert "не найдено (страна): country/ZZ — нет ни в этом импорте, ни в хранилище" in messages
    assert any(m.startswith("ckg:hasCompetency без заявленной компетенции") and "организация org/globalfoundries" in m
               and m.endswith("(проверка competency-shortcut-mismatch-violation)") for m in messages), messages


def test_a_rejected_import_is_said_in_russian_and_its_errors_stay_english(site):
    """A shape violation, a dangling reference, a consistency check and a syntax error, asked in
    Russian: each ``message`` is Russian (the parser's own detail of a syntax error aside), each
    ``error`` the English text the English request gets; nothing is written."""
    post, count = site
    before = count()
    files = _files([BROKEN / "every-check.ttl"])
    russian, english = post(files, language="ru").json(), post(files, language="en").json()
    assert [p["error"] for p in russian["problems"]] == [p["message"] for p in english["problems"]]
    assert_every_check_in_russian([p["message"] for p in russian["problems"]])
    assert any(p["error"] == "unknown country country/ZZ: not in this import nor in the store" for p in russian["problems"])

    syntax = post(_files([BROKEN / "syntax.ttl"]), language="ru").json()["problems"]
    english_syntax = post(_files([BROKEN / "syntax.ttl"]), language="en").json()["problems"]
    assert len(syntax) == len(english_syntax) == 1 and syntax[0]["location"] == "line 4"
    frame = re.fullmatch(r"синтаксическая ошибка \(столбец \d+\): (.+) \(недопустимый Turtle\)", syntax[0]["message"])
    assert frame, syntax[0]["message"]
    assert english_syntax[0]["message"] == syntax[0]["error"] == f"syntax error (column 1): {frame[1]} (not valid Turtle)"
    assert count() == before
