// The incoming-call panel: a visitor at a panel calls this person's unit (or the front desk).
// Pages opt in with <div data-call-panels data-calls-url="..."> (templates/base.html, signed-in pages).
// It listens to the live events the page receives (static/portal/live.js dispatches each one on
// document.body as "live:<kind>", the payload in event.detail) and, on load, asks the portal for the
// calls ringing now, so a page opened during a call rings too. The payload is the same for everyone
// (codes and data); the words are the page's, through the JavaScript catalog (/jsi18n/, base.html).
(function () {
  "use strict";
  var root = document.querySelector("[data-call-panels]");
  if (!root) return;
  var panels = {}; // call id -> {element, timer}
  var returnFocus = null; // where focus was before the first panel took it

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  // The outcome of a click, in a live region that stays in the page (emptied, never hidden, so a
  // screen reader announces the next message too).
  var statusTimer = null;
  function status(text, level) {
    var line = root.querySelector("[data-call-status]");
    line.textContent = text;
    line.className = "call-status alert alert-" + (level || "info") + " mb-2 shadow-sm";
    clearTimeout(statusTimer);
    statusTimer = setTimeout(function () { line.textContent = ""; line.className = "call-status"; }, 8000);
  }

  function element(tag, className, text) {
    var made = document.createElement(tag);
    if (className) made.className = className;
    if (text) made.textContent = text;
    return made;
  }

  function say(text, values) {
    return interpolate(text, values, true);
  }

  // Who calls at which panel, from ButterflyMX's notification type: a delivery, or a visitor (anything else).
  function heading(call, panelName) {
    var text = call.kind === "delivery" ? gettext("Delivery at %(panel)s") : gettext("Visitor at %(panel)s");
    return say(text, { panel: panelName });
  }

  // When the call started, on the building's clock, as the page's language writes a time (fr-CA: 14 h 21).
  function startedTime(call) {
    if (!call.started_at || !call.zone) return call.started_time || "";
    try {
      return new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
        hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: call.zone,
      }).format(new Date(call.started_at));
    } catch (error) {
      return call.started_time || "";
    }
  }

  function summary(call) {
    var time = startedTime(call);
    if (call.desk) {
      return time
        ? say(gettext("Calling the front desk since %(time)s."), { time: time })
        : gettext("Calling the front desk.");
    }
    if (call.unit_label) {
      return time
        ? say(gettext("Calling %(unit)s since %(time)s."), { unit: call.unit_label, time: time })
        : say(gettext("Calling %(unit)s."), { unit: call.unit_label });
    }
    return time
      ? say(gettext("Calling your unit since %(time)s."), { time: time })
      : gettext("Calling your unit.");
  }

  function build(call) {
    var panelName = call.panel || gettext("the intercom");
    var id = "call-" + call.call;
    var panel = element("section", "call-panel card shadow border-primary");
    panel.setAttribute("role", "alertdialog");
    panel.setAttribute("aria-modal", "false");
    panel.setAttribute("aria-labelledby", id + "-title");
    panel.setAttribute("aria-describedby", id + "-text");
    panel.setAttribute("data-call", String(call.call));
    panel.tabIndex = -1;
    var body = element("div", "card-body");
    var title = element("h2", "h5 card-title mb-1");
    title.id = id + "-title";
    title.appendChild(element("i", "bi bi-bell-fill text-primary me-1")).setAttribute("aria-hidden", "true");
    title.appendChild(document.createTextNode(heading(call, panelName)));
    var text = element("p", "card-text mb-2", summary(call));
    text.id = id + "-text";
    body.appendChild(title);
    body.appendChild(text);
    if (call.snapshot_url) {
      var image = element("img", "call-snapshot img-fluid rounded border mb-2");
      image.src = call.snapshot_url;
      image.alt = say(gettext("Snapshot of the visitor at %(panel)s"), { panel: panelName });
      image.referrerPolicy = "no-referrer";
      image.setAttribute("data-call-snapshot", "");
      body.appendChild(image);
    }
    var actions = element("div", "d-flex gap-2");
    var open = element("button", "btn btn-success flex-grow-1");
    open.type = "button";
    open.setAttribute("data-call-open", "");
    open.appendChild(element("i", "bi bi-door-open me-1")).setAttribute("aria-hidden", "true");
    open.appendChild(document.createTextNode(gettext("Open door")));
    var decline = element("button", "btn btn-outline-danger flex-grow-1", gettext("Decline"));
    decline.type = "button";
    decline.setAttribute("data-call-decline", "");
    actions.appendChild(open);
    actions.appendChild(decline);
    body.appendChild(actions);
    panel.appendChild(body);
    open.addEventListener("click", function () { act(call, call.open_url, open, decline); });
    decline.addEventListener("click", function () { act(call, call.decline_url, open, decline); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") decline.focus(); // Escape never declines by itself: it moves to the button
    });
    return panel;
  }

  function show(call) {
    if (!call || call.call == null || panels[call.call]) return;
    var left = call.ring_until ? Date.parse(call.ring_until) - Date.now() : 40000;
    if (!(left > 0)) return; // its ring window is over already
    if (!Object.keys(panels).length && document.activeElement && document.activeElement !== document.body) {
      returnFocus = document.activeElement;
    }
    var panel = build(call);
    root.appendChild(panel);
    // The ring window ends the panel even if no "ended" event reaches this page.
    panels[call.call] = { element: panel, timer: setTimeout(function () { close(call.call); }, left) };
    panel.querySelector("[data-call-open]").focus();
  }

  function close(callId) {
    var open = panels[callId];
    if (!open) return;
    clearTimeout(open.timer);
    var hadFocus = open.element.contains(document.activeElement);
    open.element.remove();
    delete panels[callId];
    var rest = root.querySelectorAll("[data-call]");
    if (!rest.length) {
      if (hadFocus && returnFocus && document.contains(returnFocus)) returnFocus.focus();
      returnFocus = null;
    } else if (hadFocus) {
      rest[0].querySelector("[data-call-open]").focus();
    }
  }

  function act(call, url, open, decline) {
    open.disabled = decline.disabled = true; // one click: the server takes the call once anyway
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().catch(function () { return { ok: false, message: "" }; }).then(function (answer) {
          return { response: response, answer: answer };
        });
      })
      .then(function (result) {
        var answer = result.answer;
        if (result.response.ok && answer.ok) {
          close(call.call);
          status(answer.message, "success");
          return;
        }
        var text =
          answer.message || say(gettext("The portal could not do this (error %(status)s)."), { status: result.response.status });
        if (result.response.status === 404 || result.response.status === 409) close(call.call);
        else open.disabled = decline.disabled = false;
        status(text, "warning");
      })
      .catch(function () {
        open.disabled = decline.disabled = false;
        status(gettext("No answer from the portal (the network may be down). The door may or may not have opened."), "danger");
      });
  }

  document.body.addEventListener("live:call.ringing", function (event) { show(event.detail); });
  ["live:call.ended", "live:call.answered", "live:call.declined"].forEach(function (name) {
    document.body.addEventListener(name, function (event) {
      if (event.detail) close(event.detail.call);
    });
  });

  var url = root.getAttribute("data-calls-url");
  if (url) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { calls: [] }; })
      .then(function (answer) { (answer.calls || []).forEach(show); })
      .catch(function () { /* the live events still ring new calls */ });
  }
})();
