"""The one drawing pipeline of the app: the explorer and the pages' small graphs draw the same way.

A drawing is a set of nodes and edges in the explorer's shapes (documented in
:mod:`clusterkg.graph.explorer_model`: a node has ``id``, ``kind``, ``label``, ``iri``, ``size``,
``detail``; the app adds ``url``, the page it names). On the server, :func:`vis_options` builds
the vis-network options with pyvis, and :data:`KIND_COLORS` colours nodes by kind (the legend).
In the browser, ``static/graph.js`` turns nodes and edges into vis-network's (tooltips built
through ``textContent``, so a label from the data can never become markup) and draws them with
the vendored vis-network; the explorer (``static/explorer/explorer.js``) uses the same functions.

pyvis is only a model of the options: its node and edge lists are assigned directly
(``Network.add_edge`` is quadratic: 20k nodes took 206 s, assigning the lists 0.19 s) and its
HTML is never used (``show``/``write_html``/``generate_html`` write files and load from CDNs).
"""

from __future__ import annotations

import copy
import functools
import json

from pyvis.network import Network

from clusterkg.graph.explorer_model import PHYSICS_THRESHOLD
from clusterkg.webapp.i18n import name, term_names

__all__ = ["KIND_COLORS", "Drawing", "edge", "node", "vis_options"]

#: node kind -> colour: the graph, the legend and the explorer's table agree
KIND_COLORS = {"cluster": "#c0392b", "organisation": "#2e86c1", "competency": "#229954",
               "industry": "#d68910", "country": "#7d3c98", "group": "#566573", "resource": "#839192",
               "recommended": "#e59866"}


def vis_options(nodes: list[dict], physics: bool) -> dict:
    """vis-network options: physics for small drawings, fixed positions (``x``/``y``) for big ones.

    Above ``PHYSICS_THRESHOLD`` nodes the explorer sends positions (physics took 9 s to settle
    500 nodes in headless Chromium on 2 cores; positions with physics off, 0.7 s). The options
    depend on the node count only through two thresholds, so they are built once per case (a
    pyvis ``Network`` cost ~6 ms a drawing) and each caller gets its own copy.
    """
    return copy.deepcopy(_options(physics, len(nodes) > PHYSICS_THRESHOLD, physics and len(nodes) < 150))


@functools.lru_cache(maxsize=8)
def _options(physics: bool, many: bool, improved_layout: bool) -> dict:
    net = Network(directed=False)
    if physics:
        net.barnes_hut(gravity=-3000, central_gravity=0.3, spring_length=120, spring_strength=0.04,
                       damping=0.3, overlap=0.1)
        net.options.physics.stabilization.iterations = 300  # bounded: small drawings only
    else:
        net.toggle_physics(False)
    net.toggle_hide_edges_on_drag(many)
    options = json.loads(net.options.to_json())
    options["edges"]["smooth"] = {"enabled": True, "type": "continuous"} if physics else {"enabled": False}
    options["edges"]["color"] = {"color": "#9aa7b4", "highlight": "#24364b", "inherit": False}
    options["interaction"].update({"hover": True, "tooltipDelay": 150, "navigationButtons": False,
                                   "keyboard": {"enabled": False}})
    options["nodes"] = {"shape": "dot", "scaling": {"min": 6, "max": 40, "label": {"enabled": False}},
                        "font": {"size": 12, "face": "system-ui, sans-serif"}}
    options["layout"] = {"improvedLayout": improved_layout}
    return options


def node(iri: str, label: str, kind: str, url: str | None, detail: dict[str, str] | None = None,
         size: int = 1) -> dict:
    """A node of a page's drawing (id: its IRI); ``detail`` lines show in its tooltip, as text."""
    return {"id": iri, "kind": kind, "label": label, "iri": iri, "url": url, "size": size,
            "detail": {k: v for k, v in (detail or {}).items() if v}}


def edge(source: str, target: str, relation: str, label: str = "", dashes: bool = False) -> dict:
    """An edge; ``dashes`` draws what is not there yet (a gap, a recommendation)."""
    return {"id": f"{source}|{relation}|{target}", "from": source, "to": target, "relation": relation,
            "label": label, "dashes": dashes}


class Drawing:
    """Nodes and edges of a page's small drawing (capped, so physics lays it out); :meth:`to_json`
    is what the page embeds."""

    def __init__(self, height: str = "440px") -> None:
        self.height = height
        self.nodes: dict[str, dict] = {}
        self.edges: dict[str, dict] = {}

    def add(self, item: dict) -> None:
        self.nodes.setdefault(item["id"], item)  # the first description of a node wins

    def connect(self, item: dict) -> None:
        if item["from"] in self.nodes and item["to"] in self.nodes:
            self.edges.setdefault(item["id"], item)

    def to_json(self) -> dict:
        # the names in the request's language where the data has them (English otherwise)
        nodes = [{**n, "label": name(n)} if n.get("iri") else n for n in self.nodes.values()]
        kinds = {n["kind"] for n in nodes}
        return {"nodes": nodes, "edges": list(self.edges.values()), "physics": True,
                "options": vis_options(nodes, True), "height": self.height, "colors": KIND_COLORS,
                "legend": [{"kind": kind, "color": color} for kind, color in KIND_COLORS.items() if kind in kinds],
                "kindNames": term_names(kinds)}  # the kinds in the request's language, for tooltips
