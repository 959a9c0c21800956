// The graph explorer: draws a view with the vendored vis-network, keeps a sortable table of the
// same nodes beside it, and keeps everything (filters, selection, expansions) in the URL.
// Every text from the data goes through textContent (never innerHTML): labels are data.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("explorer-config").textContent);
  var payload = config.payload;
  var colours = config.kindColors;
  var EXPAND_LIMIT = 50;
  // The interface's strings, translated by the page (webapp/i18n.py): t("key", {name: value}).
  var strings = config.strings || {};
  // a data code (a node kind, a relation) in the page's language, else as it is
  function name(code) { return (config.names || {})[code] || code; }
  function t(key, values) {
    return (strings[key] || key).replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }

  var params = new URLSearchParams(window.location.search);
  var state = {
    industry: params.get("industry") || "",
    country: params.get("country") || "",
    hidden: (params.get("hide") || "").split(",").filter(Boolean),
    selected: params.get("node") || "",
    sort: params.get("sort") || "degree",
    dir: params.get("dir") === "asc" ? "asc" : "desc",
    expansions: []
  };
  var wantedExpansions = [];
  try { wantedExpansions = JSON.parse(params.get("exp") || "[]"); } catch (e) { wantedExpansions = []; }

  var statusBox = document.getElementById("explorer-status");
  function status(text, kind) {
    statusBox.textContent = text;
    statusBox.className = "query-state" + (kind ? " " + kind : "");
  }

  // ------------------------------------------------------------------ nodes for vis-network (graph.js)

  function visNode(n) { return window.ClusterkgGraph.visNode(n, colours, config.names); }
  var visEdge = window.ClusterkgGraph.visEdge;

  var nodes = new vis.DataSet(payload.nodes.map(visNode));
  var edges = new vis.DataSet(payload.edges.map(visEdge));

  function visible(n) {
    if (state.hidden.indexOf(n.kind) >= 0) return false;
    if (state.country && n.country && n.country.split(", ").indexOf(state.country) < 0) return false;
    if (state.industry && n.industries && n.industries.length && n.industries.indexOf(state.industry) < 0) return false;
    return true;
  }
  var nodeView = new vis.DataView(nodes, { filter: visible });

  var container = document.getElementById("graph");
  var network = new vis.Network(container, { nodes: nodeView, edges: edges }, payload.options);

  var drawn = false;
  network.on("afterDrawing", function () {
    if (!drawn && nodeView.length > 0) {
      drawn = true;
      window.__explorerDrawnAt = performance.now();
      status(describe());
    }
  });
  network.on("stabilized", function () {
    if (payload.physics && nodes.length >= config.physicsThreshold) {
      network.setOptions({ physics: { enabled: false } });
    }
  });

  function describe() {
    var how = payload.physics ? t("physics") : t("serverLayout", { layout: payload.layout });
    return t("shown", { shown: nodeView.length, total: nodes.length, edges: edges.length }) + " · " + how +
      (payload.aggregated ? " · " + t("aggregated") : "") +
      (payload.truncated ? " · " + t("truncated") : "");
  }

  // ------------------------------------------------------------------ the URL holds the view

  function syncUrl() {
    var out = new URLSearchParams();
    ["view", "cluster", "of", "limit", "shared", "query"].forEach(function (name) {
      if (params.get(name) !== null) out.set(name, params.get(name));
    });
    if (state.industry) out.set("industry", state.industry);
    if (state.country) out.set("country", state.country);
    if (state.hidden.length) out.set("hide", state.hidden.join(","));
    if (state.selected) out.set("node", state.selected);
    if (state.sort !== "degree" || state.dir !== "desc") { out.set("sort", state.sort); out.set("dir", state.dir); }
    if (state.expansions.length) out.set("exp", JSON.stringify(state.expansions));
    window.history.replaceState(null, "", window.location.pathname + "?" + out.toString());
  }

  // ------------------------------------------------------------------ filters and legend

  function option(select, value, text) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    select.appendChild(o);
  }

  var industrySelect = document.getElementById("filter-industry");
  var countrySelect = document.getElementById("filter-country");
  var kindBox = document.getElementById("filter-kinds");

  function fillFilters() {
    var labels = payload.industry_labels || {};
    var industries = {}, countries = {}, kinds = {};
    nodes.forEach(function (n) {
      (n.industries || []).forEach(function (i) { industries[i] = labels[i] || i; });
      (n.country ? n.country.split(", ") : []).forEach(function (c) { countries[c] = true; });
      kinds[n.kind] = (kinds[n.kind] || 0) + 1;
    });
    [industrySelect, countrySelect].forEach(function (s) { while (s.options.length > 1) s.remove(1); });
    Object.keys(industries).sort(function (a, b) { return industries[a].localeCompare(industries[b]); })
      .forEach(function (i) { option(industrySelect, i, industries[i]); });
    var countryLabels = payload.country_labels || {};
    Object.keys(countries).map(function (c) { return [c, countryLabels[c] || c]; })
      .sort(function (a, b) { return a[1].localeCompare(b[1], document.documentElement.lang || undefined); })
      .forEach(function (c) { option(countrySelect, c[0], c[1]); });
    industrySelect.value = state.industry;
    countrySelect.value = state.country;
    Array.prototype.slice.call(kindBox.querySelectorAll("label")).forEach(function (l) { l.remove(); });
    Object.keys(kinds).sort().forEach(function (kind) {
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.value = kind;
      box.checked = state.hidden.indexOf(kind) < 0;
      box.addEventListener("change", function () {
        state.hidden = state.hidden.filter(function (k) { return k !== kind; });
        if (!box.checked) state.hidden.push(kind);
        refresh();
      });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + name(kind) + " (" + kinds[kind] + ")"));
      kindBox.appendChild(label);
    });
    Array.prototype.slice.call(document.querySelectorAll("#legend li[data-kind]")).forEach(function (li) {
      li.hidden = !kinds[li.getAttribute("data-kind")];
    });
  }

  industrySelect.addEventListener("change", function () { state.industry = industrySelect.value; refresh(); });
  countrySelect.addEventListener("change", function () { state.country = countrySelect.value; refresh(); });

  function refresh() {
    nodeView.refresh();
    renderTable();
    syncUrl();
    if (drawn) status(describe());
  }

  // ------------------------------------------------------------------ the table beside the graph

  var tableBody = document.querySelector("#node-table tbody");
  var headers = Array.prototype.slice.call(document.querySelectorAll("#node-table th"));

  function degrees() {
    var shown = {}, degree = {};
    nodeView.getIds().forEach(function (id) { shown[id] = true; degree[id] = 0; });
    edges.forEach(function (e) {
      if (shown[e.from] && shown[e.to]) { degree[e.from] += 1; degree[e.to] += 1; }
    });
    return degree;
  }

  function renderTable() {
    var degree = degrees();
    var rows = nodeView.get().map(function (n) {
      return { id: n.id, kind: n.kind, label: String(n.label), country: n.country_name || n.country || "", degree: degree[n.id] || 0 };
    });
    var key = state.sort, sign = state.dir === "asc" ? 1 : -1;
    rows.sort(function (a, b) {
      var x = a[key], y = b[key];
      var order = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
      return sign * order || a.label.localeCompare(b.label);
    });
    var fragment = document.createDocumentFragment();
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.tabIndex = 0;
      tr.setAttribute("data-id", r.id);
      if (r.id === state.selected) tr.className = "selected";
      [name(r.kind), r.label, r.country, String(r.degree)].forEach(function (text) {
        var td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      });
      tr.addEventListener("click", function () { select(r.id, true); });
      tr.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); select(r.id, true); }
        if (event.key === "ArrowDown" && tr.nextSibling) { event.preventDefault(); tr.nextSibling.focus(); }
        if (event.key === "ArrowUp" && tr.previousSibling) { event.preventDefault(); tr.previousSibling.focus(); }
      });
      fragment.appendChild(tr);
    });
    tableBody.textContent = "";
    tableBody.appendChild(fragment);
    document.getElementById("table-count").textContent = String(rows.length);
    headers.forEach(function (th) {
      var k = th.getAttribute("data-key");
      th.setAttribute("aria-sort", k === state.sort ? (state.dir === "asc" ? "ascending" : "descending") : "none");
    });
  }

  headers.forEach(function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      if (state.sort === key) {
        state.dir = state.dir === "asc" ? "desc" : "asc";
      } else {
        state.sort = key;
        state.dir = key === "degree" ? "desc" : "asc";
      }
      renderTable();
      syncUrl();
    });
  });

  // ------------------------------------------------------------------ details panel

  var panel = document.getElementById("details");
  var relationsList = document.getElementById("details-relations");

  function fact(list, name, value) {
    var dt = document.createElement("dt");
    dt.textContent = name;
    var dd = document.createElement("dd");
    dd.textContent = value;
    list.appendChild(dt);
    list.appendChild(dd);
  }

  function select(id, focus) {
    var n = nodes.get(id);
    if (!n) return false;
    state.selected = id;
    network.selectNodes(nodeView.get(id) ? [id] : []);
    if (focus && nodeView.get(id)) network.focus(id, { scale: 1.0, animation: false });
    panel.hidden = false;
    document.getElementById("details-title").textContent = n.label;
    document.getElementById("details-kind").textContent = name(n.kind) + (n.iri ? " · " + n.iri : "");
    var facts = document.getElementById("details-facts");
    facts.textContent = "";
    if (n.country) fact(facts, name("country"), n.country_name || n.country);
    Object.keys(n.detail || {}).forEach(function (key) { fact(facts, name(key), n.detail[key]); });
    if (n.industries && n.industries.length) {
      var labels = payload.industry_labels || {};
      fact(facts, name("industries"), n.industries.map(function (i) { return labels[i] || i; }).join(", "));
    }
    var link = document.getElementById("details-link");
    if (n.url) { link.href = n.url; link.hidden = false; } else { link.removeAttribute("href"); link.hidden = true; }
    relationsList.textContent = "";
    var countsButton = document.getElementById("details-counts");
    countsButton.hidden = !(n.expand || /^(cluster|organisation|competency|industry|country):/.test(id));
    countsButton.textContent = n.expand ? t("expandGroup") : t("expandNeighbours");
    Array.prototype.slice.call(tableBody.querySelectorAll("tr.selected")).forEach(function (tr) { tr.className = ""; });
    var row = tableBody.querySelector('tr[data-id="' + CSS.escape(id) + '"]');
    if (row) row.className = "selected";
    syncUrl();
    return true;
  }

  network.on("click", function (event) {
    if (event.nodes.length) select(event.nodes[0], false);
  });

  function relationButton(nodeId, relation, label, offset, group) {
    var li = document.createElement("li");
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.setAttribute("data-relation", relation);
    button.addEventListener("click", function () {
      button.disabled = true;
      expand(nodeId, relation, offset, EXPAND_LIMIT, group).then(function (page) {
        li.remove();
        if (page && page.next_offset !== null) {
          relationsList.appendChild(relationButton(nodeId, relation, t("more", { count: page.remaining, relation: name(relation) }), page.next_offset, null));
        }
      }, function () { button.disabled = false; });
    });
    li.appendChild(button);
    return li;
  }

  function fetchJson(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok || body.ok === false) throw new Error(body.message || body.error || ("HTTP " + response.status));
        return body;
      });
    });
  }

  document.getElementById("details-counts").addEventListener("click", function () {
    var n = nodes.get(state.selected);
    if (!n) return;
    if (n.expand) {
      expand(n.expand.node, n.expand.relation, 0, EXPAND_LIMIT, n.id);
      return;
    }
    status(t("counting", { label: n.label }));
    fetchJson(config.api + "?node=" + encodeURIComponent(n.id)).then(function (body) {
      relationsList.textContent = "";
      body.counts.forEach(function (item) {
        var relation = item.relation, count = item.count;
        var li = relationButton(n.id, relation, name(relation) + " " + count, 0, null);
        if (!count) li.querySelector("button").disabled = true;
        relationsList.appendChild(li);
      });
      status(describe());
    }, function (error) { status(t("countFailed", { error: error.message }), "error"); });
  });

  // ------------------------------------------------------------------ expansions and undo

  var undoButton = document.getElementById("undo");
  var undoStack = [];

  function around(origin, index, total) {
    var angle = 2 * Math.PI * index / Math.max(total, 1);
    var radius = 80 + 6 * Math.sqrt(total);
    return { x: origin.x + radius * Math.cos(angle), y: origin.y + radius * Math.sin(angle) };
  }

  function apply(page, group, entry) {
    var added = [], addedEdges = [], removed = [], removedEdges = [];
    var origin = { x: 0, y: 0 };
    var anchor = group || page.node;
    if (nodes.get(anchor)) {
      var positions = network.getPositions([anchor]);
      if (positions[anchor]) origin = positions[anchor];
    }
    if (!nodes.get(page.source.id)) added.push(visNode(page.source));
    page.nodes.forEach(function (n) {
      if (!nodes.get(n.id)) added.push(visNode(n));
    });
    var fixed = !network.physics.physicsEnabled;
    added.forEach(function (n, i) {
      var p = around(origin, i, added.length);
      n.x = p.x; n.y = p.y;
      if (fixed) n.physics = false;
    });
    nodes.add(added);
    page.edges.forEach(function (e) {
      if (!edges.get(e.id)) addedEdges.push(visEdge(e));
    });
    if (group && nodes.get(group)) {
      removed = [nodes.get(group)];
      removedEdges = edges.get({ filter: function (e) { return e.from === group || e.to === group; } });
      edges.remove(removedEdges.map(function (e) { return e.id; }));
      nodes.remove(group);
    }
    edges.add(addedEdges);
    if (network.physics.physicsEnabled && nodes.length >= config.physicsThreshold) {
      network.setOptions({ physics: { enabled: false } });
    }
    undoStack.push({ nodes: added.map(function (n) { return n.id; }), edges: addedEdges.map(function (e) { return e.id; }),
                     removed: removed, removedEdges: removedEdges });
    state.expansions.push(entry);
    undoButton.disabled = false;
    fillFilters();
    refresh();
    status(t("added", { count: added.length, relation: name(page.relation), label: page.source.label,
                      shown: page.offset + page.nodes.length, total: page.total }) + " · " + describe());
  }

  function expand(nodeId, relation, offset, limit, group) {
    var url = config.api + "?node=" + encodeURIComponent(nodeId) + "&relation=" + encodeURIComponent(relation) +
      "&offset=" + offset + "&limit=" + limit;
    status(t("expanding", { relation: name(relation) }));
    return fetchJson(url).then(function (page) {
      apply(page, group || null, [nodeId, relation, offset, limit, group || null]);
      return page;
    }, function (error) {
      status(t("expandFailed", { error: error.message }), "error");
      throw error;
    });
  }

  function undo() {
    var step = undoStack.pop();
    if (!step) return false;
    edges.remove(step.edges);
    nodes.remove(step.nodes);
    if (step.removed.length) { nodes.add(step.removed); edges.add(step.removedEdges); }
    state.expansions.pop();
    undoButton.disabled = undoStack.length === 0;
    if (state.selected && !nodes.get(state.selected)) { state.selected = ""; panel.hidden = true; }
    fillFilters();
    refresh();
    return true;
  }
  undoButton.addEventListener("click", undo);

  // "+N more" for relations the view cut at its limit
  var moreBox = document.getElementById("explorer-more");
  (payload.more || []).forEach(function (m) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = t("more", { count: m.total - m.shown, relation: name(m.relation) });
    var offset = m.shown;
    button.addEventListener("click", function () {
      button.disabled = true;
      expand(m.node, m.relation, offset, EXPAND_LIMIT, null).then(function (page) {
        if (page.next_offset === null) { button.remove(); return; }
        offset = page.next_offset;
        button.textContent = t("more", { count: page.remaining, relation: name(m.relation) });
        button.disabled = false;
      }, function () { button.disabled = false; });
    });
    moreBox.appendChild(button);
  });

  // ------------------------------------------------------------------ search

  document.getElementById("search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = document.getElementById("search").value.trim().toLowerCase();
    if (!text) return;
    var matches = nodeView.get().filter(function (n) { return String(n.label).toLowerCase().indexOf(text) >= 0; });
    matches.sort(function (a, b) {
      var ax = String(a.label).toLowerCase(), bx = String(b.label).toLowerCase();
      return (ax === text ? 0 : ax.indexOf(text) === 0 ? 1 : 2) - (bx === text ? 0 : bx.indexOf(text) === 0 ? 1 : 2);
    });
    if (!matches.length) { status(t("noMatch", { text: text }), "warning"); return; }
    select(matches[0].id, true);
    status(t("found", { count: matches.length, label: matches[0].label }));
  });

  // ------------------------------------------------------------------ start: restore from the URL

  fillFilters();
  renderTable();
  var replay = wantedExpansions.reduce(function (chain, e) {
    return chain.then(function () { return expand(e[0], e[1], e[2] || 0, e[3] || EXPAND_LIMIT, e[4] || null); });
  }, Promise.resolve());
  var ready = replay.catch(function () { /* shown in the status line */ }).then(function () {
    if (state.selected && !select(state.selected, true)) state.selected = "";
    syncUrl();
  });

  window.__explorer = {
    network: network, nodes: nodes, edges: edges, view: nodeView, ready: ready,
    select: select, expand: expand, undo: undo, state: state
  };
})();
