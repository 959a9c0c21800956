"""Names in the source's language: the ``name_ru`` column of the clusters and organisations sheets
becomes ``rdfs:label "…"@ru`` beside the untagged English name, only where the row's source quote
gives that name, and the export reads each name back into its own column."""

from __future__ import annotations

import csv
from pathlib import Path

from rdflib import RDFS, Literal

from clusterkg.graph.sheets import DATA, SHEETS, build_rows, graph_to_rows

SHEETS_DIR = Path(__file__).resolve().parents[2] / "data" / "sheets"
QUOTE = "Мэр Москвы сообщил, что в Московский инновационный кластер вошло свыше 17 тысяч предприятий-участников."
ROW = {"id": "mic", "name": "Moscow Innovation Cluster", "name_ru": "Московский инновационный кластер", "countries": "RU",
       "source_url": "https://example.org/mic", "source_quote": QUOTE}


def test_a_name_in_russian_is_a_second_label_tagged_ru_and_exports_to_its_column():
    graph, problems = build_rows("clusters", [ROW], "clusters.csv")
    assert problems == []
    assert set(graph.objects(DATA["cluster/mic"], RDFS.label)) == {
        Literal("Moscow Innovation Cluster"), Literal("Московский инновационный кластер", lang="ru")}
    row = next(graph_to_rows(graph, SHEETS["clusters"]))
    assert row["name"] == "Moscow Innovation Cluster" and row["name_ru"] == "Московский инновационный кластер"


def test_a_name_the_quote_does_not_give_is_refused_where_it_is():
    for name_ru in ("Московский кластер инноваций", "Moskovskiy innovatsionnyy klaster"):
        graph, problems = build_rows("organisations", [{**ROW, "type": "sme", "name_ru": name_ru}], "organisations.csv")
        assert [str(p) for p in problems] == [
            f"organisations.csv: row 2: name_ru: the Russian name {name_ru!r} is not in the source quote: quote the source "
            "where it gives this name (a name of our own, transliterated or translated, is not a source's name)"]
    graph, problems = build_rows("clusters", [{**ROW, "source_quote": ""}], "clusters.csv")
    assert len(problems) == 1 and ": name_ru: " in str(problems[0])


def test_every_russian_name_in_the_bundled_sheets_is_in_its_source_quote():
    names = 0
    for sheet in ("clusters", "organisations"):
        with open(SHEETS_DIR / f"{sheet}.csv", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        graph, problems = build_rows(sheet, rows, f"{sheet}.csv")
        assert problems == []
        named = [r for r in rows if r["name_ru"]]
        names += len(named)
        for r in named:
            assert r["name_ru"].casefold() in r["source_quote"].casefold() and r["source_url"]
            labels = set(graph.objects(DATA[f"{SHEETS[sheet].kind}/{r['id']}"], RDFS.label))
            assert labels == {Literal(r["name"]), Literal(r["name_ru"], lang="ru")}
    assert names >= 9
