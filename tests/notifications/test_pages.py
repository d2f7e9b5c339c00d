"""The Notifications page, the opt-in's server side, the service worker, e-mail and the keys' check.

Headless Chromium has no push service to subscribe with, so the subscribe flow's server side is tested
here with a synthetic subscription (what ``PushSubscription.toJSON()`` gives, flattened by the page).
"""

from __future__ import annotations

import re
from datetime import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client

from portal.core.checks import check_webpush_keys
from portal.notifications.emails import notice_email_send
from portal.notifications.models import NotificationPreference, PushSubscription
from portal.notifications.notices import Notice

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/profile/notifications/"
SUBSCRIBE_URL = "/profile/notifications/devices/"
FCM = "https://fcm.googleapis.com/fcm/send/"


def synthetic(browser_keys, name="abc") -> dict:
    return {"endpoint": FCM + name, "p256dh": browser_keys.p256dh, "auth": browser_keys.auth}


def device(user, name: str, label: str = "Chrome on Android") -> PushSubscription:
    return PushSubscription.objects.create(user=user, endpoint=FCM + name, p256dh="k" * 87, auth="a" * 22, label=label)


def test_a_browser_opts_in_and_its_keys_are_encrypted_at_rest(world, client_for, webpush_on, browser_keys):
    client = client_for(world.alice)
    response = client.post(
        SUBSCRIBE_URL, synthetic(browser_keys), headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/131.0"}
    )

    assert response.status_code == 201
    subscription = PushSubscription.objects.get(user=world.alice)
    assert subscription.label == "Chrome on Android"
    assert (subscription.p256dh, subscription.auth) == (browser_keys.p256dh, browser_keys.auth)
    with connection.cursor() as cursor:
        cursor.execute("SELECT p256dh, auth FROM notifications_pushsubscription WHERE id = %s", [subscription.pk])
        stored = cursor.fetchone()
    assert browser_keys.p256dh not in stored[0] and browser_keys.auth not in stored[1]


def test_subscribing_again_updates_the_browsers_row_and_a_new_person_takes_the_browser_over(
    world, client_for, webpush_on, browser_keys
):
    client_for(world.alice).post(SUBSCRIBE_URL, synthetic(browser_keys))
    client_for(world.alice).post(SUBSCRIBE_URL, synthetic(browser_keys))
    assert PushSubscription.objects.filter(user=world.alice).count() == 1
    client_for(world.bob).post(SUBSCRIBE_URL, synthetic(browser_keys))  # bob signs in on alice's old phone
    assert list(PushSubscription.objects.values_list("user", flat=True)) == [world.bob.pk]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"endpoint": "https://169.254.169.254/latest/meta-data"}, "push service"),
        ({"endpoint": "http://fcm.googleapis.com/fcm/send/x"}, "push service"),
        ({"p256dh": "short"}, "cannot read"),
        ({"auth": ""}, "cannot read"),
    ],
)
def test_a_subscription_the_portal_will_not_push_to_is_refused_with_a_message(
    world, client_for, webpush_on, browser_keys, settings, change, why
):
    settings.WEBPUSH_ENDPOINT_HOSTS = ["fcm.googleapis.com"]
    settings.WEBPUSH_ENDPOINT_ALLOW_HTTP = False
    response = client_for(world.alice).post(SUBSCRIBE_URL, {**synthetic(browser_keys), **change})
    assert response.status_code == 400 and why in response.json()["detail"]
    assert not PushSubscription.objects.exists()


def test_subscribing_needs_csrf(world, webpush_on, browser_keys):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    assert client.post(SUBSCRIBE_URL, synthetic(browser_keys)).status_code == 403


def test_a_person_sees_and_removes_only_their_own_devices(world, client_for, webpush_on):
    alices = device(world.alice, "alice", label="Firefox on Mac")
    device(world.bob, "bob", label="Edge on Windows")

    page = client_for(world.bob).get(SETTINGS_URL).content.decode()
    assert "Edge on Windows" in page and "Firefox on Mac" not in page and FCM + "alice" not in page

    assert client_for(world.bob).post(f"/profile/notifications/devices/{alices.pk}/remove/").status_code == 404
    assert PushSubscription.objects.filter(pk=alices.pk).exists()
    assert client_for(world.alice).post(f"/profile/notifications/devices/{alices.pk}/remove/").status_code == 302
    assert not PushSubscription.objects.filter(pk=alices.pk).exists()


def test_the_opt_in_is_shown_only_with_vapid_keys(world, client_for, settings, webpush_on):
    page = client_for(world.alice).get(SETTINGS_URL).content.decode()
    assert f'data-webpush-key="{webpush_on.public}"' in page and "Turn on notifications on this device" in page
    settings.WEBPUSH_VAPID_PUBLIC_KEY = settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    page = client_for(world.alice).get(SETTINGS_URL).content.decode()
    assert "data-webpush-key" not in page and "Turn on notifications" not in page
    assert client_for(world.alice).post(SUBSCRIBE_URL, {"endpoint": FCM + "x"}).status_code == 400


def test_the_page_shows_each_role_its_own_categories(world, client_for):
    resident = client_for(world.alice).get(SETTINGS_URL).content.decode()
    manager = client_for(world.manager).get(SETTINGS_URL).content.decode()
    staff = client_for(world.staff).get(SETTINGS_URL).content.decode()
    assert "Guest arrivals" in resident and "Refused credentials" not in resident
    assert "Refused credentials" in manager and "Visitor calls" in manager and "Guest arrivals" not in manager
    assert "Visitor calls" in staff and "Refused credentials" not in staff


def test_preferences_are_saved_per_person(world, client_for):
    form = {
        "call__push": "on",
        "call__email": "on",
        "arrival__email": "on",
        "quiet_enabled": "on",
        "quiet_start": "23:00",
        "quiet_end": "06:30",
    }
    assert client_for(world.alice).post(SETTINGS_URL, form).status_code == 302

    saved = NotificationPreference.objects.get(user=world.alice)
    assert saved.channels == {"call": ["push", "email"], "arrival": ["email"]}
    assert (saved.quiet_enabled, saved.quiet_start, saved.quiet_end) == (True, time(23, 0), time(6, 30))
    assert saved.quiet_allowed == []  # "calls in quiet hours" was unticked
    assert not NotificationPreference.objects.filter(user=world.bob).exists()
    page = client_for(world.bob).get(SETTINGS_URL).content.decode()
    assert 'name="call__email"' in page and 'name="call__email" id="id_call__email" aria-label' in page
    assert 'id="id_call__email" aria-label="Visitor calls by e-mail" checked' not in page  # bob's defaults


def test_a_bad_time_is_a_message_not_a_500(world, client_for):
    response = client_for(world.alice).post(SETTINGS_URL, {"quiet_enabled": "on", "quiet_start": "25:99"})
    assert response.status_code == 200 and "Enter a valid time" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_mute_and_unmute_from_the_page(world, client_for):
    client = client_for(world.alice)
    client.post("/profile/notifications/snooze/")
    assert NotificationPreference.objects.get(user=world.alice).snoozed_until is not None
    assert "Muted until" in client.get(SETTINGS_URL).content.decode()
    client.post("/profile/notifications/snooze/", {"minutes": "0"})
    assert NotificationPreference.objects.get(user=world.alice).snoozed_until is None


def test_the_service_worker_is_a_script_at_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/" and response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert 'addEventListener("push"' in body and 'addEventListener("notificationclick"' in body
    assert "X-Notice-Token" in body


def test_the_email_links_into_the_portal_and_never_carries_the_snapshot(world, settings):
    settings.SITE_URL = "https://portal.example.test"
    notice = Notice(
        category="arrival",
        title="Dog walker arrived",
        body="Front door, 14:21",
        url="/logs/entries/5/",
        image_url="/logs/entries/5/snapshot",
    )
    assert notice_email_send(user_ids=[world.alice.pk], notice=notice.as_payload()) == 1

    [message] = mail.outbox
    assert message.to == ["alice@example.test"] and "Dog walker arrived" in message.subject
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    for body in (message.body, html):
        assert "https://portal.example.test/logs/entries/5/" in body
        assert "https://portal.example.test/logs/entries/5/snapshot" in body
        assert "https://portal.example.test/profile/notifications/" in body
    assert "<img" not in html and not message.attachments


@pytest.mark.parametrize(
    ("public", "private", "subject", "problem"),
    [
        ("good", "good", "mailto:ops@example.com", None),
        ("", "", "mailto:ops@example.com", None),  # unset: Web Push off, nothing to check
        ("good", "not-a-key", "mailto:ops@example.com", "PRIVATE_KEY is not"),
        ("other", "good", "mailto:ops@example.com", "not the public half"),
        ("good", "", "mailto:ops@example.com", "PRIVATE_KEY is not"),
        ("good", "good", "ops@example.com", "SUBJECT must be"),
        ("good", "good", "mailto:portal@localhost", "names localhost"),
    ],
)
def test_production_refuses_malformed_vapid_keys(settings, webpush_on, public, private, subject, problem):
    from portal.core.vapid import new_key_pair

    other = new_key_pair()
    values = {"good": None, "other": other.public, "": "", "not-a-key": "not-a-key"}
    settings.PORTAL_REFUSE_UNSAFE = True
    settings.WEBPUSH_VAPID_PUBLIC_KEY = webpush_on.public if public == "good" else values[public]
    settings.WEBPUSH_VAPID_PRIVATE_KEY = webpush_on.private if private == "good" else values[private]
    settings.WEBPUSH_VAPID_SUBJECT = subject
    errors = check_webpush_keys()
    if problem is None:
        assert errors == []
    else:
        [error] = errors
        assert error.id == "portal.E118" and problem in error.msg
        assert webpush_on.private not in error.msg  # never quotes a key


def test_the_command_prints_a_working_key_pair(capsys, settings):
    call_command("webpush_keys")
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    settings.PORTAL_REFUSE_UNSAFE = True
    settings.WEBPUSH_VAPID_PUBLIC_KEY = lines["WEBPUSH_VAPID_PUBLIC_KEY"]
    settings.WEBPUSH_VAPID_PRIVATE_KEY = lines["WEBPUSH_VAPID_PRIVATE_KEY"]
    settings.WEBPUSH_VAPID_SUBJECT = lines["WEBPUSH_VAPID_SUBJECT"]
    assert check_webpush_keys() == []


def test_a_person_has_a_bounded_number_of_devices(world, client_for, webpush_on, browser_keys):
    from portal.notifications.services import MAX_DEVICES

    for n in range(MAX_DEVICES):
        device(world.alice, f"d{n}")
    response = client_for(world.alice).post(SUBSCRIBE_URL, synthetic(browser_keys, "one-too-many"))
    assert response.status_code == 400 and "remove one first" in response.json()["detail"]
    assert client_for(world.alice).post(SUBSCRIBE_URL, synthetic(browser_keys, "d0")).status_code == 201  # re-subscribe


def test_quiet_hours_times_are_needed_only_when_quiet_hours_are_on(world, client_for):
    client = client_for(world.alice)
    page = client.get(SETTINGS_URL).content.decode()
    inputs = re.findall(r"<input[^>]*quiet_(?:start|end)[^>]*>", page)
    assert len(inputs) == 2 and not [tag for tag in inputs if " required" in tag]
    assert '<label class="form-label" for="id_quiet_start">From</label>' in page  # no "required" star
    response = client.post(SETTINGS_URL, {"quiet_enabled": "on", "quiet_start": "23:00"})
    assert response.status_code == 200 and "Give a time, or turn quiet hours off." in response.content.decode()
    assert not NotificationPreference.objects.exists()
    assert client.post(SETTINGS_URL, {"call__push": "on"}).status_code == 302  # off, no times: the saved ones stay
    saved = NotificationPreference.objects.get(user=world.alice)
    assert (saved.quiet_enabled, saved.quiet_start, saved.quiet_end) == (False, time(22, 0), time(7, 0))


def test_signing_out_ends_this_browsers_notifications_and_no_other_device_s(
    world, client_for, webpush_on, browser_keys
):
    """The sign-out deletes what this browser subscribed in this session, and the subscription the page's
    script names (unsubscribed in the browser first: static/notifications/signout.js); alice's phone and
    bob's browser keep theirs, whatever the page sends."""
    laptop = client_for(world.alice)
    assert laptop.post(SUBSCRIBE_URL, synthetic(browser_keys, "laptop")).status_code == 201
    earlier = device(world.alice, "laptop-last-week")  # this browser, subscribed in an earlier session
    phone = device(world.alice, "phone")
    bobs = device(world.bob, "bobs")

    response = laptop.post("/accounts/logout/", {"push_endpoint": earlier.endpoint})

    assert response.status_code == 302
    assert set(PushSubscription.objects.values_list("pk", flat=True)) == {phone.pk, bobs.pk}
    # a page cannot end someone else's device by naming it
    again = client_for(world.alice)
    again.post("/accounts/logout/", {"push_endpoint": bobs.endpoint})
    assert PushSubscription.objects.filter(pk=bobs.pk).exists()


def test_after_signing_out_a_sign_in_on_the_browser_offers_the_opt_in_again(
    world, client_for, webpush_on, browser_keys
):
    browser = client_for(world.alice)
    browser.post(SUBSCRIBE_URL, synthetic(browser_keys, "laptop"))
    assert FCM + "laptop" in browser.get(SETTINGS_URL).content.decode()  # listed: the page says it gets them
    browser.post("/accounts/logout/")

    page = client_for(world.alice).get(SETTINGS_URL).content.decode()

    assert FCM + "laptop" not in page  # the page's script then offers "Turn on notifications on this device"
    assert "data-webpush-subscribe" in page and 'data-testid="no-devices"' in page
