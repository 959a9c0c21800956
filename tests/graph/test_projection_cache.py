"""Stateless web fronts share one projection cache: two real ``clusterkg serve`` processes in
front of one real ``oxigraph serve``; a write through one is seen by the other at its next
request, and the projection is built once for both (read from the shared cache directory)."""

from __future__ import annotations

import io
import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

from clusterkg.graph.synthetic import SyntheticSpec, write_synthetic

CKG = "https://w3id.org/clusterkg/ns#"
ID = "https://w3id.org/clusterkg/id/"
TOKEN = "fronts-s3cret"


def get_json(url: str) -> dict:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def update(url: str, text: str) -> int:
    request = urllib.request.Request(url + "/sparql", data=text.encode(), method="POST", headers={
        "Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


def cached_files() -> list[Path]:
    return sorted(Path(os.environ["CLUSTERKG_CACHE"]).glob("projection-*.pickle"))


def one_cached_file(other_than: int | None = None) -> int:
    """The modification time of the one cached projection, once it is written (in the background)."""
    deadline = time.monotonic() + 60
    while True:
        files = cached_files()
        if len(files) == 1 and files[0].stat().st_mtime_ns != other_than:
            return files[0].stat().st_mtime_ns
        assert time.monotonic() < deadline, f"no single new cached projection: {files}"
        time.sleep(0.1)


@pytest.fixture()
def emptied_after(remote_store):
    yield remote_store
    remote_store.clear()  # the server is shared: leave it empty


def test_a_write_through_one_front_is_seen_by_the_other(oxigraph_server, emptied_after, clusterkg_serve):
    remote_store = emptied_after
    buffer = io.BytesIO()
    write_synthetic(SyntheticSpec(clusters=8, organisations=120, competencies=30, seed=5), buffer)
    remote_store.insert_ntriples(buffer.getvalue())
    # an organisation and a competency it does not have: the new cluster's member and its gap
    claims = remote_store.select_values(f"SELECT ?o ?k WHERE {{ ?o <{CKG}hasCompetency> ?k }} ORDER BY ?o ?k")[1]
    org = claims[0][0]
    missing = next(k for _, k in claims if (org, k) not in set(claims))

    with clusterkg_serve(None, admin_token=TOKEN, endpoint=oxigraph_server.query_url) as front_a, \
            clusterkg_serve(None, endpoint=oxigraph_server.query_url) as front_b:
        before = get_json(front_b + "/clusters.json")
        built = one_cached_file()  # front B built it and left it for the others
        assert get_json(front_a + "/clusters.json") == before  # front A read B's file ...
        assert one_cached_file() == built  # ... and did not build it again

        cluster = ID + "cluster/fronts-valley"
        assert update(front_a, f"""INSERT DATA {{
            <{cluster}> a <{CKG}Cluster> ; <http://www.w3.org/2000/01/rdf-schema#label> "Fronts Valley" ;
                <{CKG}needsCompetency> <{missing}> .
            <{ID}affiliation/fronts-valley> a <{CKG}Affiliation> ; <{CKG}cluster> <{cluster}> ;
                <{CKG}organisation> <{org}> ; <{CKG}affiliationType> <{CKG}Member> . }}""") in (200, 204)

        profile = get_json(front_b + "/clusters/fronts-valley.json")  # B's next request sees it
        assert profile["cluster"]["label"] == "Fronts Valley" and profile["member_total"] == 1
        assert missing in json.dumps(profile["gaps"])
        partners = get_json(front_b + "/partner-search.json?cluster=fronts-valley")
        assert partners and json.dumps(partners).count("https://") > 0
        assert get_json(front_a + "/clusters/fronts-valley.json")["member_total"] == 1
        one_cached_file(other_than=built)  # the new version, shared
