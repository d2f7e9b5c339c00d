"""From a visitor's pass used at the sandbox's door to the host's notification (issue 18).

What ``make dev`` runs, on loopback: the sandbox; the portal's web process (``manage.py runserver``, the
webhook receiver), a Celery worker (``--concurrency=2``) and Celery beat, on SQLite and the embedded
(filesystem) broker in a throw-away ``PORTAL_VAR_DIR``. Crimson Tower is connected with real tokens, its
webhooks registered at the web process, and Rosa has a pass "Dog walker" with "tell me when a visitor
uses this pass" on.

Each of ``BENCH_ARRIVALS`` (50) uses: the PIN typed at the front door (``POST /_sandbox/keys/use``), then
this process polls the portal's database every 10 ms for the ``notice`` live event to Rosa
(``user:<id>``) tagged with that entry. The chain measured is the real one: the sandbox's webhook, the
receiver's nudge, the worker's walk of the access log, the arrival claim and ``notify()``. Uses are
``BENCH_ARRIVAL_GAP_S`` (4 s) apart, past the webhook debounce window (3 s): arrivals at one building are
rarely closer, and one within a window of the last walk waits for that window's end (by design).

Prints ``arrival_to_notification_p50_s`` and ``arrival_to_notification_p95_s`` (target: p95 < 3 s), and
``arrival_notices_missing`` (uses not told within 30 s) and ``arrival_notices_duplicate``.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.plugins.nginx import stop  # noqa: E402 - the project root is on the path first

USES = int(os.environ.get("BENCH_ARRIVALS", "50"))
GAP_S = float(os.environ.get("BENCH_ARRIVAL_GAP_S", "4"))
TIMEOUT_S = 30.0
FRONT_DOOR = 3901


def note(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def start(cmd: list[str], env: dict, log: Path, ready: str | None = None) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115
    if ready:
        deadline = time.monotonic() + 90
        while ready not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{cmd[:4]} did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
    return proc


def wait_http(url: str) -> None:
    import requests

    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def main() -> None:
    from tests.plugins.sandbox import SandboxClient, free_port, start_sandbox, stop_sandbox

    var_dir = Path(tempfile.mkdtemp(prefix="bench-arrival-"))
    sandbox_dir = tempfile.mkdtemp(prefix="bench-arrival-sandbox-")
    server = start_sandbox(sandbox_dir)
    sandbox = SandboxClient(server.url)
    sandbox.reset()
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "PORTAL_VAR_DIR": str(var_dir),
        "BMX_API_BASE": sandbox.url,
        "BMX_ACCOUNTS_BASE": sandbox.url,
        "BMX_CLIENT_ID": sandbox.demo["client_id"],
        "BMX_CLIENT_SECRET": sandbox.demo["client_secret"],
        "PORTAL_SITE_URL": f"http://127.0.0.1:{port}",
        "LOGS_BACKFILL_DAYS": "0",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)  # make dev's defaults: SQLite and the embedded broker
    os.environ.clear()
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    with ExitStack() as processes:
        processes.callback(stop_sandbox, server)
        world = setup_world(sandbox)
        manage = [sys.executable, "manage.py"]
        celery = [sys.executable, "-m", "celery", "-A", "portal"]
        web = start([*manage, "runserver", f"127.0.0.1:{port}", "--noreload"], env, var_dir / "web.log")
        processes.callback(stop, web, 20)
        wait_http(f"http://127.0.0.1:{port}/healthz")
        worker = start([*celery, "worker", "--loglevel=INFO", "--concurrency=2"], env, var_dir / "worker.log", "ready.")
        processes.callback(stop, worker, 20)
        beat = start([*celery, "beat", "--loglevel=INFO"], env, var_dir / "beat.log", "beat: Starting")
        processes.callback(stop, beat, 20)
        register_webhooks(world)
        figures = measure(sandbox, world)
    for name, value in figures.items():
        print(f"{name}: {value}")
    if os.environ.get("BENCH_VERBOSE") == "1":
        for log in sorted(var_dir.glob("*.log")):
            note(f"{log.name} (tail)\n{log.read_text(errors='replace')[-2000:]}")


def setup_world(sandbox):
    """Crimson Tower with real tokens (tests/bmx_fixtures.py), its log synced so far, Rosa's pass."""
    from dataclasses import replace
    from zoneinfo import ZoneInfo

    from logs.models import Stream
    from logs.sync import stream_sync
    from passes import services
    from tests.bmx_fixtures import make_bmx_world
    from tests.passes.helpers import pass_input, window_for_kind

    world = make_bmx_world()
    stream_sync(building_id=world.crimson.pk, stream=Stream.ACCESS)
    ny = ZoneInfo("America/New_York")
    data = replace(pass_input("custom", tz=ny, name="Dog walker", **window_for_kind("custom", ny)), arrival_push=True)
    world.walker = services.pass_create(actor=world.rosa, residency=world.rosa_residency, data=data)
    world.pin = world.walker.keys.get().pin
    return world


def register_webhooks(world) -> None:
    from logs.services import webhooks_register

    endpoint = webhooks_register(building=world.crimson)
    note(f"webhooks registered: {endpoint.integrations} refused={endpoint.refused}")


def measure(sandbox, world) -> dict:
    from logs.models import AccessLogEntry
    from portal.live.models import LiveEvent

    audience = f"user:{world.rosa.pk}"
    seen = set(LiveEvent.objects.filter(kind="notice", audience=audience).values_list("id", flat=True))
    latencies, missing = [], 0
    time.sleep(GAP_S)
    for i in range(USES):
        started = time.monotonic()
        used = sandbox.use_key(access_point_id=FRONT_DOOR, pin=world.pin)
        assert used["granted"], used
        remote_id = used["access_log_ids"][0]
        found = None
        while time.monotonic() - started < TIMEOUT_S:
            new = list(
                LiveEvent.objects.filter(kind="notice", audience=audience)
                .exclude(id__in=seen)
                .values_list("id", "payload")
            )
            if new:
                found = new
                break
            time.sleep(0.01)
        if found is None:
            missing += 1
            note(f"use {i}: no notice within {TIMEOUT_S:.0f} s")
        else:
            elapsed = time.monotonic() - started
            latencies.append(elapsed)
            seen |= {event_id for event_id, _ in found}
            entry = AccessLogEntry.objects.filter(building=world.crimson, remote_id=remote_id).first()
            tags = [payload.get("tag") for _, payload in found]
            if entry is None or tags != [f"arrival-{entry.pk}"]:
                note(f"use {i}: unexpected notices {tags} for entry {entry and entry.pk}")
        time.sleep(GAP_S + random.uniform(0, 1))
    time.sleep(5)  # a late duplicate would show up now
    total = LiveEvent.objects.filter(kind="notice", audience=audience).count()
    return {
        "arrival_uses": USES,
        "arrival_to_notification_p50_s": round(statistics.median(latencies), 3) if latencies else "n/a",
        "arrival_to_notification_p95_s": round(percentile(latencies, 95), 3) if latencies else "n/a",
        "arrival_to_notification_max_s": round(max(latencies), 3) if latencies else "n/a",
        "arrival_notices_missing": missing,
        "arrival_notices_duplicate": total - (USES - missing),
    }


if __name__ == "__main__":
    main()
