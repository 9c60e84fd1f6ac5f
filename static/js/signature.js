// The signature field: signature_pad (vendored) draws; the form sends the drawing as a PNG.
(function () {
  "use strict";
  function setUp() {
    var canvas = document.querySelector("[data-signature-pad]");
    if (!canvas || !window.SignaturePad) { return; }
    var form = canvas.closest("[data-signature-form]");
    var pad = new window.SignaturePad(canvas, { penColor: "#111", minWidth: 1, maxWidth: 3 });
    function resize() {
      // A sharp drawing on high-density screens: size the canvas in device pixels. Turning
      // the tablet resizes the canvas, which wipes it; the strokes are drawn again.
      var strokes = pad.toData();
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      pad.fromData(strokes);
    }
    window.addEventListener("resize", resize);
    resize();
    form.querySelector("[data-signature-clear]").addEventListener("click", function () { pad.clear(); });
    form.addEventListener("submit", function (event) {
      var error = form.querySelector("[data-signature-error]");
      if (pad.isEmpty()) {
        event.preventDefault();
        error.hidden = false;
        return;
      }
      error.hidden = true;
      form.querySelector("input[name=signature]").value = pad.toDataURL("image/png");
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setUp); } else { setUp(); }
})();
