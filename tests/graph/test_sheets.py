"""CSV sheets -> RDF and back: every column declared once, both directions agree."""

from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from clusterkg.graph.sheets import (
    DATA,
    SHEETS,
    build_rows,
    check_iri,
    graph_to_rows,
    read_sheet_file,
    sheet_for_file,
    write_sheets,
)
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


# --- hostile and malformed cells: located problems, never an exception, never a bad term ------

CLUSTER_HEADER = "id,name,countries,founded,website,member_count,member_count_year,source_url\n"


def cluster_problems(tmp_path, cells: str) -> list[str]:
    path = tmp_path / "clusters.csv"
    path.write_text(CLUSTER_HEADER + cells + "\n", encoding="utf-8")
    result = read_sheet_file(path)
    assert len(result.graph) == 0 or not result.problems
    return [str(p) for p in result.problems]


def test_a_cell_longer_than_the_csv_reader_accepts_is_located(tmp_path):
    problems = cluster_problems(tmp_path, "big," + "x" * 140_000 + ",DE,,,,,https://example.org/")
    assert problems == [
        "clusters.csv: row 2: name: the cell holds more than 131,072 characters; a cell holds at most 10,000;"
        " the rows after it were not read"
    ]


def test_a_too_long_cell_of_short_runs_is_still_located_by_row(tmp_path):
    problems = cluster_problems(tmp_path, 'big,"' + "a," * 70_000 + '",DE,,,,,https://example.org/')
    assert len(problems) == 1 and problems[0].startswith("clusters.csv: row 2: the cell holds more than 131,072 characters")


def test_a_cell_over_the_cell_limit_is_located(tmp_path):
    problems = cluster_problems(tmp_path, "big," + "x" * 10_001 + ",DE,,,,,https://example.org/")
    assert problems == ["clusters.csv: row 2: name: the cell holds 10,001 characters; a cell holds at most 10,000"]


@pytest.mark.parametrize("url", ["https://example.org/<x>", "https://example.org/{x}", "https://example.org/a^b",
                                 "https://example.org/%zz", 'https://example.org/"', "https://example.org/#a#b"])
def test_an_invalid_iri_in_a_url_cell_is_located(tmp_path, url):
    problems = cluster_problems(tmp_path, f"c,C,DE,,{url},,,https://example.org/ | {url}")
    assert [p.split(": not a valid IRI: ")[0] for p in problems] == ["clusters.csv: row 2: website", "clusters.csv: row 2: source_url"]
    assert all(repr(url) in p for p in problems)


@pytest.mark.parametrize("url", ["https://", "ftp://example.org/", "https://example.org:99999/", "example.org"])
def test_urls_need_http_a_host_and_a_valid_port(tmp_path, url):
    problems = cluster_problems(tmp_path, f"c,C,DE,,{url},,,https://example.org/")
    assert len(problems) == 1 and problems[0].startswith("clusters.csv: row 2: website: expected an http(s) URL")


@pytest.mark.parametrize("year", ["abc", "20x4", "2004-01", "٢٠٠٤", "２００４", "0000", "204", "20045", "+2004", "2004 AD"])
def test_years_are_four_ascii_digits(tmp_path, year):
    problems = cluster_problems(tmp_path, f"c,C,DE,{year},,5,{year},https://example.org/")
    assert [p.split(": expected")[0] for p in problems] == ["clusters.csv: row 2: founded", "clusters.csv: row 2: member_count_year"]


@pytest.mark.parametrize("number", ["lots", "٣", "３", "-1", "1.5", "1e3", "9" * 16, "+3"])
def test_whole_numbers_are_ascii_digits(tmp_path, number):
    problems = cluster_problems(tmp_path, f"c,C,DE,,,{number},,https://example.org/")
    assert len(problems) == 1 and problems[0].startswith("clusters.csv: row 2: member_count: expected a whole number")


@pytest.mark.parametrize("date", ["2004-13-01", "2004-02-30", "2004-1-1", "20040101", "2004-W01-1", "٢٠٠٤-01-01", "0000-01-01"])
def test_dates_are_calendar_dates(tmp_path, date):
    path = tmp_path / "partnerships.csv"
    path.write_text(f"id,name,level,participants,start,source_url\np,P,meta_cluster,a;b,{date},https://example.org/\n")
    problems = [str(p) for p in read_sheet_file(path).problems]
    assert len(problems) == 1 and problems[0].startswith("partnerships.csv: row 2: start: expected a")


@pytest.mark.parametrize("sheet, header, row", [
    ("clusters", "id,name,countries,source_url", "{id},X,DE,https://example.org/"),
    ("organisations", "id,name,type,source_url", "{id},X,sme,https://example.org/"),
    ("competencies", "id,label", "{id},X"),
    ("industries", "id,scheme,notation,label", "{id},eu-emerging-industries,x,X"),
    ("regions", "id,name,country", "{id},X,DE"),
    ("partnerships", "id,name,level,participants,source_url", "{id},X,meta_cluster,a;b,https://example.org/"),
    ("resources", "id,organisation,kind,label,source_url", "{id},o,service,X,https://example.org/"),
    ("developments", "id,organisation,label,source_url", "{id},o,X,https://example.org/"),
])
@pytest.mark.parametrize("bad_id", ["a--b", "-a", "a-", "A", "a_b", "a b", "é", "a/b", "a<b", "a#b", "x" * 101])
def test_malformed_ids_are_refused_with_the_id_rule(tmp_path, sheet, header, row, bad_id):
    path = tmp_path / f"{sheet}.csv"
    path.write_text(f"{header}\n{row.format(id=bad_id)}\n", encoding="utf-8")
    result = read_sheet_file(path)
    assert [(p.location, p.field) for p in result.problems] == [("row 2", "id")]
    assert "lowercase ASCII letters and digits in words joined by single hyphens" in result.problems[0].message
    assert "`--` joins the parts of composed ids" in result.problems[0].message
    assert len(result.graph) == 0


@pytest.mark.parametrize("column, bad", [("cluster", "a--b"), ("organisation", "b--c"), ("cluster", "A"), ("organisation", "x y")])
def test_malformed_references_are_refused_with_the_id_rule(tmp_path, column, bad):
    row = {"cluster": "a", "organisation": "c", "relation": "member", "source_url": "https://example.org/"}
    row[column] = bad
    graph, problems = build_rows("affiliations", [row], "affiliations.csv")
    assert [(p.location, p.field) for p in problems] == [("row 2", column)]
    assert problems[0].message.startswith("expected an id: lowercase ASCII letters")
    assert len(graph) == 0


def test_double_hyphen_ids_would_make_two_affiliations_one_node():
    """Why the id rule forbids `--`: it joins the parts of composed ids."""
    affiliation = SHEETS["affiliations"]
    one = affiliation.key({"cluster": "a--b", "organisation": "c", "relation": "member"})
    other = affiliation.key({"cluster": "a", "organisation": "b--c", "relation": "member"})
    assert one == other


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b", "\x7f\x08", "\ufffe", "\uffff"])
def test_text_cells_refuse_characters_xml_cannot_carry(tmp_path, character):
    problems = cluster_problems(tmp_path, f"c,C{character}x,DE,,,,,https://example.org/")
    assert len(problems) == 1 and problems[0].startswith("clusters.csv: row 2: name: holds the control character U+")


def test_text_cells_keep_tabs_line_breaks_and_any_script(tmp_path):
    path = tmp_path / "clusters.csv"
    path.write_text(CLUSTER_HEADER + 'c,"Кластер\tmit\nZeilen 🚀",DE,,,,,https://example.org/\n', encoding="utf-8")
    result = read_sheet_file(path)
    assert result.problems == []
    assert str(result.graph.value(DATA["cluster/c"], URIRef("http://www.w3.org/2000/01/rdf-schema#label"))) == "Кластер\tmit\nZeilen 🚀"


@pytest.mark.parametrize("code", ["de1", "DE D2", "D", "DE<2", "DE12345"])
def test_nuts_codes_become_iris_so_they_are_checked(tmp_path, code):
    path = tmp_path / "regions.csv"
    path.write_text(f"id,name,country,nuts_code\nr,R,DE,{code}\n")
    assert [(p.location, p.field) for p in read_sheet_file(path).problems] == [("row 2", "nuts_code")]


def test_nace_notations_become_iris_so_they_are_section_letters(tmp_path):
    path = tmp_path / "industries.csv"
    path.write_text("id,scheme,notation,label\n"
                    "a,nace-sections,C,Manufacturing\n"
                    "b,nace-sections,C 10,Food\n"
                    "c,eu-emerging-industries,free text,Mobility\n")
    problems = read_sheet_file(path).problems
    assert [(p.location, p.field) for p in problems] == [("row 3", "notation")]
    assert "section letter (A to U)" in problems[0].message


@pytest.mark.parametrize("text, expected", [
    ('id,name,countries,source_url\nc,"open,DE,https://example.org/\n', "row 2: a quoted cell is not closed"),
    ('id,name,countries,source_url\nc,"C"x,DE,https://example.org/\n', "row 2: text after the closing quote"),
    ("id,name,name,countries,source_url\n", "row 1: name: the column appears twice (columns 2 and 3)"),
    ("id,name,,countries,source_url\n", "row 1: column 3: a column without a name"),
    ("", "row 1: empty file"),
    ('"id,name,countries,source_url\n', "row 1: a quoted cell is not closed"),
    ("\ufeff\ufeffid,name,countries,source_url\n", "row 1: '\\ufeffid': unknown column"),
    ('id,name,countries,source_url\nc,C,DE,https://example.org/,extra\n', "row 2: more cells (5) than the 4 header columns"),
])
def test_csv_syntax_problems_are_located(tmp_path, text, expected):
    path = tmp_path / "clusters.csv"
    path.write_text(text, encoding="utf-8")
    problems = [str(p) for p in read_sheet_file(path).problems]
    assert any(expected in p for p in problems), problems
    assert all(p.startswith("clusters.csv: row ") for p in problems)


def test_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path):
    """Blank lines and multi-line cells count as the spreadsheet counts them (records, header = 1)."""
    path = tmp_path / "clusters.csv"
    path.write_bytes(b'id,name,countries,source_url\r\n\r\na,"A\r\nmulti",DE,https://example.org/\r\nBad,B,DE,https://example.org/\r\n')
    problems = read_sheet_file(path).problems
    assert [(p.location, p.field) for p in problems] == [("row 4", "id")]


def test_a_byte_order_mark_and_crlf_are_accepted(tmp_path):
    path = tmp_path / "countries.csv"
    path.write_bytes("\ufeffcode,name\r\nDE,Germany\r\n".encode())
    result = read_sheet_file(path)
    assert result.problems == [] and (DATA["country/DE"], RDF.type, CKG.Country) in result.graph


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16", "cp1251"])
def test_other_encodings_are_refused_with_the_line(tmp_path, encoding):
    path = tmp_path / "countries.csv"
    path.write_bytes("code,name\nDE,Deutschland\nRU,Россия ü\n".encode(encoding, errors="replace"))
    problems = [str(p) for p in read_sheet_file(path).problems]
    assert len(problems) == 1 and "not UTF-8 text" in problems[0] and ": line " in problems[0]


def test_rows_with_problems_never_build_an_invalid_iri(tmp_path):
    """Their (unwritten) nodes are built from safe parts, whatever the file name or id holds."""
    path = tmp_path / "my <weird> #-clusters.csv"
    path.write_text(CLUSTER_HEADER + "a<b>,X,DE,,,,,https://example.org/\n")
    result = read_sheet_file(path)
    assert [p.field for p in result.problems] == ["id"]
    for triple in result.partial:
        for term in triple:
            if isinstance(term, URIRef):
                check_iri(str(term))
