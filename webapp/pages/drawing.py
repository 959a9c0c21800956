"""Small graph drawings for pages: pyvis builds the data and options, our own template draws them.

pyvis is used only as a model of a vis-network drawing: the node and edge lists are assigned
directly (``Network.add_edge`` is quadratic, see DESIGN.md "Browser graphs") and
``get_network_data()`` gives the options. We never call ``show``/``write_html``/
``generate_html`` (they write files and reference CDNs): the page embeds the data as JSON and
``static/pages/graph.js`` draws it with the vendored vis-network. Tooltips are plain text here;
the script turns each into a DOM element through ``textContent``, so a label from the data can
never become markup.
"""

from __future__ import annotations

import json

from pyvis.network import Network

__all__ = ["KIND_STYLES", "Drawing", "node", "edge"]

#: how each kind of node looks (a legend on the page lists them)
KIND_STYLES = {
    "focus": {"color": "#d9822b", "shape": "dot", "size": 26},
    "cluster": {"color": "#3b6ea8", "shape": "dot", "size": 18},
    "organisation": {"color": "#7aa974", "shape": "dot", "size": 10},
    "competency": {"color": "#b05fa3", "shape": "diamond", "size": 12},
    "recommended": {"color": "#9fb8d6", "shape": "dot", "size": 14},
}


def node(node_id: str, label: str, kind: str, title: str = "", href: str | None = None) -> dict:
    """A vis-network node; ``title`` is plain text (shown as text, never parsed as HTML)."""
    style = KIND_STYLES[kind]
    item = {"id": node_id, "label": label, "title": title or label, "group": kind,
            "shape": style["shape"], "size": style["size"], "color": style["color"]}
    if href:
        item["href"] = href
    return item


def edge(source: str, target: str, title: str = "", dashes: bool = False, width: float = 1.0) -> dict:
    return {"from": source, "to": target, "title": title, "dashes": dashes, "width": width}


class Drawing:
    """Nodes and edges of one drawing; :meth:`to_json` is what the page embeds."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict] = {}
        self.edges: list[dict] = []

    def add(self, item: dict) -> None:
        self.nodes.setdefault(item["id"], item)  # the first description of a node wins

    def connect(self, item: dict) -> None:
        if item["from"] in self.nodes and item["to"] in self.nodes:
            self.edges.append(item)

    def to_json(self) -> dict:
        network = Network(height="440px", width="100%")
        network.nodes = list(self.nodes.values())
        network.edges = self.edges
        network.barnes_hut(gravity=-2500, central_gravity=0.6, spring_length=70)
        network.options.interaction.hover = True
        nodes, edges, _heading, height, _width, options = network.get_network_data()
        options = json.loads(options)
        options["physics"]["stabilization"]["iterations"] = 300
        # labels stay readable when the drawing is fitted to its box
        options["nodes"] = {"font": {"size": 13, "color": "#222"}, "scaling": {"label": {"drawThreshold": 3}}}
        return {"nodes": nodes, "edges": edges, "options": options, "height": height,
                "legend": [{"kind": kind, **style} for kind, style in KIND_STYLES.items()
                           if any(n["group"] == kind for n in nodes)]}
