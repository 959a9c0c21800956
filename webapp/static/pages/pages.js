// Page behaviour: sortable tables (click or Enter on a heading), URL-kept sort state, form helpers.
// Data from the page is only ever read and written through textContent / attributes, never as HTML.
(function () {
  "use strict";

  function cellValue(row, index, type) {
    var cell = row.cells[index];
    if (!cell) return type === "number" ? -Infinity : "";
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent.trim();
    if (type === "number") {
      var number = parseFloat(raw.replace(/[^0-9eE.+-]/g, ""));
      return isNaN(number) ? -Infinity : number;
    }
    return raw.toLowerCase();
  }

  function sortTable(table, index, direction) {
    var header = table.tHead.rows[0].cells[index];
    var type = header.getAttribute("data-type") || "text";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, type), y = cellValue(b, index, type);
      var order = type === "text" ? String(x).localeCompare(String(y), document.documentElement.lang || undefined)  // (ё with е)
        : x < y ? -1 : x > y ? 1 : 0;
      return direction === "descending" ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      if (cell.hasAttribute("aria-sort")) cell.setAttribute("aria-sort", "none");
    });
    header.setAttribute("aria-sort", direction);
  }

  function remember(table, index, direction) {
    var url = new URL(window.location.href);
    var header = table.tHead.rows[0].cells[index];
    if (header.hasAttribute("data-key")) {  // a server-sorted list: its own parameters
      url.searchParams.set("sort", header.getAttribute("data-key"));
      url.searchParams.set("order", direction === "descending" ? "desc" : "asc");
    } else if (table.id) {
      url.searchParams.set("sort." + table.id, index + "." + (direction === "descending" ? "desc" : "asc"));
    }
    window.history.replaceState(null, "", url.toString());
  }

  function setUp(table) {
    if (!table.tHead || !table.tBodies.length) return;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell, index) {
      var button = cell.querySelector("button.sort");
      if (!button) return;
      button.addEventListener("click", function () {  // a button: Enter and Space work too
        var next = cell.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        sortTable(table, index, next);
        remember(table, index, next);
      });
    });
    var params = new URLSearchParams(window.location.search);
    var keyed = table.querySelector("th[data-key]");
    if (keyed && table.getAttribute("data-sort")) {  // the server sorted it: show which column
      var cells = table.tHead.rows[0].cells;
      for (var i = 0; i < cells.length; i++) {
        if (cells[i].getAttribute("data-key") === table.getAttribute("data-sort")) {
          cells[i].setAttribute("aria-sort", table.getAttribute("data-order") === "desc" ? "descending" : "ascending");
        }
      }
    } else if (table.id && params.get("sort." + table.id)) {
      var parts = params.get("sort." + table.id).split(".");
      var column = parseInt(parts[0], 10);
      if (!isNaN(column) && column >= 0 && column < table.tHead.rows[0].cells.length &&
          table.tHead.rows[0].cells[column].querySelector("button.sort")) {
        sortTable(table, column, parts[1] === "desc" ? "descending" : "ascending");
      }
    }
  }

  document.querySelectorAll("table.sortable").forEach(setUp);

  // "tick all" / "untick all"
  document.querySelectorAll("button[data-check]").forEach(function (button) {
    button.addEventListener("click", function () {
      var name = button.getAttribute("data-check");
      var on = button.getAttribute("data-value") === "1";
      button.form.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(function (box) { box.checked = on; });
    });
  });

  // choosing another cluster: its gaps are not the shown ones, so do not send them
  document.querySelectorAll("select[data-resets-gaps]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.querySelectorAll("input[name=gap], input[name=searched]").forEach(function (input) { input.disabled = true; });
    });
  });
})();
