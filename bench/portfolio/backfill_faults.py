"""``backfill_fault_ratio``: a big backfill's time behind a flaky ButterflyMX over its time without faults.

One building of the sandbox gets N generated access-log entries (200,000; 20,000 at small scale). The
portal's real sync (the Celery task ``logs.tasks.sync_stream_task`` in a real worker subprocess, which
chains itself until the backfill is done) copies them twice on one fresh database: once against a
healthy sandbox, once with 20% of the building's log requests answering 503 and a burst of 429s
(``Retry-After: 1``) every few seconds. Each run must end with exactly the sandbox's rows (none lost,
none twice), else this raises. The request budget is the portal's default, the same in both runs.

    python -m bench.portfolio.backfill_faults          # full scale
    BENCH_SCALE=small python bench/portfolio/backfill_faults.py

Figures: ``backfill_fault_ratio`` (target <= 2), ``backfill_clean_s``, ``backfill_faulted_s``,
``backfill_faulted_503s`` and ``backfill_faulted_429s`` (faults the sandbox injected), ``backfill_entries``.
Uses ``DATABASE_URL`` (a throw-away ``test_`` database is created and dropped) and ``REDIS_URL`` when set
(broker and budget; only this run's queue and budget key are touched), else SQLite and the embedded broker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BUILDING = 11743  # Crimson Tower of the sandbox's seed
ENTRIES = {"full": 200_000, "small": 20_000}
DAYS = 60  # inside LOGS_BACKFILL_DAYS (90): the backfill covers all of it
# A run that takes longer than this is a failure, not a figure.
LIMIT_S = {"full": 1800, "small": int(os.environ.get("BENCH_LIMIT_S", 600))}
BURST_EVERY_S = 10.0  # a gateway's rate-limit window: every 10 s, for 2 s, every log read answers 429
BURST_S = 2.0
BURST_FIRST_S = 2.0  # the first burst comes early, so even the small run meets one
FAULTED = f"/v4/buildings/{BUILDING}/access_logs"


def run(scale: str) -> dict[str, tuple[float, str]]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    from bench._django import sandbox_process

    entries = ENTRIES["small" if scale == "small" else "full"]
    limit = LIMIT_S["small" if scale == "small" else "full"]
    with tempfile.TemporaryDirectory() as var_dir, own_database(Path(var_dir)), sandbox_process() as sandbox:
        from django.conf import settings

        from logs.models import AccessLogEntry

        sandbox.generate(BUILDING, access_logs=entries, days=DAYS, seed=15)
        settings.BMX_API_BASE = settings.BMX_ACCOUNTS_BASE = sandbox.url
        settings.BMX_CLIENT_ID, settings.BMX_CLIENT_SECRET = sandbox.demo["client_id"], sandbox.demo["client_secret"]
        settings.BMX_BUDGET_DIR = Path(var_dir) / "bmx-budget"
        building = _connect(sandbox)
        token = sandbox.password_token("admin@sandbox.test")
        remote = _remote_ids(sandbox, token)
        with _worker(sandbox, Path(var_dir)) as worker:
            clean_s = _backfill(worker, building, remote, limit)
            AccessLogEntry.objects.filter(building=building).delete()
            _forget_cursor(building)
            faults = _Faults(sandbox)
            burster = threading.Thread(target=faults.bursts_of_429, daemon=True)
            burster.start()
            try:
                faulted_s = _backfill(worker, building, remote, limit)
            finally:
                faults.stop.set()
                burster.join(10)
                faults.clear()
    return {
        "backfill_entries": (float(len(remote)), "entries"),
        "backfill_clean_s": (clean_s, "s"),
        "backfill_faulted_s": (faulted_s, "s"),
        "backfill_faulted_503s": (float(faults.fired[503]), "answers"),
        "backfill_faulted_429s": (float(faults.fired[429]), "answers"),
        "backfill_fault_ratio": (faulted_s / clean_s, "x"),
    }


class _Faults:
    """20% of the building's log reads answer 503; every BURST_EVERY_S, for BURST_S, all answer 429
    with ``Retry-After: 1`` (a gateway's window, not a count of answers: a count would be eaten one
    Retry-After at a time by whichever request comes first after each pause)."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.stop = threading.Event()
        self.fired = {503: 0, 429: 0}
        self._lock = threading.Lock()
        self.sandbox.fault(FAULTED, status=503, rate=0.2)

    def bursts_of_429(self) -> None:
        wait = BURST_FIRST_S
        while not self.stop.wait(wait):
            wait = BURST_EVERY_S - BURST_S
            with self._lock:
                self.sandbox.fault(FAULTED, status=429, retry_after=1)
            if self.stop.wait(BURST_S):
                return
            with self._lock:  # the control surface clears every rule at once: put the 503s back
                self.clear()
                self.sandbox.fault(FAULTED, status=503, rate=0.2)

    def clear(self) -> None:
        listing = self.sandbox.http.get(f"{self.sandbox.url}/_sandbox/faults", timeout=30).json()["faults"]
        for rule in listing:
            self.fired[rule["status"]] += rule["fired"]
        self.sandbox.clear_faults()


@contextmanager
def own_database(var_dir: Path):
    """A throw-away database of this scenario's own (never the test suite's ``test_`` one)."""
    import django

    django.setup()
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    sqlite = connection.settings_dict["ENGINE"].endswith("sqlite3")
    test_name = str(var_dir / "bench.sqlite3") if sqlite else "bench_backfill_faults"
    connection.settings_dict.setdefault("TEST", {})["NAME"] = test_name
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _connect(sandbox):
    from tests.logs.conftest import connect_building

    return connect_building(sandbox, BUILDING).building


def _remote_ids(sandbox, token: str) -> list[int]:
    ids: list[int] = []
    page = 1
    while page:
        body = sandbox.api(
            "GET", f"/v4/buildings/{BUILDING}/access_logs", token, params={"page": page, "per": 100}
        ).json()
        ids.extend(int(item["id"]) for item in body["data"])
        page = body["page_info"]["next_page"]
    return ids


def _forget_cursor(building) -> None:
    from logs.models import SyncCursor

    SyncCursor.objects.filter(building=building).delete()


def _backfill(worker, building, remote: list[int], limit: float) -> float:
    """Send the sync task once; time until the backfill is finished; check the rows exactly."""
    from logs.models import AccessLogEntry, SyncCursor
    from logs.tasks import sync_stream_task

    started = time.monotonic()
    worker.send(sync_stream_task, building.pk, "access")
    errors: set[str] = set()
    while True:
        cursor = SyncCursor.objects.filter(building=building, stream="access").first()
        if cursor is not None and cursor.last_error and cursor.last_error not in errors:
            errors.add(cursor.last_error)
            print(f"the sync stopped once with: {cursor.last_error}", file=sys.stderr, flush=True)
        if cursor is not None and cursor.backfill_finished_at is not None and not cursor.lease_owner:
            break
        if time.monotonic() - started > limit:
            error = cursor.last_error if cursor is not None else "no cursor"
            tail = worker.log()[-3000:]
            raise RuntimeError(f"the backfill did not finish within {limit} s (last error: {error}):\n{tail}")
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    local = list(AccessLogEntry.objects.filter(building=building).values_list("remote_id", flat=True))
    lost = set(remote) - set(local)
    duplicates = len(local) - len(set(local))
    extra = set(local) - set(remote)
    if lost or duplicates or extra:
        raise RuntimeError(f"not exact: {len(lost)} lost, {duplicates} duplicated, {len(extra)} unknown rows")
    return elapsed


class _Worker:
    def __init__(self, broker: str, var_dir: Path, queue: str, process: subprocess.Popen, log_path: Path):
        self.broker, self.var_dir, self.queue, self.process, self.log_path = broker, var_dir, queue, process, log_path

    def send(self, task, *args) -> None:
        from kombu import Connection

        from portal.settings.base import filesystem_broker_options

        options = filesystem_broker_options(self.var_dir / "test-broker") if self.broker == "filesystem://" else {}
        with Connection(self.broker, transport_options=options) as conn:
            task.apply_async(args=args, queue=self.queue, connection=conn)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class _worker:  # used as a context manager, like a function
    """A real Celery worker (prefork, 2 processes) on this run's own queue, database and budget."""

    def __init__(self, sandbox, var_dir: Path):
        self.sandbox, self.var_dir = sandbox, var_dir

    def __enter__(self) -> _Worker:
        from django.conf import settings
        from django.db import connection

        db = connection.settings_dict
        if db["ENGINE"].endswith("sqlite3"):
            database_url = f"sqlite:///{Path(db['NAME']).resolve()}"
        else:
            password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
            database_url = (
                f"postgres://{db.get('USER') or ''}{password}@{db.get('HOST') or '127.0.0.1'}:"
                f"{db.get('PORT') or 5432}/{db['NAME']}"
            )
        broker = settings.REDIS_URL or "filesystem://"
        queue = f"bench-{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker,
            "PORTAL_VAR_DIR": str(self.var_dir),
            "BMX_BUDGET_DIR": str(settings.BMX_BUDGET_DIR),
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "BMX_API_BASE": self.sandbox.url,
            "BMX_ACCOUNTS_BASE": self.sandbox.url,
            "BMX_CLIENT_ID": self.sandbox.demo["client_id"],
            "BMX_CLIENT_SECRET": self.sandbox.demo["client_secret"],
        }
        log_path = self.var_dir / "worker.log"
        self.log_file = open(log_path, "wb")  # closed in __exit__
        cmd = [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", queue, "--loglevel=INFO"]
        cmd += ["--concurrency=2", "--pool=prefork", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        cmd += ["-n", f"{queue}@%h"]
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log_file, stderr=subprocess.STDOUT)
        self.worker = _Worker(broker, self.var_dir, queue, process, log_path)
        deadline = time.monotonic() + 60
        while "ready." not in self.worker.log():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"the Celery worker did not start:\n{self.worker.log()[-4000:]}")
            time.sleep(0.1)
        return self.worker

    def __exit__(self, *exc) -> None:
        process = self.worker.process
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self.log_file.close()
        if os.environ.get("BENCH_WORKER_LOG"):  # keep the worker's log for a look after the run
            Path(os.environ["BENCH_WORKER_LOG"]).write_text(self.worker.log())


def main() -> None:
    scale = "small" if os.environ.get("BENCH_SCALE") == "small" else "full"
    for name, (value, unit) in run(scale).items():
        print(f"{name}: {value:.2f} {unit}", flush=True)


if __name__ == "__main__":
    main()
