"""The settings table: every knob clusterkg reads from flags or ``CLUSTERKG_*`` variables.

One table (name, default, help) so the README can list every setting and a test can check
that it does (the habit Datasette made popular).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Setting", "SETTINGS", "get_setting", "default_store_path", "default_cache_path"]


@dataclass(frozen=True)
class Setting:
    """One configurable value: its environment variable, default and meaning."""

    name: str
    default: str | None
    help: str

    @property
    def env_var(self) -> str:
        return "CLUSTERKG_" + self.name.upper()


def default_store_path() -> Path:
    """Per-user location of the embedded store (XDG data dir)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "clusterkg" / "store"


def default_cache_path() -> Path:
    """Per-user cache of analytic projections (XDG cache dir)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clusterkg"


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting(
            "store",
            None,
            "Directory of the embedded pyoxigraph store "
            "(default: $XDG_DATA_HOME/clusterkg/store, i.e. ~/.local/share/clusterkg/store).",
        ),
        Setting(
            "endpoint",
            None,
            "Query URL of a remote SPARQL 1.1 server; when set, clusterkg uses it instead of the "
            "embedded store (e.g. http://127.0.0.1:7878/query for `oxigraph serve`).",
        ),
        Setting(
            "update_endpoint",
            None,
            "Update URL of the remote server (default: the query URL with /query replaced by /update).",
        ),
        Setting(
            "graph_store_endpoint",
            None,
            "Graph Store Protocol URL of the remote server (default: the query URL with /query "
            "replaced by /store).",
        ),
        Setting(
            "cache",
            str(default_cache_path()),
            "Directory where analytic projections are cached per data version "
            "(default: $XDG_CACHE_HOME/clusterkg, i.e. ~/.cache/clusterkg).",
        ),
        Setting("host", "127.0.0.1", "Address `clusterkg serve` listens on (loopback by default)."),
        Setting("port", "5000", "Port `clusterkg serve` listens on."),
        Setting("query_timeout", "10", "Seconds a SPARQL query may run on the web endpoint before it is stopped."),
        Setting("max_rows", "10000", "Most rows (or triples) the web endpoint returns for one query; more are cut off and flagged."),
        Setting(
            "admin_token",
            None,
            "Bearer token that allows SPARQL Update and Graph Store writes on the web endpoint; "
            "unset means the endpoint is read-only.",
        ),
        Setting("query_workers", "2", "Worker processes that run SPARQL queries for the web endpoint (on-disk stores)."),
        Setting(
            "query_cache",
            "256",
            "How many recent SPARQL answers (up to 1 MiB each) the web endpoint keeps per data version; 0 turns it off.",
        ),
        Setting(
            "endpoint_token",
            None,
            "Bearer token sent to the remote server with every request, if it needs one.",
        ),
    ]
}


def get_setting(name: str, override: str | None = None) -> str | None:
    """The value of a setting: an explicit flag wins, then the environment, then the default.

    >>> get_setting("endpoint", override="http://127.0.0.1:7878/query")
    'http://127.0.0.1:7878/query'
    """
    setting = SETTINGS[name]
    if override not in (None, ""):
        return override
    value = os.environ.get(setting.env_var)
    if value not in (None, ""):
        return value
    return setting.default
