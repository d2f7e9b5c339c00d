// The portal's own behaviour. No inline scripts anywhere: pages opt in with data-* attributes.
(function () {
  "use strict";
  // The words come from Django's JavaScriptCatalog (/jsi18n/, loaded by base.html before this file). The
  // 500 page loads no catalog (it needs nothing of the server): there, the English source is shown.
  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\((\w+)\)s/g, function (all, name) { return String(values[name]); });
  };
  // <button data-copy="text"> copies text and says so (used by share pages).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
      var label = button.getAttribute("data-copied-label") || gettext("Copied");
      var original = button.textContent;
      button.textContent = label;
      setTimeout(function () { button.textContent = original; }, 2000);
    });
  });
  // htmx swaps only 2xx answers. Inside a region marked data-swap-errors (the door-release dialog), an
  // error answer is shown too: the portal's own fragments (marked X-Portal-Fragment) as they are, any
  // other failure (a proxy's error page, an expired session, no network) as a plain message, so the
  // region never just sits there. The message is an alert with [autofocus], which htmx focuses.
  function errorRegion(detail) {
    var target = detail.target || (detail.elt && detail.elt.closest("[hx-target]"));
    return target && target.closest ? target.closest("[data-swap-errors]") : null;
  }
  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }
  function messageHtml(text) {
    return '<div class="alert alert-danger mb-3" role="alert" tabindex="-1" autofocus>' + escapeHtml(text) +
      '</div><button type="button" class="btn btn-outline-secondary" data-bs-dismiss="modal">' +
      escapeHtml(gettext("Close")) + "</button>";
  }
  function failureText(xhr) {
    var status = xhr.status;
    var wait = parseInt(xhr.getResponseHeader("Retry-After") || "", 10);
    if (status === 429) {
      if (wait > 0) return interpolate(gettext("Too many requests just now. Try again in %(wait)s s."), { wait: wait }, true);
      return gettext("Too many requests just now. Wait a moment and try again.");
    }
    if (status === 403) return gettext("Your session has expired or this is no longer allowed. Reload the page and try again.");
    if (status === 404) return gettext("This is no longer available to you. Reload the page.");
    if (status >= 500) {
      return interpolate(gettext("The portal could not finish this (error %(status)s). The door may or may not have " +
        "been released: check the board before trying again."), { status: status }, true);
    }
    return interpolate(gettext("The portal refused this (error %(status)s). Reload the page and try again."), { status: status }, true);
  }
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.xhr.status < 400 || !errorRegion(detail)) return;
    detail.shouldSwap = true;
    detail.isError = false;
    if (detail.xhr.getResponseHeader("X-Portal-Fragment") !== "1") {
      detail.serverResponse = messageHtml(failureText(detail.xhr));
    }
  });
  ["htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var region = errorRegion(event.detail);
      if (!region) return;
      region.innerHTML = messageHtml(gettext(
        "No answer from the portal (the network may be down). The door may or may not have been released: " +
        "check the board before trying again."
      ));
      var alert = region.querySelector("[role=alert]");
      if (alert) alert.focus();
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
