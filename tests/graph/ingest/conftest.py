"""Fixtures of the open-data connectors: the small real extracts under tests/data/open/."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data" / "open"


@pytest.fixture()
def open_fixtures() -> Path:
    return DATA
