"""Cluster identification against tables whose answer is known by construction.

``planted.csv`` (4 regions × 3 industries, see tests/data/README.md) has one strong cluster,
Alpha × Biopharmaceuticals, and three near misses, each failing exactly one part of the rule.
Expected values are computed here by hand, in exact fractions, from the table itself.
"""

from __future__ import annotations

import io
import json
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from clusterkg.cli import cli
from clusterkg.graph.analysis import identify as identify_module
from clusterkg.graph.analysis.identify import (
    IdentificationInputError,
    IdentificationResult,
    identify_clusters,
)
from clusterkg.graph.errors import ClusterKGError

DATA = Path(__file__).parents[2] / "data" / "employment"
PLANTED = DATA / "planted.csv"
TRADED = DATA / "traded.csv"
BROKEN = DATA / "broken"

# planted.csv, written out again: region -> industry -> (employment, establishments)
PLANTED_TABLE = {
    "Alpha": {"Biopharmaceuticals": (400, 20), "Automotive": (100, 6), "Business Services": (500, 60)},
    "Beta": {"Biopharmaceuticals": (50, 5), "Automotive": (450, 3), "Business Services": (500, 55)},
    "Gamma": {"Biopharmaceuticals": (120, 8), "Automotive": (680, 12), "Business Services": (800, 90)},
    "Delta": {"Biopharmaceuticals": (10, 2), "Automotive": (30, 3), "Business Services": (360, 70)},
}
COLUMNS = [
    "region", "industry", "traded", "reported", "employment", "establishments", "lq", "top_quartile_lq",
    "bottom_quartile_employment", "bottom_quartile_establishments", "share_of_national", "strong", "rank",
]
STRONG_KEYS = {"region", "industry", "employment", "establishments", "lq", "top_quartile_lq", "share_of_national"}


def hand_lq(region: str, industry: str) -> Fraction:
    """(regional cluster / regional traded) / (national cluster / national traded), all traded."""
    regional = sum(e for e, _ in PLANTED_TABLE[region].values())
    national = sum(e for industries in PLANTED_TABLE.values() for e, _ in industries.values())
    national_cluster = sum(industries[industry][0] for industries in PLANTED_TABLE.values())
    return Fraction(PLANTED_TABLE[region][industry][0], regional) / Fraction(national_cluster, national)


@pytest.fixture(scope="module")
def planted() -> dict[tuple[str, str], dict]:
    result = identify_clusters(PLANTED)
    return {(row["region"], row["industry"]): row for row in result.to_json()["rows"]}


def test_planted_totals_are_what_the_readme_says():
    assert sum(e for industries in PLANTED_TABLE.values() for e, _ in industries.values()) == 4000
    assert pd.read_csv(PLANTED).shape == (12, 4)


@pytest.mark.parametrize("region", list(PLANTED_TABLE))
@pytest.mark.parametrize("industry", ["Biopharmaceuticals", "Automotive", "Business Services"])
def test_lq_equals_the_hand_computed_fraction(planted, region, industry):
    # computed as one division of exact products, so it is the correctly rounded fraction
    assert planted[region, industry]["lq"] == float(hand_lq(region, industry))


def test_lq_values_written_out():
    assert hand_lq("Alpha", "Biopharmaceuticals") == Fraction(400, 1000) / Fraction(580, 4000) == Fraction(80, 29)
    assert hand_lq("Gamma", "Automotive") == Fraction(680, 1600) / Fraction(1260, 4000) == Fraction(85, 63)
    assert hand_lq("Delta", "Business Services") == Fraction(360, 400) / Fraction(2160, 4000) == Fraction(5, 3)


@pytest.mark.parametrize(
    ("industry", "threshold"),
    [
        # 4 regions: the 75th percentile lies a quarter of the way from the 3rd to the 4th LQ
        ("Biopharmaceuticals", Fraction(15, 29) + Fraction(1, 4) * (Fraction(80, 29) - Fraction(15, 29))),
        ("Automotive", Fraction(85, 63) + Fraction(1, 4) * (Fraction(10, 7) - Fraction(85, 63))),
        ("Business Services", Fraction(25, 27) + Fraction(1, 4) * (Fraction(5, 3) - Fraction(25, 27))),
    ],
)
def test_top_quartile_lq_by_hand(planted, industry, threshold):
    for region in PLANTED_TABLE:
        assert planted[region, industry]["top_quartile_lq"] == pytest.approx(float(threshold), rel=1e-12)


def test_bottom_quartiles_by_hand(planted):
    # sorted employment 10, 50, 120, 400 -> 10 + 0.75 * 40; establishments 2, 5, 8, 20 -> 2 + 0.75 * 3
    assert planted["Alpha", "Biopharmaceuticals"]["bottom_quartile_employment"] == 40
    assert planted["Alpha", "Biopharmaceuticals"]["bottom_quartile_establishments"] == 4.25
    # Automotive establishments 3, 3, 6, 12 -> 3
    assert planted["Beta", "Automotive"]["bottom_quartile_establishments"] == 3


def test_share_of_national_employment(planted):
    assert planted["Alpha", "Biopharmaceuticals"]["share_of_national"] == pytest.approx(400 / 580)
    shares = [planted[region, "Automotive"]["share_of_national"] for region in PLANTED_TABLE]
    assert sum(shares) == pytest.approx(1)


def test_the_planted_cluster_is_the_only_strong_one():
    result = identify_clusters(PLANTED)
    assert [(row.region, row.industry) for row in result.rows if row.strong] == [("Alpha", "Biopharmaceuticals")]
    assert [(row.region, row.industry, row.rank) for row in result.strong_clusters] == [("Alpha", "Biopharmaceuticals", 1)]
    assert result.regions == 4 and result.industries == 3


def test_lq_at_least_one_but_below_the_top_quartile_is_not_strong(planted):
    gamma = planted["Gamma", "Automotive"]
    assert 1 <= gamma["lq"] < gamma["top_quartile_lq"]
    assert gamma["employment"] > gamma["bottom_quartile_employment"]
    assert gamma["establishments"] > gamma["bottom_quartile_establishments"]
    assert not gamma["strong"]


def test_employment_in_the_bottom_quartile_is_not_strong(planted):
    delta = planted["Delta", "Business Services"]
    assert delta["lq"] >= max(1, delta["top_quartile_lq"])
    assert delta["establishments"] > delta["bottom_quartile_establishments"]
    assert delta["employment"] <= delta["bottom_quartile_employment"] and not delta["strong"]


def test_establishments_in_the_bottom_quartile_are_not_strong(planted):
    beta = planted["Beta", "Automotive"]
    assert beta["lq"] >= max(1, beta["top_quartile_lq"])
    assert beta["employment"] > beta["bottom_quartile_employment"]
    assert beta["establishments"] == beta["bottom_quartile_establishments"] and not beta["strong"]


def test_without_establishments_that_criterion_drops_out():
    result = identify_clusters(pd.read_csv(PLANTED).drop(columns="establishments"))
    strong = [(row.region, row.industry) for row in result.strong_clusters]
    assert strong == [("Alpha", "Biopharmaceuticals"), ("Beta", "Automotive")]  # ranked by LQ: 80/29, 10/7
    assert all(row.establishments is None and row.bottom_quartile_establishments is None for row in result.rows)


def test_lq_in_the_top_quartile_but_below_one_is_not_strong():
    # 8 regions of 100 jobs; x's LQs are 8·x/68; the 75th percentile (position 5.25 of 0..7) lies a
    # quarter of the way from 5 to 8 jobs: r7 (8 jobs) is in the top quartile yet below 1
    x_jobs = [1, 1, 1, 1, 1, 5, 8, 50]
    table = pd.DataFrame(
        [(f"r{n}", "x", e) for n, e in enumerate(x_jobs, 1)] + [(f"r{n}", "y", 100 - e) for n, e in enumerate(x_jobs, 1)],
        columns=["region", "industry", "employment"],
    )
    rows = {(row.region, row.industry): row for row in identify_clusters(table).rows}
    r7 = rows["r7", "x"]
    assert r7.lq == float(Fraction(8 * 8, 68))
    assert r7.top_quartile_lq == pytest.approx(float(Fraction(8, 68) * (5 + Fraction(1, 4) * 3)))
    assert r7.top_quartile_lq <= r7.lq < 1 and r7.employment > r7.bottom_quartile_employment
    assert not r7.strong
    assert rows["r8", "x"].strong


def test_lq_is_measured_against_traded_employment_only():
    rows = {(row.region, row.industry): row for row in identify_clusters(TRADED).rows}
    # North: 300 of its 400 traded jobs; nation: 500 of 1000 traded jobs (the 800 local ones do not count)
    assert rows["North", "Medical Devices"].lq == float(Fraction(300, 400) / Fraction(500, 1000)) == 1.5
    assert rows["East", "Plastics"].lq == 1.0
    # median between the 3 regions' LQs 0.5, 1.0, 1.5 -> 1.0 + 0.5 * 0.5
    assert rows["East", "Plastics"].top_quartile_lq == 1.25
    assert not rows["East", "Plastics"].strong  # LQ exactly 1, below the top quartile


def test_local_industries_are_kept_but_never_strong():
    rows = {(row.region, row.industry): row for row in identify_clusters(TRADED).rows}
    north = rows["North", "Local Health Services"]
    assert (north.traded, north.employment, north.share_of_national) == (False, 600, 0.75)
    assert north.lq is None and north.top_quartile_lq is None and not north.strong


def test_a_missing_region_industry_row_counts_as_zero_and_says_so():
    result = identify_clusters(TRADED)
    assert len(result.rows) == 9  # 3 regions × 3 industries from 8 input rows
    east = next(row for row in result.rows if (row.region, row.industry) == ("East", "Local Health Services"))
    assert (east.reported, east.employment, east.share_of_national) == (False, 0, 0.0)
    assert sum(row.reported for row in result.rows) == 8


def test_strong_clusters_are_ranked_by_lq():
    table = pd.DataFrame({
        "region": ["A", "A", "B", "B"],
        "industry": ["biotech", "software", "biotech", "software"],
        "employment": [30, 70, 10, 90],
    })
    result = identify_clusters(table)
    assert [(row.region, row.industry, row.lq, row.rank) for row in result.strong_clusters] == [
        ("A", "biotech", 1.5, 1), ("B", "software", 1.125, 2)]
    # equal LQs keep a stable order: by region, then industry
    assert [(row.region, row.rank) for row in identify_clusters(TRADED).strong_clusters] == [("North", 1), ("South", 2)]


def test_a_dataframe_and_the_csv_give_the_same_result():
    assert identify_clusters(pd.read_csv(PLANTED)) == identify_clusters(PLANTED)


def test_fractional_employment_is_accepted():
    table = pd.DataFrame({"region": ["A", "B"], "industry": ["x", "x"], "employment": ["2.5", "7.5"]})
    assert [row.employment for row in identify_clusters(table).rows] == [2.5, 7.5]


# --- output shapes ---------------------------------------------------------------------------

def test_frame_has_the_documented_columns_one_row_per_region_and_industry():
    frame = identify_clusters(PLANTED).to_frame()
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 12 and not frame.duplicated(["region", "industry"]).any()
    assert frame["rank"].isna().sum() == 11
    for column in COLUMNS:
        assert f"``{column}``" in identify_module.__doc__, f"column {column} is not documented"


def test_json_shape_is_stable():
    document = identify_clusters(PLANTED).to_json()
    assert list(document) == ["regions", "industries", "strong_clusters", "rows"]
    assert (document["regions"], document["industries"]) == (4, 3)
    assert [set(cluster) for cluster in document["strong_clusters"]] == [STRONG_KEYS]
    assert all(list(row) == COLUMNS for row in document["rows"]) and len(document["rows"]) == 12
    # plain JSON: no NaN, no numpy types
    assert json.loads(json.dumps(document, allow_nan=False)) == document


def test_json_empty_values_are_null():
    document = identify_clusters(TRADED).to_json()
    local = next(row for row in document["rows"] if row["industry"] == "Local Health Services")
    assert local["lq"] is None and local["establishments"] is None and local["rank"] is None
    assert json.dumps(document, allow_nan=False)


def test_strong_only_keeps_the_table_counts():
    result = identify_clusters(TRADED).strong_only()
    assert isinstance(result, IdentificationResult)
    assert (result.regions, result.industries, len(result.rows)) == (3, 3, 2)
    assert len(result.to_frame()) == 2


def test_result_is_frozen():
    result = identify_clusters(PLANTED)
    with pytest.raises(AttributeError):
        result.regions = 5  # type: ignore[misc]


# --- malformed tables ------------------------------------------------------------------------

EXPECTED_PROBLEMS = {
    "missing_column.csv": [("row 1", "employment", "required column is missing (the header has: region, industry, jobs)")],
    "negative.csv": [("row 3", "employment", "negative value -20"), ("row 4", "establishments", "negative value -1")],
    "text_in_number.csv": [
        ("row 2", "employment", "not a number: 'twelve'"),
        ("row 3", "establishments", "not a number: 'n/a'"),
        ("row 4", "employment", "missing value: expected a number >= 0"),
        ("row 5", "employment", "not a number: '1,200'"),
    ],
    "duplicates.csv": [
        ("row 4", "region, industry", "duplicate of row 2 ('Alpha', 'Automotive')"),
        ("row 6", "region, industry", "duplicate of row 3 ('Beta', 'Automotive')"),
    ],
    "single_region.csv": [("", "region", "only 1 region ('Alpha')")],
    "empty_names.csv": [("row 3", "region", "empty"), ("row 4", "industry", "empty")],
    "zero_employment.csv": [("", "employment", "total employment is zero")],
    "several_problems.csv": [
        ("row 3", "employment", "negative value -5"),
        ("row 3", "establishments", "not a number: 'x'"),
        ("row 3", "region, industry", "duplicate of row 2 ('Alpha', 'Automotive')"),
        ("row 4", "region", "empty"),
        ("row 4", "employment", "not a number: 'abc'"),
        ("row 4", "traded", "expected true or false, got 'maybe'"),
        ("row 6", "establishments", "negative value -2"),
        ("row 6", "traded", "'Automotive' is not traded here but traded in row 2"),
    ],
}


def test_every_broken_fixture_is_checked():
    found = sorted(path.name for path in BROKEN.glob("*.csv"))
    assert found and found == sorted(EXPECTED_PROBLEMS)


@pytest.mark.parametrize("name", sorted(EXPECTED_PROBLEMS))
def test_broken_table_lists_every_problem_with_row_and_column(name):
    path = BROKEN / name
    with pytest.raises(IdentificationInputError) as caught:
        identify_clusters(path)
    problems = caught.value.problems
    assert [(p.location, p.field) for p in problems] == [(location, field) for location, field, _ in EXPECTED_PROBLEMS[name]]
    for problem, (_, _, message) in zip(problems, EXPECTED_PROBLEMS[name]):
        assert problem.file == str(path)
        assert problem.message.startswith(message), problem.message
    assert str(len(problems)) in str(caught.value) and all(str(p) in str(caught.value) for p in problems)


def test_input_error_is_a_value_error_and_a_user_error():
    assert issubclass(IdentificationInputError, ValueError)
    assert issubclass(IdentificationInputError, ClusterKGError)


def test_dataframe_rows_are_numbered_as_in_a_csv_file():
    table = pd.DataFrame({"region": ["A", "B", "C"], "industry": ["x", "x", "x"], "employment": [1, 2, float("nan")]})
    with pytest.raises(IdentificationInputError) as caught:
        identify_clusters(table, source="mine")
    assert [str(p) for p in caught.value.problems] == ["mine: row 4: employment: missing value: expected a number >= 0"]


def test_a_blank_line_is_reported_at_its_line_not_dropped(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("region,industry,employment\nA,x,1\n\nB,x,2\n")
    with pytest.raises(IdentificationInputError) as caught:
        identify_clusters(path)
    assert [(p.location, p.field) for p in caught.value.problems] == [
        ("row 3", "region"), ("row 3", "industry"), ("row 3", "employment")]


def test_a_header_only_table_has_no_regions(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("region,industry,employment\n")
    with pytest.raises(IdentificationInputError, match="only 0 regions"):
        identify_clusters(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "the file is empty"), (b"\n\n", "the file is empty"),
     (b"region,industry,employment\n\xff\xfe,x,1\n", "not a readable UTF-8 CSV table")],
)
def test_unreadable_files_are_input_errors(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(IdentificationInputError, match=message):
        identify_clusters(path)


def test_a_row_longer_than_the_header_is_reported_with_the_others(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("region,industry,employment\nA,x,1,9\nB,x,-2\nC,x\n")
    with pytest.raises(IdentificationInputError) as caught:
        identify_clusters(path, source="upload")
    assert [(p.file, p.location, p.field, p.message) for p in caught.value.problems] == [
        ("upload", "row 2", "", "4 values, but the header has 3 columns"),
        ("upload", "row 3", "employment", "negative value -2"),
        ("upload", "row 4", "employment", "missing value: expected a number >= 0"),
    ]


def test_problems_read_from_the_header_down(tmp_path):
    path = tmp_path / "jobs.csv"
    path.write_text("region,industry,jobs\nA,x,1,9\nA,x,2\n")
    with pytest.raises(IdentificationInputError) as caught:
        identify_clusters(path)
    assert [(p.location, p.field) for p in caught.value.problems] == [
        ("row 1", "employment"), ("row 2", ""), ("row 3", "region, industry"), ("", "region")]


def test_a_repeated_column_is_reported(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("region,industry,employment,employment\nA,x,1,2\nB,x,3,4\n")
    with pytest.raises(IdentificationInputError) as caught:
        identify_clusters(path)
    assert [(p.location, p.field, p.message) for p in caught.value.problems] == [
        ("row 1", "employment", "the column appears 2 times; keep one")]


def test_only_local_employment_is_an_error():
    table = pd.DataFrame({"region": ["A", "B"], "industry": ["x", "x"], "employment": [5, 5], "traded": [False, False]})
    with pytest.raises(IdentificationInputError, match="total traded employment is zero"):
        identify_clusters(table)


# --- command line ----------------------------------------------------------------------------

@pytest.fixture()
def run():
    def invoke(*args: str):
        return CliRunner().invoke(cli, ["identify", *map(str, args)], catch_exceptions=False)

    return invoke


def test_cli_json_is_the_result_json(run):
    result = run(PLANTED, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == identify_clusters(PLANTED).to_json()


def test_cli_csv_round_trips(run):
    result = run(PLANTED, "--format", "csv")
    assert result.exit_code == 0
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame.columns) == COLUMNS and len(frame) == 12
    assert frame.loc[frame["strong"], ["region", "industry"]].values.tolist() == [["Alpha", "Biopharmaceuticals"]]


def test_cli_table_strong_only(run):
    result = run(TRADED, "--strong-only")
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3 and "North" in lines[1] and "Medical Devices" in lines[1] and "South" in lines[2]


@pytest.mark.parametrize("name", sorted(EXPECTED_PROBLEMS))
def test_cli_bad_input_exits_1_with_every_problem(run, name):
    result = run(BROKEN / name)
    assert result.exit_code == 1
    assert f"{len(EXPECTED_PROBLEMS[name])} problem(s)" in result.stderr
    for location, field, message in EXPECTED_PROBLEMS[name]:
        assert ": ".join(part for part in (location, field, message) if part) in result.stderr
    assert result.stdout == ""


def test_cli_missing_file_is_a_usage_error(run, tmp_path):
    assert run(tmp_path / "absent.csv").exit_code == 2
