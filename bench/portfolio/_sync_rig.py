"""Shared set-up of the sync scenarios (crash_resume, late_entries, backfill_live): real processes on loopback.

- the sandbox (``tests.plugins.sandbox.start_sandbox``) on a PostgreSQL database of its own;
- the portal's own PostgreSQL database (re-created) and Redis index (flushed before and after), as broker;
- Django configured in this process on them (the scenario reads the portal's rows directly);
- real Celery workers on this run's queue (:meth:`Rig.worker`), and "beat" (:class:`Beat`): this process
  sends ``sync_all_task`` per stream at the configured intervals and the watchdog every
  ``LOGS_SYNC_WATCHDOG_S``, as the beat schedule does;
- Crimson Tower of the sandbox's seed connected with a real admin token (``tests/logs/conftest.py``).

A module whose name starts with ``_`` is not a scenario (bench/bench_portfolio.py skips it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
CRIMSON = 11743


def note(name: str, message: str) -> None:
    print(f"# {name}: {message}", file=sys.stderr, flush=True)


def recreate(name: str, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


class MismatchError(AssertionError):
    """The portal's rows differ from the sandbox's; ``figures`` holds what was measured."""

    def __init__(self, message: str, figures: dict):
        super().__init__(message)
        self.figures = figures


class Rig:
    def __init__(self, name: str, redis_index: int, settings: dict[str, str]):
        self.name = name
        self.redis = os.environ.get(f"BENCH_{name.upper()}_REDIS", f"redis://127.0.0.1:6379/{redis_index}")
        self.db = f"portal_bench_{name}"
        self.sandbox_db = f"sandbox_bench_{name}"
        self.queue = f"bench-{name}"
        self.settings = settings
        self.var_dir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        self.server = None
        self.sandbox = None
        self.env: dict[str, str] = {}
        self.workers: list[subprocess.Popen] = []

    # --- life cycle -------------------------------------------------------------------------------------

    def __enter__(self) -> Rig:
        from tests.plugins.sandbox import SandboxClient, start_sandbox

        recreate(self.db)
        recreate(self.sandbox_db)
        self._flush()
        self.server = start_sandbox(str(self.var_dir), env={"SANDBOX_DATABASE_URL": f"{PG}/{self.sandbox_db}"})
        self.sandbox = SandboxClient(self.server.url)
        self.sandbox.reset()
        self.env = {
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": f"{PG}/{self.db}",
            "REDIS_URL": self.redis,
            "CELERY_BROKER_URL": self.redis,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "PORTAL_VAR_DIR": str(self.var_dir),
            "BMX_API_BASE": self.sandbox.url,
            "BMX_ACCOUNTS_BASE": self.sandbox.url,
            "BMX_CLIENT_ID": self.sandbox.demo["client_id"],
            "BMX_CLIENT_SECRET": self.sandbox.demo["client_secret"],
            **self.settings,
        }
        os.environ.update(self.env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        return self

    def __exit__(self, *exc) -> None:
        from tests.plugins.sandbox import stop_sandbox

        for proc in self.workers:
            self._stop(proc)
        if self.server is not None:
            stop_sandbox(self.server)
        with suppress(Exception):
            from django.db import connections

            connections.close_all()
        if os.environ.get("BENCH_KEEP_DB") != "1":
            recreate(self.db, drop_only=True)
            recreate(self.sandbox_db, drop_only=True)
        self._flush()
        if os.environ.get("BENCH_VERBOSE") == "1":
            for log in sorted(self.var_dir.glob("*.log")):
                print(f"# {log.name} (tail)\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)

    def _flush(self) -> None:
        import redis

        redis.Redis.from_url(self.redis).flushdb()

    # --- processes --------------------------------------------------------------------------------------

    def start_worker(self, processes: int = 1, label: str = "") -> subprocess.Popen:
        """A real Celery worker (prefork, ``processes`` children) on this run's queue; log in var_dir."""
        tag = f"{label or 'w'}{len(self.workers)}"
        log = open(self.var_dir / f"worker-{tag}.log", "wb")  # noqa: SIM115 - kept open for the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", self.queue, "--loglevel=INFO"]
            + [f"--concurrency={processes}", "--pool=prefork", "--without-gossip", "--without-mingle"]
            + ["--without-heartbeat", "-n", f"{self.queue}-{tag}@%h"],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        path = self.var_dir / f"worker-{tag}.log"
        deadline = time.monotonic() + 60
        while "ready." not in path.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        self.workers.append(proc)
        return proc

    @staticmethod
    def _stop(proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def start_web(self) -> str:
        """The portal's web process (gunicorn), for the webhook receiver; returns its base URL."""
        from tests.plugins.sandbox import free_port

        port = free_port()
        log = open(self.var_dir / "web.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(proc)
        import requests

        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{url}/healthz", timeout=2)
                return url
            except requests.RequestException:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the web process did not start") from None
                time.sleep(0.3)

    # --- the building -----------------------------------------------------------------------------------

    def connect(self, bmx_id: int = CRIMSON):
        """Crimson Tower connected to the sandbox's demo admin (as tests/logs/conftest.py does)."""
        from tests.logs.conftest import connect_building

        return connect_building(self.sandbox, bmx_id)

    def remote_ids(self, token: str, bmx_id: int, stream: str) -> set[int]:
        from tests.logs.conftest import remote_ids

        return set(remote_ids(self.sandbox, token, bmx_id, stream))

    def exactness(self, connected, streams=("access", "calls")) -> tuple[int, int]:
        """(lost, duplicated-or-unknown) rows of the building against the sandbox, over ``streams``."""
        from logs.models import AccessLogEntry, CallRecord
        from tenants.services import link_access_token

        token = link_access_token(link_id=connected.link.pk)
        lost = extra = 0
        for stream in streams:
            model = AccessLogEntry if stream == "access" else CallRecord
            have = list(model.objects.filter(building=connected.building).values_list("remote_id", flat=True))
            want = self.remote_ids(token, connected.building.bmx_id, stream)
            lost += len(want - set(have))
            extra += len(have) - len(set(have)) + len(set(have) - want)
        return lost, extra


class Beat(threading.Thread):
    """What beat does for the logs: ``sync_all_task`` per stream per interval, the watchdog every few seconds."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop_event = threading.Event()

    def run(self) -> None:
        from django.conf import settings

        from logs.tasks import sync_all_task, sync_watchdog_task

        every = {
            "access": settings.LOGS_SYNC_ACCESS_INTERVAL_S,
            "calls": settings.LOGS_SYNC_CALLS_INTERVAL_S,
            "watchdog": settings.LOGS_SYNC_WATCHDOG_S,
        }
        due = dict.fromkeys(every, 0.0)
        while not self.stop_event.is_set():
            now = time.monotonic()
            for what, interval in every.items():
                if now >= due[what]:
                    with suppress(Exception):  # a broker hiccup: the next tick sends again
                        if what == "watchdog":
                            sync_watchdog_task.delay()
                        else:
                            sync_all_task.delay(what)
                    due[what] = now + interval
            self.stop_event.wait(0.2)

    def stop(self) -> None:
        self.stop_event.set()
        self.join(10)


def percentile(values: list[float], pct: float) -> float:
    import statistics

    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]


def print_figures(figures: dict) -> None:
    for name, (value, unit) in figures.items():
        print(f"{name}: {value:.2f} {unit}", flush=True)


def main(run) -> None:
    scale = "small" if os.environ.get("BENCH_SCALE") == "small" else "full"
    try:
        figures = run(scale)
    except MismatchError as exc:
        print_figures(exc.figures)
        raise
    print_figures(figures)
