"""The Russian names of the sheets' countries and regions, from one sourced dataset.

The names are ISO 3166 names as Debian's ``iso-codes`` translates them into Russian, read from the
copy the ``pycountry`` package ships (``locales/ru/LC_MESSAGES/iso3166-1.mo`` and ``iso3166-2.mo``;
iso-codes is LGPL-2.1-or-later). Nothing is invented or transliterated:

- a country (``countries.csv``) gets the Russian translation of the ISO 3166-1 name of its code;
- a region (``regions.csv``) gets one only when its country has an ISO 3166-2 subdivision whose
  English name is exactly the region's name and iso-codes translates that name (a translation equal
  to the English name is no Russian name); every other region keeps its English name only.

Rerun after changing either sheet (``pycountry`` is in the ``data`` extra)::

    python -m clusterkg.graph.ingest.place_names            # rewrites the name_ru columns
    python -m clusterkg.graph.ingest.place_names --check    # exit 1 if a sheet differs
"""

from __future__ import annotations

import csv
import gettext
import io
import sys
from importlib import resources
from pathlib import Path

import click

__all__ = ["russian_country_names", "russian_region_names", "main"]


def _catalogue(domain: str) -> gettext.NullTranslations:
    import pycountry

    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=["ru"])


def russian_country_names(codes: list[str]) -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> its iso-codes Russian name (codes iso-codes does not know are left out)."""
    import pycountry

    russian = _catalogue("iso3166-1")
    names = {}
    for code in codes:
        country = pycountry.countries.get(alpha_2=code)
        if country is not None and russian.gettext(country.name) != country.name:
            names[code] = russian.gettext(country.name)
    return names


def russian_region_names(regions: list[tuple[str, str, str]]) -> dict[str, str]:
    """``(id, English name, country code)`` -> {id: Russian name} for the exact ISO 3166-2 matches."""
    import pycountry

    russian = _catalogue("iso3166-2")
    names = {}
    for region_id, name, country in regions:
        for subdivision in pycountry.subdivisions.get(country_code=country) or ():
            if subdivision.name == name and russian.gettext(name) != name:
                names[region_id] = russian.gettext(name)
    return names


def _rewritten(path: Path, names: dict[str, str], key: str) -> str:
    """The sheet's text with its ``name_ru`` column (added last if missing) holding ``names``."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    if "name_ru" not in fields:
        fields.append("name_ru")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "name_ru": names.get(row[key], "")})
    return out.getvalue()


def sheet_texts(sheets: Path) -> dict[Path, str]:
    """The two sheets as they should read, with their Russian names derived afresh."""
    countries_path, regions_path = sheets / "countries.csv", sheets / "regions.csv"
    with open(countries_path, newline="", encoding="utf-8") as handle:
        codes = [row["code"] for row in csv.DictReader(handle)]
    with open(regions_path, newline="", encoding="utf-8") as handle:
        regions = [(row["id"], row["name"], row["country"]) for row in csv.DictReader(handle)]
    return {countries_path: _rewritten(countries_path, russian_country_names(codes), "code"),
            regions_path: _rewritten(regions_path, russian_region_names(regions), "id")}


@click.command()
@click.option("--check", is_flag=True, help="Only compare: exit 1 if a sheet's Russian names differ.")
@click.option("--sheets", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The sheets' folder (default: the package's data/sheets).")
def main(check: bool, sheets: Path | None) -> None:
    """Derive the name_ru columns of countries.csv and regions.csv from iso-codes (via pycountry)."""
    sheets = sheets or Path(str(resources.files("clusterkg.data") / "sheets"))
    stale = []
    for path, text in sheet_texts(sheets).items():
        if path.read_text(encoding="utf-8") != text:
            stale.append(path)
            if not check:
                path.write_text(text, encoding="utf-8")
        filled = sum(1 for row in csv.DictReader(io.StringIO(text)) if row["name_ru"])
        click.echo(f"{path.name}: {filled} Russian names" + (" (differs)" if path in stale and check else ""))
    if check and stale:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
