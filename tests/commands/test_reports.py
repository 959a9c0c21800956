"""The writing verbs under ``--lang ru`` (import, validate, delete, ingest, users), and their
English unchanged: each report rebuilt as a reason says exactly what the graph's report says."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from clusterkg.cli import cli
from clusterkg.commands.reports import deleted, imported, ingested, still_referenced, validated
from clusterkg.graph.deletion import _MAX_LISTED, DeleteReport, StillReferenced
from clusterkg.graph.importer import ImportReport
from tests.webapp.test_importing import english_words_left

DATA_DIR = Path(__file__).parent.parent / "data"
MINI = [str(p) for p in sorted((DATA_DIR / "mini").glob("*.csv"))]
ORG = "org/globalfoundries-dresden"
REFERENCE = ("https://w3id.org/clusterkg/id/a", "https://w3id.org/clusterkg/ns#organisation", "https://w3id.org/clusterkg/id/b")


@pytest.mark.parametrize("report", [
    ImportReport(files=2, batch_triples=1234, triples_before=10, triples_after=1200, dry_run=False),
    ImportReport(files=1, batch_triples=5, triples_before=10, triples_after=12, dry_run=False, removed=3),
    ImportReport(files=3, batch_triples=7, triples_before=0, triples_after=0, dry_run=True),
])
def test_an_import_report_says_in_english_what_the_importer_says(report):
    assert str(imported(report)) == str(report)
    if report.dry_run:
        assert str(validated(report)) == str(report).replace(" (dry run, nothing written)", "")


@pytest.mark.parametrize("references", [(), (REFERENCE,), (REFERENCE,) * 2])
def test_a_delete_report_says_in_english_what_the_deletion_says(references):
    report = DeleteReport(resources=("cluster/a",), removed=9, references_removed=references)
    assert str(deleted(report)) == str(report)


@pytest.mark.parametrize("count", [1, _MAX_LISTED + 3])
def test_a_refused_delete_says_in_english_what_the_deletion_says(count):
    error = StillReferenced([REFERENCE] * count)
    assert str(still_referenced(error, _MAX_LISTED)) == str(error)


def test_an_ingest_line_in_english_is_the_old_line():
    counts = {"projects": 2, "organisations": 8}
    assert str(ingested("cordis-h2020", counts, 40)) == "cordis-h2020: 2 projects, 8 organisations; 40 triples"


@pytest.fixture()
def run(tmp_path):
    store = str(tmp_path / "store")
    environment = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8", "CLUSTERKG_ACCOUNTS": str(tmp_path / "accounts.sqlite")}

    def invoke(*args: str):
        return CliRunner(env=environment).invoke(cli, ["--store", store, *args], catch_exceptions=False)

    assert invoke("init", "--no-default-data").exit_code == 0
    return invoke


def _russian(text: str) -> None:
    """Russian prose, with only IRIs, ids, codes and option names in Latin letters."""
    assert re.search("[а-яё]", text), text
    assert english_words_left(text.replace("--cascade", "").replace("--admin", "").replace("--cluster ID", "")) == [], text


def test_the_writing_verbs_speak_russian_under_lang_ru(run, tmp_path):
    ready = run("init", "--no-default-data", "--lang", "ru")
    assert ready.exit_code == 0 and re.fullmatch(r"хранилище готово, триплетов: [\d\xa0 ]+\n", ready.output), ready.output
    result = run("import", "--lang", "ru", *MINI)
    assert result.exit_code == 0 and result.output.startswith("импортировано файлов: 8; триплетов в пакете: 143")
    _russian(result.output)
    result = run("validate", "--lang", "ru", *MINI)
    assert result.exit_code == 0 and result.output.startswith("без ошибок: файлов: 8")
    _russian(result.output)

    refused = run("delete", "--lang", "ru", ORG)
    assert refused.exit_code == 1 and "ничего не удалено" in refused.output
    _russian(refused.output)
    unknown = run("delete", "--lang", "ru", "cluster/no-such-cluster")
    assert unknown.exit_code == 1 and re.search("[а-яё]", unknown.output), unknown.output
    done = run("delete", "--cascade", "--lang", "ru", ORG)
    assert done.exit_code == 0 and done.output.startswith("удалено ресурсов: 1; удалено триплетов: ")
    _russian(done.output)

    ingest = run("ingest", "us-cluster-mapping", str(DATA_DIR / "open" / "us-cluster-mapping"), "--dry-run", "--lang", "ru")
    first = ingest.output.splitlines()[0]
    assert first.startswith("us-cluster-mapping: организации кластеров: 3, категории: "), first
    _russian(first)

    history = run("history", "--lang", "ru").output.splitlines()
    assert [line.split()[1] for line in history][-3:] == ["изменение", "импорт", "удаление"], history
    assert [line.split()[1] for line in run("history").output.splitlines()][-3:] == ["update", "import", "delete"]

    usage = run("users", "add", "a@example.org", "--lang", "ru")
    assert usage.exit_code == 2 and "укажите --cluster ID" in usage.output
    assert run("users", "add", "a@example.org", "--admin", "--lang", "ru").exit_code == 0
    assert run("users", "list", "--lang", "ru").output == "a@example.org\ta\tадминистратор\tприглашение\n"
    assert run("users", "list").output == "a@example.org\ta\tadmin\tinvited\n"
