// The console's only script: keeps SLA countdowns current, and reloads a
// page that waits for a job (a policy simulation). Pages work without it;
// the server renders the same text, and a meta refresh does the reloading.
(function () {
  "use strict";
  function fmt(ms) {
    var m = Math.floor(ms / 60000), h = Math.floor(m / 60), d = Math.floor(h / 24);
    if (d > 0) return d + "d " + (h % 24) + "h";
    if (h > 0) return h + "h " + (m % 60) + "m";
    return m + "m";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".sla[data-due]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-due")) - now;
      el.classList.toggle("overdue", left < 0);
      el.textContent = (left < 0 ? el.getAttribute("data-over") : el.getAttribute("data-in")) + " " + fmt(Math.abs(left));
    });
  }
  function reload() {
    var m = document.querySelector('meta[name="tg-reload"]');
    if (!m) return;
    setTimeout(function () {
      // Not while someone is typing in a form on the page.
      var a = document.activeElement;
      if (a && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName) && a.value !== a.defaultValue) { reload(); return; }
      location.reload();
    }, parseInt(m.getAttribute("content"), 10) || 2000);
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 30000); reload(); });
})();
