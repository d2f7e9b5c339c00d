"""Real Celery workers against the sandbox: a SIGKILLed worker's sync is picked up by the watchdog, and a
token refreshed by another process mid-backfill is picked up by the backfill's page threads."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from logs.models import AccessLogEntry, SyncCursor
from logs.tasks import sync_stream_task, sync_watchdog_task
from tenants.models import BmxLink
from tenants.services import link_access_token
from tests.plugins.sandbox import worker_env
from tests.plugins.workers import broker_url, celery_worker, wait_for

from .conftest import CRIMSON, remote_ids

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker, pytest.mark.timeout(300)]

# Short leases so the test waits seconds; long slices so the kill surely lands inside one.
FAST = {"LOGS_SYNC_LEASE_S": "4", "LOGS_SYNC_HEARTBEAT_S": "1", "LOGS_BACKFILL_CHUNK_HOURS": "24"}


def local_ids(building) -> list[int]:
    return sorted(AccessLogEntry.objects.filter(building=building).values_list("remote_id", flat=True))


def cursor(building) -> SyncCursor | None:
    return SyncCursor.objects.filter(building=building, stream="access").first()


def backfilled(building) -> bool:
    found = cursor(building)
    return bool(found and found.backfill_finished_at)


def test_a_sigkilled_workers_backfill_is_resumed_by_the_watchdog_without_a_regular_tick(crimson, sandbox, tmp_path):
    # given a history big enough that the backfill takes many slices, on one worker
    sandbox.generate(CRIMSON, access_logs=6000, days=60, seed=5)
    env = worker_env(sandbox, LOGS_HISTORY_SLICE_S="30", LOGS_SYNC_FETCH_THREADS="1", **FAST)
    broker = broker_url()
    with celery_worker(broker, tmp_path / "w1", extra_env=env) as worker:
        worker.send(sync_stream_task, crimson.building.pk, "access")
        holder = wait_for(
            lambda: (c := cursor(crimson.building)) and c.history_owner and c.backfill_reached < c.backfill_until and c,
            timeout=60,
            message="the backfill to be under way",
        )
        # when the process holding the backfill's lease is SIGKILLed (and its worker with it)
        pid = int(holder.history_owner.split(":")[1])
        os.kill(pid, signal.SIGKILL)
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait(10)
    dead = cursor(crimson.building)
    assert dead.history_owner == holder.history_owner, "the kill landed between two slices"
    assert not dead.backfill_finished_at
    reached_at_kill = dead.backfill_reached

    # then with only the watchdog ticking (no regular beat run, no nudge), another worker resumes it
    with celery_worker(broker, tmp_path / "w2", extra_env=env) as worker:

        def watchdog_tick():
            worker.send(sync_watchdog_task)
            return True

        def resumed():
            now = cursor(crimson.building)
            moved = now.backfill_finished_at is not None or now.backfill_reached < reached_at_kill
            return now.history_owner != holder.history_owner and moved

        wait_for(
            lambda: watchdog_tick() and resumed(),
            timeout=60,
            interval=1,
            message="the watchdog to hand the abandoned backfill to the new worker",
        )
        wait_for(lambda: backfilled(crimson.building), timeout=180, interval=1, message="the backfill to finish")
        assert "resuming the abandoned history" in worker.log()
    # and nothing is lost or duplicated
    assert local_ids(crimson.building) == sorted(remote_ids(sandbox, crimson.token, CRIMSON, "access"))


def test_a_token_refreshed_by_another_process_mid_backfill_loses_no_chunk_and_asks_no_relink(
    crimson, sandbox, tmp_path: Path
):
    # given a backfill reading pages in parallel threads, most of its time in big chunks of slow pages (so
    # a refresh lands while the threads read)
    sandbox.generate(CRIMSON, access_logs=8000, days=60, seed=7)
    sandbox.fault(f"/v4/buildings/{CRIMSON}/access_logs", latency_ms=60)
    env = worker_env(sandbox, LOGS_SYNC_FETCH_THREADS="4", LOGS_HISTORY_SLICE_S="2", **FAST)
    env["LOGS_BACKFILL_CHUNK_HOURS"] = "480"
    errors: set[str] = set()
    stop = threading.Event()

    def watch_errors():  # every error the health page could have shown meanwhile
        from django.db import connection

        try:
            while not stop.is_set():
                found = cursor(crimson.building)
                if found and found.last_error:
                    errors.add(found.last_error)
                time.sleep(0.05)
        finally:
            connection.close()

    watcher = threading.Thread(target=watch_errors, daemon=True)
    with celery_worker(broker_url(), tmp_path, extra_env=env) as worker:
        worker.send(sync_stream_task, crimson.building.pk, "access")
        wait_for(
            lambda: AccessLogEntry.objects.filter(building=crimson.building).count() > 1500,
            timeout=60,
            message="the backfill to be under way",
        )
        watcher.start()
        # when this process (not the worker) refreshes the link's token, twice: ButterflyMX kills the old one
        for _ in range(2):
            old = BmxLink.objects.get(pk=crimson.link.pk).access_token
            new = link_access_token(link_id=crimson.link.pk, rejected_token=old)
            assert new != old
            time.sleep(1)
        try:
            wait_for(lambda: backfilled(crimson.building), timeout=180, interval=0.5, message="the backfill")
        finally:
            stop.set()
            watcher.join(5)
        assert "Task logs.tasks.sync_history_task" in worker.log()
    # then nothing is lost, the link was not refreshed a second time, and no error was ever shown
    assert local_ids(crimson.building) == sorted(remote_ids(sandbox, new, CRIMSON, "access"))
    link = BmxLink.objects.get(pk=crimson.link.pk)
    assert link.is_active and link.access_token == new
    assert errors == set()
