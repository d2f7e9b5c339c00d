// Charts of the filtered log: data from the JSON endpoint named by data-source (no inline script).
// Words through the JavaScript catalog (gettext, interpolate: /jsi18n/, loaded by base.html first).
(function () {
  "use strict";
  function draw(root, data) {
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var series = data[canvas.dataset.chart];
      if (!series || typeof Chart === "undefined") return;
      var type = canvas.dataset.type;
      var round = type === "doughnut" || type === "pie";
      new Chart(canvas, {
        type: type,
        data: { labels: series.labels, datasets: [{ label: gettext("Count"), data: series.values }] },
        options: {
          indexAxis: canvas.dataset.horizontal ? "y" : "x",
          plugins: { legend: { display: round } },
          animation: false,
        },
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("log-charts");
    if (!root) return;
    var status = root.querySelector("[data-chart-status]");
    fetch(root.dataset.source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (data) { draw(root, data); status.textContent = interpolate(gettext("Times in %(zone)s."), { zone: data.zone }, true); })
      .catch(function () { status.textContent = gettext("The charts could not be loaded. Check the filters and try again."); });
  });
})();
