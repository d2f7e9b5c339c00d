"""``crash_resume_s``: from SIGKILL of the worker holding a sync to the sync making progress again (target <= 30).

    python -m bench.portfolio.crash_resume                    # 5 kills during a 200,000-entry backfill
    BENCH_SCALE=small python bench/portfolio/crash_resume.py  # 3 kills during a 40,000-entry backfill

Two real Celery workers (prefork, one process each) share the queue; beat runs as configured (the regular
tick every ``LOGS_SYNC_ACCESS_INTERVAL_S`` = 60 s, the watchdog every ``LOGS_SYNC_WATCHDOG_S``), with the
production lease (``LOGS_SYNC_LEASE_S`` = 15 s, renewed every 3 s). Crimson Tower backfills its history;
each round SIGKILLs the process holding the backfill's lease (named in the lease: host:pid:...) and its
worker, starts a replacement worker, and times until the backfill progresses again under another owner
(its ``backfill_reached`` moves). The figure is the slowest round. Then the backfill finishes and the
building's rows are checked against the sandbox's (lost or duplicated rows raise).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.portfolio._sync_rig import CRIMSON, Beat, MismatchError, Rig, main, note

NAME = "crash_resume"
SIZES = {"full": {"entries": 200_000, "kills": 5}, "small": {"entries": 40_000, "kills": 3}}


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def run(scale: str) -> dict[str, tuple[float, str]]:
    size = SIZES["small" if scale == "small" else "full"]
    settings = {"LOGS_BACKFILL_DAYS": "90", "LOGS_SYNC_FETCH_THREADS": "2"}
    figures: dict[str, tuple[float, str]] = {}
    with Rig(NAME, 11, settings) as rig:
        from logs.models import SyncCursor
        from logs.tasks import sync_stream_task

        rig.sandbox.generate(CRIMSON, access_logs=size["entries"], calls=0, days=85, seed=15)
        connected = rig.connect()
        for _ in range(2):
            rig.start_worker(1)
        beat = Beat()
        beat.start()
        try:
            sync_stream_task.delay(connected.building.pk, "access")

            def cursor():
                return SyncCursor.objects.filter(building=connected.building, stream="access").first()

            rounds = []
            for round_no in range(size["kills"]):
                deadline = time.monotonic() + 120
                while not ((c := cursor()) and c.history_owner and c.backfill_reached != c.backfill_until):
                    if time.monotonic() > deadline:
                        raise RuntimeError("the backfill did not start")
                    time.sleep(0.05)
                if c.backfill_finished_at:
                    raise RuntimeError("the backfill finished before every kill: use more entries")
                owner = c.history_owner
                pid = int(owner.split(":")[1])
                main_pid = _parent(pid)
                killed_at = time.monotonic()
                os.kill(pid, signal.SIGKILL)
                os.kill(main_pid, signal.SIGKILL)
                reached = cursor().backfill_reached
                for proc in rig.workers:
                    if proc.pid == main_pid:
                        proc.wait(10)
                rig.start_worker(1)  # the fleet keeps two workers
                while True:
                    c = cursor()
                    if c.history_owner not in ("", owner) and c.backfill_reached < reached:
                        break
                    if c.backfill_finished_at:
                        break
                    if time.monotonic() - killed_at > 300:
                        raise RuntimeError(f"round {round_no}: no progress 300 s after the kill")
                    time.sleep(0.1)
                seconds = time.monotonic() - killed_at
                rounds.append(seconds)
                note(NAME, f"round {round_no + 1}: killed {pid} (worker {main_pid}); progress after {seconds:.1f} s")
            figures["crash_resume_s"] = (max(rounds), "s")
            figures["crash_resume_mean_s"] = (sum(rounds) / len(rounds), "s")
            figures["crash_resume_rounds"] = (float(len(rounds)), "kills")
            started = time.monotonic()
            while not cursor().backfill_finished_at:
                if time.monotonic() - started > 1800:
                    raise RuntimeError("the backfill did not finish")
                time.sleep(1)
            sync_stream_task.delay(connected.building.pk, "access")  # one more walk after the last kill
            time.sleep(5)
        finally:
            beat.stop()
        lost, extra = rig.exactness(connected, streams=("access",))
        figures["crash_resume_lost_rows"] = (float(lost), "rows")
        figures["crash_resume_duplicate_rows"] = (float(extra), "rows")
        if lost or extra:
            raise MismatchError(f"after the kills: {lost} rows lost, {extra} duplicated", figures)
    return figures


if __name__ == "__main__":
    main(run)
