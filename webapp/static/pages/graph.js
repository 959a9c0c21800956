// Draws the graphs a page embeds as JSON (built with pyvis in webapp/pages/drawing.py) with the
// vendored vis-network. Tooltips become DOM elements filled through textContent: a label from the
// data is shown as text and never parsed as HTML.
(function () {
  "use strict";
  if (typeof vis === "undefined") return;

  function tooltip(text) {
    var element = document.createElement("div");
    element.className = "graph-tooltip";
    element.textContent = text;
    return element;
  }

  document.querySelectorAll(".graph[data-graph]").forEach(function (container) {
    var source = document.getElementById(container.getAttribute("data-graph"));
    if (!source) return;
    var graph = JSON.parse(source.textContent);
    var nodes = graph.nodes.map(function (node) {
      var copy = Object.assign({}, node);
      copy.title = tooltip(String(node.title || node.label || ""));
      return copy;
    });
    var edges = graph.edges.map(function (edge, index) {
      var copy = Object.assign({id: "e" + index}, edge);
      if (edge.title) copy.title = tooltip(String(edge.title)); else delete copy.title;
      return copy;
    });
    var network = new vis.Network(container, {nodes: new vis.DataSet(nodes), edges: new vis.DataSet(edges)}, graph.options);
    var links = {};
    graph.nodes.forEach(function (node) { if (node.href) links[node.id] = node.href; });
    network.on("click", function (event) {
      if (event.nodes.length === 1 && links[event.nodes[0]] && links[event.nodes[0]].charAt(0) === "/") {
        window.location.href = links[event.nodes[0]];
      }
    });
    network.once("stabilizationIterationsDone", function () { network.setOptions({physics: {enabled: false}}); });
    container.setAttribute("data-drawn", "1");
  });
})();
