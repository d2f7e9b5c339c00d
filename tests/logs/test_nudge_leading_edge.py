"""A webhook's nudge walks at once after a quiet spell, and at most once per debounce window (issue 18)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from logs.models import Stream, SyncCursor
from logs.services import forget_sync_requests, sync_request
from logs.sync import cursor_for

pytestmark = pytest.mark.django_db


def test_a_nudge_after_a_quiet_spell_walks_at_once_and_a_burst_waits_for_the_window(
    crimson, settings, django_capture_on_commit_callbacks
):
    settings.LOGS_WEBHOOK_DEBOUNCE_S = 3.0
    building_id = crimson.building.pk
    cursor = cursor_for(building_id, Stream.ACCESS)
    quiet = timezone.now() - timedelta(minutes=1)
    SyncCursor.objects.filter(pk=cursor.pk).update(last_attempt_at=quiet, sync_requested_at=None)

    # A visitor's entry after a quiet minute: the walk is due now, not after the window
    with django_capture_on_commit_callbacks() as callbacks:
        assert sync_request(building_id=building_id, stream=Stream.ACCESS)
    assert len(callbacks) == 1
    cursor.refresh_from_db()
    assert cursor.sync_requested_at <= timezone.now()

    # That walk starts (it clears the claim); the next nudge waits until its window ends
    started = timezone.now()
    SyncCursor.objects.filter(pk=cursor.pk).update(last_attempt_at=started, sync_requested_at=None)
    forget_sync_requests()
    assert sync_request(building_id=building_id, stream=Stream.ACCESS)
    cursor.refresh_from_db()
    assert cursor.sync_requested_at >= started + timedelta(seconds=2.9)
    # and the rest of the burst queues nothing more: one walk per window, as before
    assert not sync_request(building_id=building_id, stream=Stream.ACCESS)
    forget_sync_requests()
    assert not sync_request(building_id=building_id, stream=Stream.ACCESS)
