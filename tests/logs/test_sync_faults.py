"""Faults with a real Celery worker on a real broker against the sandbox over HTTP.

20% 5xx, bursts of 429 with Retry-After, pages shifting as new entries arrive, duplicated and
missing webhook deliveries, and the worker SIGKILLed mid-sync then started again. After it
settles the local rows equal the sandbox's exactly.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

from logs.models import AccessLogEntry, CallRecord, SyncCursor
from logs.tasks import sync_stream_task
from tests.plugins.sandbox import worker_env
from tests.plugins.workers import broker_url, celery_worker, wait_for

from .conftest import CRIMSON, remote_ids

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


def local_ids(building, model) -> list[int]:
    return sorted(model.objects.filter(building=building).values_list("remote_id", flat=True))


def settled(worker, crimson, sandbox, stream, model) -> bool:
    """Run one more sync (as beat would) and compare; True when local == remote exactly."""
    cursor = SyncCursor.objects.filter(building=crimson.building, stream=stream).first()
    if cursor and cursor.lease_owner:
        return False
    worker.send(sync_stream_task, crimson.building.pk, stream)
    time.sleep(1.5)
    return local_ids(crimson.building, model) == sorted(remote_ids(sandbox, crimson.token, CRIMSON, stream))


def test_the_sync_survives_5xx_429_shifting_pages_and_a_sigkilled_worker(crimson, sandbox, tmp_path: Path):
    # given a big enough history that a sync takes a while, behind a flaky ButterflyMX
    sandbox.generate(CRIMSON, access_logs=3000, calls=200, days=60, seed=3)
    path = f"/v4/buildings/{CRIMSON}/*"
    sandbox.fault(path, status=503, rate=0.2)
    sandbox.fault(path, status=429, retry_after=1, count=6)  # a burst
    extra = worker_env(sandbox, LOGS_SYNC_LEASE_S="4", LOGS_BACKFILL_CHUNK_HOURS="240")
    broker = broker_url()
    # new entries keep arriving while the sync walks (pages shift under it)
    stop = threading.Event()

    def swiper():
        while not stop.is_set():
            try:
                sandbox.swipe(129201, 3901)
                sandbox.call(58801, 129201, then=["opened_door"])
            except AssertionError:
                pass  # a faulted control call is fine
            time.sleep(0.3)

    swiping = threading.Thread(target=swiper, daemon=True)
    swiping.start()
    try:
        with celery_worker(broker, tmp_path, extra_env=extra) as worker:
            worker.send(sync_stream_task, crimson.building.pk, "access")
            worker.send(sync_stream_task, crimson.building.pk, "calls")
            # when the worker is SIGKILLed in the middle of the backfill
            try:
                wait_for(lambda: AccessLogEntry.objects.filter(building=crimson.building).count() > 300, timeout=60)
            except BaseException:
                print(worker.log()[-5000:])
                raise
            worker.process.send_signal(signal.SIGKILL)
            worker.process.wait(10)
        killed_at = AccessLogEntry.objects.filter(building=crimson.building).count()
        assert killed_at < 3000
    finally:
        stop.set()
        swiping.join(5)
    # then a new worker picks up (the dead worker's lease expires) and, once settled, nothing is lost
    # and nothing is duplicated
    with celery_worker(broker, tmp_path, extra_env=extra, concurrency=2) as worker:
        beat = Beat(worker, crimson.building.pk)  # as beat does: a run per stream every few seconds
        try:
            wait_for(lambda: beat.tick() and _backfilled(crimson), timeout=150, interval=1, message="the backfill")
        except BaseException:
            print(worker.log()[-5000:])
            raise
        sandbox.clear_faults()
        wait_for(lambda: settled(worker, crimson, sandbox, "access", AccessLogEntry), timeout=60, interval=0.5)
        wait_for(lambda: settled(worker, crimson, sandbox, "calls", CallRecord), timeout=60, interval=0.5)
    assert AccessLogEntry.objects.filter(building=crimson.building).count() > 3000


class Beat:
    def __init__(self, worker, building_id: int, every: float = 3.0):
        self.worker, self.building_id, self.every, self.last = worker, building_id, every, 0.0

    def tick(self) -> bool:
        if time.monotonic() - self.last > self.every:
            self.last = time.monotonic()
            for stream in ("access", "calls"):
                self.worker.send(sync_stream_task, self.building_id, stream)
        return True


def _backfilled(crimson) -> bool:
    cursors = SyncCursor.objects.filter(building=crimson.building)
    return cursors.count() == 2 and all(c.backfill_finished_at for c in cursors)


def test_missing_and_duplicated_webhook_deliveries_still_end_exactly_in_sync(crimson, sandbox, tmp_path, live_server):
    from django.test import override_settings

    from logs import services

    broker = broker_url()
    with override_settings(LOGS_WEBHOOK_BASE_URL=live_server.url, LOGS_WEBHOOK_DEBOUNCE_S=0.5):
        services.webhooks_register(building=crimson.building)
        sandbox.webhook_faults(drop_rate=0.3, duplicate_rate=0.3)
        with celery_worker(broker, tmp_path, extra_env=worker_env(sandbox)) as worker:
            worker.send(sync_stream_task, crimson.building.pk, "access")
            for _ in range(8):
                sandbox.swipe(129201, 3901)
            # the nudged syncs land on the default queue in production; here beat's run does it
            wait_for(lambda: settled(worker, crimson, sandbox, "access", AccessLogEntry), timeout=60, interval=0.5)
    deliveries = sandbox.deliveries()
    assert any(d["outcome"] == "dropped" for d in deliveries) or any(d["duplicate"] for d in deliveries)
