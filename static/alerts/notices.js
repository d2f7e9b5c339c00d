// Notices on the open page: each `live:notice` event (static/portal/live.js dispatches every live event
// on document.body as `live:<kind>`) becomes a toast in the page's [data-live-notices] container: an
// arrival ("Dog walker arrived", "Front door, 14:21", the snapshot) or a manager's alert. Calls are not
// shown here: their own panel rings for them. A later notice with the same tag replaces the earlier one.
(function () {
  "use strict";

  // Only the portal's own paths: a notice never sends the page elsewhere.
  function portalPath(value) {
    return typeof value === "string" && value.charAt(0) === "/" && value.charAt(1) !== "/" ? value : "";
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function toast(notice) {
    var box = element("div", "toast show", "");
    box.setAttribute("role", "status");
    box.dataset.noticeTag = notice.tag || "";
    box.dataset.noticeCategory = notice.category || "";
    var header = element("div", "toast-header", "");
    var icon = element("i", "bi bi-" + (notice.category === "arrival" ? "person-walking" : "bell") + " me-2", "");
    icon.setAttribute("aria-hidden", "true");
    header.appendChild(icon);
    header.appendChild(element("strong", "me-auto", notice.title || gettext("Notice")));
    var close = element("button", "btn-close", "");
    close.type = "button";
    close.setAttribute("aria-label", gettext("Close"));
    close.addEventListener("click", function () { box.remove(); });
    header.appendChild(close);
    box.appendChild(header);
    var body = element("div", "toast-body d-flex gap-2 align-items-start", "");
    var image = portalPath(notice.image_url);
    if (image) {
      var img = element("img", "rounded notice-snapshot", "");
      img.src = image;
      img.alt = gettext("Snapshot");
      img.width = 64;
      img.height = 48;
      body.appendChild(img);
    }
    var text = element("div", "", "");
    text.appendChild(element("div", "", notice.body || ""));
    var link = portalPath(notice.url);
    if (link) {
      var open = element("a", "small", pgettext("a notice", "Open"));
      open.href = link;
      text.appendChild(open);
    }
    body.appendChild(text);
    box.appendChild(body);
    return box;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.querySelector("[data-live-notices]");
    if (!container) return;
    document.body.addEventListener("live:notice", function (event) {
      var notice = event.detail || {};
      if (notice.category === "call") return;
      var shown = toast(notice);
      Array.prototype.forEach.call(container.querySelectorAll("[data-notice-tag]"), function (old) {
        if (notice.tag && old.dataset.noticeTag === notice.tag) old.remove();
      });
      container.prepend(shown);
      window.setTimeout(function () { shown.remove(); }, 30000);
    });
  });
})();
