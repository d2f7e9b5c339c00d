// Signing out ends this device's notifications (<form data-signout> in templates/base.html and
// templates/account/logout.html): before the form goes, the browser's Web Push subscription is
// unsubscribed and its endpoint sent with the form, so the portal deletes its record too
// (portal/accounts/adapter.py). The next person to sign in on this
// browser is offered the opt-in afresh. Whatever fails here, the sign-out itself still happens: the
// portal also deletes the subscriptions this session made.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;

  function unsubscribe(form) {
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

  // Every sign-out form: the menu's on each page, and allauth's own page at /accounts/logout/.
  document.querySelectorAll("form[data-signout]").forEach(function (form) {
    var sent = false;

    function send() {
      if (sent) return;
      sent = true;
      form.submit(); // submit() fires no submit event: this handler does not run twice
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      // A browser that never answers must not keep the person signed in: the form goes after 3 s anyway.
      window.setTimeout(send, 3000);
      unsubscribe(form).catch(function () { return null; }).then(send);
    });
  });
})();
