"""The whole chain, for real: release -> ButterflyMX logs it and POSTs a webhook -> the portal's receiver
nudges a sync -> a real Celery worker syncs the entry -> the board says "confirmed"."""

from __future__ import annotations

import pytest
from django.utils import timezone

from logs.models import WebhookDelivery
from logs.webhooks import webhooks_register
from portal.dashboard.selectors import DoorStateKind, door_state
from portal.dashboard.services import door_release
from tests.plugins.sandbox import worker_env
from tests.plugins.workers import app_sends_to, broker_url, celery_worker, wait_for

from .conftest import FRONT_DOOR

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker, pytest.mark.timeout(180)]


def test_released_becomes_confirmed_when_the_entry_arrives_through_a_webhook_nudge(
    crimson, sandbox, live_server, tmp_path, settings
):
    settings.LOGS_WEBHOOK_BASE_URL = live_server.url
    settings.LOGS_WEBHOOK_DEBOUNCE_S = 0.5
    webhooks_register(building=crimson.building)
    env = worker_env(sandbox, LOGS_BACKFILL_DAYS="1")

    with celery_worker(broker_url(), tmp_path, extra_env=env) as worker, app_sends_to(worker):
        release = door_release(user=crimson.staff, door_id=crimson.doors[FRONT_DOOR].pk)
        assert door_state(release, timezone.now())[0] == DoorStateKind.RELEASED

        kind, entry = wait_for(
            lambda: (lambda s: s if s[0] == DoorStateKind.CONFIRMED else None)(door_state(release, timezone.now())),
            timeout=60,
            interval=0.3,
            message="the release to be confirmed by its access-log entry",
        )

    assert entry.door_id == crimson.doors[FRONT_DOOR].pk
    # the entry came through the nudge: ButterflyMX's delivery reached the receiver and was accepted
    assert WebhookDelivery.objects.filter(building=crimson.building, outcome="accepted").exists()
    assert "sync_stream_task" in worker.log()
