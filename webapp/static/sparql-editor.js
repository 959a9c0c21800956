// The query editor: YASGUI (vendored) bound to this server's endpoint, with every feature that
// would call another server switched off, and honest query states.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("clusterkg-sparql-config").textContent);
  var stateBox = document.getElementById("query-state");
  // The interface's strings, translated by the page (webapp/i18n.py): t("key", {name: value}).
  var strings = config.strings || {};
  function t(key, values) {
    return (strings[key] || key).replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }

  // Off: the prefix.cc ("prefixes") and LOV ("property", "class") autocompleters call the
  // internet; only variable-name completion stays. Set on the shared defaults object, because
  // Yasgui merges arrays in its config index by index.
  Yasgui.Yasqe.defaults.autocompleters = ["variables"];
  Yasgui.defaults.yasqe.autocompleters = ["variables"];
  // Off: the endpoint catalogue lists dbpedia.org and wikidata.org by default.
  Yasgui.defaults.endpointCatalogueOptions.getData = function () {
    return [{ endpoint: config.endpoint }];
  };

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    populateFromUrl: false,
    persistenceId: null,
    corsProxy: undefined,
  });

  function show(text, kind) {
    stateBox.textContent = text;
    stateBox.className = "query-state" + (kind ? " " + kind : "");
  }

  function header(response, name) {
    var headers = (response && (response.headers || response.header)) || {};
    return headers[name.toLowerCase()];
  }

  function describe(yasqe, response, duration) {
    var seconds = t("seconds", { seconds: (duration / 1000).toFixed(2) });
    var failed = response instanceof Error || !response || response.status >= 400;
    var r = response && response.response ? response.response : response;
    if (failed) {
      var body = r && r.body, status = r && r.status;
      var message = body && (body.message || body.error) ? (body.message || body.error) : (r && r.text) || String(response);
      if (status === 503 && /timed out/.test(message)) {
        show(t("timedOut", { seconds: config.timeout, message: message }), "error");
      } else {
        show(t("error", { status: status || "", message: message }), "error");
      }
      return;
    }
    var truncated = header(r, config.truncatedHeader);
    var data = r.body;
    if (data && typeof data.boolean === "boolean") {
      show(t("answer", { answer: data.boolean, time: seconds }));
    } else if (data && data.results && data.results.bindings) {
      var n = data.results.bindings.length;
      if (truncated) {
        show(t("truncatedRows", { count: truncated, time: seconds }), "warning");
      } else if (n === 0) {
        show(t("noResults", { time: seconds }));
      } else {
        show(t("rows", { count: n, time: seconds }));
      }
    } else if (truncated) {
      show(t("truncatedTriples", { count: truncated, time: seconds }), "warning");
    } else {
      show(t("done", { time: seconds }));
    }
  }

  function hook(tab) {
    var yasqe = tab && tab.getYasqe();
    if (yasqe && !yasqe.clusterkgHooked) {
      yasqe.clusterkgHooked = true;
      yasqe.on("query", function () { show(t("running")); });
      yasqe.on("queryResponse", describe);
    }
  }

  yasgui.on("query", function (instance, tab) { hook(tab); });
  yasgui.on("tabSelect", function () { hook(yasgui.getTab()); });
  hook(yasgui.getTab());
  if (config.query) {
    yasgui.getTab().setQuery(config.query);
  }

  var picker = document.getElementById("example");
  picker.addEventListener("change", function () {
    var chosen = config.examples.filter(function (e) { return e.name === picker.value; })[0];
    if (chosen) {
      yasgui.getTab().setQuery(chosen.query);
      show(t("loaded", { title: chosen.title }));
    }
  });
})();
