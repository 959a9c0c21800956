// The one way the app draws a graph with the vendored vis-network, for the explorer
// (explorer/explorer.js) and the pages' small graphs (built in webapp/pages/drawing.py).
// Every text from the data goes through textContent (never innerHTML): labels are data.
(function () {
  "use strict";

  // A tooltip element: the label, the kind (and country), then each detail line.
  // kindNames: the kinds in the page's language (from the page), else the kind as it is.
  function tooltip(n, kindNames) {
    var box = document.createElement("div");
    box.className = "graph-tooltip";
    var head = document.createElement("strong");
    head.textContent = n.label;
    box.appendChild(head);
    var kind = document.createElement("div");
    kind.textContent = ((kindNames && kindNames[n.kind]) || n.kind) + (n.country ? " · " + (n.country_name || n.country) : "");
    box.appendChild(kind);
    Object.keys(n.detail || {}).forEach(function (key) {
      var line = document.createElement("div");
      line.textContent = key + ": " + n.detail[key];
      box.appendChild(line);
    });
    return box;
  }

  function textTooltip(text) {
    var box = document.createElement("div");
    box.className = "graph-tooltip";
    box.textContent = text;
    return box;
  }

  // A node of the app's shape as a vis-network node: coloured by kind, sized by its size.
  function visNode(n, colours, kindNames) {
    var node = Object.assign({}, n, {
      value: Math.max(1, n.size || 1),
      color: colours[n.kind] || colours.resource,
      title: tooltip(n, kindNames),
      shape: n.kind === "group" ? "square" : "dot"
    });
    if (n.x === undefined) { delete node.x; delete node.y; }
    return node;
  }

  function visEdge(e) {
    return { id: e.id, from: e.from, to: e.to, relation: e.relation, dashes: !!e.dashes,
             title: textTooltip(e.label || e.relation) };
  }

  // networks: the pages' drawings by their container's id
  window.ClusterkgGraph = { tooltip: tooltip, visNode: visNode, visEdge: visEdge, networks: {} };

  // The pages' graphs, embedded as JSON: drawn once; a click on a node opens the page it names.
  if (typeof vis === "undefined") return;
  document.querySelectorAll(".graph[data-graph]").forEach(function (container) {
    var source = document.getElementById(container.getAttribute("data-graph"));
    if (!source) return;
    var graph = JSON.parse(source.textContent);
    var nodes = new vis.DataSet(graph.nodes.map(function (n) { return visNode(n, graph.colors, graph.kindNames); }));
    var edges = new vis.DataSet(graph.edges.map(visEdge));
    var network = new vis.Network(container, { nodes: nodes, edges: edges }, graph.options);
    network.on("click", function (event) {
      var n = event.nodes.length === 1 ? nodes.get(event.nodes[0]) : null;
      if (n && n.url && n.url.charAt(0) === "/") window.location.href = n.url;
    });
    network.once("stabilizationIterationsDone", function () { network.setOptions({ physics: { enabled: false } }); });
    window.ClusterkgGraph.networks[container.id] = network;
    container.setAttribute("data-drawn", "1");
  });
})();
