"""The settings table: every knob clusterkg reads from flags or ``CLUSTERKG_*`` variables.

One table (name, kind, default, help) so the README can list every setting and a test can
check that it does (the habit Datasette made popular). Each value is read and converted to
its type here, once, so a bad value fails at start with a message that names the variable,
never deep inside a command.

Precedence, the same for every setting: a flag beats an environment variable beats the
default. The two ways to say where the data is (``--store``/``CLUSTERKG_STORE`` and
``--endpoint``/``CLUSTERKG_ENDPOINT``) are one choice, resolved by :func:`data_location`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from clusterkg.graph.errors import ClusterKGError

__all__ = [
    "DataLocation",
    "Setting",
    "SettingError",
    "SETTINGS",
    "data_location",
    "default_cache_path",
    "default_store_path",
    "get_setting",
]

MEMORY = ":memory:"
"""``--store :memory:``: an empty store in memory, for trying things out."""


class SettingError(ClusterKGError):
    """A setting has a value of the wrong kind, or two settings contradict each other."""


def default_store_path() -> Path:
    """Per-user location of the embedded store (XDG data dir)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "clusterkg" / "store"


def default_cache_path() -> Path:
    """Per-user cache of analytic projections (XDG cache dir)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clusterkg"


# --------------------------------------------------------------------------- kinds of value


def _text(value: str) -> str:
    return value


def _path(value: str) -> Path | str:
    return value if value == MEMORY else Path(value).expanduser()


def _url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    return value


def _positive_number(value: str) -> float:
    number = float(value)  # ValueError on anything else
    if not number > 0 or number == float("inf"):
        raise ValueError("expected a number of seconds above 0")
    return number


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("expected a whole number, 0 or more")
    return number


def _positive_count(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("expected a whole number, 1 or more")
    return number


def _port(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 65535:
        raise ValueError("expected a port number from 0 to 65535")
    return number


_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _boolean(value: str) -> bool:
    try:
        return _BOOLEANS[value.strip().lower()]
    except KeyError:
        raise ValueError("expected true or false (also 1/0, yes/no, on/off)") from None


_KINDS: dict[str, tuple[Callable[[str], object], str]] = {
    # kind: (converter, what a value of this kind looks like, for messages)
    "text": (_text, "text"),
    "path": (_path, "a directory"),
    "url": (_url, "a URL"),
    "seconds": (_positive_number, "a number of seconds"),
    "count": (_count, "a whole number"),
    "positive_count": (_positive_count, "a whole number above 0"),
    "port": (_port, "a port number"),
    "bool": (_boolean, "true or false"),
}


@dataclass(frozen=True)
class Setting:
    """One configurable value: its environment variable, kind, default and meaning."""

    name: str
    kind: str
    default: str | None
    help: str

    @property
    def env_var(self) -> str:
        return "CLUSTERKG_" + self.name.upper()

    def convert(self, raw: str, source: str) -> object:
        """``raw`` as this setting's type; a :class:`SettingError` naming ``source`` if it is not."""
        converter, looks_like = _KINDS[self.kind]
        try:
            return converter(raw)
        except ValueError as error:
            reason = str(error) if str(error).startswith("expected") else f"expected {looks_like}"
            raise SettingError(f"{source}={raw!r} is not valid: {reason}") from None


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting(
            "store", "path", None,
            "Directory of the embedded pyoxigraph store "
            "(default: $XDG_DATA_HOME/clusterkg/store, i.e. ~/.local/share/clusterkg/store).",
        ),
        Setting(
            "endpoint", "url", None,
            "Query URL of a remote SPARQL 1.1 server; when set, clusterkg uses it instead of the "
            "embedded store (e.g. http://127.0.0.1:7878/query for `oxigraph serve`).",
        ),
        Setting(
            "update_endpoint", "url", None,
            "Update URL of the remote server (default: derived from the query URL for known "
            "servers, see clusterkg.graph.endpoints).",
        ),
        Setting(
            "graph_store_endpoint", "url", None,
            "Graph Store Protocol URL of the remote server (default: derived from the query URL "
            "for known servers, see clusterkg.graph.endpoints).",
        ),
        Setting(
            "endpoint_token", "text", None,
            "Bearer token sent to the remote server with every request, if it needs one.",
        ),
        Setting(
            "cache", "path", None,
            "Directory where analytic projections are cached per data version "
            "(default: $XDG_CACHE_HOME/clusterkg, i.e. ~/.cache/clusterkg).",
        ),
        Setting("host", "text", "127.0.0.1", "Address `clusterkg serve` listens on (loopback by default)."),
        Setting("port", "port", "5000", "Port `clusterkg serve` listens on."),
        Setting("query_timeout", "seconds", "10",
                "Seconds a SPARQL query may run on the web endpoint before it is stopped."),
        Setting("max_rows", "positive_count", "10000",
                "Most rows (or triples) the web endpoint returns for one query; more are cut off and flagged."),
        Setting(
            "admin_token", "text", None,
            "Bearer token that allows SPARQL Update and Graph Store writes on the web endpoint; "
            "unset means the endpoint is read-only. The command line sends it when it writes "
            "through a running `clusterkg serve`.",
        ),
        Setting("query_workers", "positive_count", "2",
                "Worker processes that run SPARQL queries for the web endpoint (on-disk stores)."),
        Setting("processes", "positive_count", "1",
                "Front processes of `clusterkg serve` on an on-disk store: one writes, the others read."),
        Setting(
            "accounts", "path", None,
            "SQLite file of the editors' accounts (default: `<store>.accounts.sqlite3` beside an "
            "on-disk store; in memory otherwise).",
        ),
        Setting(
            "secret_key", "text", None,
            "Key that signs session cookies and CSRF tokens (default: a random key kept in the accounts file).",
        ),
        Setting(
            "query_cache", "count", "256",
            "How many recent SPARQL answers (up to 1 MiB each) the web endpoint keeps per data version; 0 turns it off.",
        ),
    ]
}

_DEFAULTS: dict[str, Callable[[], object]] = {"cache": default_cache_path}
"""Defaults computed when asked (they depend on ``$XDG_*`` at that moment)."""


def get_setting(name: str, override: object = None, environ: Mapping[str, str] | None = None) -> object:
    """The value of a setting, converted to its type: a flag, else the environment, else the default.

    ``override`` is the flag's value (``None`` or ``""`` when the flag was not given).

    >>> get_setting("endpoint", override="http://127.0.0.1:7878/query")
    'http://127.0.0.1:7878/query'
    >>> get_setting("max_rows", environ={"CLUSTERKG_MAX_ROWS": "500"})
    500
    >>> get_setting("max_rows", environ={})
    10000
    >>> get_setting("query_timeout", environ={"CLUSTERKG_QUERY_TIMEOUT": "ten"})
    Traceback (most recent call last):
    ...
    clusterkg.settings.SettingError: CLUSTERKG_QUERY_TIMEOUT='ten' is not valid: expected a number of seconds
    """
    setting = SETTINGS[name]
    environ = os.environ if environ is None else environ
    if override not in (None, ""):
        return setting.convert(override, f"--{name.replace('_', '-')}") if isinstance(override, str) else override
    raw = environ.get(setting.env_var)
    if raw not in (None, ""):
        return setting.convert(raw, setting.env_var)
    if name in _DEFAULTS:
        return _DEFAULTS[name]()
    return None if setting.default is None else setting.convert(setting.default, f"the default of {setting.env_var}")


@dataclass(frozen=True)
class DataLocation:
    """Where the data is: an embedded store directory (or ``":memory:"``), or a SPARQL server."""

    store: Path | str | None
    endpoint: str | None

    @property
    def in_memory(self) -> bool:
        return self.store == MEMORY


def data_location(store: object = None, endpoint: object = None,
                  environ: Mapping[str, str] | None = None) -> DataLocation:
    """Resolve ``--store``/``--endpoint`` and their variables into one place to find the data.

    A flag beats a variable: ``--endpoint URL`` wins over an exported ``CLUSTERKG_STORE`` and
    ``--store DIR`` over ``CLUSTERKG_ENDPOINT``. Two flags, or two variables without a flag,
    contradict each other and are refused. Nothing set: the default embedded store.

    >>> data_location(endpoint="http://127.0.0.1:7878/query", environ={"CLUSTERKG_STORE": "/srv/ckg"})
    DataLocation(store=None, endpoint='http://127.0.0.1:7878/query')
    >>> data_location(store="/srv/ckg", environ={"CLUSTERKG_ENDPOINT": "http://127.0.0.1:7878/query"})
    DataLocation(store=PosixPath('/srv/ckg'), endpoint=None)
    >>> data_location(environ={"CLUSTERKG_STORE": "/srv/ckg", "CLUSTERKG_ENDPOINT": "http://127.0.0.1:7878/query"})
    Traceback (most recent call last):
    ...
    clusterkg.settings.SettingError: both CLUSTERKG_STORE and CLUSTERKG_ENDPOINT are set: unset one, or choose with --store DIR or --endpoint URL
    """
    environ = os.environ if environ is None else environ
    if store not in (None, "") and endpoint not in (None, ""):
        raise SettingError("give either --store or --endpoint, not both")
    if endpoint not in (None, ""):
        return DataLocation(None, get_setting("endpoint", endpoint, environ))
    if store not in (None, ""):
        return DataLocation(get_setting("store", store, environ), None)
    from_env_store = get_setting("store", environ=environ)
    from_env_endpoint = get_setting("endpoint", environ=environ)
    if from_env_store is not None and from_env_endpoint is not None:
        raise SettingError("both CLUSTERKG_STORE and CLUSTERKG_ENDPOINT are set: unset one, "
                           "or choose with --store DIR or --endpoint URL")
    if from_env_endpoint is not None:
        return DataLocation(None, from_env_endpoint)
    return DataLocation(from_env_store or default_store_path(), None)
