"""Every parameter error of the JSON API says its ``message`` in the request's language.

The walk takes every GET route of the OpenAPI description, fills its path parameters with a
real id of the bundled data (or one that does not exist), and gives each query parameter a value
its type refuses (a word where a number is expected, a number far out of range, a choice that is
not offered). Each refusal must keep the English ``error`` for programs and say ``message`` in
Russian when Russian is asked for.
"""

from __future__ import annotations

import re
import urllib.parse

import pytest

from clusterkg.webapp.openapi import PATHS

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
#: a real id for each path parameter (the walk also tries one that does not exist)
PATH_VALUES = {"cluster_id": "silicon-saxony", "organisation_id": "infineon-technologies-dresden", "competency_id": "telecommunications",
               "kind": "cluster", "identifier": "silicon-saxony"}
#: values each kind of query parameter refuses
BAD_VALUES = {"integer": ["many", "99999999"], "number": ["much", "1e9"]}
#: string parameters that take one of a few words (or an id) and refuse others
BAD_WORDS = {"sort": "sideways", "order": "upwards", "include_existing": "perhaps", "domestic": "perhaps",
             "view": "nowhere", "node": "nothing", "cluster": "no-such-cluster-anywhere",
             "iri": "not an iri", "development": "no-such-development", "scheme": "no-such-scheme",
             "theme": "no-such-theme", "relation": "nowhere", "focus": "not an iri"}


def _requests() -> list[tuple[str, str, dict]]:
    """(route, url, query) for every bad parameter value of every GET JSON route."""
    walked = []
    for path, item in sorted(PATHS.items()):
        operation = item.get("get")
        if operation is None or not (path.endswith(".json") or path.startswith("/api/graph/")):
            continue
        parameters = operation.get("parameters", [])
        names = [p["name"] for p in parameters if p["in"] == "path"]
        if any(name not in PATH_VALUES for name in names):
            continue  # (events: the bundled data has none to fill in)
        real = path.format(**PATH_VALUES)
        if names:
            walked.append((path, path.format(**{name: "no-such-thing" for name in names}), {}))
        for parameter in parameters:
            if parameter["in"] != "query":
                continue
            kind = parameter.get("schema", {}).get("type")
            for value in BAD_VALUES.get(kind, []) + ([BAD_WORDS[parameter["name"]]] if parameter["name"] in BAD_WORDS else []):
                walked.append((path, real, {parameter["name"]: value}))
    return walked


REQUESTS = _requests()


def test_the_walk_covers_the_api():
    assert len({route for route, _, _ in REQUESTS}) >= 18 and len(REQUESTS) >= 60


@pytest.fixture(scope="module")
def refusals(client) -> list[tuple[str, dict, dict]]:
    """Every walked request the app refused with an error, answered under Russian."""
    answers = []
    for _, url, query in REQUESTS:
        reply = client.get(url + ("?" + urllib.parse.urlencode(query) if query else ""), headers={"Accept-Language": "ru"})
        if reply.status_code >= 400:
            answers.append((url, query, reply.get_json()))
    return answers


def test_enough_requests_are_refused(refusals):
    assert len(refusals) >= 40


def test_every_refusal_says_its_message_in_russian_and_keeps_english_error(refusals):
    untranslated = [(url, query, body["message"]) for url, query, body in refusals if not CYRILLIC.search(body["message"])]
    assert untranslated == []
    not_english = [(url, query, body["error"]) for url, query, body in refusals if CYRILLIC.search(body["error"])]
    assert not_english == []


def test_the_same_refusals_are_english_under_english(client):
    url, query = "/clusters.json", {"sort": "sideways"}
    body = client.get(url + "?" + urllib.parse.urlencode(query), headers={"Accept-Language": "en"}).get_json()
    assert body["message"] == body["error"] == "parameter 'sort' must be one of label, countries, members, competencies, partnerships, not 'sideways'"
