"""The cluster profile's parts kept between requests (``pages/common.Memo``): a write is on the
next page, one language never answers for another, the memory they hold is bounded."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from clusterkg.webapp import create_app
from clusterkg.webapp.pages import register
from clusterkg.webapp.pages.common import Memo

TOKEN = "memo-test-token"
CKG = "https://w3id.org/clusterkg/ns#"
ID = "https://w3id.org/clusterkg/id/"
CLUSTER = "silicon-saxony"


@pytest.fixture(scope="module")
def app(default_store_template, tmp_path_factory):
    store = shutil.copytree(default_store_template, tmp_path_factory.mktemp("page-memo") / "store")
    application = create_app({"STORE": str(store), "ADMIN_TOKEN": TOKEN, "QUERY_WORKERS": 1, "TESTING": True})
    register(application)
    yield application
    application.extensions["clusterkg"].close()


def _update(app, text: str) -> None:
    answer = app.test_client().post("/sparql", data=text, headers={
        "Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code in (200, 204), answer.get_data(as_text=True)


def _sections(app) -> int:
    return sum(1 for key in app.extensions["clusterkg_page_memo"]._values if key[0] == "cluster-sections")


def test_a_write_through_the_api_is_on_the_next_page(app):
    client = app.test_client(use_cookies=False)
    first = client.get(f"/clusters/{CLUSTER}").get_data(as_text=True)
    assert client.get(f"/clusters/{CLUSTER}").get_data(as_text=True) == first  # the second from the memo
    assert "memo-works" not in first
    organisation, affiliation = ID + "org/memo-works", ID + "affiliation/memo-works-silicon-saxony"
    _update(app, f"""INSERT DATA {{
      <{organisation}> a <{CKG}SME> ; <http://www.w3.org/2000/01/rdf-schema#label> "Memo Works GmbH" .
      <{affiliation}> <{CKG}cluster> <{ID}cluster/{CLUSTER}> ; <{CKG}organisation> <{organisation}> ;
          <{CKG}affiliationType> <{CKG}Member> ; <http://purl.org/dc/terms/source> <https://example.org/memo-works> .
    }}""")
    html = client.get(f"/clusters/{CLUSTER}").get_data(as_text=True)
    assert 'href="/organisations/memo-works"' in html  # in the members' table
    assert "https://example.org/memo-works" in html  # its source
    data = client.get(f"/clusters/{CLUSTER}.json").get_json()
    members = [m["organisation"]["iri"] for group in data["members"] for m in group["organisations"]]
    assert organisation in members
    _update(app, f"DELETE WHERE {{ <{affiliation}> ?p ?o }}")
    assert "memo-works" not in client.get(f"/clusters/{CLUSTER}").get_data(as_text=True)


def test_a_write_elsewhere_finds_the_same_sections_again(app):
    """Another data version, the same content: the rendered sections are found by their digest."""
    client = app.test_client(use_cookies=False)
    first = client.get(f"/clusters/{CLUSTER}").get_data(as_text=True)
    kept = _sections(app)
    _update(app, "INSERT DATA { <urn:clusterkg:test:memo> <urn:clusterkg:test:written> 1 }")
    assert client.get(f"/clusters/{CLUSTER}").get_data(as_text=True) == first
    assert _sections(app) == kept


def test_one_language_never_answers_for_another(app):
    client = app.test_client(use_cookies=False)
    for _ in range(2):  # the second round answers from the memo
        russian = client.get(f"/clusters/{CLUSTER}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
        english = client.get(f"/clusters/{CLUSTER}", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "Недостающие компетенции" in russian and "Missing competencies" not in russian
        assert "Missing competencies" in english and "Недостающие компетенции" not in english
        assert _graph(russian)["kindNames"]["cluster"] == "кластер"  # the drawing's words too
        assert _graph(english)["kindNames"]["cluster"] == "cluster"


def _graph(html: str) -> dict:
    return json.loads(re.search(r'id="graph-data-cluster">(.*?)</script>', html, re.S).group(1))


def test_the_links_follow_the_script_root(app):
    client = app.test_client(use_cookies=False)
    client.get(f"/clusters/{CLUSTER}")
    html = client.get(f"/clusters/{CLUSTER}", environ_overrides={"SCRIPT_NAME": "/kg"}).get_data(as_text=True)
    assert 'href="/kg/organisations/' in html and 'href="/organisations/' not in html


def test_the_memo_is_bounded_in_entries_and_bytes():
    memo = Memo(max_entries=3, max_bytes=100)
    made = []

    def make(value):
        made.append(value)
        return value

    for number in range(10):
        assert memo.get(number, lambda: make("x" * 30), size=len) == "x" * 30
    assert len(memo) == 3 and memo.bytes == 90
    assert memo.get(9, lambda: make("other")) == "x" * 30  # kept: not made again
    assert len(made) == 10
    memo.get(7, lambda: "x" * 30, size=len)  # 7 is now the most recent, 8 the least
    memo.get("new", lambda: "y" * 30, size=len)
    assert memo.get(8, lambda: "made again") == "made again"
    huge = memo.get("huge", lambda: "z" * 1000, size=len)  # larger than the budget: answered, not kept
    assert huge == "z" * 1000 and memo.bytes <= 100 and memo.get("huge", lambda: "again") == "again"


def test_partner_search_json_sees_a_write_at_once(app):
    client = app.test_client(use_cookies=False)
    url = f"/partner-search.json?cluster={CLUSTER}&limit=100"
    before = client.get(url).get_json()
    assert client.get(url).get_json() == before  # the second from the memo
    wanted = before["selected"][:3]
    organisation = ID + "org/memo-gap-filler"
    claims = " ".join(
        f"<{organisation}> <{CKG}hasCompetency> <{ID}competency/{competency}> ; "
        f"<{CKG}qualifiedCompetency> <{organisation}-claim-{n}> . "
        f"<{organisation}-claim-{n}> <{CKG}competency> <{ID}competency/{competency}> ; <{CKG}level> <{CKG}LevelLeading> ."
        for n, competency in enumerate(wanted))
    _update(app, f"""INSERT DATA {{
      <{organisation}> a <http://www.w3.org/ns/org#FormalOrganization>, <{CKG}SME> ;
          <http://www.w3.org/2000/01/rdf-schema#label> "Memo Gap Filler" ; <{CKG}country> <{ID}country/FR> . {claims} }}""")
    partners = [p["organisation"]["iri"] for p in client.get(url).get_json()["partners"]]
    assert organisation not in [p["organisation"]["iri"] for p in before["partners"]]
    assert organisation in partners


def test_partner_search_json_is_kept_encoded_as_jsonify_encodes_it(app):
    """The kept answer is the bytes and headers ``respond`` gives a JSON client, not re-encoded."""
    from flask import jsonify
    from clusterkg.webapp.pages import partner_search

    client = app.test_client(use_cookies=False)
    url = f"/partner-search.json?cluster={CLUSTER}&limit=7"
    first, again = client.get(url), client.get(url)
    assert first.get_data() == again.get_data()
    assert first.content_type == again.content_type == "application/json"
    assert "Accept" in first.headers["Vary"].split(", ") and first.headers["Vary"] == again.headers["Vary"]
    with app.test_request_context(url):
        fresh = partner_search._body(partner_search.run_search(partner_search.projection()))
        assert jsonify(fresh).get_data() == first.get_data()
