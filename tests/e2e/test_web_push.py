"""In Chromium: the Notifications page registers the portal's service worker; a push delivered through
the DevTools protocol (what a push service would hand the browser, already decrypted) shows as a system
notification with its title, body and actions, but only while no portal page is in front; and the
action's POST, made by the service worker's own click handler, works once with its one-use token.

No outside push service: CDP's ``ServiceWorker.deliverPushMessage`` stands in for it. The encryption
and VAPID legs are tested against a local push service in tests/notifications/test_webpush.py.
"""

from __future__ import annotations

import json

import pytest

from portal.core.vapid import new_key_pair
from portal.notifications.models import NotificationPreference, PushSubscription
from portal.notifications.notices import Notice, NoticeAction
from portal.notifications.webpush import push_payload
from tests.e2e.journeys import Journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

SHOWN = """async (tag) => {
  const registration = await navigator.serviceWorker.ready;
  const shown = await registration.getNotifications(tag ? {tag} : {});
  return shown.map((n) => ({title: n.title, body: n.body, tag: n.tag, actions: n.actions.map((a) => a.title)}));
}"""


def wait_until(page, check, what: str, tries: int = 200):
    """Poll ``check()`` while the browser works (not a timing assertion: it waits for an outcome)."""
    for _ in range(tries):
        result = check()
        if result:
            return result
        page.wait_for_timeout(50)
    raise AssertionError(f"never happened: {what}")


def registration_id(cdp, page, scope: str) -> str:
    registrations: dict[str, str] = {}

    def seen(event):
        for registration in event["registrations"]:
            if not registration.get("isDeleted"):
                registrations[registration["scopeURL"]] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", seen)
    cdp.send("ServiceWorker.enable")
    return wait_until(page, lambda: registrations.get(scope), "the service worker's registration")


def test_a_pushed_call_is_a_notification_with_actions_and_its_button_posts_once(chromium, live_server, world, settings):
    pair = new_key_pair()
    settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY = pair.public, pair.private
    journey = Journey(chromium, "alice-web-push")
    context, page = journey.context, journey.page
    context.grant_permissions(["notifications"], origin=live_server.url)
    journey.sign_in_as(world.alice, live_server.url)

    # given: alice's Notifications page, which registers the service worker
    page.goto(f"{live_server.url}/profile/notifications/")
    page.get_by_text("This device does not get notifications yet.").wait_for()
    journey.step("notifications-page")
    scope = f"{live_server.url}/"
    assert page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)") == scope
    # Playwright's contexts are incognito-like, where Chromium has no Push API: subscribing is refused by
    # the browser itself (the opt-in's server side is tested with a synthetic subscription in
    # tests/notifications/test_pages.py). The page says so instead of failing silently.
    page.get_by_role("button", name="Turn on notifications on this device").click()
    page.get_by_text("Registration failed").wait_for()
    assert page.get_by_role("button", name="Turn on notifications on this device").is_enabled()
    assert not PushSubscription.objects.exists()
    cdp = context.new_cdp_session(page)
    registration = registration_id(cdp, page, scope)
    [worker] = [w for w in context.service_workers if w.url == f"{live_server.url}/sw.js"]

    def deliver(notice: Notice) -> dict:
        """What the worker would encrypt for alice's browser (with her action tokens), handed to Chromium."""
        payload = push_payload(notice.as_payload(), user_id=world.alice.pk)
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": live_server.url, "registrationId": registration, "data": json.dumps(payload)},
        )
        return payload

    mute = NoticeAction("mute", "Mute for an hour", "/profile/notifications/snooze/")
    # when: a push comes while her portal page is in front, the page shows it live: no system notification
    # (the push handler's own function, called directly: skipping leaves nothing else to observe)
    in_front = push_payload(
        Notice(category="call", title="On the page", body="in front", tag="in-front").as_payload(),
        user_id=world.alice.pk,
    )
    assert worker.evaluate("(notice) => self.handlePush(notice)", in_front) is False
    assert page.evaluate(SHOWN, "in-front") == []

    # and: once she switched to another tab (Playwright emulates focus for every page: turned off for hers)
    elsewhere = context.new_page()
    elsewhere.goto("about:blank")
    elsewhere.bring_to_front()
    cdp.send("Emulation.setFocusEmulationEnabled", {"enabled": False})
    call = deliver(
        Notice(
            category="call",
            title="Visitor at A Front Door",
            body="Someone is calling unit 101",
            url="/profile/notifications/",
            tag="call-42",
            actions=(mute,),
        )
    )

    # then: it shows as a notification with its title, body and action
    shown = wait_until(page, lambda: page.evaluate(SHOWN, "call-42"), "the notification")
    assert shown == [
        {
            "title": "Visitor at A Front Door",
            "body": "Someone is calling unit 101",
            "tag": "call-42",
            "actions": ["Mute for an hour"],
        }
    ]

    # when: she presses "Mute for an hour": the service worker's own click handler runs
    click = """async (tag) => {
      const [notification] = await self.registration.getNotifications({tag});
      return self.handleNotificationClick(notification, "mute");
    }"""
    assert worker.evaluate(click, "call-42") == {"ok": True, "status": 200}

    # then: the POST went through with her session and the action's token, and the notification is gone
    assert NotificationPreference.objects.get(user=world.alice).snoozed_until is not None
    assert page.evaluate(SHOWN, "call-42") == []

    # and: the same button a second time (its token replayed) is refused, changing nothing
    NotificationPreference.objects.filter(user=world.alice).update(snoozed_until=None)
    page.evaluate(
        """(notice) => navigator.serviceWorker.ready.then((r) => r.showNotification("Replayed", {
             tag: "replay", data: notice, actions: notice.actions.map((a) => ({action: a.action, title: a.title})),
           }))""",
        call,
    )
    assert worker.evaluate(click, "replay") == {"ok": False, "status": 403}
    assert NotificationPreference.objects.get(user=world.alice).snoozed_until is None
    journey.assert_clean()
