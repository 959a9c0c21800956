"""Cluster identification from a region × industry employment table (location quotients).

Which regions hold a *strong* cluster of an industry, by the rule of the US Cluster Mapping
Project (Delgado, Porter & Stern; as summarised in ``shared/reference/domain.md``):

- location quotient ``LQ = (regional cluster employment / regional traded employment) /
  (national cluster employment / national traded employment)``;
- a region × industry is *strong* when its LQ is at or above the top-quartile LQ of that
  industry across regions, the LQ is at least 1, and its employment and (when given) its
  establishments are above the bottom quartile of that industry across regions.

Traded and local industries are the US Cluster Mapping distinction (clustermapping.us,
"Cluster Mapping Methodology"). "National" means the sum over the regions of the table.
Quartiles are linear interpolations (pandas' and numpy's default, Hyndman & Fan type 7); the
exact method of the US Cluster Mapping Project is not stated in our sources.

Input: a CSV file or DataFrame in **long form**, one row per region × industry (wide tables
are not accepted; melt them first):

==================  ========  ====================================================
column              required  meaning
==================  ========  ====================================================
``region``          yes       region name (any text, not empty)
``industry``        yes       industry or cluster category (any text, not empty)
``employment``      yes       a number >= 0
``establishments``  no        a number >= 0; when present, it enters the rule
``traded``          no        ``true``/``false``; default: every industry is traded
==================  ========  ====================================================

Other columns are ignored. A region with no row for an industry is taken to employ nobody in
it (the output row says ``reported = False``). The domain rule defines LQ and strength for
*traded* industries only: rows of local industries (``traded = false``) are kept, with their
employment and share of national employment, but their ``lq`` is empty and they are never
strong. An LQ is also empty when undefined (a region without traded employment); such
regions are left out of that industry's LQ quartile.

A malformed table raises :class:`IdentificationInputError` listing every problem, each with
its row (as in the CSV file: the header is row 1, so a DataFrame's first row is row 2) and
column. No row is ever dropped.

Output columns of :meth:`IdentificationResult.to_frame` (one row per region × industry,
sorted by region, then industry), in this order: ``region``, ``industry``, ``traded``,
``reported``, ``employment``, ``establishments`` (empty when not given), ``lq``,
``top_quartile_lq``, ``bottom_quartile_employment``, ``bottom_quartile_establishments``,
``share_of_national`` (the region's share of the industry's national employment),
``strong``, ``rank`` (1 = highest LQ among strong clusters; empty when not strong).

JSON shape of :meth:`IdentificationResult.to_json` (stable; empty values are ``null``)::

    {
      "regions": 4,                 # distinct regions in the input
      "industries": 3,              # distinct industries in the input
      "strong_clusters": [          # strong ones only, highest LQ first
        {"region": ..., "industry": ..., "employment": ..., "establishments": ...,
         "lq": ..., "top_quartile_lq": ..., "share_of_national": ...}
      ],
      "rows": [ {...one object per row, keys = the to_frame() columns...} ]
    }

Examples
--------
Two regions, two industries. National traded employment is 200, of which biotech is 40
(20 %); region A puts 30 of its 100 jobs (30 %) in biotech, so its LQ is 0.3 / 0.2 = 1.5.
Biotech's top-quartile LQ is 0.5 + 0.75 · (1.5 − 0.5) = 1.25, and A's 30 jobs are above the
bottom quartile (10 + 0.25 · 20 = 15): a strong cluster.

>>> import pandas as pd
>>> table = pd.DataFrame({
...     "region": ["A", "A", "B", "B"],
...     "industry": ["biotech", "software", "biotech", "software"],
...     "employment": [30, 70, 10, 90],
... })
>>> result = identify_clusters(table)
>>> result.to_frame()[["region", "industry", "lq", "strong"]]
  region  industry     lq  strong
0      A   biotech  1.500    True
1      A  software  0.875   False
2      B   biotech  0.500   False
3      B  software  1.125    True
>>> [(c["region"], c["industry"], c["lq"]) for c in result.to_json()["strong_clusters"]]
[('A', 'biotech', 1.5), ('B', 'software', 1.125)]
"""

from __future__ import annotations

import csv
import math
import numbers
import os
from dataclasses import dataclass, fields, replace

import pandas as pd

from clusterkg.graph.errors import InvalidInput
from clusterkg.graph.problems import Problem

__all__ = [
    "identify_clusters",
    "read_employment_table",
    "IdentificationResult",
    "RegionIndustry",
    "IdentificationInputError",
    "REQUIRED_COLUMNS",
    "OPTIONAL_COLUMNS",
]

REQUIRED_COLUMNS = ("region", "industry", "employment")
OPTIONAL_COLUMNS = ("establishments", "traded")
TOP_QUARTILE = 0.75
BOTTOM_QUARTILE = 0.25


class IdentificationInputError(InvalidInput, ValueError):
    """The employment table is malformed; ``problems`` lists every problem found, in row order."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s) in the employment table:\n" + "\n".join(map(str, self.problems)))


@dataclass(frozen=True)
class RegionIndustry:
    """One region × industry of the result; see the module docstring for each field."""

    region: str
    industry: str
    traded: bool
    reported: bool
    employment: int | float
    establishments: int | float | None
    lq: float | None
    top_quartile_lq: float | None
    bottom_quartile_employment: int | float
    bottom_quartile_establishments: int | float | None
    share_of_national: float | None
    strong: bool
    rank: int | None

    def as_dict(self) -> dict:
        """The fields by name, in the documented column order (flat, so cheaper than ``asdict``)."""
        return {name: getattr(self, name) for name in COLUMNS}


COLUMNS = tuple(f.name for f in fields(RegionIndustry))
STRONG_CLUSTER_KEYS = ("region", "industry", "employment", "establishments", "lq", "top_quartile_lq", "share_of_national")


@dataclass(frozen=True)
class IdentificationResult:
    """Every region × industry with its LQ and whether it is a strong cluster."""

    regions: int
    industries: int
    rows: tuple[RegionIndustry, ...]

    @property
    def strong_clusters(self) -> tuple[RegionIndustry, ...]:
        """The strong clusters, highest LQ first."""
        return tuple(sorted((row for row in self.rows if row.strong), key=lambda row: row.rank))

    def strong_only(self) -> IdentificationResult:
        """The same result with only the strong clusters as rows (``regions``/``industries`` unchanged)."""
        return replace(self, rows=self.strong_clusters)

    def to_frame(self) -> pd.DataFrame:
        """One row per region × industry; columns as documented in the module docstring."""
        frame = pd.DataFrame({name: [getattr(row, name) for row in self.rows] for name in COLUMNS}, columns=list(COLUMNS))
        float_columns = ["establishments", "lq", "top_quartile_lq", "bottom_quartile_establishments", "share_of_national"]
        frame[float_columns] = frame[float_columns].astype("float64")
        frame["rank"] = frame["rank"].astype("Int64")
        return frame

    def to_json(self) -> dict:
        """A plain, JSON-serialisable dict in the stable shape documented in the module docstring."""
        return {
            "regions": self.regions,
            "industries": self.industries,
            "strong_clusters": [{key: getattr(row, key) for key in STRONG_CLUSTER_KEYS} for row in self.strong_clusters],
            "rows": [row.as_dict() for row in self.rows],
        }


def read_employment_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read an employment CSV as text cells, one DataFrame row per line after the header.

    Blank lines are kept as empty rows (and so reported, never skipped), so the DataFrame's
    row ``i`` is CSV row ``i + 2`` (the header is row 1).

    Raises
    ------
    IdentificationInputError
        When the file is empty, not UTF-8, or a row has more values than the header.
    """
    frame, problems = _read_csv(path, os.fspath(path))
    if problems:
        raise IdentificationInputError(problems)
    return frame


def _read_csv(path: str | os.PathLike, source: str) -> tuple[pd.DataFrame, list[Problem]]:
    """The table as text, and the problems of its shape (rows longer than the header)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            records = list(csv.reader(file))
    except UnicodeDecodeError as error:
        raise IdentificationInputError([Problem(source, "", "", f"not a readable UTF-8 CSV table: {error}")]) from error
    except csv.Error as error:
        raise IdentificationInputError([Problem(source, "", "", f"not a readable CSV table: {error}")]) from error
    if not records or not any(cell.strip() for cell in records[0]):
        message = f"the file is empty: expected a header row with {', '.join(REQUIRED_COLUMNS)}"
        raise IdentificationInputError([Problem(source, "row 1", "", message)])
    header, width = records[0], len(records[0])
    problems = [
        Problem(source, f"row {number}", "", f"{len(record)} values, but the header has {width} columns")
        for number, record in enumerate(records[1:], start=2)
        if len(record) > width
    ]
    rows = [record[:width] + [""] * (width - len(record)) for record in records[1:]]
    return pd.DataFrame(rows, columns=header, dtype=object), problems


def identify_clusters(table: pd.DataFrame | str | os.PathLike, *, source: str | None = None) -> IdentificationResult:
    """Compute location quotients and strong clusters for a long-form employment table.

    Parameters
    ----------
    table : DataFrame or path
        Columns ``region``, ``industry``, ``employment`` and optionally ``establishments`` and
        ``traded``, one row per region × industry (see the module docstring).
    source : str, optional
        The name problems are reported under (default: the path, or ``<table>``).

    Returns
    -------
    IdentificationResult

    Raises
    ------
    IdentificationInputError
        Listing every problem of the table (missing columns, bad numbers, empty names,
        duplicate region × industry rows, fewer than 2 regions, zero employment).

    Examples
    --------
    >>> import pandas as pd
    >>> try:
    ...     identify_clusters(pd.DataFrame({"region": ["A"], "industry": ["x"], "employment": [-1]}))
    ... except IdentificationInputError as error:
    ...     print(*error.problems, sep="\\n")
    <table>: row 2: employment: negative value -1
    <table>: region: only 1 region ('A'): the location quotient compares regions, so at least 2 are needed
    """
    if isinstance(table, pd.DataFrame):
        frame, source, problems = table, source or "<table>", []
    else:
        source = source or os.fspath(table)
        frame, problems = _read_csv(table, source)
    clean = _validated(frame, source, problems)
    return _identify(clean)


def _validated(frame: pd.DataFrame, source: str, problems: list[Problem]) -> pd.DataFrame:
    """The table with parsed values, or every problem found in it (with ``problems``) raised at once."""
    frame = frame.set_axis([str(column).strip() for column in frame.columns], axis=1)
    header = list(frame.columns)
    problems = problems + [
        Problem(source, "row 1", name, f"required column is missing (the header has: {', '.join(header) or 'nothing'})")
        for name in REQUIRED_COLUMNS
        if name not in header
    ]
    problems += [
        Problem(source, "row 1", name, f"the column appears {header.count(name)} times; keep one")
        for name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS
        if header.count(name) > 1
    ]
    present = [name for name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if name in header]
    cells = {name: frame.iloc[:, header.index(name)].tolist() for name in present}
    parsers = {"region": _name, "industry": _name, "employment": _number, "establishments": _number, "traded": _flag}
    records, bad_columns, first_row_of, traded_of = [], set(), {}, {}
    for position in range(len(frame)):
        row = f"row {position + 2}"
        record, bad = {}, set()
        for name in present:
            value, message = parsers[name](cells[name][position])
            if message:
                problems.append(Problem(source, row, name, message))
                bad.add(name)
                bad_columns.add(name)
            record[name] = value
        region, industry = record.get("region"), record.get("industry")
        if region and industry:
            key = (region, industry)
            if key in first_row_of:
                problems.append(Problem(source, row, "region, industry",
                                        f"duplicate of {first_row_of[key]} ({region!r}, {industry!r}): each region × industry must appear once"))
            else:
                first_row_of[key] = row
        if industry and "traded" in record and "traded" not in bad:
            earlier = traded_of.setdefault(industry, (record["traded"], row))
            if earlier[0] != record["traded"]:
                problems.append(Problem(source, row, "traded",
                                        f"{industry!r} is {_word(record['traded'])} here but {_word(earlier[0])} in {earlier[1]}"))
        records.append(record)

    if "region" in cells:
        regions = sorted({record["region"] for record in records if record["region"]})
        if len(regions) < 2:
            named = f" ({', '.join(map(repr, regions))})" if regions else ""
            problems.append(Problem(source, "", "region",
                                    f"only {len(regions)} region{'s' if len(regions) != 1 else ''}{named}: "
                                    "the location quotient compares regions, so at least 2 are needed"))
    if records and "employment" in cells and not bad_columns & {"employment", "traded"}:
        total = sum(record["employment"] for record in records)
        traded_total = sum(record["employment"] for record in records if record.get("traded", True))
        if total == 0:
            problems.append(Problem(source, "", "employment", "total employment is zero: there is nothing to compare"))
        elif traded_total == 0:
            problems.append(Problem(source, "", "employment",
                                    "total traded employment is zero: the location quotient is measured against traded employment"))
    if problems:
        raise IdentificationInputError(sorted(problems, key=_reading_order))
    clean = pd.DataFrame.from_records(records, columns=present)
    if "traded" not in clean:
        clean["traded"] = True
    return clean


def _reading_order(problem: Problem) -> float:
    """Row by row from the header down (a stable sort keeps the columns' order); table-wide last."""
    word, _, number = problem.location.partition(" ")
    return int(number) if word == "row" and number.isdigit() else math.inf


def _name(value) -> tuple[str | None, str | None]:
    text = "" if _missing(value) else str(value).strip()
    return (text, None) if text else (None, "empty: every row needs a value here")


def _number(value) -> tuple[float | None, str | None]:
    if _missing(value) or (isinstance(value, str) and not value.strip()):
        return None, "missing value: expected a number >= 0"
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Real)):
        return None, f"not a number: {value!r}"
    try:
        number = float(value)
    except ValueError:
        return None, f"not a number: {value!r}"
    if not math.isfinite(number):
        return None, f"not a finite number: {value!r}"
    if number < 0:
        return None, f"negative value {_plain(number)}"
    return number, None


def _flag(value) -> tuple[bool | None, str | None]:
    if isinstance(value, bool):
        return value, None
    text = "" if _missing(value) else str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true", None
    return None, "missing value: expected true or false" if not text else f"expected true or false, got {value!r}"


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _word(flag: bool) -> str:
    return "traded" if flag else "not traded"


def _identify(clean: pd.DataFrame) -> IdentificationResult:
    """The LQs, quartiles and the strong-cluster rule on a validated table."""
    has_establishments = "establishments" in clean
    traded_of = clean.groupby("industry", sort=False)["traded"].first()
    regions, industries = sorted(clean["region"].unique()), sorted(clean["industry"].unique())
    grid = pd.MultiIndex.from_product([regions, industries], names=["region", "industry"])
    table = clean.set_index(["region", "industry"]).reindex(grid)
    table["reported"] = table["employment"].notna()
    table["traded"] = table.index.get_level_values("industry").map(traded_of).astype(bool)
    table["employment"] = table["employment"].fillna(0.0)
    table["establishments"] = table["establishments"].fillna(0.0) if has_establishments else math.nan

    traded_employment = table["employment"].where(table["traded"], 0.0)
    regional = traded_employment.groupby(level="region").transform("sum")  # regional traded employment
    national_traded = float(traded_employment.sum())
    national_cluster = table.groupby(level="industry")["employment"].transform("sum")
    # e·N / (R·I) is one rounding of exact products, so equal ratios give equal floats and
    # ties with the quartile or with 1 compare as they would in exact arithmetic.
    defined = table["traded"] & (regional > 0) & (national_cluster > 0)
    lq = (table["employment"] * national_traded) / (regional * national_cluster)
    table["lq"] = lq.where(defined)
    table["share_of_national"] = (table["employment"] / national_cluster).where(national_cluster > 0)

    by_industry = table.groupby(level="industry")
    table["top_quartile_lq"] = by_industry["lq"].transform(lambda s: s.quantile(TOP_QUARTILE))
    table["bottom_quartile_employment"] = by_industry["employment"].transform(lambda s: s.quantile(BOTTOM_QUARTILE))
    table["bottom_quartile_establishments"] = (
        by_industry["establishments"].transform(lambda s: s.quantile(BOTTOM_QUARTILE)) if has_establishments else math.nan
    )
    strong = (
        defined
        & (table["lq"] >= table["top_quartile_lq"])
        & (table["lq"] >= 1)
        & (table["employment"] > table["bottom_quartile_employment"])
    )
    if has_establishments:
        strong &= table["establishments"] > table["bottom_quartile_establishments"]
    table["strong"] = strong.astype(bool)
    ranked = table[table["strong"]].reset_index().sort_values(["lq", "region", "industry"], ascending=[False, True, True])
    rank_of = {(r, i): n for n, (r, i) in enumerate(zip(ranked["region"], ranked["industry"]), start=1)}

    table = table.reset_index()
    table["rank"] = [rank_of.get(key) for key in zip(table["region"], table["industry"])]
    converters = {"region": str, "industry": str, "traded": bool, "reported": bool, "strong": bool, "rank": _rank,
                  "lq": _float, "top_quartile_lq": _float, "share_of_national": _float}
    columns = [list(map(converters.get(name, _plain), table[name].tolist())) for name in COLUMNS]
    rows = tuple(RegionIndustry(*values) for values in zip(*columns))
    return IdentificationResult(regions=len(regions), industries=len(industries), rows=rows)


def _rank(value) -> int | None:
    return None if value is None or _missing(value) else int(value)


def _float(value) -> float | None:
    """A plain Python float for JSON, None for an empty value."""
    return None if _missing(value) else float(value)


def _plain(value) -> int | float | None:
    """A count as a plain Python number for JSON: None for an empty value, int when whole."""
    if _missing(value):
        return None
    number = float(value)
    return int(number) if number.is_integer() else number
