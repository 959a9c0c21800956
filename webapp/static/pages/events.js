// The events pages' writes: each form[data-write] posts with the credentials and shows the
// located problems it gets back, or goes to the page the server names. Its own messages come
// translated in the page's #events-config (SCRIPT_MESSAGES["events"] in webapp/i18n.py).
(function () {
  "use strict";
  var TOKEN_KEY = "clusterkg.writeToken";
  var config = document.getElementById("events-config");
  var strings = config ? JSON.parse(config.textContent).strings : {};
  var tokenInput = document.getElementById("write-token");
  if (tokenInput) {
    tokenInput.value = sessionStorage.getItem(TOKEN_KEY) || "";
    tokenInput.addEventListener("change", function () { sessionStorage.setItem(TOKEN_KEY, tokenInput.value); });
  }

  function showProblems(form, body) {
    var box = form.querySelector(".problems");
    box.textContent = "";
    var title = document.createElement("p");
    title.textContent = body.message || body.error || strings.refused;
    box.appendChild(title);
    if (body.problems && body.problems.length) {
      var list = document.createElement("ul");
      body.problems.forEach(function (p) {
        var item = document.createElement("li");
        item.textContent = [p.location, p.field, p.message].filter(Boolean).join(": ");
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    box.hidden = false;
  }

  document.querySelectorAll("form[data-write]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var token = tokenInput ? tokenInput.value : (sessionStorage.getItem(TOKEN_KEY) || "");
      if (tokenInput) { sessionStorage.setItem(TOKEN_KEY, token); }
      var headers = {"Accept": "application/json"};
      if (token) { headers["Authorization"] = "Bearer " + token; }
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      fetch(form.action, {method: "POST", headers: headers, body: new URLSearchParams(new FormData(form))})
        .then(function (response) { return response.json().then(function (body) { return {ok: response.ok, body: body}; }); })
        .then(function (answer) {
          if (answer.ok && answer.body.ok) { window.location.assign(answer.body.url); return; }
          showProblems(form, answer.body);
          button.disabled = false;
        })
        .catch(function (error) { showProblems(form, {error: String(error)}); button.disabled = false; });
    });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
