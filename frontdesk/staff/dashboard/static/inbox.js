// The inbox refreshes its list when the server's event stream says it changed.
(function () {
  "use strict";
  var list = document.getElementById("inbox-list");
  if (!list || !window.EventSource) return;
  var source = new EventSource(list.dataset.events);
  source.addEventListener("changed", function () {
    fetch(list.dataset.source, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) list.innerHTML = html; });
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
