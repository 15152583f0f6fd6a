// Live progress on an issue's page: polls progress.json every few seconds
// and updates the numbers, the bar and the rate chart. Without JavaScript
// the page shows the same numbers and a reload refreshes them.
(function () {
  "use strict";
  var section = document.getElementById("progress-section");
  if (!section || !window.fetch) { return; }
  var url = section.getAttribute("data-progress");
  var fmt = function (n) { return Number(n).toLocaleString("en"); };
  var set = function (id, text) { var el = document.getElementById(id); if (el) { el.textContent = text; } };
  var note = document.getElementById("p-note");
  if (note) { note.textContent = "Live: the numbers refresh every few seconds."; }
  // The status itself, not its label ("sent, 3 failed").
  var statusEl = document.getElementById("issue-status");
  var shownStatus = statusEl ? statusEl.getAttribute("data-status") : undefined;
  function draw(rate, top) {
    var svg = document.getElementById("p-chart");
    if (!svg) { return; }
    var rects = svg.getElementsByTagName("rect");
    for (var i = 0; i < rects.length && i < rate.length; i++) {
      var h = top > 0 ? Math.round(rate[i] * 50 / top) : 0;
      rects[i].setAttribute("height", h);
      rects[i].setAttribute("y", 50 - h);
      var t = rects[i].getElementsByTagName("title")[0];
      if (t) { t.textContent = rate[i]; }
    }
  }
  function reload() {
    var u = new URL(window.location.href);
    u.searchParams.delete("done");
    window.location.replace(u.toString());
  }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (p) {
        set("p-sent", fmt(p.sent)); set("p-failed", fmt(p.failed)); set("p-retrying", fmt(p.retrying));
        set("p-waiting", fmt(p.waiting)); set("p-doubt", fmt(p.in_doubt));
        set("p-bounced", fmt(p.bounced)); set("p-complaints", fmt(p.complaints)); set("p-rate", fmt(p.per_minute));
        set("p-eta", p.eta || "–");
        var bar = document.getElementById("p-bar");
        if (bar) { bar.value = p.done_percent; bar.textContent = p.done_percent + "%"; }
        draw(p.rate || [], p.rate_max || 0);
        // A change of status changes the actions offered and the table:
        // reload so they match it (without the last action's notice).
        if (p.status !== shownStatus) { reload(); return; }
        setTimeout(tick, p.terminated ? 15000 : 2000);
      })
      .catch(function () { setTimeout(tick, 10000); });
  }
  setTimeout(tick, 2000);
})();
