"""In Chromium: the Notifications page registers the portal's service worker; a push delivered through
the DevTools protocol (what a push service would hand the browser, already decrypted) shows as a system
notification with its title, body and actions, but only while no portal page is in front; and the
action's POST, made by the service worker's own click handler, works once with its one-use token.

No outside push service: CDP's ``ServiceWorker.deliverPushMessage`` stands in for it. The encryption
and VAPID legs are tested against a local push service in tests/notifications/test_webpush.py; the last
test joins both: a real call from the sandbox, pushed by the worker to that local service, and what it
received (decrypted as the browser would) handed to Chromium.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

import pytest
from django.urls import reverse

from logs.models import CallRecord, RingState
from portal.core.vapid import new_key_pair
from portal.notifications.models import NotificationPreference, PushSubscription
from portal.notifications.notices import Notice, NoticeAction
from portal.notifications.webpush import push_payload
from tenants.models import Residency
from tests import factories as f
from tests.dashboard.conftest import FRONT_DOOR, ROSA_TENANT, crimson  # noqa: F401 - the fixture
from tests.dashboard.test_door_privacy import nina  # noqa: F401 - the fixture
from tests.e2e.journeys import Journey
from tests.e2e.test_call_panel import MAIN_ENTRANCE, building_live, signed_in
from tests.notifications.conftest import browser_keys, push_service  # noqa: F401 - the fixtures
from tests.notifications.test_webpush import decrypt
from tests.plugins.workers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

SHOWN = """async (tag) => {
  const registration = await navigator.serviceWorker.ready;
  const shown = await registration.getNotifications(tag ? {tag} : {});
  return shown.map((n) => ({title: n.title, body: n.body, tag: n.tag, actions: n.actions.map((a) => a.title)}));
}"""


# Chromium keeps its notification database in step with what is on screen: a getNotifications() that runs
# while a notification is still on its way to the screen leaves that one out, and for good (seen about one
# run in three, the test polling while the ring was being shown). So a test waits for the service worker's
# showNotification() to have resolved, counted per tag by this wrapper, before it asks what is shown.
COUNT_DISPLAYS = """() => {
  if (self.displaysDone) return;
  self.displaysDone = {};
  const show = self.registration.showNotification.bind(self.registration);
  self.registration.showNotification = (title, options) => show(title, options).then((result) => {
    const tag = (options && options.tag) || "";
    self.displaysDone[tag] = (self.displaysDone[tag] || 0) + 1;
    return result;
  });
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


def push_env_on(settings) -> dict[str, str]:
    """Web Push on, sending to the local push service: for this process and for the worker and portal
    (the worker pushes; the portal serves the opt-in page and checks the actions' tokens)."""
    pair = new_key_pair()
    settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY = pair.public, pair.private
    settings.WEBPUSH_ENDPOINT_HOSTS, settings.WEBPUSH_ENDPOINT_ALLOW_HTTP = ["127.0.0.1"], True
    return {
        "WEBPUSH_VAPID_PUBLIC_KEY": pair.public,
        "WEBPUSH_VAPID_PRIVATE_KEY": pair.private,
        "WEBPUSH_ENDPOINT_HOSTS": "127.0.0.1",
        "WEBPUSH_ENDPOINT_ALLOW_HTTP": "true",
    }


@dataclass
class Device:
    """A person's browser with the portal's service worker registered."""

    journey: Journey
    cdp: object
    registration: str
    origin: str

    @property
    def page(self):
        return self.journey.page

    @property
    def worker(self):
        return [w for w in self.journey.context.service_workers if w.url == f"{self.origin}/sw.js"][-1]

    def deliver(self, data: dict) -> None:
        """What the browser's push service handed over, already decrypted, to the service worker."""
        self.cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": self.origin, "registrationId": self.registration, "data": json.dumps(data)},
        )

    def displays(self, tag: str) -> int:
        """How many notifications with ``tag`` the service worker has finished showing (COUNT_DISPLAYS)."""
        return self.worker.evaluate("(tag) => (self.displaysDone || {})[tag] || 0", tag)

    def deliver_shown(self, data: dict) -> None:
        """Deliver a push that shows a notification (a ring, or a withdrawal's quiet note), and wait until
        the service worker has shown it: only then is asking what is shown safe (COUNT_DISPLAYS)."""
        before = self.displays(data["tag"])
        self.deliver(data)
        wait_until(self.page, lambda: self.displays(data["tag"]) > before, f"the display of {data['tag']}")

    def shown(self, tag: str) -> list[dict]:
        return self.page.evaluate(SHOWN, tag)


def registered_device(chromium, server, user, name: str) -> Device:
    """``user``'s browser (notifications allowed) on their Notifications page, which registered the
    portal's service worker."""
    journey = Journey(chromium, name)
    context, page = journey.context, journey.page
    context.grant_permissions(["notifications"], origin=server.url)
    journey.sign_in_as(user, server.url)
    page.goto(f"{server.url}/profile/notifications/")
    scope = f"{server.url}/"
    assert page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)") == scope
    cdp = context.new_cdp_session(page)
    device = Device(journey, cdp, registration_id(cdp, page, scope), server.url)
    device.worker.evaluate(COUNT_DISPLAYS)
    return device


def in_the_background(device: Device) -> Device:
    """Their portal page stays open, but in the background: they are in another tab (Playwright emulates
    focus for every page: turned off for theirs)."""
    elsewhere = device.journey.context.new_page()
    elsewhere.goto("about:blank")
    elsewhere.bring_to_front()
    device.cdp.send("Emulation.setFocusEmulationEnabled", {"enabled": False})
    return device


def background_device(chromium, server, user, name: str) -> Device:
    device = registered_device(chromium, server, user, name)
    device.page.goto(f"{server.url}/doors/")
    return in_the_background(device)


def test_a_pushed_call_is_a_notification_with_actions_and_its_button_posts_once(chromium, live_server, world, settings):
    push_env_on(settings)
    # given: alice's Notifications page, which registers the service worker
    alice = registered_device(chromium, live_server, world.alice, "alice-web-push")
    journey, context, page = alice.journey, alice.journey.context, alice.page
    page.get_by_text("This device does not get notifications yet.").wait_for()
    journey.step("notifications-page")
    # Playwright's contexts are incognito-like, where Chromium has no Push API: subscribing is refused by
    # the browser itself (the opt-in's server side is tested with a synthetic subscription in
    # tests/notifications/test_pages.py). The page says so instead of failing silently.
    page.get_by_role("button", name="Turn on notifications on this device").click()
    page.get_by_text("Registration failed").wait_for()
    assert page.get_by_role("button", name="Turn on notifications on this device").is_enabled()
    assert not PushSubscription.objects.exists()
    [worker] = [w for w in context.service_workers if w.url == f"{live_server.url}/sw.js"]

    def deliver(notice: Notice) -> dict:
        """What the worker would encrypt for alice's browser (with her action tokens), handed to Chromium."""
        payload = push_payload(notice.as_payload(), user_id=world.alice.pk)
        alice.deliver_shown(payload)
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

    # and: once she switched to another tab
    in_the_background(alice)
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
    shown = page.evaluate(SHOWN, "call-42")
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


CLICK = """async ([tag, action]) => {
  const [notification] = await self.registration.getNotifications({tag});
  return self.handleNotificationClick(notification, action);
}"""


def pushed(service, keys, device: str, count: int) -> list[dict]:
    """The first ``count`` pushes the local push ``service`` received for ``device``, once they all
    arrived, decrypted with the browser's ``keys`` as the browser would (RFC 8291)."""

    def arrived():
        return [r for r in service.received if r.path.endswith(f"/{device}")]

    wait_for(lambda: len(arrived()) >= count, timeout=60, message=f"{count} push(es) to {device}")
    return [decrypt(r, keys) for r in arrived()[:count]]


def test_a_real_call_pushes_to_rosas_browser_and_its_open_door_releases_once_nina_gets_nothing(
    crimson,  # noqa: F811
    nina,  # noqa: F811
    sandbox,
    chromium,
    tmp_path,
    settings,
    push_service,  # noqa: F811
    browser_keys,  # noqa: F811
):
    """The same real call as tests/e2e/test_call_panel.py, with Rosa's portal page in the background: the
    worker's ring pass queues the push, the push task encrypts it to her subscription and POSTs it to the
    local push service (tests/notifications/conftest.py), and her browser shows the notification.

    The hand-over to Chromium: CDP's ``ServiceWorker.deliverPushMessage`` takes the message's *plaintext*
    data (what the browser hands its service worker after decrypting; there is no way to give it the
    encrypted body), so the test decrypts what the push service received with the subscription's keys, as
    the browser would (RFC 8291, tests/notifications/test_webpush.py's ``decrypt``), and delivers that.
    """
    push_env = push_env_on(settings)
    # Nina's device first: were she among the call's people, the push task (devices in id order) would
    # reach hers before Rosa's, so Rosa's push arriving alone shows Nina's never will.
    for user, device in ((nina, "nina"), (crimson.rosa, "rosa")):
        PushSubscription.objects.create(
            user=user, endpoint=push_service.endpoint(device), p256dh=browser_keys.p256dh, auth=browser_keys.auth
        )
    last_entry = max(e["id"] for e in sandbox.state()["latest_access_logs"])

    with building_live(sandbox, tmp_path, crimson.building, settings, **push_env) as server:
        rosa = background_device(chromium, server, crimson.rosa, "call-push-rosa")

        # when: a visitor at the Main Entrance calls 4B
        placed = sandbox.call(MAIN_ENTRANCE, ROSA_TENANT)
        [notice] = pushed(push_service, browser_keys, "rosa", 1)
        rosa.deliver_shown(notice)

        # then: it shows as a notification, with the call's title and its two actions
        call = CallRecord.objects.get(remote_id=placed["id"])
        tag = f"call-{call.pk}"
        shown = rosa.shown(tag)
        assert shown == [
            {
                "title": "Visitor at Main Entrance",
                "body": notice["body"],
                "tag": tag,
                "actions": ["Open door", "Decline"],
            }
        ]
        assert "Main Entrance" in notice["body"]
        # with the visitor's snapshot (from the portal, which proxies the camera's) and staying until answered
        image, sticky = rosa.page.evaluate(
            """async (tag) => {
              const [n] = await (await navigator.serviceWorker.ready).getNotifications({tag});
              return [n.image, n.requireInteraction];
            }""",
            tag,
        )
        assert image == server.url + reverse("logs:call_snapshot", args=[call.pk]) and sticky is True

        # when: she presses "Open door": the service worker's own click handler POSTs with its token
        assert rosa.worker.evaluate(CLICK, [tag, "open-door"])["ok"] is True
        assert rosa.shown(tag) == []

        # then: the call's withdrawal reaches her devices too (here: the one she answered on; it leaves no
        # ringing notification behind, at most a quiet note of the answer)
        _, withdrawal = pushed(push_service, browser_keys, "rosa", 2)
        assert withdrawal["withdraw"] is True and withdrawal["tag"] == tag
        assert withdrawal["body"].startswith(f"Door opened by {crimson.rosa.display_name}")
        rosa.deliver(withdrawal)
        wait_until(rosa.page, lambda: not any(n["actions"] for n in rosa.shown(tag)), "no ringing notification")

    # then: the sandbox recorded exactly one release, for Rosa, at the panel's door
    assert sandbox.state()["counts"]["door_release_requests"] == 1
    released = [e for e in sandbox.state()["latest_access_logs"] if e["id"] > last_entry]
    assert [(e["release_method"], e["tenant_id"], e["access_point"]) for e in released] == [
        ("api", ROSA_TENANT, FRONT_DOOR)
    ]
    assert CallRecord.objects.get(pk=call.pk).ring_state == RingState.ANSWERED
    # and Nina's device got nothing: the ring and its withdrawal went to Rosa's only
    rosas = push_service.endpoint("rosa").removeprefix(push_service.url)
    assert [r.path for r in push_service.received] == [rosas, rosas]
    rosa.journey.assert_clean()


def test_ray_declining_on_his_page_closes_the_call_s_notification_on_rosas_device(
    crimson,  # noqa: F811
    sandbox,
    chromium,
    tmp_path,
    settings,
    push_service,  # noqa: F811
    browser_keys,  # noqa: F811
):
    """Issue 18: "Decline" dismisses the call for all members of the unit, on their devices too. Ray
    (4B with Rosa) declines on his open page; the withdrawal the portal then pushes reaches Rosa's device
    through the local push service, and her service worker takes the ringing notification away."""
    push_env = push_env_on(settings)
    ray = f.UserFactory(email="ray@crimson.test", first_name="Ray")
    Residency.objects.create(user=ray, unit=crimson.rosa_residency.unit)
    PushSubscription.objects.create(
        user=crimson.rosa, endpoint=push_service.endpoint("rosa"), p256dh=browser_keys.p256dh, auth=browser_keys.auth
    )

    with building_live(sandbox, tmp_path, crimson.building, settings, **push_env) as server:
        rosa = background_device(chromium, server, crimson.rosa, "decline-push-rosa")
        rays = signed_in(chromium, server, ray, "decline-push-ray", "/")

        # given: a call to 4B rings on Rosa's device (a notification with its buttons) and on Ray's page
        placed = sandbox.call(MAIN_ENTRANCE, ROSA_TENANT)
        [ring] = pushed(push_service, browser_keys, "rosa", 1)
        rosa.deliver_shown(ring)
        tag = f"call-{CallRecord.objects.get(remote_id=placed['id']).pk}"
        assert rosa.shown(tag)[0]["actions"] == ["Open door", "Decline"]
        panel = rays.page.get_by_role("alertdialog", name=re.compile("Main Entrance"))
        panel.wait_for(timeout=60_000)

        # when: Ray declines on his page
        panel.get_by_role("button", name="Decline").click()
        rays.page.get_by_role("status").filter(has_text="Call declined.").wait_for()

        # then: Rosa's device is pushed the withdrawal, and the ringing notification is gone from it
        _, withdrawal = pushed(push_service, browser_keys, "rosa", 2)
        assert withdrawal["withdraw"] is True and withdrawal["tag"] == tag and not withdrawal["actions"]
        assert withdrawal["body"].startswith("Declined by Ray")
        rosa.deliver(withdrawal)
        wait_until(rosa.page, lambda: not any(n["actions"] for n in rosa.shown(tag)), "the ring gone")
        # (her portal page is open, so it closed outright; with none open it would be a quiet note)
        assert rosa.shown(tag) in (
            [],
            [{"title": ring["title"], "body": withdrawal["body"], "tag": tag, "actions": []}],
        )
    assert sandbox.state()["counts"]["door_release_requests"] == 0
    rosa.journey.assert_clean()
    rays.assert_clean()


NOTIFICATIONS = """async () => {
  const shown = await self.registration.getNotifications();
  return shown.map((n) => ({title: n.title, body: n.body, tag: n.tag, actions: n.actions.map((a) => a.title),
                            silent: n.silent, sticky: n.requireInteraction}));
}"""


def test_a_withdrawn_call_s_notification_closes_or_is_replaced_quietly_never_by_chromium_s_own(
    chromium, live_server, world, settings
):
    """What the service worker does with a withdrawal (a call answered, declined or over: a push with the
    call's tag and ``withdraw``). Chromium requires every push to leave something of the site in view
    (``userVisibleOnly``: a visible tab or a notification; otherwise it spends a small silent-push budget
    and then shows "This site has been updated in the background"), so: with another notification of the
    portal shown, or a portal page visible, the call's notification closes; alone, with no page of the
    portal open, it is replaced in place by a quiet note of how the call ended, without buttons. Chromium's
    own notice (tag ``user_visible_auto_notification``) never appears.

    Headless Chromium keeps every open page visible, so "no page in view" is no page of the portal open:
    the page that registered the worker goes to about:blank, and the worker itself is asked what it shows.
    """
    push_env_on(settings)
    # Tags no other test's calls carry (the test above tags its real calls call-<pk>). A ring that "never
    # showed" here was Chromium dropping it from getNotifications() while still showing it: COUNT_DISPLAYS.
    first, second, third = (f"call-{n}-{uuid.uuid4().hex[:8]}" for n in (7, 8, 9))
    alice = registered_device(chromium, live_server, world.alice, "alice-withdraw")
    journey, page = alice.journey, alice.page

    def shown(tag: str | None = None) -> list[dict]:
        every = alice.worker.evaluate(NOTIFICATIONS)
        return [n for n in every if tag is None or n["tag"] == tag]

    def deliver(notice: Notice) -> None:
        alice.deliver(push_payload(notice.as_payload(), user_id=world.alice.pk))

    def deliver_shown(notice: Notice) -> None:
        alice.deliver_shown(push_payload(notice.as_payload(), user_id=world.alice.pk))

    open_door = NoticeAction("open-door", "Open door", "/profile/notifications/snooze/")

    def ring(tag: str) -> None:
        deliver_shown(
            Notice(category="call", title="Visitor at Main Entrance", body="Calling 4B", tag=tag, actions=(open_door,))
        )
        assert shown(tag), f"the ring of {tag} is not shown"

    def ended(tag: str, body: str) -> Notice:
        return Notice(category="call", title="Visitor at Main Entrance", body=body, tag=tag, withdraw=True)

    # given: no page of the portal is open on her device, only its service worker
    page.goto("about:blank")

    # when: a call rings on her device, and is declined by Bob in the same unit before she answers
    ring(first)
    deliver_shown(ended(first, "Declined by Bob · call at 14:21"))

    # then: nothing else of the portal in view: the notification is replaced in place, quietly, no buttons
    note = {
        "title": "Visitor at Main Entrance",
        "body": "Declined by Bob · call at 14:21",
        "tag": first,
        "actions": [],
        "silent": True,
        "sticky": False,
    }
    assert wait_until(page, lambda: shown() == [note], "the quiet note") is True

    # when: another call rings while that note is shown, and stops ringing (nobody answered)
    ring(second)
    deliver(ended(second, "Not answered · call at 14:25"))

    # then: its notification closes: the note of the first call keeps something of the portal in view
    assert wait_until(page, lambda: shown(second) == [], "the second call's closed") is True
    assert shown() == [note]

    # and with a page of the portal open and visible, a withdrawal closes even a lone notification
    alice.worker.evaluate("() => self.registration.getNotifications().then((all) => all.forEach((n) => n.close()))")
    ring(third)
    page.goto(f"{live_server.url}/")
    assert page.evaluate("document.visibilityState") == "visible"
    withdrawal = push_payload(ended(third, "Canceled · call at 14:30").as_payload(), user_id=world.alice.pk)
    assert alice.worker.evaluate("(notice) => self.handlePush(notice)", withdrawal) == "closed"
    assert shown() == []
    journey.assert_clean()


def test_a_ring_that_arrives_after_its_withdrawal_never_rings(chromium, live_server, world, settings):
    """Push services do not keep order: the withdrawal of a call answered within a second can reach the
    device before the ring. The late ring must not ring (a call that is over, with buttons that no longer
    work): the service worker remembers the withdrawal and handles the ring as that withdrawal again."""
    push_env_on(settings)
    tag = f"call-overtaken-{uuid.uuid4().hex[:8]}"
    alice = registered_device(chromium, live_server, world.alice, "alice-overtaken")
    page = alice.page
    page.goto("about:blank")  # no page of the portal in view: only its service worker

    def shown() -> list[dict]:
        return [n for n in alice.worker.evaluate(NOTIFICATIONS) if n["tag"] == tag]

    open_door = NoticeAction("open-door", "Open door", "/profile/notifications/snooze/")
    ring = Notice(category="call", title="Visitor at Main Entrance", body="Calling 4B", tag=tag, actions=(open_door,))
    ended = Notice(category="call", title="Visitor at Main Entrance", body="Opened by Bob", tag=tag, withdraw=True)

    # when: the withdrawal arrives first (the quiet note of how the call ended stands in for it) ...
    alice.deliver_shown(push_payload(ended.as_payload(), user_id=world.alice.pk))
    note = {"title": ring.title, "body": "Opened by Bob", "tag": tag, "actions": [], "silent": True, "sticky": False}
    assert wait_until(page, lambda: shown() == [note], "the quiet note") is True

    # ... and the ring after it
    late_ring = push_payload(ring.as_payload(), user_id=world.alice.pk)
    assert alice.worker.evaluate("(notice) => self.handlePush(notice)", late_ring) == "replaced"

    # then: still the quiet note, no ringing notification with an "Open door" button
    assert shown() == [note]
    alice.journey.assert_clean()


# Playwright's contexts cannot subscribe to a push service (see the first test), so the browser's
# subscription is stood in for by this script: PushManager.getSubscription() answers a subscription object
# with the endpoint the portal has on record until its unsubscribe() is called (remembered across pages
# in localStorage), and each call is reported to the test. The portal's own scripts are unchanged.
STAND_IN_SUBSCRIPTION = """
(() => {
  const endpoint = "https://fcm.googleapis.com/fcm/send/alices-laptop";
  PushManager.prototype.getSubscription = function () {
    if (localStorage.getItem("unsubscribed")) return Promise.resolve(null);
    return Promise.resolve({
      endpoint: endpoint,
      toJSON: () => ({endpoint: endpoint, keys: {}}),
      unsubscribe: () => {
        localStorage.setItem("unsubscribed", "1");
        window.reportUnsubscribe(endpoint);
        return Promise.resolve(true);
      },
    });
  };
})();
"""


@pytest.mark.parametrize("way_out", ["menu", "sign-out page"])
def test_signing_out_unsubscribes_this_browser_and_a_new_sign_in_is_offered_the_opt_in(
    chromium, live_server, world, settings, way_out
):
    push_env_on(settings)
    laptop = PushSubscription.objects.create(
        user=world.alice, endpoint="https://fcm.googleapis.com/fcm/send/alices-laptop", p256dh="k" * 87, auth="a" * 22
    )
    phone = PushSubscription.objects.create(
        user=world.alice, endpoint="https://fcm.googleapis.com/fcm/send/alices-phone", p256dh="k" * 87, auth="a" * 22
    )
    journey = Journey(chromium, f"alice-sign-out-{way_out.replace(' ', '-')}")
    context, page = journey.context, journey.page
    context.grant_permissions(["notifications"], origin=live_server.url)
    unsubscribed: list[str] = []
    context.expose_function("reportUnsubscribe", lambda endpoint: unsubscribed.append(endpoint))
    context.add_init_script(STAND_IN_SUBSCRIPTION)
    journey.sign_in_as(world.alice, live_server.url)

    # given: her Notifications page says this browser gets notifications
    page.goto(f"{live_server.url}/profile/notifications/")
    page.get_by_text("This device gets notifications.").wait_for()

    # when: she signs out, from the menu or on the sign-out page (/accounts/logout/, allauth's own)
    if way_out == "menu":
        page.get_by_role("button", name=world.alice.display_name).click()
        page.get_by_role("button", name="Sign out").click()
    else:
        page.goto(f"{live_server.url}/accounts/logout/")
        page.get_by_role("main").get_by_role("button", name="Sign Out").click()
    page.wait_for_url(re.compile(r"/accounts/login/|/$"))

    # then: the browser's subscription was unsubscribed and the portal forgot it; her phone still gets hers
    assert unsubscribed == [laptop.endpoint]
    assert list(PushSubscription.objects.values_list("pk", flat=True)) == [phone.pk]

    # when: she (or anyone) signs in on this browser again, the Notifications page offers the opt-in
    journey.sign_in_as(world.alice, live_server.url)
    page.goto(f"{live_server.url}/profile/notifications/")
    page.get_by_text("This device does not get notifications yet.").wait_for()
    assert page.get_by_role("button", name="Turn on notifications on this device").is_visible()
    journey.assert_clean()
