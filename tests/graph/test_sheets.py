"""CSV sheets -> RDF and back: every column declared once, both directions agree."""

from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from clusterkg.graph.sheets import DATA, SHEETS, graph_to_rows, read_sheet_file, sheet_for_file, write_sheets
from clusterkg.ontology.namespace import CKG

MINI = Path(__file__).parent.parent / "data" / "mini"
BROKEN = Path(__file__).parent.parent / "data" / "broken"
ORG = "http://www.w3.org/ns/org#"


def mini_graph() -> Graph:
    graph = Graph()
    for path in sorted(MINI.glob("*.csv")):
        result = read_sheet_file(path)
        assert result.problems == [], result.problems
        graph += result.graph
    return graph


def test_fixture_files_are_found():
    assert len(list(MINI.glob("*.csv"))) == 8


@pytest.mark.parametrize(
    "file_name, sheet",
    [("clusters.csv", "clusters"), ("2026-clusters.csv", "clusters"), ("my_organisation_competencies.csv", "organisation_competencies"), ("organisations.csv", "organisations")],
)
def test_sheet_is_recognised_by_file_name(file_name, sheet):
    assert sheet_for_file(file_name).name == sheet


def test_unknown_sheet_name_is_a_problem(tmp_path):
    path = tmp_path / "members.csv"
    path.write_text("a,b\n1,2\n")
    problems = read_sheet_file(path).problems
    assert len(problems) == 1 and "unknown sheet" in problems[0].message


def test_membership_row_builds_qualified_and_shortcut_triples():
    graph = mini_graph()
    org = DATA["org/globalfoundries-dresden"]
    cluster = DATA["cluster/silicon-saxony"]
    affiliation = DATA["affiliation/silicon-saxony--globalfoundries-dresden--member"]
    assert (affiliation, RDF.type, CKG.Affiliation) in graph
    assert (affiliation, RDF.type, URIRef(ORG + "Membership")) in graph
    assert (affiliation, CKG.affiliationType, CKG.Member) in graph
    assert (org, URIRef(ORG + "memberOf"), cluster) in graph
    assert (org, CKG.affiliatedWith, cluster) in graph
    assert (org, RDF.type, CKG.LargeEnterprise) in graph
    assert (org, RDF.type, URIRef(ORG + "FormalOrganization")) in graph


def test_competency_claim_carries_its_source():
    graph = mini_graph()
    claim = DATA["claim/globalfoundries-dresden--semiconductor-manufacturing"]
    assert (DATA["org/globalfoundries-dresden"], CKG.qualifiedCompetency, claim) in graph
    assert (DATA["org/globalfoundries-dresden"], CKG.hasCompetency, DATA["competency/semiconductor-manufacturing"]) in graph
    assert list(graph.objects(claim, URIRef("http://purl.org/dc/terms/source"))) == [URIRef("https://de-academic.com/dic.nsf/dewiki/1289459")]


def test_multi_valued_cells_and_typed_values():
    graph = mini_graph()
    minalogic = DATA["cluster/minalogic"]
    cities = {str(o) for o in graph.objects(minalogic, URIRef("https://schema.org/addressLocality"))}
    assert cities == {"Grenoble", "Lyon"}
    assert graph.value(minalogic, CKG.memberCount) == Literal(475)
    assert graph.value(minalogic, URIRef("https://schema.org/foundingDate")).datatype == URIRef("http://www.w3.org/2001/XMLSchema#gYear")


def test_every_cell_error_is_reported_with_row_and_column():
    problems = read_sheet_file(BROKEN / "clusters.csv").problems
    located = {(p.location, p.field) for p in problems}
    assert ("row 2", "id") in located
    assert ("row 2", "countries") in located
    assert ("row 2", "founded") in located
    assert ("row 2", "website") in located
    assert ("row 2", "member_count") in located
    assert ("row 3", "source_url") in located
    assert all(p.file == "clusters.csv" for p in problems)


def test_unknown_and_missing_columns_are_named(tmp_path):
    path = tmp_path / "clusters.csv"
    path.write_text("id,name,colour\nx,X,red\n")
    problems = read_sheet_file(path).problems
    messages = " | ".join(str(p) for p in problems)
    assert "colour" in messages and "unknown column" in messages
    assert "countries" in messages and "source_url" in messages


def test_duplicate_ids_are_reported(tmp_path):
    path = tmp_path / "countries.csv"
    path.write_text("code,name\nDE,Germany\nDE,Deutschland\n")
    problems = read_sheet_file(path).problems
    assert [str(p) for p in problems] == ["countries.csv: row 3: code: duplicate of row 2"]


def test_export_then_import_gives_the_same_graph(tmp_path):
    graph = mini_graph()
    counts = write_sheets(graph, tmp_path)
    assert counts["clusters"] == 3 and counts["organisation_competencies"] == 2
    again = Graph()
    for path in sorted(tmp_path.glob("*.csv")):
        result = read_sheet_file(path)
        assert result.problems == []
        again += result.graph
    assert isomorphic(graph, again)


def test_rows_recovered_from_graph_match_the_sheet_cells():
    rows = list(graph_to_rows(mini_graph(), SHEETS["partnerships"]))
    assert rows == [
        {
            "id": "technounity-minalogic-agreement",
            "name": "Technounity – Minalogic cooperation agreement",
            "level": "cooperation_agreement",
            "participants": "minalogic; technounity",
            "start": "2013",
            "end": "",
            "topic": "microelectronics",
            "source_url": "http://www.technounity.com/klaster/partnery/grenoblskiy-mikroelektronnyy-klaster/",
            "source_quote": "signed an “Agreement on Cooperation between the Zelenograd cluster “Technounity” and the Grenoble cluster “Minalogic”.",
        }
    ]
