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
from portal.notifications.models import NotificationPreference
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
    assert page.get_by_role("button", name="Turn on notifications on this device").is_visible()
    journey.step("notifications-page")
    scope = f"{live_server.url}/"
    assert page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)") == scope
    cdp = context.new_cdp_session(page)
    registration = registration_id(cdp, page, scope)

    def deliver(notice: Notice) -> dict:
        """What the worker would encrypt for alice's browser (with her action tokens), handed to Chromium."""
        payload = push_payload(notice.as_payload(), user_id=world.alice.pk)
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": live_server.url, "registrationId": registration, "data": json.dumps(payload)},
        )
        return payload

    mute = NoticeAction("mute", "Mute for an hour", "/profile/notifications/snooze/")
    # when: a push arrives while her portal page is in front: the page shows it live, no system notification
    deliver(Notice(category="call", title="Seen on the page", body="in front", tag="in-front", actions=(mute,)))
    # and: another arrives once she has switched to another tab
    elsewhere = context.new_page()
    elsewhere.goto("about:blank")
    elsewhere.bring_to_front()
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

    # then: the second shows as a notification with its title, body and action; the first never did
    shown = wait_until(page, lambda: page.evaluate(SHOWN, "call-42"), "the notification")
    assert shown == [
        {
            "title": "Visitor at A Front Door",
            "body": "Someone is calling unit 101",
            "tag": "call-42",
            "actions": ["Mute for an hour"],
        }
    ]
    assert page.evaluate(SHOWN, "in-front") == []

    # when: she presses "Mute for an hour": the service worker's own click handler runs
    [worker] = [w for w in context.service_workers if w.url == f"{live_server.url}/sw.js"]
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
