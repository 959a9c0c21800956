"""The web app's settings: rows for the settings table and how ``create_app`` reads them.

The rows use :class:`clusterkg.settings.Setting`, so they can join ``clusterkg.settings.SETTINGS``;
until they do, :func:`setting` reads the same ``CLUSTERKG_*`` variables itself.
"""

from __future__ import annotations

import os

from clusterkg.settings import SETTINGS, Setting, get_setting

__all__ = ["WEBAPP_SETTINGS", "setting"]

WEBAPP_SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting("query_timeout", "10", "Seconds a SPARQL query may run on the web endpoint before it is stopped."),
        Setting("max_rows", "10000", "Most rows (or triples) the web endpoint returns for one query; more are cut off and flagged."),
        Setting(
            "admin_token",
            None,
            "Bearer token that allows SPARQL Update and Graph Store writes on the web endpoint; "
            "unset means the endpoint is read-only.",
        ),
        Setting("query_workers", "2", "Worker processes that run SPARQL queries for the web endpoint (on-disk stores)."),
    ]
}


def setting(name: str) -> str | None:
    """A web setting from the environment (``CLUSTERKG_<NAME>``) or its default."""
    if name in SETTINGS:
        return get_setting(name)
    row = WEBAPP_SETTINGS[name]
    value = os.environ.get(row.env_var)
    return value if value not in (None, "") else row.default
