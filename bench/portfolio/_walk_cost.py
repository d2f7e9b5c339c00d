"""The CPU one incremental walk costs, in the portal's process and in the sandbox's (not a scenario).

    .venv/bin/python bench/portfolio/_walk_cost.py [buildings] [rounds] [profile.out]

A portfolio of ``buildings`` in the sandbox, connected through one admin link, each stream backfilled in
this process; then ``rounds`` walks of every building's access stream, each finding 0-1 new entries as in
the portfolio's steady state. Prints the CPU seconds per walk of this process (every thread) and of the
sandbox's process, and writes a cProfile of the walks to ``profile.out`` when given.
"""

from __future__ import annotations

import cProfile
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.portfolio._sync_rig import Rig, note


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (a prefork worker), as far as they are alive."""
    import psutil

    total = 0.0
    root = psutil.Process(pid)
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def pg_cpu(databases: list[str]) -> float:
    """CPU seconds of the PostgreSQL backends serving ``databases`` (alive ones)."""
    import psutil
    import psycopg

    from bench.portfolio._sync_rig import PG

    with psycopg.connect(f"{PG}/postgres") as conn:
        pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s)", (databases,))]
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


@contextmanager
def counted_statements():
    """Counts the SQL statements this thread sends to the portal's database (a one-item list)."""
    from django.db import connection

    counted = [0]

    def count(execute, sql, params, many, context):
        counted[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield counted


def connect(sandbox, created) -> list[int]:
    """Each building of the portfolio connected to its admin account (as the logs tests connect one)."""
    from tests.logs.conftest import connect_building

    email = created["admin"]["email"]
    return [connect_building(sandbox, bmx_id, email=email).building.pk for bmx_id in created["building_ids"]]


def main() -> None:
    buildings = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    profile_path = sys.argv[3] if len(sys.argv) > 3 else None
    settings = {"BMX_REQUEST_BUDGET_RPS": "1000", "LOGS_BACKFILL_DAYS": "8", "PORTAL_LOG_LEVEL": "WARNING"}
    rig = Rig("walkcost", int(os.environ.get("BENCH_WALKCOST_REDIS_INDEX", "5")), settings)
    # Databases of one's own (a helper's), so a run beside the lead's benchmark never touches its databases.
    rig.db = os.environ.get("BENCH_WALKCOST_DB", rig.db)
    rig.sandbox_db = os.environ.get("BENCH_WALKCOST_SANDBOX_DB", rig.sandbox_db)
    with rig:
        sandbox = rig.sandbox
        created = sandbox.portfolio(buildings=buildings, access_logs=200, calls=20, days=7, large_access_logs=0, seed=3)
        pks = connect(sandbox, created)
        from logs.sync import stream_sync, walk_run

        for pk in pks:
            for stream in ("access", "calls"):
                outcome = stream_sync(building_id=pk, stream=stream, budget_s=600)
                assert outcome.status == "done", outcome
        bmx_ids = created["building_ids"]
        # The steady state of the portfolio bench: a probe every 10 s per building (a call every 30 s), so
        # a walk re-reads the ~60 entries of its overlap window (LOGS_SYNC_OVERLAP_S) and finds 0-1 new.
        sandbox.late_entries(None, "access", building_ids=bmx_ids, age_s=590, count=59, spread_s=580)
        sandbox.late_entries(None, "call", building_ids=bmx_ids, age_s=590, count=19, spread_s=580)
        for pk in pks:
            for stream in ("access", "calls"):
                walk_run(building_id=pk, stream=stream)
        walks = statements = 0
        cpu_self = cpu_sandbox = cpu_pg = cpu_pg_sandbox = wall = 0.0
        profiler = cProfile.Profile(time.process_time) if profile_path else None
        for _ in range(rounds):
            sandbox.late_entries(None, "access", building_ids=bmx_ids, age_s=0)
            p0, q0 = pg_cpu([rig.db]), pg_cpu([rig.sandbox_db])  # persistent connections here: exact
            s0, b0, w0 = time.process_time(), proc_cpu(rig.server.process.pid), time.monotonic()
            if profiler:
                profiler.enable()
            with counted_statements() as counted:
                for pk in pks:
                    outcome = walk_run(building_id=pk, stream="access")
                    assert outcome.status == "done", outcome
                    walks += 1
            statements += counted[0]
            if profiler:
                profiler.disable()
            cpu_self += time.process_time() - s0
            cpu_sandbox += proc_cpu(rig.server.process.pid) - b0
            cpu_pg += pg_cpu([rig.db]) - p0
            cpu_pg_sandbox += pg_cpu([rig.sandbox_db]) - q0
            wall += time.monotonic() - w0
        if profiler:
            profiler.dump_stats(profile_path)
        note("walkcost", f"{walks} walks")
        print(f"walk_cpu_portal_ms: {1000 * cpu_self / walks:.2f} ms")
        print(f"walk_cpu_sandbox_ms: {1000 * cpu_sandbox / walks:.2f} ms")
        print(f"walk_cpu_postgres_ms: {1000 * cpu_pg / walks:.2f} ms (the portal's database)")
        print(f"walk_cpu_postgres_sandbox_ms: {1000 * cpu_pg_sandbox / walks:.2f} ms (the sandbox's database)")
        print(f"walk_wall_ms: {1000 * wall / walks:.2f} ms")
        print(f"walk_sql_statements: {statements / walks:.2f} statements (the portal's database, per walk)")
        from django.db import connections

        connections.close_all()
        worker_cycles(rig, sandbox, bmx_ids, len(pks), rounds)


def worker_cycles(rig, sandbox, bmx_ids: list[int], buildings: int, rounds: int) -> None:
    """Cycles through a real Celery worker (1 process): both streams of every building, as beat sends them;
    once per count of walk threads in ``WALK_COST_THREADS`` (say ``1,4``; default: the setting's)."""
    from django.conf import settings

    counts = os.environ.get("WALK_COST_THREADS") or str(settings.LOGS_SYNC_WALK_THREADS)
    for threads in (int(n) for n in counts.split(",")):
        proc = start_worker(rig, threads)
        try:
            measure_cycles(rig, sandbox, proc, bmx_ids, buildings, rounds, threads)
        finally:
            proc.terminate()
            proc.wait(60)


def start_worker(rig, threads: int):
    import subprocess

    log = open(rig.var_dir / f"worker-{threads}t.log", "wb")  # noqa: SIM115
    profile = os.environ.get("WALK_COST_WORKER_PROFILE")  # a cProfile of a solo worker, written at its exit
    pool = ["--pool=solo"] if profile else ["--concurrency=1", "--pool=prefork"]
    prefix = ["-m", "cProfile", "-o", profile] if profile else []
    proc = subprocess.Popen(
        [sys.executable, *prefix, "-m", "celery", "-A", "portal", "worker", "-Q", rig.queue, "--loglevel=WARNING"]
        + [*pool, "--without-gossip", "--without-mingle", "--without-heartbeat"]
        + ["-n", f"{rig.queue}-{threads}t@%h"],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, **rig.env, "LOGS_SYNC_WALK_THREADS": str(threads)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    rig.workers.append(proc)
    time.sleep(4)
    return proc


def measure_cycles(rig, sandbox, proc, bmx_ids: list[int], buildings: int, rounds: int, threads: int) -> None:
    from django.db.models import Q
    from django.utils import timezone

    from logs.models import SyncCursor
    from logs.tasks import sync_all_task

    dbs = [rig.db, rig.sandbox_db]

    def one_cycle() -> float:
        sandbox.late_entries(None, "access", building_ids=bmx_ids, age_s=0)
        since = timezone.now()
        started = time.monotonic()
        sync_all_task.delay("access")
        sync_all_task.delay("calls")
        while True:
            done = SyncCursor.objects.filter(Q(last_success_at__gte=since) | Q(last_error_at__gte=since))
            if done.filter(lease_owner="", sync_requested_at__isnull=True).count() >= 2 * buildings:
                return time.monotonic() - started
            time.sleep(0.2)

    one_cycle()  # warm-up
    w0, s0, p0 = tree_cpu(proc.pid), proc_cpu(rig.server.process.pid), pg_cpu(dbs)
    wall = sum(one_cycle() for _ in range(rounds))
    w1, s1, p1 = tree_cpu(proc.pid), proc_cpu(rig.server.process.pid), pg_cpu(dbs)
    walks = 2 * buildings * rounds
    if os.environ.get("WALK_COST_GAPS") == "1":  # where a cycle's wall time goes: in the walks or between
        rows = sorted(SyncCursor.objects.values_list("last_attempt_at", "last_success_at"))
        inside = [(b - a).total_seconds() for a, b in rows if a and b]
        between = [(rows[i + 1][0] - rows[i][1]).total_seconds() for i in range(len(rows) - 1)]
        note("walkcost", f"last cycle: walks {sum(inside):.2f} s in all, between walks {sum(between):.2f} s")
    print(f"cycle_walk_cpu_worker_ms: {1000 * (w1 - w0) / walks:.2f} ms ({threads} walk threads)")
    print(f"cycle_walk_cpu_sandbox_ms: {1000 * (s1 - s0) / walks:.2f} ms ({threads} walk threads)")
    # Celery closes its database connection after every task: backends that ended are not counted here.
    print(f"cycle_walk_cpu_postgres_ms: {1000 * (p1 - p0) / walks:.2f} ms (backends alive at both ends only)")
    print(f"cycle_walk_wall_ms: {1000 * wall / walks:.2f} ms (1 worker process, {threads} walk threads)")


if __name__ == "__main__":
    main()
