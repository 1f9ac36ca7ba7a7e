// confide: the session timeout warning, and forms that must be sent once. Everything else
// works without script (htmx only makes some parts live). No data is read or kept here.
(function () {
  "use strict";
  // A release or an emergency release answers with its package once: a second click would be
  // refused (or make a second release) and the first answer would be lost.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once")) { return; }
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    // The button keeps its size and place: a second click must not land on what is beside it.
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
    });
  });

  var idle = Number(document.body.dataset.idleSeconds || 0);
  if (!idle) { return; }
  var dialog = document.getElementById("timeout");
  var left = document.getElementById("timeout-left");
  var keep = document.getElementById("timeout-keep");
  var warnAt = Math.max(idle - 120, idle * 0.8);
  var started = Date.now();
  var ticker = null;

  function restart() {
    started = Date.now();
    if (dialog && dialog.open) { dialog.close(); }
  }
  function tick() {
    var elapsed = (Date.now() - started) / 1000;
    var remaining = Math.max(0, Math.round(idle - elapsed));
    if (remaining === 0) {
      window.location.assign("/sign-in?expired=1");
      return;
    }
    if (elapsed >= warnAt && dialog && !dialog.open) {
      dialog.showModal();
      if (keep) { keep.focus(); }
    }
    if (dialog && dialog.open && left) {
      var m = Math.floor(remaining / 60), s = remaining % 60;
      left.textContent = m > 0 ? m + " min " + s + " s" : s + " s";
    }
  }
  if (keep) {
    keep.addEventListener("click", function () {
      var token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["x-csrf-token"];
      fetch("/session/keep", {
        method: "POST",
        credentials: "same-origin",
        headers: { "x-csrf-token": token || "" }
      }).then(function (r) {
        if (r.status === 204) { restart(); } else { window.location.assign("/sign-in?expired=1"); }
      });
    });
  }
  // Any htmx request the page makes also keeps the session alive on the server.
  document.body.addEventListener("htmx:afterRequest", function () { started = Date.now(); });
  ticker = window.setInterval(tick, 1000);
}());
