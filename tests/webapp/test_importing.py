"""``POST /api/import`` on a live server over an on-disk store: same checks, all or nothing."""

from __future__ import annotations

import json
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
