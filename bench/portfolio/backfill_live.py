"""``backfill_live_fresh_p95_s``: freshness of a building's new entries, webhooks on, while that building
backfills 200,000 entries (target p95 <= 5 s).

    python -m bench.portfolio.backfill_live                    # 200,000 entries of history
    BENCH_SCALE=small python bench/portfolio/backfill_live.py  # 20,000

Crimson Tower with its generated history, a real web process (gunicorn) receiving the sandbox's webhooks,
one real Celery worker with 2 processes, and beat (regular walks, the watchdog). The building connects:
webhooks registered, both streams sync, the access log backfills. Meanwhile a resident
swipes a door at the sandbox every 0.5 s (its webhook fires); the figure is the p95 of the time from the swipe to its
row in the portal's database, over the swipes made while the backfill ran (``backfill_live_probes``); also
``backfill_live_fresh_p50_s`` and ``backfill_live_backfill_s``. Settings are the defaults (webhook
debounce 3 s: a burst of deliveries is read in one walk). Exactness is checked at the end.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.portfolio._sync_rig import CRIMSON, Beat, MismatchError, Rig, main, note, percentile

NAME = "backfill_live"
SIZES = {"full": {"entries": 200_000}, "small": {"entries": 20_000}}
TENANT, DOOR = 129201, 3901
PROBE_EVERY_S = 0.5


def run(scale: str) -> dict[str, tuple[float, str]]:
    size = SIZES["small" if scale == "small" else "full"]
    figures: dict[str, tuple[float, str]] = {}
    with Rig(NAME, 13, {"LOGS_BACKFILL_DAYS": "90"}) as rig:
        from django.test import override_settings

        from logs.models import AccessLogEntry, SyncCursor
        from logs.services import webhooks_register
        from logs.tasks import sync_stream_task

        sandbox = rig.sandbox
        sandbox.generate(CRIMSON, access_logs=size["entries"], calls=size["entries"] // 20, days=85, seed=15)
        url = rig.start_web()
        connected = rig.connect()
        building = connected.building
        with override_settings(LOGS_WEBHOOK_BASE_URL=url):
            endpoint = webhooks_register(building=building)
        note(NAME, f"webhooks registered at {url} ({len(endpoint.integrations)} integrations)")
        rig.start_worker(2)
        beat = Beat()
        beat.start()
        sent: dict[int, float] = {}
        latencies: list[float] = []
        stop = threading.Event()

        def swiper() -> None:
            while not stop.is_set():
                started = time.monotonic()
                entry = sandbox.swipe(TENANT, DOOR)["access_log_ids"][0]
                sent[entry] = started
                stop.wait(max(0.0, PROBE_EVERY_S - (time.monotonic() - started)))

        def cursor():
            return SyncCursor.objects.filter(building=building, stream="access").first()

        try:
            began = time.monotonic()
            for stream in ("access", "calls"):
                sync_stream_task.delay(building.pk, stream)
            while not (c := cursor()) or c.backfill_from is None:
                time.sleep(0.1)
            thread = threading.Thread(target=swiper, daemon=True)
            thread.start()
            pending: dict[int, float] = {}
            while True:
                pending.update({k: v for k, v in list(sent.items()) if k not in pending})
                sent_ids = [k for k in pending if pending[k] is not None]
                if sent_ids:
                    seen = AccessLogEntry.objects.filter(building=building, remote_id__in=sent_ids).values_list(
                        "remote_id", flat=True
                    )
                    now = time.monotonic()
                    for remote_id in seen:
                        latencies.append(now - pending[remote_id])
                        pending[remote_id] = None
                if cursor().backfill_finished_at and not stop.is_set():
                    stop.set()
                    thread.join(10)
                    backfill_s = time.monotonic() - began
                    catch_up = time.monotonic() + 60
                if stop.is_set() and (all(v is None for v in pending.values()) or time.monotonic() > catch_up):
                    break
                if time.monotonic() - began > 3600:
                    raise RuntimeError("the backfill did not finish within an hour")
                time.sleep(0.1)
            never = sum(1 for v in pending.values() if v is not None)
            if never:
                note(NAME, f"{never} swipes never arrived within 60 s of the backfill's end (counted as 60 s)")
                latencies += [60.0] * never
            figures["backfill_live_fresh_p95_s"] = (percentile(latencies, 95), "s")
            figures["backfill_live_fresh_p50_s"] = (percentile(latencies, 50), "s")
            figures["backfill_live_probes"] = (float(len(latencies)), "entries")
            figures["backfill_live_backfill_s"] = (backfill_s, "s")
            time.sleep(5)
        finally:
            stop.set()
            beat.stop()
        lost, extra = rig.exactness(connected)
        figures["backfill_live_lost_rows"] = (float(lost), "rows")
        figures["backfill_live_duplicate_rows"] = (float(extra), "rows")
        if lost or extra:
            raise MismatchError(f"after the backfill: {lost} rows lost, {extra} duplicated", figures)
    return figures


if __name__ == "__main__":
    main(run)
