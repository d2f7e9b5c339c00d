// "Turn on notifications on this device" (templates/notifications/settings.html, data-webpush-key).
// Registers the portal's service worker (/sw.js), asks the browser's permission, subscribes with the
// portal's VAPID public key and sends the subscription to the portal (CSRF header from the page).
(function () {
  "use strict";
  var root = document.querySelector("[data-webpush-key]");
  if (!root) return;
  var status = root.querySelector("[data-webpush-status]");
  var button = root.querySelector("[data-webpush-subscribe]");

  function say(text) { status.textContent = text; }

  // The VAPID key is URL-safe base64; pushManager.subscribe wants its bytes.
  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function send(subscription) {
    var json = subscription.toJSON();
    var body = new URLSearchParams({ endpoint: json.endpoint, p256dh: json.keys.p256dh, auth: json.keys.auth });
    return fetch(root.dataset.subscribeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": root.dataset.csrfToken, Accept: "application/json" },
      body: body,
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok) {
          throw new Error(answer.detail || interpolate(gettext("The portal refused this device (error %(status)s)."), { status: response.status }, true));
        }
        return answer;
      });
    });
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say(gettext("This browser cannot show notifications from the portal."));
    return;
  }
  var registered = navigator.serviceWorker.register(root.dataset.swUrl, { scope: "/" });

  registered.then(function (registration) {
    return registration.pushManager.getSubscription();
  }).then(function (subscription) {
    if (Notification.permission === "denied") {
      say(gettext("Notifications are blocked for this portal in your browser's settings."));
      return;
    }
    // Known to the portal only if listed below: a device removed from the list, or dropped after its push
    // service said it expired, is offered again (its browser may still hold the old subscription).
    var known = subscription && Array.prototype.some.call(document.querySelectorAll("[data-endpoint]"), function (item) {
      return item.getAttribute("data-endpoint") === subscription.endpoint;
    });
    say(known ? gettext("This device gets notifications.") : gettext("This device does not get notifications yet."));
    button.hidden = Boolean(known);
  }).catch(function () {
    say(gettext("This browser could not start the portal's notification helper."));
  });

  button.addEventListener("click", function () {
    button.disabled = true;
    say(gettext("Asking your browser…"));
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") throw new Error(gettext("Your browser did not allow notifications for the portal."));
      return registered.then(function () { return navigator.serviceWorker.ready; });
    }).then(function (registration) {
      return registration.pushManager.getSubscription().then(function (existing) {
        return existing || registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(root.dataset.webpushKey),
        });
      });
    }).then(send).then(function () {
      say(gettext("This device gets notifications."));
      window.location.reload(); // the device list shows it
    }).catch(function (error) {
      say(error && error.message ? error.message : gettext("This device could not be set up for notifications."));
      button.disabled = false;
    });
  });
})();
