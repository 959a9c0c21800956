"""``clusterkg import --replace``, ``delete`` and ``history`` on a real on-disk store."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from clusterkg.cli import cli

DATA_DIR = Path(__file__).parent.parent / "data"
MINI = [str(p) for p in sorted((DATA_DIR / "mini").glob("*.csv"))]
ID = "https://w3id.org/clusterkg/id/"
ORG = "org/globalfoundries-dresden"
IRI = ID + ORG


@pytest.fixture()
def run(tmp_path):
    store = str(tmp_path / "store")

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--store", store, *args], catch_exceptions=False)

    assert invoke("init", "--no-default-data").exit_code == 0
    result = invoke("import", "--agent", "loader", *MINI)
    assert result.exit_code == 0, result.output
    return invoke


def _count(run, query: str) -> int:
    result = run("query", query, "--format", "csv")
    return int(result.output.splitlines()[1])


def test_delete_refuses_while_others_point_at_it_and_lists_them(run):
    before = _count(run, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    result = run("delete", ORG)
    assert result.exit_code == 1
    assert "point at what you asked to delete; nothing was deleted" in result.output
    assert f"<{IRI}>" in result.output and "clusterkg/ns#organisation>" in result.output
    assert _count(run, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == before


def test_delete_cascade_removes_the_references_and_lists_them(run):
    """An organisation's membership and claim stand on it: they go with it, listed."""
    result = run("delete", "--cascade", "--agent", "editor", ORG)
    assert result.exit_code == 0, result.output
    rows = [f"{ID}affiliation/silicon-saxony--globalfoundries-dresden--member",
            f"{ID}claim/globalfoundries-dresden--semiconductor-manufacturing"]
    assert result.output.endswith("\n2 row(s) that stood on them went with them:\n" +
                                  "".join(f"  <{row}>\n" for row in rows)), result.output
    for node in [IRI, *rows]:
        assert _count(run, f"SELECT (COUNT(*) AS ?n) WHERE {{ {{ <{node}> ?p ?o }} UNION {{ ?s ?p <{node}> }} }}") == 0
    history = json.loads(run("history", "--format", "json").output)
    assert [(h["operation"], h["agent"]) for h in history] == [("update", history[0]["agent"]), ("import", "loader"), ("delete", "editor")]
    assert history[-1]["removed"] > 0


def test_delete_cascade_of_a_cluster_lists_its_members_shortcuts_and_affiliations(run):
    result = run("delete", "--cascade", "cluster/silicon-saxony")
    assert result.exit_code == 0, result.output
    head, rows = result.output.split("\n2 row(s) that stood on them went with them:\n")
    assert head.startswith("deleted 1 resource(s): ") and ", including 4 reference(s) from other resources:" in head
    assert f"<{IRI}> <http://www.w3.org/ns/org#memberOf> <{ID}cluster/silicon-saxony>" in head
    assert rows == f"  <{ID}affiliation/silicon-saxony--globalfoundries-dresden--member>\n" \
                   f"  <{ID}affiliation/silicon-saxony--zentrum-mikroelektronik-dresden--member>\n"
    assert _count(run, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p <{ID}cluster/silicon-saxony> }}") == 0


def test_delete_of_a_membership_takes_the_shortcuts_only_it_stood_behind(run, tmp_path):
    """Nothing points at a membership, so it goes without --cascade, and with it Globalfoundries'
    org:memberOf and ckg:affiliatedWith: left behind, they would have nothing behind them, and the
    next change to Globalfoundries would be refused for them."""
    result = run("delete", "affiliation/silicon-saxony--globalfoundries-dresden--member")
    assert result.exit_code == 0, result.output
    assert _count(run, f"SELECT (COUNT(*) AS ?n) WHERE {{ <{IRI}> ?p <{ID}cluster/silicon-saxony> }}") == 0
    change = tmp_path / "note.nt"
    change.write_text(f'<{IRI}> <http://www.w3.org/2000/01/rdf-schema#comment> "a fab in Dresden" .\n')
    assert run("import", str(change)).exit_code == 0


def test_a_deletion_that_would_leave_the_graph_invalid_is_refused_with_the_problems(run):
    before = _count(run, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    result = run("delete", "--cascade", "cluster/minalogic")
    assert result.exit_code == 1
    assert "ckg:participant: A partnership needs at least two participants" in result.output, result.output
    assert "partnership/technounity-minalogic-agreement" in result.output
    assert _count(run, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == before


def test_delete_of_an_unknown_resource_is_a_clear_error(run):
    result = run("delete", "cluster/no-such-cluster")
    assert result.exit_code == 1 and "unknown resource" in result.output


def test_delete_under_the_wrong_kind_names_the_resource_with_that_id(run):
    before = _count(run, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    result = run("delete", "organisation/globalfoundries-dresden")
    assert result.exit_code == 1
    assert f"did you mean: {ORG}" in result.output.splitlines()[-1]
    assert "did you mean" not in run("delete", "cluster/no-such-cluster").output
    assert _count(run, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == before


def test_import_replace_and_history_listing(run, tmp_path):
    corrected = tmp_path / "org.nt"
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    rows = run("query", f"CONSTRUCT {{ <{IRI}> ?p ?o }} WHERE {{ <{IRI}> ?p ?o FILTER(?p != <{label}>) }}")
    assert rows.exit_code == 0
    from rdflib import Graph

    graph = Graph().parse(data=rows.output, format="turtle")
    lines = [f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in graph]
    lines.append(f'<{IRI}> <{label}> "GF Dresden" .')
    corrected.write_text("\n".join(lines) + "\n")
    result = run("import", "--replace", str(corrected))
    assert result.exit_code == 0, result.output
    assert "replaced triples removed" in result.output
    listing = run("history").output.splitlines()
    assert listing[-1].split()[1] == "replace" and str(corrected) in listing[-1]
    assert _count(run, f'SELECT (COUNT(*) AS ?n) WHERE {{ <{IRI}> <{label}> ?l }}') == 1
