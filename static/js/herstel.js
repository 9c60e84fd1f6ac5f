// Herstel's small client script: no inline code (the CSP forbids it), htmx does the rest.
(function () {
  "use strict";
  function banner(show) {
    var element = document.getElementById("connection-banner");
    if (element) { element.hidden = !show; }
  }
  // A request that never reached the server: say so; the page keeps what was typed.
  document.addEventListener("htmx:sendError", function () { banner(true); });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) { banner(false); }
  });
})();
