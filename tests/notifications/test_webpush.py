"""Web Push end to end against a local push service: what arrives is encrypted to the browser, signed by
the portal's VAPID key, and decrypts (with the browser's private key) to the notice; an expired
subscription is deleted; the action's token lets the service worker's POST through, once."""

from __future__ import annotations

import json

import http_ece
import pytest
from django.test import Client
from py_vapid.jwt import decode as vapid_decode

from portal.notifications.models import NotificationPreference, PushSubscription
from portal.notifications.notices import Notice, NoticeAction
from portal.notifications.webpush import push_deliver

pytestmark = pytest.mark.django_db

SNOOZE_URL = "/profile/notifications/snooze/"


def call_notice() -> Notice:
    return Notice(
        category="call",
        title="Visitor at Front door",
        body="Someone is calling unit 101",
        url="/logs/calls/",
        image_url="/logs/calls/7/snapshot",
        tag="call-7",
        actions=(NoticeAction("mute", "Mute for an hour", SNOOZE_URL),),
    )


def subscribe(user, push_service, browser_keys, name="device-1") -> PushSubscription:
    return PushSubscription.objects.create(
        user=user,
        endpoint=push_service.endpoint(name),
        p256dh=browser_keys.p256dh,
        auth=browser_keys.auth,
        label="Chrome on Linux",
    )


def decrypt(received, browser_keys) -> dict:
    """What the browser does with the push message: RFC 8291 with its own private key and auth secret."""
    plain = http_ece.decrypt(
        received.body, private_key=browser_keys.private, auth_secret=browser_keys.auth_raw, version="aes128gcm"
    )
    return json.loads(plain)


def test_a_push_reaches_the_browser_encrypted_to_it_and_signed_by_the_portal(
    world, webpush_on, push_service, browser_keys
):
    subscription = subscribe(world.alice, push_service, browser_keys)

    outcomes = push_deliver(user_ids=[world.alice.pk], notice=call_notice().as_payload())

    assert outcomes == {"sent": 1}
    [received] = push_service.received
    assert received.path == "/push/device-1"
    assert received.headers["content-encoding"] == "aes128gcm"
    assert received.headers["ttl"] == "60"  # a call is stale after its ring window
    assert received.headers["urgency"] == "high"
    assert received.headers["topic"] == "call-7"
    # VAPID (RFC 8292): a JWT for this push service's origin, signed by the portal's private key.
    scheme, params = received.headers["authorization"].split(" ", 1)
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert scheme == "vapid" and fields["k"] == webpush_on.public
    claims = vapid_decode(fields["t"], webpush_on.public)
    assert claims["aud"] == push_service.url and claims["sub"] == "mailto:ops@example.test"

    payload = decrypt(received, browser_keys)
    assert payload["title"] == "Visitor at Front door"
    assert payload["body"] == "Someone is calling unit 101"
    assert payload["url"] == "/logs/calls/" and payload["image"] == "/logs/calls/7/snapshot"
    assert payload["tag"] == "call-7" and payload["category"] == "call"
    [action] = payload["actions"]
    assert action["action"] == "mute" and action["title"] == "Mute for an hour" and action["url"] == SNOOZE_URL
    assert action["token"]
    subscription.refresh_from_db()
    assert subscription.last_success_at is not None


def test_the_body_is_unreadable_without_the_browsers_key(world, webpush_on, push_service, browser_keys):
    subscribe(world.alice, push_service, browser_keys)
    push_deliver(user_ids=[world.alice.pk], notice=call_notice().as_payload())
    assert b"Visitor" not in push_service.received[0].body


@pytest.mark.parametrize("status", [404, 410])
def test_an_expired_subscription_is_deleted(world, webpush_on, push_service, browser_keys, status):
    subscribe(world.alice, push_service, browser_keys)
    push_service.status = status

    assert push_deliver(user_ids=[world.alice.pk], notice=call_notice().as_payload()) == {"expired": 1}
    assert not PushSubscription.objects.filter(user=world.alice).exists()


def test_a_failing_push_service_is_noted_and_the_subscription_kept(world, webpush_on, push_service, browser_keys):
    subscription = subscribe(world.alice, push_service, browser_keys)
    push_service.status = 503

    assert push_deliver(user_ids=[world.alice.pk], notice=call_notice().as_payload()) == {"failed": 1}
    subscription.refresh_from_db()
    assert subscription.last_failure == "HTTP 503" and subscription.last_failure_at is not None


def test_each_device_of_each_person_gets_its_own_copy_and_nobody_elses(world, webpush_on, push_service, browser_keys):
    subscribe(world.alice, push_service, browser_keys, "alice-phone")
    subscribe(world.alice, push_service, browser_keys, "alice-laptop")
    subscribe(world.bob, push_service, browser_keys, "bob-phone")

    assert push_deliver(user_ids=[world.alice.pk], notice=call_notice().as_payload()) == {"sent": 2}
    assert sorted(r.path for r in push_service.received) == ["/push/alice-laptop", "/push/alice-phone"]


def test_a_push_service_outside_the_allowed_hosts_is_never_contacted(
    world, webpush_on, push_service, browser_keys, settings
):
    subscribe(world.alice, push_service, browser_keys)
    settings.WEBPUSH_ENDPOINT_HOSTS = ["fcm.googleapis.com"]

    assert push_deliver(user_ids=[world.alice.pk], notice=call_notice().as_payload()) == {"refused": 1}
    assert push_service.received == []


def test_without_vapid_keys_nothing_is_sent(world, webpush_on, push_service, browser_keys, settings):
    subscribe(world.alice, push_service, browser_keys)
    settings.WEBPUSH_VAPID_PRIVATE_KEY = ""

    assert push_deliver(user_ids=[world.alice.pk], notice=call_notice().as_payload()) == {}
    assert push_service.received == []


def _pushed_token(world, push_service, browser_keys) -> str:
    subscribe(world.alice, push_service, browser_keys)
    push_deliver(user_ids=[world.alice.pk], notice=call_notice().as_payload())
    return decrypt(push_service.received[-1], browser_keys)["actions"][0]["token"]


def test_the_actions_token_stands_in_for_csrf_once(world, webpush_on, push_service, browser_keys):
    """The service worker's POST: the session cookie and the token, no CSRF token (it cannot read one)."""
    token = _pushed_token(world, push_service, browser_keys)
    sw = Client(enforce_csrf_checks=True)
    sw.force_login(world.alice)

    first = sw.post(SNOOZE_URL, headers={"X-Notice-Token": token, "Accept": "application/json"})
    again = sw.post(SNOOZE_URL, headers={"X-Notice-Token": token, "Accept": "application/json"})

    assert first.status_code == 200 and first.json() == {"snoozed_minutes": 60}
    assert NotificationPreference.objects.get(user=world.alice).snoozed_until is not None
    assert again.status_code == 403  # spent: a replay or a retry does nothing twice


def test_without_token_or_csrf_the_post_is_refused(world):
    sw = Client(enforce_csrf_checks=True)
    sw.force_login(world.alice)
    assert sw.post(SNOOZE_URL).status_code == 403
    assert not NotificationPreference.objects.filter(user=world.alice, snoozed_until__isnull=False).exists()


def test_a_token_works_only_for_its_person_and_its_path(world, webpush_on, push_service, browser_keys):
    token = _pushed_token(world, push_service, browser_keys)
    bob = Client(enforce_csrf_checks=True)
    bob.force_login(world.bob)
    assert bob.post(SNOOZE_URL, headers={"X-Notice-Token": token}).status_code == 403
    alice = Client(enforce_csrf_checks=True)
    alice.force_login(world.alice)
    other_path = "/profile/notifications/devices/"
    assert alice.post(other_path, headers={"X-Notice-Token": token}).status_code == 403  # plain CSRF view
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert alice.post(SNOOZE_URL, headers={"X-Notice-Token": forged}).status_code == 403
    assert not NotificationPreference.objects.filter(snoozed_until__isnull=False).exists()


def test_a_token_is_not_a_sign_in(world, webpush_on, push_service, browser_keys):
    token = _pushed_token(world, push_service, browser_keys)
    anonymous = Client(enforce_csrf_checks=True)
    response = anonymous.post(SNOOZE_URL, headers={"X-Notice-Token": token})
    assert response.status_code == 403
