"""Editing a cluster in the browser and over the JSON API (see :mod:`.views`, :mod:`.api`, :mod:`.writes`)."""

from __future__ import annotations

from flask import Flask

__all__ = ["register"]


def register(app: Flask) -> None:
    """Mount the editing pages and API on ``app`` (once); the accounts come with them."""
    from clusterkg.webapp import accounts
    from clusterkg.webapp.editing import api, views

    accounts.register(app)
    if "editing" in app.blueprints:
        return
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
