"""The Russian names of the sheets' countries and regions, from one sourced dataset.

The names are ISO 3166 names as Debian's ``iso-codes`` translates them into Russian, read from the
copy the ``pycountry`` package ships (``locales/ru/LC_MESSAGES/iso3166-1.mo`` and ``iso3166-2.mo``;
iso-codes is LGPL-2.1-or-later). Nothing is invented or transliterated:

- a country (``countries.csv``) gets the Russian translation of the ISO 3166-1 name of its code;
- a region (``regions.csv``) gets one only when its country has an ISO 3166-2 subdivision whose
  English name is exactly the region's name and iso-codes translates that name (a translation equal
  to the English name is no Russian name); every other region keeps its English name only.

The countries only the open data names (``data/mappings/iso3166-countries.csv``, whose nodes the
connectors write into ``data/open/*.nt.gz``) get their Russian ISO 3166-1 name the same way: the
mapping's ``name_ru`` column, and in the shipped open-data files the ``skos:prefLabel "…"@ru`` of
each country node they define, written as the build writes them (sorted N-Triples, reproducible
gzip), so the files equal what ``python -m clusterkg.graph.ingest.build`` would write now.

Rerun after changing either sheet or the mapping (``pycountry`` is in the ``data`` extra)::

    python -m clusterkg.graph.ingest.place_names            # rewrites the name_ru columns and labels
    python -m clusterkg.graph.ingest.place_names --check    # exit 1 if a file differs
"""

from __future__ import annotations

import csv
import gettext
import gzip
import io
import sys
from importlib import resources
from pathlib import Path

import click

__all__ = ["derived_files", "open_data_bytes", "russian_country_names", "russian_region_names", "main"]


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


def open_data_bytes(path: Path, names: dict[str, str]) -> bytes:
    """An open-data file (``*.nt.gz``) with each country node it names in English also named in
    Russian from ``names`` (code -> name), exactly as :class:`~clusterkg.graph.ingest.triples.Triples`
    writes it."""
    import pyoxigraph as ox

    from clusterkg.graph.ingest.triples import Triples
    from clusterkg.ontology.namespace import DATA, SKOS

    prefix, label = str(DATA["country/"]), ox.NamedNode(str(SKOS.prefLabel))
    triples, codes = Triples(), set()
    for quad in ox.parse(gzip.decompress(path.read_bytes()), format=ox.RdfFormat.N_TRIPLES):
        country = quad.subject.value.startswith(prefix) and quad.predicate == label and isinstance(quad.object, ox.Literal)
        if country and quad.object.language == "ru":
            continue  # derived afresh below
        if country and quad.object.language == "en":
            codes.add(quad.subject.value[len(prefix):])
        triples.add(quad.subject, quad.predicate, quad.object)
    for code in sorted(codes & names.keys()):
        triples.add(ox.NamedNode(prefix + code), label, ox.Literal(names[code], language="ru"))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as zipped:  # (as Triples.write)
        zipped.write(triples.ntriples())
    return out.getvalue()


def derived_files(sheets: Path, data: Path) -> dict[Path, bytes]:
    """Every file holding derived Russian place names, as it should read: the two sheets, the
    open-data country mapping (``data/mappings``) and the open-data files (``data/open``)."""
    files = {path: text.encode("utf-8") for path, text in sheet_texts(sheets).items()}
    mapping = data / "mappings" / "iso3166-countries.csv"
    with open(mapping, newline="", encoding="utf-8") as handle:
        codes = [row["code"] for row in csv.DictReader(handle)]
    russian = russian_country_names(codes)
    files[mapping] = _rewritten(mapping, russian, "code").encode("utf-8")
    for path in sorted((data / "open").glob("*.nt.gz")):
        files[path] = open_data_bytes(path, russian)
    return files


def _count(path: Path, content: bytes) -> int:
    if path.suffix == ".csv":
        return sum(1 for row in csv.DictReader(io.StringIO(content.decode("utf-8"))) if row["name_ru"])
    return gzip.decompress(content).count(b'"@ru .\n')


@click.command()
@click.option("--check", is_flag=True, help="Only compare: exit 1 if a file's Russian names differ.")
@click.option("--sheets", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The sheets' folder (default: the package's data/sheets).")
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The folder of mappings/ and open/ (default: the package's data).")
def main(check: bool, sheets: Path | None, data: Path | None) -> None:
    """Derive the Russian names of countries and regions from iso-codes (via pycountry): the sheets'
    name_ru columns, the open-data country mapping's, and the open-data files' country labels."""
    data = data or Path(str(resources.files("clusterkg.data")))
    sheets = sheets or data / "sheets"
    stale = []
    for path, content in derived_files(sheets, data).items():
        if path.read_bytes() != content:
            stale.append(path)
            if not check:
                path.write_bytes(content)
        click.echo(f"{path.name}: {_count(path, content)} Russian names" + (" (differs)" if path in stale and check else ""))
    if check and stale:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
