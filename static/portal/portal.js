// The portal's own behaviour. No inline scripts anywhere: pages opt in with data-* attributes.
(function () {
  "use strict";
  // <button data-copy="text"> copies text and says so (used by share pages).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
      var label = button.getAttribute("data-copied-label") || "Copied";
      var original = button.textContent;
      button.textContent = label;
      setTimeout(function () { button.textContent = original; }, 2000);
    });
  });
  // <form data-confirm="Are you sure?"> asks before submitting.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
  // <button data-history-back hidden> on error pages: shown, and goes back, when there is a page to go back to.
  document.addEventListener("DOMContentLoaded", function () {
    if (window.history.length < 2) return;
    document.querySelectorAll("[data-history-back]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.history.back(); });
    });
  });
})();
