"""The fleet figures of issue 15: many buildings synced by polling alone, under the sandbox's rate limit.

    python -m bench.portfolio.portfolio                   # 1,000 buildings + one of 1,000,000 entries (hours)
    BENCH_SCALE=small python bench/portfolio/portfolio.py # 50 buildings + one of 20,000 entries (minutes)
    BENCH_SCALE=fleet python bench/portfolio/portfolio.py # 1,000 light buildings, steady state only (~15 min)

Set-up, all real processes on loopback:
- the sandbox on PostgreSQL (database ``sandbox_bench_portfolio``) holding a portfolio (``POST
  /_sandbox/portfolio``): N buildings with a few thousand entries and a few hundred calls each over 7 days,
  plus one large building, all administered by one sandbox account; its gateway rate limit on
  (``BMX_REQUEST_BUDGET_RPS`` requests per second for the account, 100 unless set, burst as large); webhooks off (every
  delivery dropped by the sandbox's webhook faults), so polling alone carries the data;
- the portal on PostgreSQL (its own database ``portal_bench_portfolio``, re-created) and Redis (index 1, as
  broker and for the request budget; flushed before and after);
- a real Celery worker (prefork, 4 processes unless measuring 1 or 2) on this run's queue;
- "beat": this script sends ``logs.tasks.sync_all_task`` for each stream every
  ``LOGS_SYNC_ACCESS_INTERVAL_S`` / ``LOGS_SYNC_CALLS_INTERVAL_S`` (30 s each here, with a budget of 100 req/s:
  the sizing docs/operations.md gives for 1,000 buildings fresh within a minute; set either in the
  environment to try others), as the beat schedule does;
- the buildings are connected by the portal's own services: a password grant at the sandbox (the OAuth
  flow the tests use), ``tenants.services.link_admin_connect``, whose roster sync (in the worker) mirrors
  every building and starts its webhooks registration and its backfill; "beat" starts once that initial
  sync is done (with 1,000 buildings, the walks of every tick would otherwise take most of the budget and
  the figure would measure the intervals, not the backfill).

Phases and figures:
1. initial sync: until every building's two streams finished their backfill (``portfolio_initial_sync_s``),
   then ``portfolio_buildings`` (buildings connected with both streams synced) and an exactness check;
2. steady state (4 workers, beat on): every ``PROBE_EVERY_S`` one new access entry in every building (and
   a call every third round), created through ``POST /_sandbox/logs/late`` with ``age_s: 0``, which commits
   each building's entry on its own and says when (``visible_at``); the time from that commit (when the
   API could first hand the entry out) to the row being in the portal's database, over every building and
   round: ``portfolio_fresh_p95_s`` (target <= 60) and ``portfolio_fresh_p50_s``. (Until 2026-11-30 the
   round's 1,001 entries went in one transaction and every latency counted from the round's start, so the
   figure also held the sandbox's time to insert the whole round: 10-27 s on these two cores.)
3. an account-wide 429 period: the fault rule ``/v4/*`` -> 429 ``Retry-After: 30`` for ``PERIOD_S``, then a
   minute without it; ``ratelimit_amplification`` = the highest 10-second mean request rate during the
   period and the minute after, over the mean rate of the minute before (target <= 1);
4. cycle time with 4, 2 and 1 worker processes (beat off, the queue emptied, the request budget back at its
   configured rate and a fresh worker each time):
   after one unmeasured warm-up cycle, both streams of every building sent at once, until every cursor
   has been attempted since and no lease is held: ``portfolio_cycle_s_4w``, ``_2w``, ``_1w``;
   ``portfolio_cycle_requests`` is what the sandbox saw in the 4-worker cycle;
5. exactness after each phase: every building's access-log and call ids in the portal against the sandbox's
   (both databases read directly): ``portfolio_lost_rows`` and ``portfolio_duplicate_rows`` (targets 0 and
   0; rows the sandbox does not have count as duplicates too). A mismatch raises after the figures are
   gathered (``ExactnessError.figures`` carries them to bench/bench_portfolio.py).
``portfolio_bmx_rps_max`` is the busiest second the sandbox saw over the whole run (its ``/_sandbox/traffic``
histogram, read every 30 s), ``portfolio_bmx_rps_budget`` the portal's configured budget
(``BMX_REQUEST_BUDGET_RPS``; when the portal has no such setting yet, the sandbox's limit, said on stderr).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SIZES = {
    "full": {
        "buildings": 1000,
        "access_logs": 3000,
        "calls": 300,
        "large": 1_000_000,
        "steady_s": 600,
        "period_s": 180,
        "initial_limit_s": 6 * 3600,
        "cycle_limit_s": 1800,
    },
    # The full fleet's steady state alone, on a light history (no large building): for tuning the
    # freshness figure in ~15 minutes instead of the full run's ~50. Not the figure set.
    "fleet": {
        "buildings": 1000,
        "access_logs": 60,
        "calls": 6,
        "large": 0,
        "steady_s": 600,
        "period_s": 0,
        "initial_limit_s": 3600,
        "cycle_limit_s": 1800,
        "steady_only": True,
    },
    "small": {
        "buildings": 50,
        "access_logs": 200,
        "calls": 20,
        "large": 20_000,
        "steady_s": 150,
        "period_s": 60,
        "initial_limit_s": 1200,
        "cycle_limit_s": 600,
    },
}
DAYS = 7
PROBE_EVERY_S = 10.0
CATCH_UP_S = 600  # after the probes stop, the portal gets this long to show every last one
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "portal_bench_portfolio"
SANDBOX_DB = "sandbox_bench_portfolio"
REDIS = os.environ.get("BENCH_PORTFOLIO_REDIS", "redis://127.0.0.1:6379/1")
QUEUE = "bench-portfolio"
INITIAL_TICK_S = 300.0  # beat's interval while the portfolio connects and backfills
# The portfolio's sizing, by docs/operations.md "Sizing a portfolio" for a freshness target F = 60 s with
# B = 1,001 buildings at one page per stream (2,002 requests a cycle): I <= F - 2,002 / R. With R = 100 req/s
# that is I <= 40 s; 30 s leaves a third of a cycle for the queue. The environment overrides either.
DEFAULT_BUDGET_RPS = 100.0
DEFAULT_INTERVAL_S = 30.0


class ExactnessError(AssertionError):
    """The portal's rows differ from the sandbox's; ``figures`` holds what was measured."""

    def __init__(self, message: str, figures: dict):
        super().__init__(message)
        self.figures = figures


def note(message: str) -> None:
    print(f"# portfolio: {message}", file=sys.stderr, flush=True)


# --- processes --------------------------------------------------------------------------------------------


def recreate(name: str, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS).flushdb()


def purge_queue() -> None:
    """Drop every message of this run's queue, including those a stopped worker handed back (kombu's
    Redis transport keeps unacknowledged ones in ``unacked``); Redis index 1 belongs to this benchmark."""
    import redis

    client = redis.Redis.from_url(REDIS)
    client.delete(QUEUE, "unacked", "unacked_index")
    # The purged tasks' claims would keep their cursors out of the next tick until they go stale
    # (LOGS_SYNC_CLAIM_STALE_S): they are given back with the messages.
    from logs.models import SyncCursor

    SyncCursor.objects.update(sync_requested_at=None, history_queued_at=None)
    # And the cycles measure the configured budget, not the reduced rate still climbing back after the
    # 429 period (portal/butterflymx/budget.py: AIMD).
    from portal.butterflymx.budget import shared_budget

    shared_budget().reset()


def portal_env(sandbox, var_dir: Path, budget: float) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": REDIS,
        "CELERY_BROKER_URL": REDIS,
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "PORTAL_VAR_DIR": str(var_dir),
        "BMX_API_BASE": sandbox.url,
        "BMX_ACCOUNTS_BASE": sandbox.url,
        "BMX_CLIENT_ID": sandbox.demo["client_id"],
        "BMX_CLIENT_SECRET": sandbox.demo["client_secret"],
        "BMX_REQUEST_BUDGET_RPS": str(budget),
        "LOGS_SYNC_ACCESS_INTERVAL_S": os.environ.get("LOGS_SYNC_ACCESS_INTERVAL_S", str(DEFAULT_INTERVAL_S)),
        "LOGS_SYNC_CALLS_INTERVAL_S": os.environ.get("LOGS_SYNC_CALLS_INTERVAL_S", str(DEFAULT_INTERVAL_S)),
        "PORTAL_LOG_LEVEL": "WARNING",
        # The test settings close a walk thread's connection after every walk; production keeps it.
        "LOGS_SYNC_WALKER_IDLE_S": "30",
    }


@contextmanager
def worker(env: dict[str, str], var_dir: Path, processes: int):
    """A real Celery worker, prefork with ``processes`` children, on this run's queue; log in var_dir."""
    log_path = var_dir / f"worker-{processes}w-{time.monotonic_ns()}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "-Q",
                QUEUE,
                "--loglevel=WARNING",
                f"--concurrency={processes}",
                "--pool=prefork",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{QUEUE}-{processes}@%h",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        time.sleep(3)  # --loglevel=WARNING prints no "ready."; a dead start shows below
        if proc.poll() is not None:
            raise RuntimeError(f"the worker exited at start:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Beat(threading.Thread):
    """What beat does for the logs: one ``sync_all_task`` per stream per interval."""

    def __init__(self, intervals: dict[str, float]):
        super().__init__(daemon=True)
        self.intervals = intervals
        self.stop_event = threading.Event()

    def run(self) -> None:
        from django.conf import settings

        from logs.tasks import sync_all_task, sync_watchdog_task

        due = dict.fromkeys(self.intervals, 0.0)
        watchdog_due = 0.0
        while not self.stop_event.is_set():
            now = time.monotonic()
            for stream, interval in self.intervals.items():
                if now >= due[stream]:
                    sync_all_task.delay(stream)
                    due[stream] = now + interval
            if now >= watchdog_due:  # as the beat schedule does: abandoned work resumes at once
                sync_watchdog_task.delay()
                watchdog_due = now + settings.LOGS_SYNC_WATCHDOG_S
            self.stop_event.wait(0.5)

    def stop(self) -> None:
        self.stop_event.set()
        self.join(10)


class Traffic(threading.Thread):
    """Copies the sandbox's per-second /v4 histogram every 30 s (it keeps only 15 minutes)."""

    def __init__(self, sandbox):
        super().__init__(daemon=True)
        self.sandbox = sandbox
        self.seconds: dict[int, int] = {}
        self.stop_event = threading.Event()

    def poll(self) -> None:
        for row in self.sandbox.traffic()["seconds"]:
            self.seconds[row["t"]] = row["requests"]

    def run(self) -> None:
        while not self.stop_event.wait(30):
            with suppress(Exception):  # a slow answer only delays the copy; the next one catches up
                self.poll()

    def stop(self) -> None:
        self.stop_event.set()
        self.join(10)
        self.poll()

    def between(self, start: float, end: float) -> dict[int, int]:
        return {t: n for t, n in self.seconds.items() if int(start) <= t <= int(end)}


# --- the portfolio's data ------------------------------------------------------------------------------------


def sandbox_ids(building_ids: list[int]) -> dict[str, dict[int, set[int]]]:
    import psycopg

    out: dict[str, dict[int, set[int]]] = {"access": {}, "calls": {}}
    with psycopg.connect(f"{PG}/{SANDBOX_DB}") as conn:
        for stream, table in (("access", "sandbox_accesslog"), ("calls", "sandbox_call")):
            cur = conn.execute(f"SELECT building_id, id FROM {table} WHERE building_id = ANY(%s)", (building_ids,))
            for building, row_id in cur:
                out[stream].setdefault(building, set()).add(row_id)
    return out


def portal_ids() -> dict[str, dict[int, list[int]]]:
    from logs.models import AccessLogEntry, CallRecord

    out: dict[str, dict[int, list[int]]] = {"access": {}, "calls": {}}
    for stream, model in (("access", AccessLogEntry), ("calls", CallRecord)):
        for bmx_id, remote_id in model.objects.values_list("building__bmx_id", "remote_id").iterator(50_000):
            out[stream].setdefault(bmx_id, []).append(remote_id)
    return out


def exactness(building_ids: list[int]) -> tuple[int, int]:
    """(lost, duplicated-or-unknown) rows over every building and both streams."""
    remote, local = sandbox_ids(building_ids), portal_ids()
    lost = duplicated = 0
    for stream in ("access", "calls"):
        for building in building_ids:
            want = remote[stream].get(building, set())
            have = local[stream].get(building, [])
            have_set = set(have)
            lost += len(want - have_set)
            duplicated += len(have) - len(have_set) + len(have_set - want)
    return lost, duplicated


def wait_exact(building_ids: list[int], limit_s: float) -> tuple[int, int, float]:
    """Wait (up to ``limit_s``) until nothing is missing; returns (lost, duplicated, seconds waited)."""
    started = time.monotonic()
    while True:
        lost, duplicated = exactness(building_ids)
        if lost == 0 or time.monotonic() - started > limit_s:
            return lost, duplicated, time.monotonic() - started
        time.sleep(5)


def cursors_done(expected: int, since=None) -> tuple[int, int]:
    """(cursors finished, cursors total): backfill finished (or, with ``since``, attempted since) and free."""
    from django.db.models import Q

    from logs.models import SyncCursor

    total = SyncCursor.objects.count()
    if since is None:
        done = SyncCursor.objects.filter(backfill_finished_at__isnull=False, last_success_at__isnull=False)
    else:
        done = SyncCursor.objects.filter(Q(last_success_at__gte=since) | Q(last_error_at__gte=since))
    return done.filter(lease_owner="").count(), max(total, expected)


# --- phases ---------------------------------------------------------------------------------------------------


def initial_sync(building_ids: list[int], limit_s: float) -> float:
    from tenants.models import Building

    started = time.monotonic()
    expected = 2 * len(building_ids)
    last_report = 0.0
    while True:
        done, total = cursors_done(expected)
        connected = Building.objects.filter(bmx_id__in=building_ids, admin_link__isnull=False).count()
        if connected == len(building_ids) and done >= expected:
            return time.monotonic() - started
        if time.monotonic() - started > limit_s:
            raise RuntimeError(f"initial sync unfinished after {limit_s} s: {connected} connected, {done}/{total}")
        if time.monotonic() - last_report > 60:
            last_report = time.monotonic()
            note(f"initial sync: {connected} buildings connected, {done}/{expected} streams backfilled")
        time.sleep(2)


def steady_state(sandbox, building_ids: list[int], seconds: float) -> list[float]:
    """Probe every building every PROBE_EVERY_S; return the latencies (s) of every probe, each from the
    moment the sandbox committed it to the moment the poll below found its row in the portal."""
    from logs.models import AccessLogEntry, CallRecord

    pending: dict[str, dict[int, float]] = {"access": {}, "calls": {}}
    latencies: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()

    # Latency counts from the moment a probe could be seen through the API: the sandbox commits each
    # building's probe on its own and says when (its clock; minus its offset, this machine's clock).
    offset = sandbox.clock_offset()

    def probe() -> None:
        rounds = 0
        while not stop.is_set():
            started = time.time()
            kinds = ["access"] + (["call"] if rounds % 3 == 0 else [])
            for kind in kinds:
                answer = sandbox.late_entries(None, kind, building_ids=building_ids, age_s=0)
                with lock:
                    for building, ids in answer["ids"].items():
                        visible = answer["visible_at"][building] - offset
                        for row_id in ids:
                            pending["access" if kind == "access" else "calls"][row_id] = visible
            rounds += 1
            stop.wait(max(0.0, PROBE_EVERY_S - (time.time() - started)))

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    deadline = time.monotonic() + seconds
    catch_up_until = None
    while True:
        with lock:
            wanted = {stream: list(rows) for stream, rows in pending.items()}
        for stream, model in (("access", AccessLogEntry), ("calls", CallRecord)):
            if not wanted[stream]:
                continue
            seen = set(model.objects.filter(remote_id__in=wanted[stream]).values_list("remote_id", flat=True))
            now = time.time()
            with lock:
                for row_id in seen:
                    latencies.append(now - pending[stream].pop(row_id))
        if catch_up_until is None and time.monotonic() >= deadline:
            stop.set()
            prober.join(60)
            catch_up_until = time.monotonic() + CATCH_UP_S
        if catch_up_until is not None and (not any(pending.values()) or time.monotonic() > catch_up_until):
            break
        time.sleep(1)
    missing = sum(len(rows) for rows in pending.values())
    if missing:
        note(f"{missing} probes never reached the portal within {CATCH_UP_S} s (counted as {CATCH_UP_S} s)")
        latencies += [float(CATCH_UP_S)] * missing
    return latencies


def amplification(sandbox, traffic: Traffic, period_s: float) -> tuple[float, dict]:
    """Rate before (mean of the minute before), the highest 10 s mean during the period and the minute after."""
    time.sleep(60)
    before_start, period_start = time.time() - 60, time.time()
    rule = sandbox.fault("/v4/*", status=429, retry_after=30)
    time.sleep(period_s)
    sandbox.clear_faults()
    note(f"429 period over (rule {rule}); watching the minute after")
    time.sleep(60)
    end = time.time()
    traffic.poll()
    before = traffic.between(before_start, period_start - 1)
    rate_before = sum(before.values()) / 60
    during = traffic.between(period_start, end)
    windows = []
    for start in range(int(period_start), int(end) - 9):
        windows.append(sum(during.get(t, 0) for t in range(start, start + 10)) / 10)
    peak = max(windows, default=0.0)
    detail = {"rate_before": rate_before, "peak_10s": peak, "period_s": period_s}
    note(f"429 period: rate before {rate_before:.2f}/s, highest 10 s mean during+after {peak:.2f}/s")
    if rate_before == 0:
        return float("inf") if peak else 1.0, detail
    return peak / rate_before, detail


def cycle(sandbox, expected: int, limit_s: float) -> tuple[float, int]:
    """Both streams of every building at once; seconds until all cursors were attempted, and requests."""
    from django.utils import timezone

    from logs.tasks import sync_all_task

    time.sleep(2)
    since = timezone.now()
    before = sandbox.traffic()["totals"]["requests"]
    started = time.monotonic()
    sync_all_task.delay("access")
    sync_all_task.delay("calls")
    while True:
        done, _total = cursors_done(expected, since=since)
        if done >= expected:
            break
        if time.monotonic() - started > limit_s:
            raise RuntimeError(f"a cycle did not finish within {limit_s} s ({done}/{expected})")
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    return elapsed, sandbox.traffic()["totals"]["requests"] - before


# --- the scenario ---------------------------------------------------------------------------------------------


def run(scale: str) -> dict[str, tuple[float, str]]:
    size = SIZES[scale if scale in SIZES else "full"]
    from tests.plugins.sandbox import SandboxClient, start_sandbox, stop_sandbox

    var_dir = Path(tempfile.mkdtemp(prefix="bench-portfolio-"))
    recreate(SANDBOX_DB)
    recreate(DB_NAME)
    flush_redis()
    budget_env = float(os.environ.get("BMX_REQUEST_BUDGET_RPS", DEFAULT_BUDGET_RPS))
    server = start_sandbox(str(var_dir), env={"SANDBOX_DATABASE_URL": f"{PG}/{SANDBOX_DB}"})
    figures: dict[str, tuple[float, str]] = {}
    traffic = beat = None
    try:
        sandbox = SandboxClient(server.url)
        sandbox.reset()
        started = time.monotonic()
        created = sandbox.portfolio(
            buildings=size["buildings"],
            access_logs=size["access_logs"],
            calls=size["calls"],
            days=DAYS,
            large_access_logs=size["large"],
            seed=15,
        )
        building_ids = created["building_ids"]
        note(f"sandbox portfolio: {created['counts']} in {time.monotonic() - started:.1f} s")
        sandbox.webhook_faults(drop_rate=1.0)  # webhooks off: polling alone carries the data
        env = portal_env(sandbox, var_dir, budget_env)
        os.environ.update(env)
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        budget = getattr(settings, "BMX_REQUEST_BUDGET_RPS", None)
        if budget is None:
            note("the portal has no BMX_REQUEST_BUDGET_RPS setting yet: no budget is enforced on its side")
            budget = budget_env
        sandbox.rate_limit(float(budget), burst=float(budget))
        traffic = Traffic(sandbox)
        traffic.start()
        intervals = {"access": settings.LOGS_SYNC_ACCESS_INTERVAL_S, "calls": settings.LOGS_SYNC_CALLS_INTERVAL_S}
        figures["portfolio_bmx_rps_budget"] = (float(budget), "req/s")

        from portal.butterflymx import oauth
        from tenants.services import link_admin_connect
        from tests.factories import UserFactory

        with worker(env, var_dir, 4):
            manager = UserFactory(email="portfolio-manager@example.test")
            tokens = oauth.password_grant(created["admin"]["email"], created["admin"]["password"])
            started = time.monotonic()
            link_admin_connect(user=manager, tokens=tokens)  # queues the roster sync (after commit)
            # Beat starts once the history is in: connecting the whole portfolio then costs the backfills
            # alone (the budget's whole rate), not the backfills squeezed between 2,000 walks per tick.
            # A slow tick meanwhile picks up a building whose walk backed off after an error.
            beat = Beat(dict.fromkeys(intervals, INITIAL_TICK_S))
            beat.start()
            figures["portfolio_initial_sync_s"] = (initial_sync(building_ids, size["initial_limit_s"]), "s")
            beat.stop()
            beat = Beat(intervals)
            beat.start()
            figures["portfolio_buildings"] = (float(_synced_buildings(building_ids)), "buildings")
            lost, duplicated, _ = wait_exact(building_ids, 60)
            note(f"after the initial sync: {lost} lost, {duplicated} duplicated")

            latencies = steady_state(sandbox, building_ids, size["steady_s"])
            figures["portfolio_fresh_p95_s"] = (_percentile(latencies, 95), "s")
            figures["portfolio_fresh_p50_s"] = (_percentile(latencies, 50), "s")
            figures["portfolio_probes"] = (float(len(latencies)), "entries")
            lost2, duplicated2, _ = wait_exact(building_ids, 120)
            note(f"after the steady state: {lost2} lost, {duplicated2} duplicated")
            if size.get("steady_only"):
                figures["portfolio_lost_rows"] = (float(max(lost, lost2)), "rows")
                figures["portfolio_duplicate_rows"] = (float(max(duplicated, duplicated2)), "rows")
                return figures

            ratio, _detail = amplification(sandbox, traffic, size["period_s"])
            figures["ratelimit_amplification"] = (ratio, "x")
            lost3, duplicated3, waited = wait_exact(building_ids, size["cycle_limit_s"])
            note(f"after the 429 period: {lost3} lost, {duplicated3} duplicated (caught up in {waited:.0f} s)")
            beat.stop()
        expected = 2 * len(building_ids)
        for processes in (4, 2, 1):
            # Each cycle starts from nothing queued: retries scheduled during the 429 period (handed back to
            # the broker when the worker stopped) would otherwise be counted as the cycle's work.
            purge_queue()
            with worker(env, var_dir, processes):
                cycle(sandbox, expected, size["cycle_limit_s"])  # warm-up: pool children start, connect, import
                figures[f"portfolio_cycle_s_{processes}w"], requests = _cycle_figure(sandbox, expected, size)
                if processes == 4:
                    figures["portfolio_cycle_requests"] = (float(requests), "requests")
        lost4, duplicated4 = exactness(building_ids)
        traffic.stop()
        traffic_max = max(traffic.seconds.values(), default=0)
        figures["portfolio_bmx_rps_max"] = (float(traffic_max), "req/s")
        figures["portfolio_bmx_429s"] = (float(sandbox.traffic()["totals"]["status_429"]), "answers")
        figures["portfolio_lost_rows"] = (float(max(lost, lost2, lost3, lost4)), "rows")
        figures["portfolio_duplicate_rows"] = (float(max(duplicated, duplicated2, duplicated3, duplicated4)), "rows")
        if max(lost, lost2, lost3, lost4) or max(duplicated, duplicated2, duplicated3, duplicated4):
            raise ExactnessError(
                f"portal rows differ from the sandbox: lost {lost}/{lost2}/{lost3}/{lost4}, "
                f"duplicated {duplicated}/{duplicated2}/{duplicated3}/{duplicated4} after each phase",
                figures,
            )
        return figures
    except ExactnessError:
        raise
    except Exception as exc:
        exc.figures = figures  # what was measured before the failure
        raise
    finally:
        if beat is not None and beat.is_alive():
            beat.stop()
        if traffic is not None and traffic.is_alive():
            traffic.stop_event.set()
        stop_sandbox(server)
        with suppress(Exception):
            from django.db import connections

            connections.close_all()
        if os.environ.get("BENCH_KEEP_DB") != "1":
            recreate(DB_NAME, drop_only=True)
            recreate(SANDBOX_DB, drop_only=True)
        flush_redis()
        if os.environ.get("BENCH_VERBOSE") == "1":
            for log in sorted(var_dir.glob("worker-*.log")):
                print(f"# {log.name} (tail)\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)


def _cycle_figure(sandbox, expected: int, size: dict) -> tuple[tuple[float, str], int]:
    seconds, requests = cycle(sandbox, expected, size["cycle_limit_s"])
    note(f"cycle: {seconds:.1f} s, {requests} requests")
    return (seconds, "s"), requests


def _synced_buildings(building_ids: list[int]) -> int:
    from logs.models import SyncCursor

    per_building: dict[int, int] = {}
    rows = SyncCursor.objects.filter(
        building__bmx_id__in=building_ids, backfill_finished_at__isnull=False, last_success_at__isnull=False
    ).values_list("building__bmx_id", flat=True)
    for bmx_id in rows:
        per_building[bmx_id] = per_building.get(bmx_id, 0) + 1
    return sum(1 for count in per_building.values() if count >= 2)


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]


def main() -> None:
    scale = os.environ.get("BENCH_SCALE", "full")
    try:
        figures = run(scale)
    except ExactnessError as exc:
        figures = exc.figures
        for name, (value, unit) in figures.items():
            print(f"{name}: {value:.2f} {unit}", flush=True)
        raise
    for name, (value, unit) in figures.items():
        print(f"{name}: {value:.2f} {unit}", flush=True)


if __name__ == "__main__":
    main()
