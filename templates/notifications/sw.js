// The portal's service worker, served at /sw.js (scope: the whole portal). It does one thing: show the
// notices the portal pushes (portal/notifications/webpush.py) when no page of the portal is in front,
// close them when what they were about is over, and act on a click. It caches no page and answers no
// fetch: every page still comes from the portal. (It keeps one small note per withdrawn call for an hour,
// in the Cache API; see rememberWithdrawal.)
"use strict";

self.addEventListener("install", function () {
  self.skipWaiting(); // a new version takes over at once: it holds no state an old page depends on
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

function sameOrigin(url) {
  try {
    var target = new URL(url || "/", self.location.origin);
    return target.origin === self.location.origin ? target : null;
  } catch (error) {
    return null;
  }
}

// A page of the portal in front already shows the notice live (the `notice` event): no second alert.
function aPageIsInFront() {
  return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    return windows.some(function (client) { return client.focused && client.visibilityState === "visible"; });
  });
}

function showNotice(notice) {
  var options = {
    body: notice.body || "",
    data: notice,
    requireInteraction: notice.category === "call", // a visitor waits at the door: stay until answered
    actions: (notice.actions || []).slice(0, 2).map(function (action) {
      return { action: action.action, title: action.title };
    }),
  };
  if (notice.tag) {
    options.tag = notice.tag; // later notices about one call replace the earlier one
    options.renotify = true;
  }
  var image = notice.image && sameOrigin(notice.image);
  if (image) options.image = image.href;
  // The portal always sends a title, in the person's language (portal/notifications/webpush.py).
  return self.registration.showNotification(notice.title || "", options);
}

// A withdrawal (portal/notifications/services.py `withdraw`: the call was answered, declined or is over)
// closes the notification with its tag. Chromium's rule for subscriptions made with userVisibleOnly
// (chrome/browser/push_messaging/push_messaging_notification_manager.cc): once a push event is handled,
// if the origin shows no notification and none of its tabs is visible, the push spends the site's small
// budget of silent pushes (about 6 a day for a much-used site, none for a new one) and, past it, Chromium
// shows its own "This site has been updated in the background". Every call ends with a withdrawal, so
// the budget would run out: the notification is closed when something of the portal stays in view (a
// visible page, another of its notifications), and otherwise replaced in place, quietly (same tag: no
// new alert, no sound, no buttons), by how the call ended. Resolves to "closed" or "replaced".
function handleWithdraw(notice) {
  return Promise.all([
    self.registration.getNotifications(),
    self.clients.matchAll({ type: "window", includeUncontrolled: true }),
  ]).then(function (found) {
    var shown = found[0];
    var mine = shown.filter(function (notification) { return notification.tag === notice.tag; });
    var inView = found[1].some(function (client) { return client.visibilityState === "visible"; });
    if (inView || shown.length > mine.length) {
      mine.forEach(function (notification) { notification.close(); });
      return "closed";
    }
    return self.registration
      .showNotification(notice.title || "Building Portal", {
        body: notice.body || "",
        data: { url: notice.url || "/" },
        tag: notice.tag,
        renotify: false,
        silent: true,
        requireInteraction: false,
      })
      .then(function () { return "replaced"; });
  });
}
self.handleWithdraw = handleWithdraw;

// Push services do not keep order: a call's withdrawal can arrive before its ring (the call was answered
// within a second, or the phone was offline and gets both at once). So each withdrawal is remembered for
// an hour, by tag, and a ring whose call was already withdrawn is handled as that withdrawal again (closed,
// or the quiet note in place): it never rings for a call that is over. The Cache API, because a service
// worker's memory does not outlive its idle stop; failures there only lose the memory.
var WITHDRAWN = "withdrawn-notices";
var REMEMBER_WITHDRAWALS_MS = 60 * 60 * 1000;

function withdrawnKey(tag) {
  return new URL("/sw/withdrawn/" + encodeURIComponent(tag), self.location.origin).href;
}

function stillRemembered(response, now) {
  return Boolean(response) && now - Number(response.headers.get("X-Withdrawn-At")) < REMEMBER_WITHDRAWALS_MS;
}

function rememberWithdrawal(notice) {
  var now = Date.now();
  return caches.open(WITHDRAWN).then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(requests.map(function (request) {
        return cache.match(request).then(function (response) {
          if (!stillRemembered(response, now)) return cache.delete(request);
        });
      }));
    }).then(function () {
      var body = new Response(JSON.stringify(notice), { headers: { "X-Withdrawn-At": String(now) } });
      return cache.put(withdrawnKey(notice.tag), body);
    });
  }).catch(function () { return null; });
}

function withdrawalOf(tag) {
  if (!tag) return Promise.resolve(null);
  return caches.open(WITHDRAWN).then(function (cache) {
    return cache.match(withdrawnKey(tag));
  }).then(function (response) {
    return stillRemembered(response, Date.now()) ? response.json() : null;
  }).catch(function () { return null; });
}

// Resolves to whether a notification was shown (or, for a withdrawal and for a ring that came after its
// withdrawal, what was done with it). A function of its own, like the click's below: the push handler
// calls it, and so can a test.
function handlePush(notice) {
  if (notice.withdraw) {
    if (!notice.tag) return Promise.resolve("ignored");
    return rememberWithdrawal(notice).then(function () { return handleWithdraw(notice); });
  }
  return withdrawalOf(notice.tag).then(function (withdrawal) {
    if (withdrawal) return handleWithdraw(withdrawal);
    return aPageIsInFront().then(function (inFront) {
      return inFront ? false : showNotice(notice).then(function () { return true; });
    });
  });
}
self.handlePush = handlePush;

self.addEventListener("push", function (event) {
  var notice = null;
  try {
    notice = event.data ? event.data.json() : null;
  } catch (error) {
    notice = null; // not the portal's JSON: nothing to show
  }
  if (notice) event.waitUntil(handlePush(notice));
});

function openPortal(url) {
  var target = sameOrigin(url) || new URL("/", self.location.origin);
  return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i += 1) {
      if (windows[i].url === target.href && "focus" in windows[i]) return windows[i].focus();
    }
    return self.clients.openWindow(target.href);
  });
}

// An action button POSTs to its portal URL with the person's session (same-origin fetch) and the action's
// one-use token in place of a CSRF token (portal/notifications/action_tokens.py). Whatever goes wrong
// (signed out, the button expired, the portal refused) is finished in the portal, where the person sees why.
function runAction(notice, name) {
  var action = (notice.actions || []).filter(function (item) { return item.action === name; })[0];
  var target = action && sameOrigin(action.url);
  if (!target) return openPortal(notice.url).then(function () { return { ok: false, status: 0 }; });
  return fetch(target.href, {
    method: "POST",
    credentials: "same-origin",
    redirect: "manual", // a redirect to the login page is a failure, not a success
    headers: { "X-Notice-Token": action.token || "", Accept: "application/json" },
  })
    .then(function (response) { return { ok: response.ok, status: response.status }; })
    .catch(function () { return { ok: false, status: 0 }; })
    .then(function (result) {
      if (result.ok) return result;
      return openPortal(notice.url).then(function () { return result; }, function () { return result; });
    });
}

// What a click does, as a function of its own: the notificationclick handler calls it, and so can a test.
function handleNotificationClick(notification, action) {
  var notice = notification.data || {};
  notification.close();
  if (action) return runAction(notice, action);
  return openPortal(notice.url).then(function () { return { ok: true, status: 0 }; });
}
self.handleNotificationClick = handleNotificationClick;

self.addEventListener("notificationclick", function (event) {
  event.waitUntil(handleNotificationClick(event.notification, event.action));
});
