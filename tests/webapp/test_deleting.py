"""``POST /api/delete`` on a live server over an on-disk store: ``clusterkg delete``'s rules over HTTP."""

from __future__ import annotations

import json

import pytest

from tests.webapp.test_importing import MINI, _files, multipart

ORG = "org/globalfoundries-dresden"
IRI = "https://w3id.org/clusterkg/id/" + ORG
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
HISTORY = """SELECT ?operation ?agent ?removed WHERE { GRAPH <https://w3id.org/clusterkg/graph/history> {
  ?a <https://w3id.org/clusterkg/ns#operation> ?operation ; <https://w3id.org/clusterkg/ns#triplesRemoved> ?removed ;
     <http://www.w3.org/ns/prov#wasAssociatedWith>/<http://www.w3.org/2000/01/rdf-schema#label> ?agent } }"""


@pytest.fixture
def site(serve_app, store_path, raw):
    """A server whose store holds the mini dataset (imported over HTTP), and its helpers."""
    server = serve_app(store_path)

    def delete(body, token=raw.token, language="en"):
        headers = {"Content-Type": "application/json", "Accept-Language": language,
                   **({"Authorization": f"Bearer {token}"} if token else {})}
        return raw.request("POST", f"{server}/api/delete", json.dumps(body).encode(), headers)

    def select(query: str) -> list[dict]:
        reply = raw.request("GET", f"{server}/sparql?query={raw.quote(query)}",
                            headers={"Accept": "application/sparql-results+json"})
        return [{k: v["value"] for k, v in row.items()} for row in json.loads(reply.body)["results"]["bindings"]]

    body, media = multipart(_files(MINI))
    imported = raw.request("POST", f"{server}/api/import", body, {"Content-Type": media,
                                                                  "Authorization": f"Bearer {raw.token}"})
    assert imported.status == 200, imported.body
    return delete, select


def _count(select) -> int:
    return int(select(COUNT)[0]["n"])


def test_a_referenced_resource_is_refused_with_the_references_then_deleted_with_cascade(site):
    delete, select = site
    before = _count(select)
    refused = delete({"resources": [ORG]})
    assert refused.status == 409, refused.body
    answer = refused.json()
    assert answer["code"] == "still_referenced" and not answer["ok"]
    pointing = select(f"SELECT ?subject ?predicate WHERE {{ ?subject ?predicate <{IRI}> FILTER(!isBlank(?subject)) }}")
    assert sorted((r["subject"], r["predicate"]) for r in answer["references"]) == \
        sorted((r["subject"], r["predicate"]) for r in pointing) and pointing
    assert all(r["object"] == IRI for r in answer["references"])
    assert answer["error"].startswith(f"{len(pointing)} triple(s) of other resources point at")
    assert _count(select) == before

    done = delete({"resources": [ORG], "cascade": True})
    assert done.status == 200, done.body
    report = done.json()
    assert report["resources"] == [IRI] and len(report["references_removed"]) == len(pointing)
    assert _count(select) == before - report["removed"]
    assert select(f"SELECT ?p WHERE {{ {{ <{IRI}> ?p ?o }} UNION {{ ?s ?p <{IRI}> }} }}") == []
    assert {"operation": "delete", "agent": "admin", "removed": str(report["removed"])} in select(HISTORY)


def test_an_unknown_resource_is_a_404_naming_the_same_id_under_another_kind(site):
    delete, select = site
    before = _count(select)
    reply = delete({"resources": ["organisation/globalfoundries-dresden"]})
    assert reply.status == 404 and reply.json()["code"] == "not_found"
    assert reply.json()["error"].endswith(f"did you mean: {ORG}")
    russian = delete({"resources": ["organisation/globalfoundries-dresden"]}, language="ru").json()
    assert russian["error"] == reply.json()["error"] and russian["message"] != russian["error"]
    assert _count(select) == before


def test_a_malformed_request_or_a_missing_token_deletes_nothing(site):
    delete, select = site
    before = _count(select)
    for body in [{}, {"resources": []}, {"resources": "cluster/x"}, {"resources": [""]},
                 {"resources": [ORG], "cascade": "yes"}, [ORG]]:
        reply = delete(body)
        assert reply.status == 400 and reply.json()["error"].startswith('send JSON {"resources"'), (body, reply.body)
    said = delete({"resources": []}, language="ru").json()["message"]
    assert said == "отправьте JSON {\"resources\": [\"cluster/x\", …], \"cascade\": false}: 'resources' должен быть непустым списком"
    for token in [None, "wrong"]:
        assert delete({"resources": [ORG], "cascade": True}, token=token).status == 401
    assert _count(select) == before
