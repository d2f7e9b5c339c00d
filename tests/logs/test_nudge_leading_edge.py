"""A webhook's nudge walks at once when it is the first of a burst, and a burst still costs one walk per
debounce window (issue 18: a visitor's arrival told within seconds)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from logs.models import Stream, SyncCursor, WebhookEndpoint
from logs.services import forget_sync_requests, sync_request
from logs.sync import cursor_for
from logs.webhooks import secret_hash

pytestmark = pytest.mark.django_db


def deliver(client, building, ident: int) -> None:
    url = reverse("logs_webhooks:receive", kwargs={"building_id": building.pk, "secret": "s3cret-value"})
    body = {"event": {"resource_type": "door_release", "action": "create", "data": {"id": ident}}}
    assert client.post(url, data=json.dumps(body), content_type="application/json").status_code == 200


def due(building) -> timedelta | None:
    cursor = SyncCursor.objects.get(building=building, stream=Stream.ACCESS)
    return None if cursor.sync_requested_at is None else cursor.sync_requested_at - timezone.now()


def test_the_first_delivery_of_a_burst_walks_at_once_even_right_after_beats_walk(crimson, client, settings):
    settings.LOGS_WEBHOOK_DEBOUNCE_S = 3.0
    building = crimson.building
    WebhookEndpoint.objects.create(building=building, secret_hash=secret_hash("s3cret-value"))
    # beat's regular walk started a second ago
    cursor = cursor_for(building.pk, Stream.ACCESS)
    SyncCursor.objects.filter(pk=cursor.pk).update(last_attempt_at=timezone.now() - timedelta(seconds=1))

    # A visitor's entry after a quiet spell of webhooks: its walk is due now, not after the window
    deliver(client, building, 1)
    assert due(building) <= timedelta(0)

    # That walk starts (clearing its claim); the next delivery, in the same burst, waits for its window
    started = timezone.now()
    SyncCursor.objects.filter(pk=cursor.pk).update(last_attempt_at=started, sync_requested_at=None)
    deliver(client, building, 2)
    assert SyncCursor.objects.get(pk=cursor.pk).sync_requested_at >= started + timedelta(seconds=2.9)
    # and the rest of the burst queues nothing more: one walk per window, as before
    claimed = SyncCursor.objects.get(pk=cursor.pk).sync_requested_at
    deliver(client, building, 3)
    forget_sync_requests()
    deliver(client, building, 4)
    assert SyncCursor.objects.get(pk=cursor.pk).sync_requested_at == claimed


def test_sync_now_walks_at_once_unless_a_walk_started_within_the_window(crimson, settings):
    settings.LOGS_WEBHOOK_DEBOUNCE_S = 3.0
    building = crimson.building
    cursor = cursor_for(building.pk, Stream.ACCESS)
    SyncCursor.objects.filter(pk=cursor.pk).update(last_attempt_at=timezone.now() - timedelta(minutes=1))
    assert sync_request(building_id=building.pk, stream=Stream.ACCESS)
    assert due(building) <= timedelta(0)

    started = timezone.now()
    SyncCursor.objects.filter(pk=cursor.pk).update(last_attempt_at=started, sync_requested_at=None)
    forget_sync_requests()
    assert sync_request(building_id=building.pk, stream=Stream.ACCESS)
    assert SyncCursor.objects.get(pk=cursor.pk).sync_requested_at >= started + timedelta(seconds=2.9)
