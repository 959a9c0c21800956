"""One way to print a result in the three formats every analysis verb offers.

A result object has ``to_json()`` (a plain, documented, stable dict) and ``to_frame()`` (a
pandas DataFrame, one row per item): JSON prints the first, table and CSV the second.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Protocol

import click

from clusterkg.commands.language import LANG_OPTION, N_, current_language

if TYPE_CHECKING:  # pandas is imported by the analyses themselves; `clusterkg --help` stays quick
    import pandas as pd

__all__ = ["Result", "emit", "FORMAT_OPTION"]


class Result(Protocol):
    def to_json(self) -> dict: ...

    def to_frame(self) -> "pd.DataFrame": ...


def emit(result: Result, fmt: str) -> None:
    """Print ``result`` as ``table``, ``json`` or ``csv`` on standard output."""
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False, default=str))
        return
    language = current_language()  # --lang: the why-lines (and a table's headers) for people
    frame = language.frame(result.to_frame(), headers=fmt == "table")
    if fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
        return
    if frame.empty:
        click.echo(language.gettext(N_("(no results)")))
        return
    shown = frame.copy()
    for column in shown.columns:
        if shown[column].dtype == object:
            shown[column] = shown[column].map(lambda v: _cell(v))
    click.echo(shown.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


def _cell(value, limit: int = 50) -> str:
    text = "; ".join(map(str, value)) if isinstance(value, (list, tuple)) else ("" if value is None else str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
    help="Output: a table for people, JSON (documented, stable) or CSV.",
)


def FORMAT_OPTION(function):
    """The ``--format`` option every analysis verb shares, and ``--lang`` (the language of what it prints for people)."""
    return LANG_OPTION(_FORMAT(function))
