"""The command line, driven through click's runner against real on-disk stores."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

from clusterkg.cli import cli

DATA_DIR = Path(__file__).parent / "data"
MINI = [str(p) for p in sorted((DATA_DIR / "mini").glob("*.csv"))]
VERBS = ["init", "import", "validate", "export", "query", "stats", "generate", "identify", "communities", "brokers", "matchmake", "recommend", "applications", "disseminate", "gaps", "partners"]


@pytest.fixture()
def run(tmp_path, monkeypatch):
    """Invoke the CLI on a store of its own in tmp_path."""
    monkeypatch.delenv("CLUSTERKG_ENDPOINT", raising=False)
    store = str(tmp_path / "store")

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--store", store, *args], catch_exceptions=False)

    return invoke


@pytest.fixture()
def mini_store(run):
    assert run("init", "--no-default-data").exit_code == 0
    result = run("import", *MINI)
    assert result.exit_code == 0, result.output
    return run


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help(verb):
    result = CliRunner().invoke(cli, [verb, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_usage_error_exits_2():
    result = subprocess.run([sys.executable, "-m", "clusterkg", "import"], capture_output=True, text=True)
    assert result.returncode == 2 and "Missing argument" in result.stderr


def test_command_without_store_explains_what_to_do(run):
    result = run("stats")
    assert result.exit_code == 1 and "clusterkg init" in result.output


def test_stats_counts_what_was_imported(mini_store):
    result = mini_store("stats", "--format", "json")
    counts = json.loads(result.output)
    assert counts["clusters"] == 3
    assert counts["organisations"] == 2
    assert counts["partnerships"] == 1
    assert counts["countries with clusters"] == 3


def test_query_answers_which_german_organisations_have_a_competency(mini_store):
    sparql = """PREFIX ckg: <https://w3id.org/clusterkg/ns#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?name WHERE {
      ?org ckg:hasCompetency/<http://www.w3.org/2004/02/skos/core#broader>* <https://w3id.org/clusterkg/id/competency/microelectronics> ;
           ckg:country <https://w3id.org/clusterkg/id/country/DE> ; rdfs:label ?name }
    ORDER BY ?name"""
    table = mini_store("query", sparql)
    assert table.exit_code == 0
    assert "Globalfoundries (Dresden)" in table.output and "(2 rows)" in table.output
    as_json = json.loads(mini_store("query", sparql, "--format", "json").output)
    assert [b["name"]["value"] for b in as_json["results"]["bindings"]] == ["Globalfoundries (Dresden)", "Zentrum Mikroelektronik Dresden (ZMD)"]
    as_csv = mini_store("query", sparql, "--format", "csv").output.splitlines()
    assert as_csv[0] == "name" and len(as_csv) == 3


def test_query_from_file_and_ask(mini_store, tmp_path):
    path = tmp_path / "q.rq"
    path.write_text("ASK { <https://w3id.org/clusterkg/id/cluster/minalogic> ?p ?o }")
    result = mini_store("query", f"@{path}")
    assert result.output.strip() == "true"


def test_bad_query_is_a_user_error(mini_store):
    result = mini_store("query", "SELECT * WHERE { ?s ?p }")
    assert result.exit_code == 1 and "Error" in result.output


def test_broken_import_lists_every_problem_and_changes_nothing(mini_store):
    before = mini_store("export", "--format", "nt").output
    result = mini_store("import", str(DATA_DIR / "broken" / "clusters.csv"), str(DATA_DIR / "broken" / "affiliations.csv"))
    assert result.exit_code == 1
    located = re.findall(r"^\S+\.csv: row \d+: \S+", result.output, flags=re.MULTILINE)
    assert len(located) >= 8
    assert "nothing was written" in result.output
    assert mini_store("export", "--format", "nt").output == before


def test_validate_and_dry_run_do_not_write(mini_store, tmp_path):
    extra = tmp_path / "countries.csv"
    extra.write_text("code,name\nKZ,Kazakhstan\n")
    assert mini_store("validate", str(extra)).exit_code == 0
    assert mini_store("import", "--dry-run", str(extra)).exit_code == 0
    assert "kazakhstan" not in mini_store("export", "--format", "nt").output.lower()


@pytest.mark.parametrize("fmt, parser", [("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"), ("rdfxml", "xml")])
def test_rdf_exports_parse_back_to_the_same_graph(mini_store, fmt, parser):
    reference = Graph().parse(data=mini_store("export", "--format", "nt").output, format="nt")
    exported = Graph().parse(data=mini_store("export", "--format", fmt).output, format=parser)
    assert len(exported) == len(reference) > 100
    from rdflib.compare import isomorphic

    assert isomorphic(exported, reference)


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_network_exports_load_in_networkx(mini_store, tmp_path, fmt):
    import networkx as nx

    path = tmp_path / f"graph.{fmt}"
    assert mini_store("export", "--format", fmt, "-o", str(path)).exit_code == 0
    network = nx.read_graphml(path) if fmt == "graphml" else nx.read_gexf(path)
    kinds = {data["kind"] for _, data in network.nodes(data=True)}
    assert {"cluster", "organisation", "competency", "country"} <= kinds
    assert network.number_of_edges() > 5


def test_csv_export_reimports_to_the_same_graph(mini_store, tmp_path, run):
    out = tmp_path / "sheets"
    assert mini_store("export", "--format", "csv", "-o", str(out)).exit_code == 0
    first = mini_store("export", "--format", "nt").output
    other = CliRunner()
    store2 = str(tmp_path / "store2")
    assert other.invoke(cli, ["--store", store2, "init", "--no-default-data"]).exit_code == 0
    result = other.invoke(cli, ["--store", store2, "import", *map(str, sorted(out.glob("*.csv")))])
    assert result.exit_code == 0, result.output
    second = other.invoke(cli, ["--store", store2, "export", "--format", "nt"]).output
    from rdflib.compare import isomorphic

    assert isomorphic(Graph().parse(data=first, format="nt"), Graph().parse(data=second, format="nt"))


def test_csv_export_needs_a_directory(mini_store):
    result = mini_store("export", "--format", "csv")
    assert result.exit_code == 1 and "--output" in result.output


def test_generate_writes_and_loads_a_synthetic_graph(run, tmp_path):
    out = tmp_path / "synthetic.nt"
    result = run("generate", "--clusters", "5", "--organisations", "60", "--competencies", "30", "-o", str(out), "--load")
    assert result.exit_code == 0, result.output
    written = Graph().parse(out, format="nt")
    counts = json.loads(run("stats", "--format", "json").output)
    assert counts["clusters"] == 5 and counts["organisations"] >= 60
    assert counts["triples"] >= len(written) > 0


def test_generate_needs_a_destination(run):
    assert run("generate").exit_code == 2
