"""The pump's outbox reading (in this process), the announcements of the services, and pruning."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone

from logs.sync import logs_new_announce
from passes.services import passes_changed_announce
from portal.dashboard.models import DoorRelease
from portal.dashboard.services import release_announce
from portal.live.hub import Hub
from portal.live.models import LiveEvent
from portal.live.services import live_events_prune
from portal.live.stream import parse_last_event_id, parse_since


def run_apart(scenario):
    """``asyncio.run(scenario())`` in a thread of its own: once a browser test ran, Playwright's sync API
    keeps an event loop running in the test thread, where ``asyncio.run`` refuses to start another."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, scenario()).result()


def rows() -> list[tuple[str, str, dict]]:
    return list(LiveEvent.objects.order_by("id").values_list("audience", "kind", "payload"))


@pytest.mark.django_db(transaction=True)
def test_an_id_committed_after_a_higher_one_is_delivered_once(settings):
    """The outbox gap: id n+1 becomes visible before id n (two processes' commits). n still arrives, once."""
    settings.LIVE_POLL_S = 3600  # the pump reads once when it starts; the test drives the reads

    async def scenario() -> list[int]:
        hub = Hub()
        subscription = hub.subscribe(["unit:1"])
        await hub.poll_once()  # the mark: the highest id so far
        start = hub.last_id
        await asyncio.to_thread(LiveEvent.objects.create, id=start + 2, audience="unit:1", kind="logs.new")
        await hub.poll_once()
        assert list(hub.gaps) == [start + 1]
        await asyncio.to_thread(LiveEvent.objects.create, id=start + 1, audience="unit:1", kind="logs.new")
        await hub.poll_once()
        await hub.poll_once()  # nothing new: nothing delivered again
        await hub.close()
        got = []
        while not subscription.queue.empty():
            got.append(subscription.queue.get_nowait().id - start)
        return got

    assert run_apart(scenario) == [2, 1]


@pytest.mark.django_db(transaction=True)
def test_a_gap_that_never_commits_is_given_up(settings):
    settings.LIVE_GAP_S = 0
    settings.LIVE_POLL_S = 3600

    async def scenario() -> dict:
        hub = Hub()
        hub.subscribe(["unit:1"])
        await hub.poll_once()
        await asyncio.to_thread(LiveEvent.objects.create, id=hub.last_id + 3, audience="unit:1", kind="logs.new")
        await hub.poll_once()
        await asyncio.sleep(0.01)
        await hub.poll_once()
        await hub.close()
        return dict(hub.gaps)

    assert run_apart(scenario) == {}


def test_a_release_is_announced_to_the_desk_and_to_its_unit_only(world, django_capture_on_commit_callbacks):
    release = DoorRelease.objects.create(
        building=world.building_a,
        door=world.door_a,
        requested_by=world.staff,
        unit=world.unit_a1,
        requested_at=timezone.now(),
        status=DoorRelease.Status.SUCCEEDED,
    )
    with django_capture_on_commit_callbacks(execute=True):
        release_announce(release)
    payload = {"building": world.building_a.pk, "door": world.door_a.pk, "release": release.pk, "status": "succeeded"}
    assert rows() == [
        (f"desk:{world.building_a.pk}", "door.released", payload),
        (f"unit:{world.unit_a1.pk}", "door.released", payload),
    ]


def test_new_log_rows_tell_each_unit_only_of_itself(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        logs_new_announce(
            building_id=world.building_a.pk, stream="access", unit_ids=[world.unit_a2.pk, world.unit_a1.pk]
        )
    b = world.building_a.pk
    assert rows() == [
        (f"desk:{b}", "logs.new", {"building": b, "stream": "access"}),
        (f"unit:{world.unit_a1.pk}", "logs.new", {"building": b, "stream": "access", "unit": world.unit_a1.pk}),
        (f"unit:{world.unit_a2.pk}", "logs.new", {"building": b, "stream": "access", "unit": world.unit_a2.pk}),
    ]


def test_pass_changes_tell_the_unit_and_the_desk(world, django_capture_on_commit_callbacks):
    b = world.building_a.pk
    with django_capture_on_commit_callbacks(execute=True):
        passes_changed_announce([(b, world.unit_a1.pk), (b, world.unit_a1.pk)])
    assert rows() == [
        (f"unit:{world.unit_a1.pk}", "passes.changed", {"unit": world.unit_a1.pk}),
        (f"desk:{b}", "passes.changed", {"building": b}),
    ]


def test_old_events_are_pruned(db):
    old = LiveEvent.objects.create(audience="unit:1", kind="notice")
    LiveEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    fresh = LiveEvent.objects.create(audience="unit:1", kind="notice")
    assert live_events_prune(older_than=timedelta(minutes=10)) == 1
    assert list(LiveEvent.objects.values_list("id", flat=True)) == [fresh.pk]


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "inf", "-1", "1e30", "0"])
def test_a_page_time_that_is_not_a_recent_one_replays_nothing(value):
    assert parse_since(value, timezone.now()) is None


def test_a_recent_page_time_replays_from_a_little_before_it():
    now = timezone.now()
    assert parse_since(f"{now.timestamp() - 30:.0f}", now) <= now - timedelta(seconds=30)


@pytest.mark.parametrize("value", [None, "", "12a", "-3", "9" * 19, " 42 "])
def test_last_event_ids_are_small_whole_numbers(value):
    assert parse_last_event_id(value) == (42 if value == " 42 " else None)
