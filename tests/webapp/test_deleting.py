"""``POST /api/delete`` on a live server over an on-disk store: ``clusterkg delete``'s rules over HTTP."""

from __future__ import annotations

import json

import pytest

from tests.webapp.test_importing import MINI, _files, multipart

ORG = "org/globalfoundries-dresden"
IRI = "https://w3id.org/clusterkg/id/" + ORG
CKG = "https://w3id.org/clusterkg/ns#"
ID = "https://w3id.org/clusterkg/id/"
PARTNERSHIP = "partnership/technounity-minalogic-agreement"
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

    # its membership and competency claim stand on it: with cascade they go too, nothing dangles
    rows = select(f"SELECT ?row WHERE {{ {{ ?row <{CKG}organisation> <{IRI}> }} UNION "
                  f"{{ <{IRI}> <{CKG}qualifiedCompetency> ?row }} }}")
    assert {r["subject"] for r in answer["references"]} <= {r["row"] for r in rows} and len(rows) == 2
    done = delete({"resources": [ORG], "cascade": True})
    assert done.status == 200, done.body
    report = done.json()
    assert report["resources"] == [IRI] and sorted(report["rows_removed"]) == sorted(r["row"] for r in rows)
    assert report["references_removed"] == []  # (what pointed at it were those rows)
    assert _count(select) == before - report["removed"]
    for node in [IRI, *report["rows_removed"]]:
        assert select(f"SELECT ?p WHERE {{ {{ <{node}> ?p ?o }} UNION {{ ?s ?p <{node}> }} }}") == []
    assert {"operation": "delete", "agent": "admin", "removed": str(report["removed"])} in select(HISTORY)


def test_a_deletion_that_would_leave_the_graph_invalid_is_refused_with_the_problems(site):
    """Minalogic deleted with cascade would leave the Technounity–Minalogic agreement with one
    participant: checked like an import, refused with that problem, nothing deleted; deleted
    together with the agreement, it goes."""
    delete, select = site
    before = _count(select)
    refused = delete({"resources": ["cluster/minalogic"], "cascade": True})
    assert refused.status == 409 and refused.json()["code"] == "invalid_after", refused.body
    problems = refused.json()["problems"]
    assert [p["field"] for p in problems] == ["ckg:participant"], problems
    assert "at least two participants" in problems[0]["message"] and PARTNERSHIP in problems[0]["message"]
    assert refused.json()["error"] == "1 problem(s) found in the graph as it would be; nothing was deleted"
    assert _count(select) == before
    russian = delete({"resources": ["cluster/minalogic"], "cascade": True}, language="ru").json()
    assert "хотя бы два участника" in russian["problems"][0]["message"], russian

    done = delete({"resources": ["cluster/minalogic", PARTNERSHIP], "cascade": True})
    assert done.status == 200, done.body
    assert (done.json()["rows_removed"], done.json()["references_removed"]) == ([], [])  # (each pointed at the other)
    for node in ["cluster/minalogic", PARTNERSHIP]:
        assert select(f"SELECT ?p WHERE {{ {{ <{ID}{node}> ?p ?o }} UNION {{ ?s ?p <{ID}{node}> }} }}") == []


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
    for body in [[ORG], "not an object"]:
        assert delete(body).json()["error"].endswith(": the body is not a JSON object"), body
    said = delete({"resources": []}, language="ru").json()["message"]
    assert said == "отправьте JSON {\"resources\": [\"cluster/x\", …], \"cascade\": false}: 'resources' должен быть непустым списком"
    for token in [None, "wrong"]:
        assert delete({"resources": [ORG], "cascade": True}, token=token).status == 401
    assert _count(select) == before
