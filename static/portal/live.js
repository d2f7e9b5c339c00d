// Live updates: one EventSource per tab on /live/events/ (the person's own stream), every event
// dispatched on <body> as a DOM CustomEvent "live:<kind>" with the payload as `detail`, so htmx parts
// refresh with hx-trigger="live:door.released from:body" and scripts listen with addEventListener.
// While the stream is down: a quiet "paused" note after a few seconds, and a "live:fallback" event every
// data-live-fallback-s seconds (0: none) that the same parts refresh on, until the stream is back.
(function () {
  "use strict";
  var body = document.body;
  var url = body.getAttribute("data-live-url");
  if (!url || !window.EventSource) return;
  var fallbackS = parseInt(body.getAttribute("data-live-fallback-s") || "0", 10);
  var note = document.querySelector("[data-live-status]");
  var source = null;
  var fallbackTimer = null;
  var noteTimer = null;
  var reopenTimer = null;
  var reopenMs = 5000;
  // Where this page's news starts: when it was rendered (the first connection replays from then), then
  // the last event it got (EventSource sends it as Last-Event-ID; a new EventSource needs it in the URL).
  var since = body.getAttribute("data-live-since") || "";
  var lastId = "";

  function dispatch(kind, detail) {
    body.dispatchEvent(new CustomEvent("live:" + kind, { detail: detail }));
  }

  function up() {
    body.setAttribute("data-live-state", "open");
    clearTimeout(noteTimer);
    noteTimer = null;
    if (note) note.hidden = true;
    body.classList.remove("live-paused");
    clearInterval(fallbackTimer);
    fallbackTimer = null;
    reopenMs = 5000;
  }

  function down() {
    body.setAttribute("data-live-state", "down");
    // A reconnect usually takes a moment (the server ends each stream after a while): say nothing then.
    if (note && note.hidden && !noteTimer) {
      noteTimer = setTimeout(function () {
        note.hidden = false;
        body.classList.add("live-paused"); // room below the page, so the note covers nothing
      }, 4000);
    }
    if (!fallbackTimer && fallbackS > 0) {
      fallbackTimer = setInterval(function () { dispatch("fallback", {}); }, fallbackS * 1000);
    }
  }

  function open() {
    reopenTimer = null;
    var query = lastId ? "?last=" + encodeURIComponent(lastId) : "?since=" + encodeURIComponent(since);
    source = new EventSource(url + query); // same origin: the session cookie goes along
    source.onopen = up;
    source.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (message.lastEventId) lastId = message.lastEventId;
      if (event && typeof event.kind === "string") dispatch(event.kind, event.payload || {});
    };
    source.onerror = function () {
      down();
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (an answer other than a stream: signed out, a proxy's error page, a
        // server without streams). Try again ourselves, less and less often.
        source = null;
        reopenTimer = setTimeout(open, reopenMs);
        reopenMs = Math.min(reopenMs * 2, 60000);
      }
    };
  }

  // A page kept in the back/forward cache must not hold a stream; it opens a new one when shown again.
  window.addEventListener("pagehide", function () {
    if (source) { source.close(); source = null; }
    clearTimeout(reopenTimer);
    reopenTimer = null;
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && !source && !reopenTimer) open();
  });
  open();
})();
