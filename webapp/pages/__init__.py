"""The pages for cluster managers, one blueprint per page family, each with a JSON twin.

``register(app)`` mounts them all, with the linked-data routes (``/id/...``) and the OpenAPI
description (``/api/openapi.json``); calling it twice is harmless.

=================  ======================================================================
blueprint          pages
=================  ======================================================================
``pages``          ``/`` home: search, counts, entry points (endpoint ``pages.home``)
``clusters``       ``/clusters``, ``/clusters/<id>``, ``.../recommendations``, ``.../applications``
``entities``       ``/organisations/<id>``, ``/competencies/<id>``, ``/resource?iri=``
``partner_search`` ``/partner-search`` (+ ``.json``, ``.csv``)
``toolkit``        ``/market-check``, ``/communities``, ``/blitz``
``events``         ``/events``, ``/events/<id>`` (+ plan, agendas, ``.ics``), ``/roundtable``, ``/project-group``
``linked_data``    ``/id/<kind>/<id>`` (see :mod:`clusterkg.webapp.linked_data`)
``openapi``        ``/api/openapi.json``
=================  ======================================================================
"""

from __future__ import annotations

from flask import Flask, Response

__all__ = ["register", "BLUEPRINTS"]

BLUEPRINTS = ("pages", "clusters", "entities", "partner_search", "toolkit", "events", "linked_data", "openapi")


def register(app: Flask) -> None:
    """Register every page blueprint on ``app`` (once)."""
    from clusterkg.webapp import linked_data, openapi
    from clusterkg.webapp.pages import clusters, entities, events, home, partner_search, toolkit

    if "pages" in app.blueprints:
        return
    for module in (home, clusters, entities, partner_search, toolkit, events, linked_data, openapi):
        app.register_blueprint(module.bp)
    app.add_url_rule("/favicon.ico", "favicon", _no_icon)


def _no_icon() -> Response:
    """The site has no icon (pages declare an empty one); browsers still ask for it on JSON answers."""
    return Response(status=204)
