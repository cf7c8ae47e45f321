// The console's only script: keeps SLA countdowns current. Pages work
// without it; the server renders the same text.
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
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 30000); });
})();
