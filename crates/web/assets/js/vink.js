// vink: small behaviours on top of server-rendered pages. Everything works
// without it; it only moves focus where a keyboard or screen-reader user
// needs it.
(function () {
  "use strict";
  // A page that comes back with form errors: focus the summary, so its
  // heading and links are read first and Tab reaches the first field.
  function focusErrors(root) {
    var summary = root.querySelector ? root.querySelector("#error-summary") : null;
    if (summary) {
      summary.focus();
      return;
    }
    var invalid = root.querySelector ? root.querySelector("[aria-invalid='true']") : null;
    if (invalid) invalid.focus();
  }
  document.addEventListener("DOMContentLoaded", function () {
    focusErrors(document);
  });
  // A part of the page replaced by htmx (one agenda item): focus its error.
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail && e.detail.target) focusErrors(e.detail.target.parentNode || document);
  });
})();
