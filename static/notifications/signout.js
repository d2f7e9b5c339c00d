// Signing out ends this device's notifications (templates/base.html, <form data-signout>): before the
// form goes, the browser's Web Push subscription is unsubscribed and its endpoint sent with the form, so
// the portal deletes its record too (portal/accounts/adapter.py). The next person to sign in on this
// browser is offered the opt-in afresh. Whatever fails here, the sign-out itself still happens: the
// portal also deletes the subscriptions this session made.
(function () {
  "use strict";
  var form = document.querySelector("form[data-signout]");
  if (!form || !("serviceWorker" in navigator)) return;
  var sent = false;

  function send() {
    if (sent) return;
    sent = true;
    form.submit(); // submit() fires no submit event: this handler does not run twice
  }

  function unsubscribe() {
    return navigator.serviceWorker.getRegistration("/").then(function (registration) {
      return registration && registration.pushManager ? registration.pushManager.getSubscription() : null;
    }).then(function (subscription) {
      if (!subscription) return;
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = "push_endpoint";
      field.value = subscription.endpoint;
      form.appendChild(field);
      return subscription.unsubscribe();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    // A browser that never answers must not keep the person signed in: the form goes after 3 s anyway.
    window.setTimeout(send, 3000);
    unsubscribe().catch(function () { return null; }).then(send);
  });
})();
