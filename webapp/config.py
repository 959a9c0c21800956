"""How the web app reads its settings: the one table in :mod:`clusterkg.settings`."""

from __future__ import annotations

from clusterkg.settings import get_setting

__all__ = ["setting"]


def setting(name: str) -> str | None:
    """A setting from the environment (``CLUSTERKG_<NAME>``) or its default."""
    return get_setting(name)
