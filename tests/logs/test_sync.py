"""The sync against the sandbox over HTTP, in-process (the worker tests are in test_sync_faults.py)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from logs.models import AccessLogEntry, CallRecord, ReleaseMethod, Stream, SyncCursor
from logs.sync import lease_acquire, stream_sync, walk_run
from portal.live.models import LiveEvent
from tenants.models import BmxLink

from .conftest import CRIMSON, remote_ids

pytestmark = pytest.mark.django_db


def test_a_first_sync_copies_the_buildings_access_log_and_calls_exactly(crimson, sandbox):
    # given a connected building whose history is in ButterflyMX
    # when both streams sync
    assert stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS).status == "done"
    assert stream_sync(building_id=crimson.building.pk, stream=Stream.CALLS).status == "done"
    # then the local rows are exactly the remote ones
    local = sorted(AccessLogEntry.objects.filter(building=crimson.building).values_list("remote_id", flat=True))
    assert local == sorted(remote_ids(sandbox, crimson.token, CRIMSON, "access"))
    calls = sorted(CallRecord.objects.filter(building=crimson.building).values_list("remote_id", flat=True))
    assert calls == sorted(remote_ids(sandbox, crimson.token, CRIMSON, "calls"))
    # and the entries are linked to local doors and units, with one release-method code
    entry = AccessLogEntry.objects.filter(building=crimson.building, unit__isnull=False).first()
    assert entry.door is not None and entry.unit_label == entry.unit.label
    methods = set(AccessLogEntry.objects.values_list("release_method", flat=True))
    assert methods <= set(ReleaseMethod.values) and ReleaseMethod.SCHEDULE in methods
    assert "image_url" not in entry.raw and entry.snapshot_url.startswith("http")
    cursor = SyncCursor.objects.get(building=crimson.building, stream=Stream.ACCESS)
    assert cursor.backfill_percent == 100 and cursor.last_error == "" and cursor.rows_synced >= len(local)


def test_a_second_sync_reads_only_the_overlap_and_adds_new_entries(crimson, sandbox):
    stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS)
    before = AccessLogEntry.objects.count()
    # when someone swipes a door, then the building syncs again
    sandbox.swipe(129201, 3901)
    outcome = stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS)
    assert outcome.status == "done"
    assert AccessLogEntry.objects.count() == before + 1
    newest = AccessLogEntry.objects.order_by("-logged_at").first()
    assert newest.release_method == ReleaseMethod.SWIPE_TO_OPEN and newest.unit_label == "4B"
    assert outcome.rows < before  # an overlap window, not the whole history again


def test_a_walk_whose_token_butterflymx_no_longer_accepts_refreshes_it_once_and_reads_on(crimson, sandbox):
    # given a building in sync, the walk using the token it reads with its cursor
    assert stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS).status == "done"
    old = BmxLink.objects.get(pk=crimson.link.pk)
    # when ButterflyMX's clock passes the token's lifetime (the portal's copy still looks valid)
    sandbox.advance(days=1, minutes=1)
    outcome = walk_run(building_id=crimson.building.pk, stream=Stream.ACCESS)
    # then the walk refreshed the token after the 401 and read on, with no error shown
    assert outcome.status == "done"
    link = BmxLink.objects.get(pk=crimson.link.pk)
    assert link.is_active and link.access_token != old.access_token and link.refresh_token != old.refresh_token
    assert SyncCursor.objects.get(building=crimson.building, stream=Stream.ACCESS).last_error == ""
    # and the next walk sends the new token as it is: no second refresh
    assert walk_run(building_id=crimson.building.pk, stream=Stream.ACCESS).status == "done"
    assert BmxLink.objects.get(pk=crimson.link.pk).refresh_token == link.refresh_token


def test_a_rate_limit_longer_than_the_wait_budget_is_rescheduled_not_slept(crimson, sandbox):
    sandbox.fault(f"/v4/buildings/{CRIMSON}/access_logs", status=429, retry_after=30, count=1)
    outcome = stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS)
    assert outcome.status == "retry" and outcome.retry_after == 30
    cursor = SyncCursor.objects.get(building=crimson.building, stream=Stream.ACCESS)
    assert "slow down" in cursor.last_error and cursor.high_water is None
    assert cursor.lease_owner == ""  # the lease is released for the rescheduled run


def test_a_building_without_an_admin_link_reports_it_in_words(crimson):
    crimson.building.admin_link = None
    crimson.building.save()
    outcome = stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS)
    assert outcome.status == "error"
    assert "not connected" in SyncCursor.objects.get(building=crimson.building, stream="access").last_error


@pytest.mark.django_db(transaction=True)
def test_two_syncs_of_one_building_started_together_one_runs_one_steps_aside(crimson, sandbox):
    # given the first page answers slowly, so the two runs overlap
    sandbox.fault(f"/v4/buildings/{CRIMSON}/access_logs", latency_ms=800, count=1)
    outcomes = []
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        try:
            outcomes.append(stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["busy", "done"]


def test_an_expired_lease_of_a_killed_worker_is_taken_over(crimson):
    from datetime import timedelta

    from django.utils import timezone

    cursor = SyncCursor.objects.create(building=crimson.building, stream=Stream.ACCESS)
    assert lease_acquire(cursor_id=cursor.pk, owner="worker-1")
    assert not lease_acquire(cursor_id=cursor.pk, owner="worker-2")
    SyncCursor.objects.filter(pk=cursor.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert lease_acquire(cursor_id=cursor.pk, owner="worker-2")


def test_a_walk_that_stores_an_entry_tells_the_desk_and_that_entrys_unit_only(
    crimson, sandbox, django_capture_on_commit_callbacks
):
    stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS)
    LiveEvent.objects.all().delete()
    # when a resident of 4B swipes a door and the walk stores the entry
    sandbox.swipe(129201, 3901)
    with django_capture_on_commit_callbacks(execute=True):
        assert walk_run(building_id=crimson.building.pk, stream=Stream.ACCESS).status == "done"
    # then the front desk hears of new rows, and 4B alone of its own (open pages refresh on it)
    b = crimson.building.pk
    unit = AccessLogEntry.objects.order_by("-logged_at").first().unit_id
    assert sorted(LiveEvent.objects.values_list("audience", "kind", "payload")) == [
        (f"desk:{b}", "logs.new", {"building": b, "stream": "access"}),
        (f"unit:{unit}", "logs.new", {"building": b, "stream": "access", "unit": unit}),
    ]
    # and a walk that finds nothing new says nothing
    LiveEvent.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        walk_run(building_id=crimson.building.pk, stream=Stream.ACCESS)
    assert not LiveEvent.objects.exists()
