"""The Russian names of countries and regions are derived from iso-codes, not typed by hand."""

from __future__ import annotations

import csv
import gzip
import shutil
from importlib import resources
from pathlib import Path

import pyoxigraph as ox
from click.testing import CliRunner

from clusterkg.graph.ingest.place_names import main, open_data_bytes, russian_country_names, russian_region_names

DATA = Path(str(resources.files("clusterkg.data")))
SHEETS = DATA / "sheets"


def test_the_shipped_sheets_hold_exactly_the_derived_names():
    result = CliRunner().invoke(main, ["--check"])
    assert result.exit_code == 0, result.output
    assert "countries.csv: 30 Russian names" in result.output and "regions.csv: 13 Russian names" in result.output
    # the open data's countries: every ISO code but Kosovo (XK, which ISO 3166-1 lacks), and all 67
    # countries only the CORDIS records name
    assert "iso3166-countries.csv: 249 Russian names" in result.output
    assert "cordis-h2020.nt.gz: 67 Russian names" in result.output


def test_every_country_the_open_data_names_is_named_in_russian_too():
    prefix = "https://w3id.org/clusterkg/id/country/"
    for path in sorted((DATA / "open").glob("*.nt.gz")):
        labels: dict[str, set] = {}
        for quad in ox.parse(gzip.decompress(path.read_bytes()), format=ox.RdfFormat.N_TRIPLES):
            if quad.subject.value.startswith(prefix) and quad.predicate.value.endswith("core#prefLabel"):
                labels.setdefault(quad.subject.value, set()).add(quad.object.language)
        assert all(languages == {"en", "ru"} for languages in labels.values()), path


def test_open_data_labels_are_rewritten_as_the_build_writes_them(tmp_path):
    shipped = DATA / "open" / "cordis-h2020.nt.gz"
    text = gzip.decompress(shipped.read_bytes()).decode("utf-8")
    edited = tmp_path / "cordis-h2020.nt.gz"
    edited.write_bytes(gzip.compress(text.replace('"Албания"@ru', '"Албания!"@ru').encode("utf-8")))
    assert open_data_bytes(edited, russian_country_names(["AL"])) != shipped.read_bytes()  # only AL named
    names = russian_country_names(sorted({line.split("country/")[1].split(">")[0] for line in text.splitlines()
                                          if line.startswith("<https://w3id.org/clusterkg/id/country/")}))
    assert open_data_bytes(edited, names) == shipped.read_bytes()
    without = gzip.decompress(open_data_bytes(edited, {})).decode("utf-8")
    assert "@ru ." not in without and without.count("\n") == text.count("\n") - 67


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
