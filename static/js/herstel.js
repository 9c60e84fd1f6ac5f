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
  // Enter in a search box inside a form searches; it must not send the half-filled form.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && target.matches && target.matches("form input[type=search]")) {
      event.preventDefault();
      if (window.htmx) { window.htmx.trigger(target, "search"); }
    }
  });
})();
