"""Answers kept across writes: the cluster page, the partner-search JSON and the explorer's ego
network are kept while a write touches nothing they read, and a write that does touch it is seen
at the next request. Writes go through ``/sparql`` with the admin token, as an editor's would.
"""

from __future__ import annotations

from collections import Counter

import pytest

from clusterkg.graph import explorer_model
from clusterkg.webapp import create_app
from clusterkg.webapp.pages import clusters, partner_search

TOKEN = "answer-cache-test-token"
CKG = "https://w3id.org/clusterkg/ns#"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"


@pytest.fixture
def app(store_path):
    app = create_app({"STORE": str(store_path), "ADMIN_TOKEN": TOKEN, "QUERY_CACHE": 0})
    yield app
    app.extensions["clusterkg"].close()


@pytest.fixture
def computed(monkeypatch) -> Counter:
    """How often each answer was computed (the real functions still run)."""
    counts: Counter = Counter()
    for module, name in ((clusters, "_profile_facts"), (clusters, "_profile_data"), (partner_search, "run_search"),
                         (explorer_model, "ego_network")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _real=real, _name=name, **k: counts.update([_name]) or _real(*a, **k))
    return counts


def write(client, update: str) -> None:
    reply = client.post("/sparql", data=update, headers={
        "Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
    assert reply.status_code in (200, 204), reply.data


def answers(client, cluster: str) -> dict[str, bytes]:
    replies = {"page": client.get(f"/clusters/{cluster}"), "page JSON": client.get(f"/clusters/{cluster}.json"),
               "partners": client.get(f"/partner-search.json?cluster={cluster}"),
               "explorer": client.get(f"/api/graph/ego?cluster={cluster}&limit=150")}
    for kind, reply in replies.items():
        assert reply.status_code == 200, (kind, reply.data[:300])
    return {kind: reply.data for kind, reply in replies.items()}


def first_cluster(client) -> dict:
    return client.get("/clusters.json").json["clusters"][0]


def test_a_write_elsewhere_keeps_every_answer(app, computed):
    client = app.test_client()
    cluster = first_cluster(client)["id"]
    before = answers(client, cluster)
    assert computed == {"_profile_facts": 1, "_profile_data": 1, "run_search": 1, "ego_network": 1}
    version = app.extensions["clusterkg"].store.data_version()
    write(client, "INSERT DATA { <urn:clusterkg:test:elsewhere> <urn:clusterkg:test:written> 1 }")
    assert app.extensions["clusterkg"].store.data_version() != version
    assert answers(client, cluster) == before
    assert computed == {"_profile_facts": 1, "_profile_data": 1, "run_search": 1, "ego_network": 1}


def test_a_renamed_country_is_seen_on_the_cluster_page(app, computed):
    """The country is not projected: the page's store reads are kept by the subjects they name."""
    client = app.test_client()
    cluster = first_cluster(client)["id"]
    country = client.get(f"/clusters/{cluster}.json").json["cluster"]["countries"][0]
    answers(client, cluster)
    write(client, f'DELETE DATA {{ <{country["iri"]}> <{PREF_LABEL}> "{country["label"]}"@en }} ;'
                  f' INSERT DATA {{ <{country["iri"]}> <{PREF_LABEL}> "Renamed country"@en }}')
    after = client.get(f"/clusters/{cluster}.json").json["cluster"]["countries"][0]
    assert after == {"iri": country["iri"], "label": "Renamed country"}
    assert "Renamed country" in client.get(f"/clusters/{cluster}").text
    assert computed["_profile_facts"] == 2
    client.get(f"/partner-search.json?cluster={cluster}")
    assert computed["run_search"] == 1  # (nothing projected changed)


def test_a_write_to_another_cluster_keeps_the_store_reads_of_this_one(app, computed):
    """Analyses run again after any change of the projection; the page's store reads need not."""
    client = app.test_client()
    first, second = client.get("/clusters.json").json["clusters"][:2]
    before = client.get(f"/clusters/{first['id']}.json").json
    write(client, f'INSERT DATA {{ <{second["iri"]}> <https://schema.org/foundingDate> "1999" }}')
    assert client.get(f"/clusters/{first['id']}.json").json == before
    assert computed["_profile_facts"] == 1 and computed["_profile_data"] == 2


def test_a_new_member_is_seen_by_the_page_the_explorer_and_the_partner_search(app, computed):
    client = app.test_client()
    cluster = first_cluster(client)
    before = answers(client, cluster["id"])
    partners = client.get(f"/partner-search.json?cluster={cluster['id']}").json["partners"]
    newcomer = partners[0]["organisation"]  # the best partner, not a member yet
    affiliation = "https://w3id.org/clusterkg/id/affiliation/answer-cache-test"
    write(client, f"INSERT DATA {{ <{affiliation}> <{CKG}cluster> <{cluster['iri']}> ; <{CKG}organisation> <{newcomer['iri']}> ;"
                  f" <{CKG}affiliationType> <{CKG}Member> }}")
    after = answers(client, cluster["id"])
    assert newcomer["iri"] not in before["page"].decode() and newcomer["iri"] in after["page"].decode()
    members = [m["organisation"]["iri"] for group in client.get(f"/clusters/{cluster['id']}.json").json["members"]
               for m in group["organisations"]]
    assert newcomer["iri"] in members
    assert newcomer["iri"].encode() not in before["explorer"] and newcomer["iri"].encode() in after["explorer"]
    assert newcomer["iri"] not in [p["organisation"]["iri"] for p in
                                   client.get(f"/partner-search.json?cluster={cluster['id']}").json["partners"]]


def test_a_renamed_partner_is_seen_by_the_partner_search(app):
    client = app.test_client()
    cluster = first_cluster(client)["id"]
    partner = client.get(f"/partner-search.json?cluster={cluster}").json["partners"][0]["organisation"]
    write(client, f'DELETE DATA {{ <{partner["iri"]}> <{LABEL}> "{partner["label"]}"@en }} ;'
                  f' INSERT DATA {{ <{partner["iri"]}> <{LABEL}> "Renamed partner"@en }}')
    after = client.get(f"/partner-search.json?cluster={cluster}").json["partners"]
    assert {"iri": partner["iri"], "label": "Renamed partner"}.items() <= next(
        p["organisation"] for p in after if p["organisation"]["iri"] == partner["iri"]).items()
