"""``late_entries_lost``: entries uploaded 20 min, 2 h and 24 h late, and entries following one dated an hour
ahead, still missing after the re-scan window has passed once (target 0); and the re-scan's request cost.

    python -m bench.portfolio.late_entries
    BENCH_SCALE=small python bench/portfolio/late_entries.py

Crimson Tower, synced by one real Celery worker (2 processes) and beat (walks every 10 s, the watchdog every
5 s), its history a few thousand entries a week like the portfolio's buildings. The re-scan runs at a
bench cadence (``LOGS_RESCAN_INTERVAL_S`` = 30 s instead of an hour; the 48-hour window is the default).
Through the sandbox's ``POST /_sandbox/logs/late`` (no webhooks: ButterflyMX documents none for such
uploads): access entries and calls logged 20 minutes, 2 hours and 24 hours ago; then one entry and one call
dated an hour ahead, followed by normal ones (10 swipes, 2 calls). Figures once a re-scan planned after the
uploads has finished on both streams:
- ``late_entries_lost``: of those entries, how many the portal does not have;
- ``late_entries_found_s``: from the uploads to the last of them arriving;
- ``rescan_requests_48h`` / ``rescan_requests_7d``: requests of one re-scan of each window (both streams),
  measured with the workers stopped; ``rescan_cost_req_per_building_h``: what the default cadence (48 h
  every hour, 7 days once a day) costs per building and hour, next to ``walk_cost_req_per_building_h``
  (the regular walks at the default intervals, one page each when quiet).
Exactness of the whole building is checked at the end (lost or duplicated rows raise).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.portfolio._sync_rig import CRIMSON, Beat, MismatchError, Rig, main, note

NAME = "late_entries"
SIZES = {"full": {"access": 3000, "calls": 300, "per_age": 20}, "small": {"access": 3000, "calls": 300, "per_age": 5}}
AGES = (20 * 60, 2 * 3600, 24 * 3600)


def run(scale: str) -> dict[str, tuple[float, str]]:
    size = SIZES["small" if scale == "small" else "full"]
    settings = {
        "LOGS_BACKFILL_DAYS": "90",
        "LOGS_SYNC_ACCESS_INTERVAL_S": "10",
        "LOGS_SYNC_CALLS_INTERVAL_S": "10",
        "LOGS_RESCAN_INTERVAL_S": "30",
        "LOGS_RESCAN_DEEP_INTERVAL_S": "86400",
    }
    figures: dict[str, tuple[float, str]] = {}
    with Rig(NAME, 12, settings) as rig:
        from django.utils import timezone

        from logs.models import AccessLogEntry, CallRecord, SyncCursor
        from logs.tasks import sync_stream_task

        sandbox = rig.sandbox
        sandbox.generate(CRIMSON, access_logs=size["access"], calls=size["calls"], days=7, seed=15)
        connected = rig.connect()
        building = connected.building
        rig.start_worker(2)
        beat = Beat()
        beat.start()
        try:
            for stream in ("access", "calls"):
                sync_stream_task.delay(building.pk, stream)
            _wait(lambda: SyncCursor.objects.filter(building=building, backfill_finished_at__isnull=False).count() == 2)
            note(NAME, "backfill done; uploading late and future-dated entries")
            uploaded = time.monotonic()
            upload_at = timezone.now()
            wanted = {"access": set(), "calls": set()}
            for age in AGES:
                for kind, stream in (("access", "access"), ("call", "calls")):
                    answer = sandbox.late_entries(CRIMSON, kind, age_s=age, count=size["per_age"], spread_s=60)
                    wanted[stream] |= set(answer["ids"])
            for kind, stream, count in (("access", "access", 10), ("call", "calls", 2)):
                wanted[stream] |= set(sandbox.late_entries(CRIMSON, kind, age_s=-3600, count=1)["ids"])
                time.sleep(2)  # a walk may pass between the future-dated entry and those that follow
                for _ in range(count):
                    wanted[stream] |= set(sandbox.late_entries(CRIMSON, kind, age_s=0, count=1)["ids"])

            def missing() -> int:
                gone = 0
                for stream, model in (("access", AccessLogEntry), ("calls", CallRecord)):
                    have = model.objects.filter(building=building, remote_id__in=wanted[stream])
                    gone += len(wanted[stream] - set(have.values_list("remote_id", flat=True)))
                return gone

            found_s = None

            def rescan_passed() -> bool:
                nonlocal found_s
                if found_s is None and missing() == 0:
                    found_s = time.monotonic() - uploaded
                cursors = SyncCursor.objects.filter(building=building)
                return all(c.rescan_planned_at > upload_at and c.rescan_from is None for c in cursors)

            _wait(rescan_passed, limit=600)
            time.sleep(12)  # one more regular walk
            lost = missing()
            figures["late_entries_lost"] = (float(lost), "entries")
            figures["late_entries_uploaded"] = (float(sum(len(ids) for ids in wanted.values())), "entries")
            if found_s is not None:
                figures["late_entries_found_s"] = (found_s, "s")
        finally:
            beat.stop()
        for proc in list(rig.workers):
            rig._stop(proc)
        figures.update(_rescan_cost(rig, building))
        lost_all, extra = rig.exactness(connected)
        figures["late_entries_building_lost_rows"] = (float(lost_all), "rows")
        figures["late_entries_building_duplicate_rows"] = (float(extra), "rows")
        if lost or lost_all or extra:
            raise MismatchError(f"{lost} late entries missing; building: {lost_all} lost, {extra} duplicated", figures)
    return figures


def _rescan_cost(rig, building) -> dict[str, tuple[float, str]]:
    """Requests of one re-scan of 48 h and of 7 days (both streams), in this process, workers stopped."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from logs.models import SyncCursor
    from logs.sync import history_run

    def requests_of(deep: bool) -> int:
        long_ago = timezone.now() - timedelta(days=30)
        fields = {"rescan_planned_at": long_ago, "deep_rescan_planned_at": long_ago if deep else timezone.now()}
        SyncCursor.objects.filter(building=building).update(**fields)
        before = rig.sandbox.traffic()["totals"]["requests"]
        for stream in ("access", "calls"):
            while history_run(building_id=building.pk, stream=stream, slice_s=600).status == "more":
                pass
        return rig.sandbox.traffic()["totals"]["requests"] - before

    r48, r7d = requests_of(False), requests_of(True)
    per_hour = r48 * 3600 / 3600 + r7d * 3600 / 86400  # the default cadence: 48 h hourly, 7 days daily
    # A quiet walk is one page per stream; the defaults walk access every 60 s and calls every 30 s.
    walk = 3600 / 60 + 3600 / 30
    entries = building.access_log_entries.count() + building.call_records.count()
    note(NAME, f"re-scan: {r48} requests for 48 h, {r7d} for 7 days ({entries} rows in the building)")
    del settings
    return {
        "rescan_requests_48h": (float(r48), "requests"),
        "rescan_requests_7d": (float(r7d), "requests"),
        "rescan_cost_req_per_building_h": (per_hour, "req/h"),
        "walk_cost_req_per_building_h": (walk, "req/h"),
    }


def _wait(predicate, limit: float = 600) -> None:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > limit:
            raise RuntimeError(f"{NAME}: condition not met within {limit} s")
        time.sleep(1)


if __name__ == "__main__":
    main(run)
