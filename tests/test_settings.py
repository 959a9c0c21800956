"""The settings table: documented in the README, typed once, a flag beats a variable beats a default."""

from pathlib import Path

import pytest

from clusterkg.settings import SETTINGS, DataLocation, SettingError, data_location, default_store_path, get_setting

README = Path(__file__).parent.parent / "README.md"


def _table_rows() -> list[str]:
    return [line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("| `CLUSTERKG_")]


def test_every_setting_is_in_the_readme_table():
    documented = {row.split("`")[1] for row in _table_rows()}
    assert documented == {s.env_var for s in SETTINGS.values()}


def test_the_readme_table_states_the_documented_defaults():
    defaults = {row.split("`")[1]: row.split("|")[3].strip() for row in _table_rows()}
    for setting in SETTINGS.values():
        if setting.default is not None:
            assert defaults[setting.env_var] == f"`{setting.default}`", setting.env_var


def test_every_default_converts_to_its_kind():
    typed = {name: get_setting(name, environ={}) for name in SETTINGS}
    assert typed["query_timeout"] == 10.0 and isinstance(typed["query_timeout"], float)
    assert typed["max_rows"] == 10000 and typed["port"] == 5000 and typed["query_workers"] == 2
    assert typed["query_cache"] == 256 and typed["host"] == "127.0.0.1"
    assert isinstance(typed["cache"], Path) and typed["store"] is None and typed["endpoint"] is None


@pytest.mark.parametrize("name, raw, message", [
    ("query_timeout", "ten", "CLUSTERKG_QUERY_TIMEOUT='ten' is not valid: expected a number of seconds"),
    ("query_timeout", "0", "above 0"),
    ("query_timeout", "nan", "above 0"),
    ("max_rows", "1e4", "CLUSTERKG_MAX_ROWS='1e4' is not valid: expected a whole number above 0"),
    ("max_rows", "0", "1 or more"),
    ("query_cache", "-1", "0 or more"),
    ("port", "70000", "from 0 to 65535"),
    ("endpoint", "127.0.0.1:7878/query", "expected an http:// or https:// URL"),
])
def test_a_bad_value_names_the_variable_and_what_was_expected(name, raw, message):
    with pytest.raises(SettingError, match="^" + message if "=" in message else message):
        get_setting(name, environ={SETTINGS[name].env_var: raw})


def test_a_bad_flag_value_names_the_flag():
    with pytest.raises(SettingError, match="--endpoint='ftp://x' is not valid"):
        get_setting("endpoint", "ftp://x", environ={})


def test_a_flag_beats_the_variable_beats_the_default():
    environ = {"CLUSTERKG_MAX_ROWS": "50"}
    assert get_setting("max_rows", "7", environ=environ) == 7
    assert get_setting("max_rows", environ=environ) == 50
    assert get_setting("max_rows", environ={}) == 10000
    assert get_setting("store", environ={"CLUSTERKG_STORE": "~/ckg"}) == Path.home() / "ckg"


def test_store_and_endpoint_are_one_choice():
    url = "http://127.0.0.1:7878/query"
    both = {"CLUSTERKG_STORE": "/srv/ckg", "CLUSTERKG_ENDPOINT": url}
    assert data_location(endpoint=url, environ={"CLUSTERKG_STORE": "/srv/ckg"}) == DataLocation(None, url)
    assert data_location(store="/tmp/s", environ=both) == DataLocation(Path("/tmp/s"), None)
    assert data_location(environ={"CLUSTERKG_ENDPOINT": url}) == DataLocation(None, url)
    assert data_location(environ={}) == DataLocation(default_store_path(), None)
    assert data_location(store=":memory:", environ={}).in_memory
    with pytest.raises(SettingError, match="both CLUSTERKG_STORE and CLUSTERKG_ENDPOINT"):
        data_location(environ=both)
    with pytest.raises(SettingError, match="not both"):
        data_location(store="/tmp/s", endpoint=url, environ={})
