"""The command line, driven through click's runner, on an embedded store and on a real
``oxigraph serve`` (the tour), and beside a running ``clusterkg serve``."""

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

from clusterkg.cli import cli
from clusterkg.graph.running_server import NOTE_NAME, running_server

DATA_DIR = Path(__file__).parent / "data"
MINI = [str(p) for p in sorted((DATA_DIR / "mini").glob("*.csv"))]
VERBS = ["init", "import", "validate", "export", "query", "stats", "generate", "identify", "communities", "brokers", "matchmake", "recommend", "applications", "disseminate", "gaps", "partners"]


@pytest.fixture(params=["embedded", "oxigraph-server", "virtuoso-server"])
def run(request, tmp_path):
    """Invoke the CLI on a store of its own: an embedded one in tmp_path, or an emptied
    ``oxigraph serve`` or Virtuoso named by its query URL alone (the rest derived)."""
    if request.param == "embedded":
        where = ["--store", str(tmp_path / "store")]
    else:
        server = request.getfixturevalue(request.param.replace("-", "_"))
        with server.connect() as store:
            store.clear()
        where = ["--endpoint", server.query_url]

    def invoke(*args: str):
        return CliRunner().invoke(cli, [*where, *args], catch_exceptions=False)

    invoke.backend = request.param
    return invoke


@pytest.fixture()
def embedded_run(tmp_path):
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


def test_command_without_store_explains_what_to_do(embedded_run):
    result = embedded_run("stats")
    assert result.exit_code == 1 and "clusterkg init" in result.output


def test_stats_counts_what_was_imported(mini_store):
    result = mini_store("stats", "--format", "json")
    counts = json.loads(result.output)
    assert counts["clusters"] == 3
    assert counts["organisations"] == 2
    assert counts["partnerships"] == 1
    assert counts["countries with clusters"] == 3


def test_query_answers_which_german_organisations_have_a_competency(mini_store):
    # (DISTINCT, as a user listing names writes it: in one full CI run Virtuoso answered
    # Globalfoundries twice for this path, once more than SPARQL 1.1's set semantics of `*` give)
    sparql = """PREFIX ckg: <https://w3id.org/clusterkg/ns#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT DISTINCT ?name WHERE {
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


# --------------------------------------------------------------------------- where the data is

ROOT = Path(__file__).parent.parent
DEFAULT_CLUSTERS = len((ROOT / "data" / "sheets" / "clusters.csv").read_text(encoding="utf-8").splitlines()) - 1
# `clusterkg init` also loads the shipped open data: the US Cluster Mapping organisations are clusters too
DEFAULT_CLUSTERS += sum(line.endswith(" <https://w3id.org/clusterkg/ns#Cluster> .")
                        for path in (ROOT / "data" / "open").glob("*.nt.gz")
                        for line in gzip.open(path, "rt", encoding="utf-8").read().splitlines())


def test_the_readme_remote_example_works_with_a_store_variable_exported(oxigraph_server, tmp_path, monkeypatch):
    """`clusterkg --endpoint http://127.0.0.1:7878/query init`: the update and Graph Store URLs are
    derived, and the flag beats an exported CLUSTERKG_STORE."""
    with oxigraph_server.connect() as store:
        store.clear()
    unused = tmp_path / "never-created"
    monkeypatch.setenv("CLUSTERKG_STORE", str(unused))
    result = CliRunner().invoke(cli, ["--endpoint", oxigraph_server.query_url, "init"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("store ready:")
    counts = json.loads(CliRunner().invoke(cli, ["--endpoint", oxigraph_server.query_url, "stats", "--format", "json"]).output)
    assert counts["clusters"] == DEFAULT_CLUSTERS
    assert not unused.exists()


def test_an_explicit_update_endpoint_overrides_the_derived_one(oxigraph_server, monkeypatch):
    with oxigraph_server.connect() as store:
        store.clear()
    monkeypatch.setenv("CLUSTERKG_UPDATE_ENDPOINT", "http://127.0.0.1:9/update")  # nothing listens there
    monkeypatch.setenv("CLUSTERKG_GRAPH_STORE_ENDPOINT", "http://127.0.0.1:9/store")
    result = CliRunner().invoke(cli, ["--endpoint", oxigraph_server.query_url, "init", "--no-default-data"])
    # every write is one SPARQL Update (data, version and history together): it goes to the update URL
    assert result.exit_code == 1 and "http://127.0.0.1:9/update" in result.output, result.output
    with oxigraph_server.connect() as store:
        assert store.triple_count() == 0


def test_store_flag_beats_an_exported_endpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("CLUSTERKG_ENDPOINT", "http://127.0.0.1:9/query")  # nothing listens on port 9
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "s"), "init", "--no-default-data"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s").is_dir()


def test_two_exported_locations_are_refused_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("CLUSTERKG_ENDPOINT", "http://127.0.0.1:9/query")
    monkeypatch.setenv("CLUSTERKG_STORE", str(tmp_path / "s"))
    result = CliRunner().invoke(cli, ["stats"])
    assert result.exit_code == 1
    assert "both CLUSTERKG_STORE and CLUSTERKG_ENDPOINT are set" in result.output


def test_a_bad_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("CLUSTERKG_ENDPOINT", "127.0.0.1:7878/query")
    result = CliRunner().invoke(cli, ["stats"])
    assert result.exit_code == 1
    assert "CLUSTERKG_ENDPOINT='127.0.0.1:7878/query' is not valid: expected an http:// or https:// URL" in result.output


def test_a_bad_setting_read_by_an_option_default_is_one_line_not_a_traceback(tmp_path):
    env = {**os.environ, "CLUSTERKG_PORT": "abc"}
    result = subprocess.run([sys.executable, "-m", "clusterkg", "--store", str(tmp_path), "serve"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: CLUSTERKG_PORT='abc' is not valid: expected a port number"


# --------------------------------------------------------------------------- beside `clusterkg serve`

NEW_COUNTRY = "code,name,source_url\nAD,Andorra,https://www.iso.org/obp/ui/#iso:code:3166:AD\n"
ANDORRA = "ASK { <https://w3id.org/clusterkg/id/country/AD> ?p ?o }"


@pytest.fixture(scope="module")
def default_store_template(tmp_path_factory):
    """The README's store: `clusterkg init` with the bundled dataset (copied by each test)."""
    path = tmp_path_factory.mktemp("cli-default") / "store"
    result = CliRunner().invoke(cli, ["--store", str(path), "init"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture()
def served_copy(default_store_template, tmp_path):
    return Path(shutil.copytree(default_store_template, tmp_path / "store"))


def _cli(store: Path, *args: str):
    return CliRunner().invoke(cli, ["--store", str(store), *args])


def _server_asks(url: str, query: str) -> bool:
    with urllib.request.urlopen(url + "/sparql?" + urllib.parse.urlencode({"query": query}), timeout=30) as response:
        return json.loads(response.read())["boolean"]


def test_the_readme_tour_reads_while_the_server_runs(served_copy, clusterkg_serve, tmp_path):
    """Read verbs open the store read-only beside the server; writes to a server that takes
    none are refused with what to do; after it stops, writes work again."""
    before = _cli(served_copy, "export", "--format", "nt").output
    extra = tmp_path / "countries.csv"
    extra.write_text(NEW_COUNTRY, encoding="utf-8")
    with clusterkg_serve(served_copy) as url:
        assert running_server(served_copy).url == url
        counts = json.loads(_cli(served_copy, "stats", "--format", "json").output)
        assert counts["clusters"] == DEFAULT_CLUSTERS
        answer = _cli(served_copy, "query", f"@{ROOT / 'data/queries/german-semiconductor-organisations.rq'}", "--format", "csv")
        assert answer.exit_code == 0 and len(answer.output.splitlines()) > 1, answer.output
        assert _cli(served_copy, "export", "--format", "nt").output == before
        gaps = json.loads(_cli(served_copy, "gaps", "Silicon Saxony", "--template", "semiconductors", "--limit", "5",
                               "--format", "json").output)
        assert gaps["cluster"]["id"] == "silicon-saxony" and len(gaps["combined"]) == 5
        partners = json.loads(_cli(served_copy, "partners", "Medicon Valley", "--limit", "5", "--format", "json").output)
        assert len(partners["partners"]) == 5
        for verb in (["recommend", "Silicon Saxony"], ["applications", "Silicon Saxony"], ["communities"], ["brokers"],
                     ["matchmake", "-p", "Silicon Saxony", "-p", "Minalogic", "-p", "Medicon Valley", "--rounds", "1"],
                     ["validate", str(extra)], ["import", "--dry-run", str(extra)]):
            result = _cli(served_copy, *verb)
            assert result.exit_code == 0, (verb, result.output)
        refused = _cli(served_copy, "import", str(extra))
        assert refused.exit_code == 1
        assert "takes no writes" in refused.output and "CLUSTERKG_ADMIN_TOKEN" in refused.output
        assert "kill " in refused.output
        assert not _server_asks(url, ANDORRA)
    assert not (served_copy / NOTE_NAME).exists()
    written = _cli(served_copy, "import", str(extra))
    assert written.exit_code == 0, written.output
    assert _cli(served_copy, "query", ANDORRA).output.strip() == "true"


def test_writes_go_through_the_running_server_with_the_admin_token(served_copy, clusterkg_serve, tmp_path, monkeypatch):
    extra = tmp_path / "countries.csv"
    extra.write_text(NEW_COUNTRY, encoding="utf-8")
    broken = tmp_path / "organisations.csv"
    broken.write_text("id,name,type,country,source_url\nx,X,not-a-type,ZZ,https://example.org/x\n", encoding="utf-8")
    with clusterkg_serve(served_copy, admin_token="s3cret") as url:
        without_token = _cli(served_copy, "import", str(extra))
        assert without_token.exit_code == 1
        assert "set CLUSTERKG_ADMIN_TOKEN to its admin token" in without_token.output
        monkeypatch.setenv("CLUSTERKG_ADMIN_TOKEN", "s3cret")
        rejected = _cli(served_copy, "import", str(broken))
        assert rejected.exit_code == 1 and "nothing was written" in rejected.output
        recorded = len(json.loads(_cli(served_copy, "history", "--format", "json", "--limit", "1000").output))
        imported = _cli(served_copy, "import", str(extra))
        assert imported.exit_code == 0, imported.output
        assert _server_asks(url, ANDORRA)  # the server wrote it
        # recorded once, as the import it was (not again as the server's generic "update"), revertible
        history = json.loads(_cli(served_copy, "history", "--format", "json", "--limit", "1000").output)
        assert len(history) == recorded + 1, history[recorded:]
        new = int(re.search(r"(\d+) new", imported.output).group(1))
        assert (history[-1]["operation"], history[-1]["agent"], history[-1]["added"]) == ("import", "admin", new) != 0
        assert history[-1]["files"] == [str(extra)] and history[-1]["revertible"]
        seen = _cli(served_copy, "query", ANDORRA)
        assert seen.output.strip() == "true", (seen.output, seen.exception)  # a new reader sees it
        again = _cli(served_copy, "init", "--no-open-data")  # 260k triples through the server: see issue 9
        assert again.exit_code == 0 and again.output.startswith("store ready:"), again.output
        monkeypatch.setenv("CLUSTERKG_ADMIN_TOKEN", "wrong")
        wrong = _cli(served_copy, "import", str(extra))
        assert wrong.exit_code == 1 and re.search(r"HTTP 40[13]", wrong.output), wrong.output
    assert _cli(served_copy, "query", ANDORRA).output.strip() == "true"


def test_the_endpoint_of_a_running_clusterkg_serve_is_derived(served_copy, clusterkg_serve):
    from clusterkg.graph.store import open_store

    with clusterkg_serve(served_copy, admin_token="s3cret") as url:
        with open_store(endpoint=url + "/sparql", token="s3cret") as remote:
            assert (remote.update_url, remote.graph_store_url) == (url + "/sparql", url + "/store")
            before = remote.triple_count()
            remote.insert_ntriples(b'<https://example.org/a> <https://example.org/b> "c" .\n')
            assert remote.triple_count() == before + 1
