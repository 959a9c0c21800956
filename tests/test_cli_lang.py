"""``--lang``: the analysis verbs print their text for people in Russian from the same catalogue
as the pages; JSON stays the English API; the default comes from the environment."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from clusterkg.cli import cli


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """The README's store: `clusterkg init` with the bundled dataset (read only by these tests)."""
    path = tmp_path_factory.mktemp("cli-lang") / "store"
    result = CliRunner().invoke(cli, ["--store", str(path), "init"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return path


def _run(store: Path, *args: str, env: dict | None = None) -> str:
    environment = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8", **(env or {})}
    result = CliRunner(env=environment).invoke(cli, ["--store", str(store), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_partners_in_russian_headers_why_lines_and_summary(store):
    english = _run(store, "partners", "silicon-saxony", "--limit", "5", "--lang", "en")
    russian = _run(store, "partners", "silicon-saxony", "--limit", "5", "--lang", "ru")
    assert english.splitlines()[0].split()[:3] == ["rank", "organisation_id", "organisation_label"]
    header = russian.splitlines()[0]
    assert "место" in header and "организация" in header and "почему" in header and "rank" not in header
    assert "covers " in english and "покрывает: " in russian and "covers " not in russian
    assert "smallest covering set" in english and "наименьший покрывающий набор" in russian
    assert "smallest covering set" not in russian


def test_csv_keeps_its_column_names_and_says_the_why_lines_in_the_language(store):
    rows = list(csv.DictReader(io.StringIO(_run(store, "partners", "silicon-saxony", "--limit", "5", "--format", "csv",
                                                "--lang", "ru"))))
    english = list(csv.DictReader(io.StringIO(_run(store, "partners", "silicon-saxony", "--limit", "5", "--format", "csv"))))
    assert rows and list(rows[0]) == list(english[0])  # the column names are the API
    assert [r["organisation_id"] for r in rows] == [r["organisation_id"] for r in english]
    assert all(r["why"].startswith("покрывает: ") for r in rows) and all(r["why"].startswith("covers ") for r in english)


def test_json_is_the_same_in_every_language(store):
    english = json.loads(_run(store, "gaps", "silicon-saxony", "--format", "json", "--lang", "en"))
    russian = json.loads(_run(store, "gaps", "silicon-saxony", "--format", "json", "--lang", "ru"))
    assert english == russian and english["combined"]


def test_gaps_and_recommend_in_russian(store):
    gaps = _run(store, "gaps", "silicon-saxony", "--limit", "5", "--lang", "ru")
    assert "сравнение с аналогами: есть у" in gaps and "peer clusters have it" not in gaps
    recommended = _run(store, "recommend", "silicon-saxony", "--limit", "5", "--format", "csv", "--lang", "ru")
    whys = [row["why"] for row in csv.DictReader(io.StringIO(recommended))]
    assert whys and not any("which you lack" in w or "both in" in w for w in whys)
    assert any("оба в отрасли" in w or "чего нет у вас" in w for w in whys)


def test_the_default_language_comes_from_the_environment(store):
    russian = _run(store, "brokers", "--limit", "3", env={"LANG": "ru_RU.UTF-8"})
    assert "связывает " in russian and "connects " not in russian
    assert "connects " in _run(store, "brokers", "--limit", "3", env={"LANG": "de_DE.UTF-8"})
    assert "connects " in _run(store, "brokers", "--limit", "3", "--lang", "en", env={"LC_ALL": "ru_RU.UTF-8"})


def test_an_unknown_language_is_a_usage_error(store):
    result = CliRunner().invoke(cli, ["--store", str(store), "gaps", "silicon-saxony", "--lang", "xx"])
    assert result.exit_code == 2 and "'xx' is not one of 'en', 'ru'" in result.output


def _fail(store: Path, *args: str) -> str:
    """The error a verb prints (exit code 1) under ``--lang ru``."""
    environment = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}
    result = CliRunner(env=environment).invoke(cli, ["--store", str(store), *args], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return result.output


@pytest.mark.parametrize("args", [
    ("partners", "no-such-cluster-anywhere"),
    ("gaps", "no-such-cluster-anywhere"),
    ("recommend", "no-such-cluster-anywhere"),
    ("applications", "no-such-cluster-anywhere"),
    ("disseminate",),
])
def test_our_errors_are_said_in_russian_under_lang_ru(store, args):
    """The verbs' own errors (an unknown cluster, an unknown scheme, a missing argument) come from
    the catalogue; only click's usage errors stay click's."""
    english = _fail(store, *args, "--lang", "en")
    russian = _fail(store, *args, "--lang", "ru")
    assert english.startswith("Error: ") and russian.startswith("Error: ")
    assert re.search("[а-яё]", russian, re.IGNORECASE), russian
    assert not re.search("[а-яё]", english, re.IGNORECASE), english


def test_a_missing_store_is_said_in_russian(tmp_path):
    environment = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}
    result = CliRunner(env=environment).invoke(cli, ["--store", str(tmp_path / "none"), "partners", "x", "--lang", "ru"])
    assert result.exit_code == 1 and "clusterkg init" in result.output and "нет хранилища" in result.output, result.output


def test_import_and_validate_say_the_sheets_problems_in_russian(store, tmp_path):
    """A sheet with bad cells: under ``--lang ru`` each cell problem and the summary are Russian;
    without it they stay the English text; nothing is written either way."""
    sheet = tmp_path / "needs.csv"
    sheet.write_text("cluster,competency,description,valid_until,source_url\n"
                     "silicon-saxony,lasers,,soon,ftp://example.org/x\n", encoding="utf-8")
    environment = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}
    for verb in (["import", "--dry-run"], ["validate"]):
        russian = CliRunner(env=environment).invoke(cli, ["--store", str(store), *verb, "--lang", "ru", str(sheet)])
        english = CliRunner(env=environment).invoke(cli, ["--store", str(store), *verb, str(sheet)])
        assert russian.exit_code == english.exit_code == 1
        assert "строка 2: valid_until: ожидалась дата (ГГГГ-ММ-ДД) из цифр ASCII, получено 'soon'" in russian.output
        assert "строка 2: source_url: ожидался адрес http(s), получено 'ftp://example.org/x'" in russian.output
        assert re.search(r"Error: найдено проблем: \d+; ничего не записано", russian.output), russian.output
        assert "row 2: valid_until: expected a date (YYYY-MM-DD), ASCII digits, got 'soon'" in english.output
        assert re.search(r"Error: \d+ problem\(s\) found; nothing was written", english.output)


BROKEN = Path(__file__).parent / "data" / "broken"


@pytest.mark.parametrize("verb", [["import", "--dry-run"], ["validate"]])
def test_import_and_validate_say_every_check_in_russian(store, verb):
    """A shape, a dangling reference and a consistency check (``broken/every-check.ttl``), then a
    syntax error, printed under ``--lang ru``: located, each message Russian."""
    from tests.webapp.test_importing import assert_every_check_in_russian

    environment = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}
    path = BROKEN / "every-check.ttl"
    result = CliRunner(env=environment).invoke(cli, ["--store", str(store), *verb, "--lang", "ru", str(path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(f"{path}: ")]
    located = [re.fullmatch(rf"{re.escape(str(path))}: строка (\d+): (?:([\w:]+): )?(.+)", line) for line in lines]
    assert lines and all(located), result.output
    assert_every_check_in_russian([match[3] for match in located])
    assert re.search(r"Error: найдено проблем: \d+; ничего не записано", result.output)

    syntax = CliRunner(env=environment).invoke(cli, ["--store", str(store), *verb, "--lang", "ru", str(BROKEN / "syntax.ttl")])
    assert syntax.exit_code == 1
    assert re.search(r"syntax.ttl: строка 4: синтаксическая ошибка \(столбец \d+\): .+ \(недопустимый Turtle\)", syntax.output)
