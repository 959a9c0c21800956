"""The home page (a placeholder until the page families arrive as their own blueprints)."""

from __future__ import annotations

from flask import Blueprint, render_template

from clusterkg.webapp.extension import state

__all__ = ["bp"]

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    return render_template("home.html", store=state().store.description)
