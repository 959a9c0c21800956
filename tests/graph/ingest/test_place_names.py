"""The Russian names of countries and regions are derived from iso-codes, not typed by hand."""

from __future__ import annotations

import csv
import shutil
from importlib import resources
from pathlib import Path

from click.testing import CliRunner

from clusterkg.graph.ingest.place_names import main, russian_country_names, russian_region_names

SHEETS = Path(str(resources.files("clusterkg.data") / "sheets"))


def test_the_shipped_sheets_hold_exactly_the_derived_names():
    result = CliRunner().invoke(main, ["--check"])
    assert result.exit_code == 0, result.output
    assert "countries.csv: 30 Russian names" in result.output and "regions.csv: 13 Russian names" in result.output


def test_a_hand_edited_name_is_caught_and_rewritten(tmp_path):
    for name in ("countries.csv", "regions.csv"):
        shutil.copy(SHEETS / name, tmp_path / name)
    path = tmp_path / "countries.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Германия", "Германия!"), encoding="utf-8")
    assert CliRunner().invoke(main, ["--check", "--sheets", str(tmp_path)]).exit_code == 1
    assert CliRunner().invoke(main, ["--sheets", str(tmp_path)]).exit_code == 0
    assert (tmp_path / "countries.csv").read_text(encoding="utf-8") == (SHEETS / "countries.csv").read_text(encoding="utf-8")


def test_countries_by_code_and_regions_only_by_exact_english_name():
    assert russian_country_names(["DE", "KR", "ZZ"]) == {"DE": "Германия", "KR": "Республика Корея"}
    names = russian_region_names([("occitanie", "Occitanie", "FR"), ("nrw", "North Rhine-Westphalia", "DE"),
                                  ("normandie", "Normandie", "FR"), ("hh", "Hamburg", "US")])
    # NRW is "Nordrhein-Westfalen" in ISO 3166-2; Normandie's translation is its English name; Hamburg is not in the US
    assert names == {"occitanie": "Окситания"}


def test_every_named_region_row_matches_an_iso_subdivision_of_its_country():
    with open(SHEETS / "regions.csv", newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["name_ru"]]
    assert len(rows) == 13 and {row["country"] for row in rows} == {"DE", "FR", "US"}
