"""Every setting is documented in the README's settings table."""

from pathlib import Path

from clusterkg.settings import SETTINGS

README = Path(__file__).parent.parent / "README.md"


def test_settings_exist():
    assert len(SETTINGS) >= 5


def test_every_setting_is_in_the_readme_table():
    text = README.read_text(encoding="utf-8")
    table_rows = [line for line in text.splitlines() if line.startswith("| `CLUSTERKG_")]
    documented = {row.split("`")[1] for row in table_rows}
    assert documented == {s.env_var for s in SETTINGS.values()}
