"""The explorer's "show the SPARQL" queries name each node once, in the page's language.

Each view's query is taken from the explorer's API in English and in Russian and run on the
app's own ``/sparql`` endpoint, as a person who copies it would: the answer must parse, give each
node at most one name, the Russian name where the data has one and the English name elsewhere.
"""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from clusterkg.graph.dataset import initialise
from clusterkg.graph.store import OxigraphStore
from clusterkg.ontology.namespace import DATA
from clusterkg.webapp import create_app
from clusterkg.webapp.explorer import register

VIEWS = {
    "ego": "/api/graph/ego?cluster=samara-aerospace-cluster",
    "partnerships": "/api/graph/partnerships",
    "country": "/api/graph/neighbours?node=country:RU",
    "competencies": "/api/graph/competencies",
}
NAME_PREDICATES = (RDFS.label, SKOS.prefLabel)


@pytest.fixture(scope="module")
def client():
    store = OxigraphStore()
    initialise(store, progress=False)
    app = create_app({"KNOWLEDGE_STORE": store, "STORE": ":memory:", "ADMIN_TOKEN": None})
    register(app)
    yield app.test_client()
    app.extensions["clusterkg"].close()


def _answer(client, view: str, language: str) -> Graph:
    url = VIEWS[view]
    query = client.get(url + ("&" if "?" in url else "?") + f"lang={language}").get_json()["sparql"]
    reply = client.post("/sparql", data={"query": query}, headers={"Accept": "application/n-triples"})
    assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    return Graph().parse(data=reply.get_data(as_text=True), format="nt")


def _names(graph: Graph) -> dict[URIRef, list[Literal]]:
    names: dict[URIRef, list[Literal]] = {}
    for predicate in NAME_PREDICATES:
        for subject, name in graph.subject_objects(predicate):
            names.setdefault(subject, []).append(name)
    return names


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_each_node_has_one_name_in_the_page_language_or_english(client, view, language):
    names = _names(_answer(client, view, language))
    assert names, f"the {view} query named nothing"
    several = {str(s): [str(n) for n in ns] for s, ns in names.items() if len(ns) > 1}
    assert several == {}
    allowed = {None, "en"} | ({"ru"} if language == "ru" else set())
    assert {n.language for ns in names.values() for n in ns} <= allowed


def test_russian_names_where_the_data_has_them(client):
    country = _names(_answer(client, "country", "ru"))
    assert country[DATA["cluster/moscow-innovation-cluster"]] == [Literal("Московский инновационный кластер", lang="ru")]
    english = _names(_answer(client, "country", "en"))
    assert english[DATA["cluster/moscow-innovation-cluster"]] == [Literal("Moscow Innovation Cluster")]
    ego = _names(_answer(client, "ego", "ru"))
    assert ego[DATA["org/aviakor"]] == [Literal("Авиакор-авиационный завод", lang="ru")]
    competencies = _names(_answer(client, "competencies", "ru"))
    assert competencies[DATA["competency/telecommunications"]] == [Literal("телекоммуникации", lang="ru")]
    # no Russian term: the English name, not a German or French one
    assert competencies[DATA["competency/energy-autarkic-sensors"]] == [Literal("Energy-autarkic sensors", lang="en")]


def test_the_drawn_nodes_are_named_in_the_page_language(client):
    """The drawing's node labels follow the page: Russian names where the data has them (a cluster,
    an organisation, a country from iso-codes), English elsewhere; the English page keeps English."""
    def labels(url, language):
        nodes = client.get(f"{url}&lang={language}").get_json()["nodes"]
        return {n["id"]: n["label"] for n in nodes}

    russian, english = labels(VIEWS["ego"], "ru"), labels(VIEWS["ego"], "en")
    assert set(russian) == set(english)
    assert "Авиационно-космический кластер Самарской области" in russian.values()
    assert "Авиакор-авиационный завод" in russian.values() and "Aviakor" not in russian.values()
    assert "Aviakor" in english.values() and not any("Авиакор" in label for label in english.values())
    assert labels(VIEWS["country"], "ru")["country:RU"] == "Российская Федерация"
    assert labels(VIEWS["country"], "en")["country:RU"] == "Russia"  # (its name, not its code: ISO's short name in English)


def test_the_pages_small_drawings_name_their_nodes_in_the_page_language(client):
    import json
    import re

    html = client.get("/clusters/samara-aerospace-cluster?lang=ru").get_data(as_text=True)
    graph = json.loads(re.search(r'<script type="application/json" id="graph-data-cluster">(.*?)</script>', html, re.S).group(1))
    names = {n["label"] for n in graph["nodes"]}
    assert "Авиакор-авиационный завод" in names and "Aviakor" not in names


def test_the_explorer_names_countries_in_the_page_language(client):
    """The filter's options and the table's country column: names in the page's language, English
    names on the English page; the nodes keep the codes the filter matches on."""
    for language, germany in (("ru", "Германия"), ("en", "Germany")):
        body = client.get(f"{VIEWS['partnerships']}&lang={language}" if "?" in VIEWS["partnerships"]
                          else f"{VIEWS['partnerships']}?lang={language}").get_json()
        assert body["country_labels"]["DE"] == germany
        german = [n for n in body["nodes"] if n.get("country") == "DE"]
        assert german and all(n["country_name"] == germany for n in german)
