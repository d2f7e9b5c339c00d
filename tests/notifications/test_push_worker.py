"""notify() to the browser with nothing faked: a real Celery worker sends the push to the local push
service, which receives what the browser would, decryptable only with the browser's key."""

from __future__ import annotations

import json

import http_ece
import pytest

from portal.core.vapid import new_key_pair
from portal.live.models import LiveEvent
from portal.notifications.models import PushSubscription
from portal.notifications.notices import Notice, NoticeAction
from portal.notifications.services import notify
from tests.plugins.workers import app_sends_to, broker_url, celery_worker, wait_for


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
@pytest.mark.timeout(120)
def test_notify_pushes_to_the_browser_through_a_real_worker(world, push_service, browser_keys, tmp_path, settings):
    pair = new_key_pair()
    env = {
        "WEBPUSH_VAPID_PUBLIC_KEY": pair.public,
        "WEBPUSH_VAPID_PRIVATE_KEY": pair.private,
        "WEBPUSH_VAPID_SUBJECT": "mailto:ops@example.test",
        "WEBPUSH_ENDPOINT_HOSTS": "127.0.0.1",
        "WEBPUSH_ENDPOINT_ALLOW_HTTP": "true",
    }
    settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY = pair.public, pair.private
    PushSubscription.objects.create(
        user=world.alice, endpoint=push_service.endpoint("alice"), p256dh=browser_keys.p256dh, auth=browser_keys.auth
    )
    notice = Notice(
        category="call",
        title="Visitor at A Front Door",
        body="Calling unit 101",
        url="/",
        tag="call-42",
        actions=(NoticeAction("mute", "Mute for an hour", "/profile/notifications/snooze/"),),
    )

    with celery_worker(broker_url(), tmp_path, extra_env=env) as worker, app_sends_to(worker):
        notify([world.alice.pk, world.bob.pk], notice)  # bob has no device: only alice's browser is pushed
        wait_for(lambda: push_service.received, timeout=60, message="the push at the local push service")

    [received] = push_service.received
    plain = http_ece.decrypt(
        received.body, private_key=browser_keys.private, auth_secret=browser_keys.auth_raw, version="aes128gcm"
    )
    payload = json.loads(plain)
    assert payload["title"] == "Visitor at A Front Door" and payload["tag"] == "call-42"
    assert [a["action"] for a in payload["actions"]] == ["mute"]
    assert wait_for(lambda: PushSubscription.objects.get(user=world.alice).last_success_at, timeout=10)
    assert LiveEvent.objects.filter(kind="notice").count() == 2  # both open pages got it live
