"""Sync health shows a stream the sync has put off (issue 16): after errors, "Retrying at HH:MM (after N
errors: <words>)"; waiting out ButterflyMX's rate limit, "Waiting out ButterflyMX's rate limit until
HH:MM (<words>)"; times in the building's zone. The waits come from the sync itself, run against the
sandbox (a building ButterflyMX does not know; a 429 with a long Retry-After)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from logs.health import sync_wait
from logs.models import Stream, SyncCursor
from logs.sync import walk_run
from logs.tasks import sync_stream_task
from tests import factories as f

from .conftest import CRIMSON
from .test_sync_sched import second_building

pytestmark = pytest.mark.django_db


def _health(manager) -> str:
    client = Client()
    client.force_login(manager)
    return client.get("/logs/health/").content.decode()


def test_a_stream_backing_off_after_errors_says_when_it_retries_and_why(crimson, settings):
    settings.LOGS_BACKFILL_DAYS = 0
    annex = second_building(crimson)  # no such building at ButterflyMX: every read of it fails
    annex.time_zone = "Asia/Tokyo"
    annex.save(update_fields=["time_zone"])
    f.MembershipFactory(user=crimson.manager, building=annex, role="manager")
    for _ in range(2):
        assert walk_run(building_id=annex.pk, stream=Stream.ACCESS).status == "error"
    cursor = SyncCursor.objects.get(building=annex, stream=Stream.ACCESS)
    local = cursor.next_attempt_at.astimezone(ZoneInfo("Asia/Tokyo"))

    html = _health(crimson.manager)

    expected = f"Retrying at {local:%H:%M} (after 2 errors: {cursor.last_error})"
    assert cursor.error_streak == 2 and cursor.last_error
    if local.date() != timezone.now().astimezone(ZoneInfo("Asia/Tokyo")).date():
        expected = f"Retrying at {local:%a %-d %b, %H:%M} (after 2 errors: {cursor.last_error})"
    assert expected.replace("'", "&#x27;") in html
    assert html.count('data-testid="sync-waiting"') == 1  # the healthy building and stream wait for nothing


def test_a_stream_waiting_out_a_rate_limit_says_until_when(crimson, sandbox):
    sandbox.fault(f"/v4/buildings/{CRIMSON}/access_logs", status=429, retry_after=600, count=1)
    assert sync_stream_task.apply(args=(crimson.building.pk, Stream.ACCESS)).get() == "retry"
    cursor = SyncCursor.objects.get(building=crimson.building, stream=Stream.ACCESS)
    local = cursor.next_attempt_at.astimezone(crimson.building.tz)
    today = local.date() == timezone.now().astimezone(crimson.building.tz).date()
    at = f"{local:%H:%M}" if today else f"{local:%a %-d %b, %H:%M}"

    html = _health(crimson.manager)

    assert cursor.error_streak == 0
    assert f"Waiting out ButterflyMX&#x27;s rate limit until {at} (ButterflyMX asked us to slow down" in html


def test_the_words_follow_the_cursor_and_the_zone():
    now = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)
    ny = ZoneInfo("America/New_York")
    cursor = SyncCursor(
        error_streak=1, last_error="ButterflyMX is unavailable.", next_attempt_at=now + dt.timedelta(minutes=5)
    )
    assert sync_wait(cursor, ny, now) == "Retrying at 21:05 (after 1 error: ButterflyMX is unavailable.)"
    # another day in the building's zone carries the day
    cursor.next_attempt_at = now + dt.timedelta(hours=3)
    assert sync_wait(cursor, ny, now) == "Retrying at Sun 29 Nov, 00:00 (after 1 error: ButterflyMX is unavailable.)"
    cursor.error_streak, cursor.last_error = 0, ""
    assert sync_wait(cursor, ny, now) == "Waiting out ButterflyMX's rate limit until Sun 29 Nov, 00:00 (no details)"
    # a wait that is over, or none: nothing to say
    cursor.next_attempt_at = now - dt.timedelta(seconds=1)
    assert sync_wait(cursor, ny, now) == ""
    assert sync_wait(SyncCursor(), ny, now) == "" and sync_wait(None, ny, now) == ""
