"""Scheduling of the sync, in-process against the sandbox: late and future-dated entries, the walk not
waiting for history work, nudges never dropped, one pending task per building stream, and per-building
backoff. (Real workers: test_sync_resume.py.)"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from logs.models import AccessLogEntry, CallRecord, Stream, SyncCursor
from logs.sync import HISTORY, cursor_for, history_run, lease_acquire, stream_sync, walk_run
from logs.tasks import sync_all_task, sync_stream_task, sync_watchdog_task
from tenants.models import Building

from .conftest import CRIMSON

pytestmark = pytest.mark.django_db

TENANT, DOOR = 129201, 3901  # Rosa's swipe at the front door of Crimson Tower


def late_swipe(sandbox, seconds_ago: float) -> int:
    """A panel's late upload: an entry logged ``seconds_ago`` that reaches ButterflyMX only now."""
    sandbox.advance(-seconds_ago)
    try:
        return sandbox.swipe(TENANT, DOOR)["access_log_ids"][0]
    finally:
        sandbox.advance(seconds_ago)


def local(building, model=AccessLogEntry) -> set[int]:
    return set(model.objects.filter(building=building).values_list("remote_id", flat=True))


def make_rescan_due(building, *, deep: bool = False) -> None:
    long_ago = timezone.now() - timedelta(days=30)
    fields = {"rescan_planned_at": long_ago}
    if deep:
        fields["deep_rescan_planned_at"] = long_ago
    SyncCursor.objects.filter(building=building).update(**fields)


def test_entries_uploaded_20_min_2_h_and_24_h_late_arrive_with_the_rescan(crimson, sandbox, settings):
    # given a building in sync
    assert stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS).status == "done"
    # when a panel uploads entries logged 20 minutes, 2 hours and 24 hours ago
    late = {late_swipe(sandbox, ago) for ago in (20 * 60, 2 * 3600, 24 * 3600)}
    # then the incremental walk, which looks back only its overlap, does not find them
    assert stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS).status == "done"
    assert not late & local(crimson.building)
    # but the hourly re-scan of the last 48 hours does, through the same chunked reads as the backfill
    make_rescan_due(crimson.building)
    outcome = history_run(building_id=crimson.building.pk, stream=Stream.ACCESS, slice_s=60)
    assert outcome.status == "done"
    assert late <= local(crimson.building)
    cursor = SyncCursor.objects.get(building=crimson.building, stream=Stream.ACCESS)
    assert cursor.rescan_from is None and cursor.rescan_planned_at > timezone.now() - timedelta(minutes=1)


def test_an_entry_three_days_late_waits_for_the_daily_deep_rescan(crimson, sandbox):
    stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS)
    late = late_swipe(sandbox, 3 * 86400)
    make_rescan_due(crimson.building)
    history_run(building_id=crimson.building.pk, stream=Stream.ACCESS, slice_s=60)
    assert late not in local(crimson.building)  # older than the hourly re-scan's 48 hours
    make_rescan_due(crimson.building, deep=True)
    history_run(building_id=crimson.building.pk, stream=Stream.ACCESS, slice_s=60)
    assert late in local(crimson.building)


def test_a_rescan_is_resumed_where_it_stopped(crimson, sandbox, settings):
    settings.LOGS_BACKFILL_CHUNK_HOURS = 6
    stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS)
    SyncCursor.objects.filter(building=crimson.building).update(history_chunk_s=6 * 3600)
    make_rescan_due(crimson.building)
    # a slice of one chunk (the smallest slice) leaves the rest for the next one
    assert history_run(building_id=crimson.building.pk, stream=Stream.ACCESS, slice_s=0).status == "more"
    cursor = SyncCursor.objects.get(building=crimson.building, stream=Stream.ACCESS)
    assert cursor.rescan_from < cursor.rescan_reached < cursor.rescan_until
    reached = cursor.rescan_reached
    assert history_run(building_id=crimson.building.pk, stream=Stream.ACCESS, slice_s=0).status == "more"
    assert SyncCursor.objects.get(pk=cursor.pk).rescan_reached < reached


def test_an_entry_dated_an_hour_ahead_hides_none_of_the_entries_that_follow(crimson, sandbox, settings):
    stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS)
    stream_sync(building_id=crimson.building.pk, stream=Stream.CALLS)
    # given ButterflyMX's clock is briefly an hour ahead for one entry and one call
    sandbox.advance(hours=1)
    try:
        ahead = sandbox.swipe(TENANT, DOOR)["access_log_ids"][0]
        ahead_call = sandbox.call(58801, TENANT, then=["opened_door"])["id"]
    finally:
        sandbox.advance(hours=-1)
    stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS)
    stream_sync(building_id=crimson.building.pk, stream=Stream.CALLS)
    # then the future entries are kept, but the mark stays at the present (plus a small skew)
    assert ahead in local(crimson.building) and ahead_call in local(crimson.building, CallRecord)
    limit = timezone.now() + timedelta(seconds=settings.LOGS_SYNC_FUTURE_SKEW_S)
    assert all(c.high_water <= limit for c in SyncCursor.objects.filter(building=crimson.building))
    # and the swipes and calls that follow, at the right time, all arrive
    following = {sandbox.swipe(TENANT, DOOR)["access_log_ids"][0] for _ in range(3)}
    calls = {sandbox.call(58801, TENANT, then=["opened_door"])["id"] for _ in range(2)}
    stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS)
    stream_sync(building_id=crimson.building.pk, stream=Stream.CALLS)
    assert following <= local(crimson.building)
    assert calls <= local(crimson.building, CallRecord)


def test_a_mark_already_in_the_future_heals_at_the_next_walk(crimson, sandbox):
    stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS)
    SyncCursor.objects.filter(building=crimson.building).update(high_water=timezone.now() + timedelta(hours=1))
    swiped = sandbox.swipe(TENANT, DOOR)["access_log_ids"][0]
    stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS)
    assert swiped in local(crimson.building)


def test_the_walk_runs_while_another_process_holds_the_history_lease(crimson, sandbox):
    stream_sync(building_id=crimson.building.pk, stream=Stream.ACCESS)
    cursor = SyncCursor.objects.get(building=crimson.building, stream=Stream.ACCESS)
    assert lease_acquire(cursor_id=cursor.pk, owner="backfilling-elsewhere", kind=HISTORY)
    swiped = sandbox.swipe(TENANT, DOOR)["access_log_ids"][0]
    assert walk_run(building_id=crimson.building.pk, stream=Stream.ACCESS).status == "done"
    assert swiped in local(crimson.building)
    assert history_run(building_id=crimson.building.pk, stream=Stream.ACCESS).status == "busy"


@pytest.mark.django_db(transaction=True)
def test_a_nudge_arriving_while_the_walk_runs_leads_to_another_walk(crimson, sandbox):
    walk_run(building_id=crimson.building.pk, stream=Stream.ACCESS)
    # given a walk whose first page answers slowly
    sandbox.fault(f"/v4/buildings/{CRIMSON}/access_logs", latency_ms=1500, count=1)
    holder: dict = {}

    def hold():
        try:
            holder["outcome"] = walk_run(building_id=crimson.building.pk, stream=Stream.ACCESS)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    cursor = SyncCursor.objects.get(building=crimson.building, stream=Stream.ACCESS)
    while not SyncCursor.objects.get(pk=cursor.pk).lease_owner:
        pass
    # when a nudged walk task starts meanwhile, it steps aside but is not dropped
    swiped = sandbox.swipe(TENANT, DOOR)["access_log_ids"][0]
    assert walk_run(building_id=crimson.building.pk, stream=Stream.ACCESS).status == "busy"
    assert SyncCursor.objects.get(pk=cursor.pk).walk_again
    thread.join(30)
    # then the holder walked once more after its own walk, and the entry is here
    assert holder["outcome"].status == "done"
    assert swiped in local(crimson.building)
    assert not SyncCursor.objects.get(pk=cursor.pk).walk_again


def second_building(crimson) -> Building:
    return Building.objects.create(bmx_id=999001, name="Annex", admin_link=crimson.link)


def test_a_beat_tick_queues_each_building_once_and_skips_pending_and_backing_off_ones(crimson):
    annex = second_building(crimson)
    # one tick covers every connected building
    assert sync_all_task.apply(args=("access",)).get() == 2
    # a second tick while both are queued adds nothing (never a growing queue)
    assert sync_all_task.apply(args=("access",)).get() == 0
    # once the walks started (they clear their claims), a building backing off after errors is skipped
    SyncCursor.objects.update(sync_requested_at=None)
    SyncCursor.objects.filter(building=annex).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert sync_all_task.apply(args=("access",)).get() == 1
    # and a claim whose task was lost long ago is taken over
    SyncCursor.objects.filter(building=crimson.building).update(sync_requested_at=timezone.now() - timedelta(hours=1))
    assert sync_all_task.apply(args=("access",)).get() == 1


def test_a_walk_a_tick_passed_by_queues_its_successor_when_it_ends(crimson, sandbox):
    # given a walk queued by one tick and still waiting when the next tick comes (the workers are behind)
    assert sync_all_task.apply(args=("access",)).get() == 1
    assert sync_all_task.apply(args=("access",)).get() == 0  # one pending walk per stream, still
    cursor = SyncCursor.objects.get(building=crimson.building, stream=Stream.ACCESS)
    assert cursor.tick_missed
    # when that walk runs, it queues the next one as it ends (at the back of the queue), instead of
    # leaving the building to the tick after next
    assert sync_stream_task.apply(args=(crimson.building.pk, Stream.ACCESS)).get() == "done"
    cursor.refresh_from_db()
    assert cursor.sync_requested_at is not None and not cursor.tick_missed
    # and a walk that no tick passed by queues nothing after it
    assert sync_stream_task.apply(args=(crimson.building.pk, Stream.ACCESS)).get() == "done"
    cursor.refresh_from_db()
    assert cursor.sync_requested_at is None and not cursor.tick_missed


def test_the_watchdog_takes_over_a_claim_queued_while_the_dead_holder_lived(crimson):
    # given a backfill whose holder died 10 s ago, with a slice it had queued 30 s ago (that task may have
    # died in the dead worker's prefetch: under the claim-stale rule alone it would block for minutes)
    now = timezone.now()
    SyncCursor.objects.filter(pk=cursor_for(crimson.building, Stream.ACCESS).pk).update(
        history_owner="gone:4242:x",
        history_expires_at=now - timedelta(seconds=10),
        history_queued_at=now - timedelta(seconds=30),
    )
    # when the watchdog ticks, it queues the resume at once
    assert sync_watchdog_task.apply().get() == 1
    cursor = SyncCursor.objects.get(building=crimson.building, stream=Stream.ACCESS)
    assert cursor.history_queued_at >= now
    # and its own claim, taken after the holder died, stands: the next tick queues nothing more
    assert sync_watchdog_task.apply().get() == 0


def test_a_nudge_while_a_walk_is_queued_queues_nothing_more(crimson, django_capture_on_commit_callbacks):
    from logs.services import forget_sync_requests, sync_request

    forget_sync_requests()
    assert sync_all_task.apply(args=("access",)).get() == 1
    with django_capture_on_commit_callbacks() as callbacks:
        assert not sync_request(building_id=crimson.building.pk, stream=Stream.ACCESS)
    assert callbacks == []


def test_a_long_retry_after_reschedules_the_walk_once_through_its_claim(crimson, sandbox):
    sandbox.fault(f"/v4/buildings/{CRIMSON}/access_logs", status=429, retry_after=30, count=1)
    assert sync_stream_task.apply(args=(crimson.building.pk, Stream.ACCESS)).get() == "retry"
    cursor = SyncCursor.objects.get(building=crimson.building, stream=Stream.ACCESS)
    assert cursor.sync_requested_at >= timezone.now() + timedelta(seconds=25)  # the one rescheduled walk
    assert cursor.next_attempt_at >= timezone.now() + timedelta(seconds=25)
    # beat leaves it alone until then
    assert sync_all_task.apply(args=("access",)).get() == 0


def test_a_building_answering_errors_backs_off_alone_with_growing_waits(crimson, sandbox, settings):
    settings.LOGS_BACKFILL_DAYS = 0
    annex = second_building(crimson)  # no such building at ButterflyMX: every read of it fails
    waits = []
    for _ in range(3):
        outcome = walk_run(building_id=annex.pk, stream=Stream.ACCESS)
        assert outcome.status == "error"
        cursor = SyncCursor.objects.get(building=annex, stream=Stream.ACCESS)
        waits.append((cursor.next_attempt_at - timezone.now()).total_seconds())
    assert cursor.error_streak == 3 and waits[0] < waits[1] < waits[2]
    assert cursor.next_attempt_at > timezone.now()
    # while the healthy building syncs normally, and a success clears its backoff
    assert walk_run(building_id=crimson.building.pk, stream=Stream.ACCESS).status == "done"
    healthy = SyncCursor.objects.get(building=crimson.building, stream=Stream.ACCESS)
    assert healthy.error_streak == 0 and healthy.next_attempt_at is None
    assert sync_all_task.apply(args=("access",)).get() == 1  # crimson only


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_the_lease_alive_and_notices_a_takeover(crimson, settings):
    from logs.sync import Heartbeat, LeaseLost
    from tests.plugins.workers import wait_for

    settings.LOGS_SYNC_LEASE_S, settings.LOGS_SYNC_HEARTBEAT_S = 1.0, 0.2
    cursor = SyncCursor.objects.create(building=crimson.building, stream=Stream.ACCESS)
    assert lease_acquire(cursor_id=cursor.pk, owner="me")
    first = SyncCursor.objects.get(pk=cursor.pk).lease_expires_at
    with Heartbeat(cursor_id=cursor.pk, owner="me", kind="walk") as beat:
        # while the run works (here: waits), its lease keeps moving ahead on the heartbeat's own connection
        wait_for(
            lambda: SyncCursor.objects.get(pk=cursor.pk).lease_expires_at > first + timedelta(seconds=2),
            message="the heartbeat to renew the lease",
        )
        beat.check()
        # when another process takes the lease over, the run learns it at its next check
        SyncCursor.objects.filter(pk=cursor.pk).update(lease_owner="someone-else")
        wait_for(lambda: beat.lost, message="the heartbeat to notice")
        with pytest.raises(LeaseLost):
            beat.check()
    assert SyncCursor.objects.get(pk=cursor.pk).lease_owner == "someone-else"


@pytest.mark.django_db(transaction=True)
def test_one_renewer_thread_keeps_every_long_run_alive_in_a_process(crimson, settings):

    from logs.sync import Heartbeat
    from tests.plugins.workers import wait_for

    # given two runs of the same process holding leases of one second (renewed every 0.2 s)
    settings.LOGS_SYNC_LEASE_S, settings.LOGS_SYNC_HEARTBEAT_S = 1.0, 0.2
    cursors = [SyncCursor.objects.create(building=crimson.building, stream=s) for s in (Stream.ACCESS, Stream.CALLS)]
    for cursor in cursors:
        assert lease_acquire(cursor_id=cursor.pk, owner="me")
    first = {c.pk: SyncCursor.objects.get(pk=c.pk).lease_expires_at for c in cursors}

    # when both work for a while
    with (
        Heartbeat(cursor_id=cursors[0].pk, owner="me", kind="walk"),
        Heartbeat(cursor_id=cursors[1].pk, owner="me", kind="walk"),
    ):
        # then both leases keep moving ahead, renewed by one thread of the process (not one per run)
        wait_for(
            lambda: all(
                SyncCursor.objects.get(pk=pk).lease_expires_at > expiry + timedelta(seconds=2)
                for pk, expiry in first.items()
            ),
            message="both leases to be renewed",
        )
        assert [t.name for t in threading.enumerate()].count("lease-renewer") == 1
    # and once the runs are over nothing renews their leases any more (a renewal in flight aside)
    time.sleep(0.1)
    settled = {c.pk: SyncCursor.objects.get(pk=c.pk).lease_expires_at for c in cursors}
    time.sleep(0.6)  # three renewal intervals
    assert {c.pk: SyncCursor.objects.get(pk=c.pk).lease_expires_at for c in cursors} == settled


def test_a_portfolio_tick_queues_its_walks_in_batches_spread_at_the_budgets_pace(crimson, settings, monkeypatch):
    import logs.tasks as tasks
    from logs.tasks import sync_streams_task
    from portal.butterflymx.budget import shared_budget

    # given three connected buildings, batches of two, and a budget of 10 requests a second
    settings.LOGS_SYNC_WALK_BATCH, settings.BMX_REQUEST_BUDGET_RPS = 2, 10
    monkeypatch.setattr(tasks, "WALK_BATCH_SPREAD", 1)
    shared_budget().reset()
    annex = second_building(crimson)
    Building.objects.create(bmx_id=999002, name="Wing", admin_link=crimson.link)

    # when beat ticks
    assert sync_all_task.apply(args=("access",)).get() == 3

    # then the walks were claimed in two batches, the second due one budget slot per walk later
    # (2 walks / 9 a second: the budget paces at 90%), not all at once
    due = sorted(SyncCursor.objects.values_list("sync_requested_at", flat=True))
    assert (due[1] - due[0]).total_seconds() < 0.1
    assert 0.2 < (due[2] - due[0]).total_seconds() < 1.0

    # and a batch walks each of its buildings on its own: one failing (the annex is unknown at
    # ButterflyMX) does not stop the next
    outcome = sync_streams_task.apply(args=([[annex.pk, "access"], [crimson.building.pk, "access"]],)).get()
    assert outcome == ["error", "done"]
    walked = SyncCursor.objects.filter(building__in=[annex, crimson.building])
    assert all(c.last_attempt_at is not None and c.sync_requested_at is None for c in walked)


def test_a_slow_budget_never_spreads_a_tick_past_half_its_interval(crimson, settings, monkeypatch):
    import logs.tasks as tasks
    from portal.butterflymx.budget import shared_budget

    # given a budget of one request every ten seconds, a tick every 6 s and three buildings
    settings.LOGS_SYNC_WALK_BATCH, settings.BMX_REQUEST_BUDGET_RPS = 1, 0.1
    settings.LOGS_SYNC_ACCESS_INTERVAL_S = 6
    monkeypatch.setattr(tasks, "WALK_BATCH_SPREAD", 1)
    shared_budget().reset()
    second_building(crimson)
    Building.objects.create(bmx_id=999002, name="Wing", admin_link=crimson.link)

    # when beat ticks
    assert sync_all_task.apply(args=("access",)).get() == 3

    # then the walks are spread, but all due within half the interval (not 11 s apart, the budget's pace)
    due = sorted(SyncCursor.objects.values_list("sync_requested_at", flat=True))
    assert 1.5 < (due[2] - due[0]).total_seconds() <= 3.0
