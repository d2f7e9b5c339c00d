"""A batch of walks (``logs.tasks.sync_streams_task``) on several threads of one worker process, against
the sandbox and a real database: the walks run at the same time, each thread on a database connection
of its own (kept from batch to batch, given back when the thread falls idle), a failing walk stops none
of the others, and the rows end up exactly as ButterflyMX holds them, also when two batches walk the
same buildings at once."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

import logs.tasks as tasks
from logs.models import AccessLogEntry, SyncCursor
from logs.tasks import sync_streams_task
from tenants.models import Building

from .conftest import connect_building, remote_ids

pytestmark = pytest.mark.django_db(transaction=True)  # the walk threads see only committed rows


@pytest.fixture
def portfolio(sandbox, settings):
    """Four buildings of a sandbox portfolio (administered by the demo admin), connected, never walked."""
    settings.LOGS_BACKFILL_DAYS = 0  # a first walk reads the whole (short) history itself
    created = sandbox.portfolio(buildings=4, access_logs=40, calls=0, days=1, admin_email="admin@sandbox.test")
    return [connect_building(sandbox, bmx_id) for bmx_id in created["building_ids"]]


class Recorder:
    """Wraps the walk the batch runs: which thread walked, on which database connection, and a barrier
    the first ``together`` walks must all reach before any goes on, which they can only do when they run
    at the same time (walked one after the other, the first would wait in vain and fail)."""

    def __init__(self, monkeypatch, *, together: int, fail_building: int | None = None):
        self.walk_run = tasks.walk_run
        self.barrier = threading.Barrier(together, timeout=30)
        self.together = together
        self.fail_building = fail_building
        self.lock = threading.Lock()
        self.calls = 0
        self.walkers: dict[int, tuple[int, object]] = {}  # building id -> (thread ident, its connection)
        self.raw: dict[int, object] = {}  # building id -> the DB-API connection its walk ran on
        self.commit_modes: dict[int, str] = {}  # building id -> its connection's synchronous_commit
        monkeypatch.setattr(tasks, "walk_run", self)

    def __call__(self, *, building_id: int, **kwargs):
        with self.lock:
            self.calls += 1
            first = self.calls <= self.together
            self.walkers[building_id] = (threading.get_ident(), connections["default"])  # this thread's own
        if first:
            self.barrier.wait()
        if building_id == self.fail_building:
            raise RuntimeError("a walk that breaks half-way (say, a lost database connection)")
        try:
            return self.walk_run(building_id=building_id, **kwargs)
        finally:
            self.raw[building_id] = connections["default"].connection
            if connections["default"].vendor == "postgresql":
                with connections["default"].cursor() as cursor:
                    cursor.execute("SHOW synchronous_commit")
                    self.commit_modes[building_id] = cursor.fetchone()[0]


def stored(building) -> list[int]:
    return list(AccessLogEntry.objects.filter(building=building).values_list("remote_id", flat=True))


def assert_exact(sandbox, buildings) -> None:
    """Every access-log id ButterflyMX holds is stored once, and nothing else is."""
    for connected in buildings:
        want = remote_ids(sandbox, connected.token, connected.building.bmx_id, "access")
        have = stored(connected.building)
        assert sorted(have) == sorted(want), connected.building.bmx_id


def test_a_batch_is_walked_on_several_threads_at_once_each_on_its_own_connection(
    portfolio, sandbox, settings, monkeypatch
):
    # given three walk threads per batch and a batch of four buildings
    settings.LOGS_SYNC_WALK_THREADS = 3
    recorder = Recorder(monkeypatch, together=3)
    batch = [[c.building.pk, "access"] for c in portfolio]

    # when the batch runs (in this thread, as a worker process runs a task)
    outcomes = sync_streams_task.apply(args=(batch,)).get()

    # then every walk succeeded, three of them at the same time (the barrier let them through)
    assert outcomes == ["done"] * 4
    assert not recorder.barrier.broken
    # on three walk threads (the task's own thread hands them over and waits), each with a database
    # connection of its own
    walkers = recorder.walkers.values()
    threads = {ident for ident, _ in walkers}
    assert len(threads) == 3 and threading.get_ident() not in threads
    assert len({id(wrapper) for _, wrapper in walkers}) == 3
    # on PostgreSQL, walks commit without waiting for the WAL flush (LOGS_SYNC_WALK_SYNCHRONOUS_COMMIT);
    # this thread's connection, like every other one outside the walks, keeps durable commits
    if connection.vendor == "postgresql":
        assert set(recorder.commit_modes.values()) == {"off"} and len(recorder.commit_modes) == 4
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
    # and (the test settings: LOGS_SYNC_WALKER_IDLE_S = 0) closed after each walk
    assert all(wrapper.connection is None for _, wrapper in walkers)
    # and each building's rows are exactly ButterflyMX's, its cursor free and its claim cleared
    assert_exact(sandbox, portfolio)
    for cursor in SyncCursor.objects.filter(building__in=[c.building for c in portfolio]):
        assert cursor.lease_owner == "" and cursor.sync_requested_at is None and cursor.high_water is not None


def test_walk_threads_keep_their_connections_from_batch_to_batch_and_give_them_back_when_idle(
    portfolio, sandbox, settings, monkeypatch
):
    # given two walk threads that keep their connections (as on PostgreSQL: CONN_MAX_AGE) and give them
    # back after three seconds without work
    settings.LOGS_SYNC_WALK_THREADS = 2
    settings.LOGS_SYNC_WALKER_IDLE_S = 3.0
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    monkeypatch.setattr(tasks, "_walkers", tasks._Walkers())  # this test's own threads, none from before
    recorder = Recorder(monkeypatch, together=2)
    first = [[c.building.pk, "access"] for c in portfolio[:2]]
    second = [[c.building.pk, "access"] for c in portfolio[2:]]

    # when a batch runs, and another right after it
    assert sync_streams_task.apply(args=(first,)).get() == ["done"] * 2
    before = {recorder.walkers[pk][0]: recorder.raw[pk] for pk, _ in first}
    assert sync_streams_task.apply(args=(second,)).get() == ["done"] * 2
    after = {recorder.walkers[pk][0]: recorder.raw[pk] for pk, _ in second}

    # then the second batch was walked by the same threads on the same open connections (no new one)
    assert len(before) == 2 and set(after) <= set(before)
    assert all(raw is not None and raw is before[ident] for ident, raw in after.items())
    assert all(recorder.walkers[pk][1].connection is not None for pk, _ in second)

    # and once the threads have waited three seconds for work, none holds a connection (an idle worker
    # keeps none open); polled for up to 30 s, the check being what they hold, not how fast
    wrappers = [recorder.walkers[pk][1] for pk, _ in first + second]
    deadline = time.monotonic() + 30
    while any(wrapper.connection is not None for wrapper in wrappers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(wrapper.connection is None for wrapper in wrappers)
    assert_exact(sandbox, portfolio)


def test_a_failing_walk_of_a_threaded_batch_stops_none_of_the_others(portfolio, sandbox, settings, monkeypatch):
    # given a batch on three threads holding a building ButterflyMX does not know (its walk fails and
    # backs off) and one whose walk breaks with an unexpected error
    settings.LOGS_SYNC_WALK_THREADS = 3
    unknown = Building.objects.create(bmx_id=999001, name="Annex", admin_link=portfolio[0].link)
    broken = portfolio[1].building
    recorder = Recorder(monkeypatch, together=3, fail_building=broken.pk)
    batch = [[unknown.pk, "access"], [broken.pk, "access"]] + [[c.building.pk, "access"] for c in portfolio[2:]]
    batch.insert(1, [portfolio[0].building.pk, "access"])

    # when the batch runs
    outcomes = sync_streams_task.apply(args=(batch,)).get()

    # then the unknown building failed and backs off alone, the broken walk is told apart, and the others
    # walked to the end with every row
    assert outcomes == ["error", "done", "failed", "done", "done"]
    assert not recorder.barrier.broken
    annex = SyncCursor.objects.get(building=unknown, stream="access")
    assert annex.error_streak == 1 and annex.next_attempt_at is not None and annex.lease_owner == ""
    assert_exact(sandbox, [portfolio[0], *portfolio[2:]])
    assert stored(broken) == []
    others = SyncCursor.objects.filter(building__in=[portfolio[0].building, *(c.building for c in portfolio[2:])])
    assert all(c.error_streak == 0 and c.next_attempt_at is None for c in others)

    # and the broken building is walked by the next batch like any other
    recorder.fail_building = None
    assert sync_streams_task.apply(args=([[broken.pk, "access"]],)).get() == ["done"]
    assert_exact(sandbox, portfolio)


def test_two_threaded_batches_walking_the_same_buildings_lose_and_duplicate_nothing(portfolio, sandbox, settings):
    # given the buildings in sync, and two batches of the same buildings on three threads each
    settings.LOGS_SYNC_WALK_THREADS = 3
    batch = [[c.building.pk, "access"] for c in portfolio]
    assert sync_streams_task.apply(args=(batch,)).get() == ["done"] * 4
    bmx_ids = [c.building.bmx_id for c in portfolio]

    # when new entries arrive in every building while both batches walk them at once
    sandbox.late_entries(None, "access", building_ids=bmx_ids, age_s=0, count=5)
    outcomes: list[list[str]] = []
    start = threading.Barrier(2, timeout=30)

    def run() -> None:
        try:
            start.wait()
            outcomes.append(sync_streams_task.apply(args=(batch,)).get())
        finally:
            connection.close()

    runs = [threading.Thread(target=run) for _ in range(2)]
    for run_thread in runs:
        run_thread.start()
    sandbox.late_entries(None, "access", building_ids=bmx_ids, age_s=0, count=5)
    for run_thread in runs:
        run_thread.join(60)

    # then each building was walked by one batch at a time (the other stepped aside, asking it to walk
    # again), and after one more walk every entry is stored exactly once
    assert len(outcomes) == 2 and all(set(result) <= {"done", "busy"} for result in outcomes)
    assert sync_streams_task.apply(args=(batch,)).get() == ["done"] * 4
    assert_exact(sandbox, portfolio)
