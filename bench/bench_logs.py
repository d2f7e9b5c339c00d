"""Benchmarks of the logs app on PostgreSQL: ingest vs COPY, HTTP sync, keyset browsing, CSV export.

    python bench/bench_logs.py            # 1,000,000 rows (BENCH_SCALE=small: 10,000)
    BENCH_LOG_ROWS=10000000 python bench/bench_logs.py   # browse and export a 10,000,000-row table (issue 15)

Ingest and COPY are always measured on the newest 1,000,000 rows (30 days; fewer when BENCH_LOG_ROWS is
smaller). Beyond that, the older history is filled in by the database itself: copies of those rows, each
30 days further back with new remote ids (``grow_history``), as a backfill would have written them,
then ``VACUUM ANALYZE``; the browse, export and offset figures then run on the whole table, and the
retention prune deletes the oldest 30 days (``prune_*`` figures).

Uses its own database (``portal_logs_bench``, created and migrated here, dropped at the end unless
BENCH_KEEP_DB=1) and its own sandbox process. Prints one ``figure: value unit`` line per figure.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SMALL = os.environ.get("BENCH_SCALE") == "small"
N_TOTAL = int(os.environ.get("BENCH_LOG_ROWS") or (10_000 if SMALL else 1_000_000))
N = min(N_TOTAL, 10_000 if SMALL else 1_000_000)  # rows parsed and upserted (the ingest and COPY figures)
N_SYNC = 1_000 if SMALL else 100_000
DB_NAME = os.environ.get("BENCH_DB", "portal_logs_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
BATCH = 10_000
METHODS = [("Swipe to open", 35), ({"access_tool": 843201}, 25), ("App call", 15), ("Visitor Pass (using PIN)", 13)]
METHODS += [("Visitor Pass (using QR code)", 7), ("API", 5)]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
    os.environ.setdefault("PORTAL_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def create_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def make_world():
    from tenants.models import AccessPoint, Building, Membership, Unit
    from tests.factories import UserFactory

    building = Building.objects.create(name="Bench Tower", bmx_id=11743, time_zone="America/New_York")
    units = [
        Unit.objects.create(building=building, bmx_id=200000 + i, label=f"{i // 10 + 1}{'ABCDEFGHIJ'[i % 10]}")
        for i in range(200)
    ]
    doors = [AccessPoint.objects.create(building=building, bmx_id=3900 + i, name=f"Door {i}") for i in range(8)]
    manager = UserFactory(email="bench-manager@example.test")
    Membership.objects.create(user=manager, building=building, role="manager")
    return building, units, doors, manager


def records(n: int, start_id: int, end: datetime, span_days: int, rng: random.Random):
    """ButterflyMX-shaped access-log records, newest first (as the API pages them)."""
    weights = [w for _, w in METHODS]
    span = span_days * 86400
    for i in range(n):
        entry = rng.choices(METHODS, weights)[0][0]
        yield {
            "id": start_id + i,
            "logged_at": (end - timedelta(seconds=span * i / n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "access_point": 3900 + rng.randrange(8),
            "release_status": "Unlocked",
            "name": f"Person {rng.randrange(500)}",
            "release_type": "Tenant",
            "unit": 200000 + rng.randrange(200),
            "tenant_id": 129000 + rng.randrange(500),
            "entry_method": entry,
            "image_url": f"http://127.0.0.1:8001/uploads/store/{rng.getrandbits(128):032x}.png",
        }


def insert_generated(building, n: int, end: datetime, *, chunk: int) -> None:
    """COPY ``n`` generated entries of ``building`` (:func:`records`, ids from 50,000,000, 30 days up to
    ``end``) into the access-log table as a sync parses them (snapshot URLs encrypted), ``chunk`` rows per
    transaction, then ``VACUUM ANALYZE``: the data of bench_load.py and log_page_instructions.py."""
    from django.db import connection, transaction
    from django.utils import timezone

    from logs import parsing, upsert
    from logs.models import AccessLogEntry
    from logs.sync import encryptor, lookups

    doors, _devices, units = lookups(building)
    encrypt, raw_index = encryptor(), parsing.LOG_COLUMNS.index("raw")
    table = AccessLogEntry._meta.db_table
    gen = records(n, 50_000_000, end, 30, random.Random(1))
    while batch := [r for _, r in zip(range(chunk), gen, strict=False)]:
        now = timezone.now()
        rows = [
            parsing.access_log_row(r, building_id=building.pk, doors=doors, units=units, synced_at=now, encrypt=encrypt)
            for r in batch
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            upsert.copy_rows(cursor, table, parsing.LOG_COLUMNS, upsert._jsonify(rows, raw_index))
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")


def bench_ingest(building, end: datetime) -> tuple[float, float]:
    from django.db import connection, transaction
    from django.utils import timezone

    from logs import parsing, upsert
    from logs.models import AccessLogEntry
    from logs.sync import encryptor, lookups

    doors, _devices, units = lookups(building)
    encrypt = encryptor()
    table = AccessLogEntry._meta.db_table

    def parsed(batch):
        now = timezone.now()
        return [
            parsing.access_log_row(r, building_id=building.pk, doors=doors, units=units, synced_at=now, encrypt=encrypt)
            for r in batch
        ]

    def batches(seed: int):
        rng = random.Random(seed)
        gen = records(N, 10_000_000, end, 30, rng)
        while True:
            chunk = [r for _, r in zip(range(BATCH), gen, strict=False)]
            if not chunk:
                return
            yield chunk

    # Plain COPY of the same rows (parsed beforehand, outside the clock) into the same indexed table.
    copy_s = 0.0
    for chunk in batches(1):
        rows = upsert._jsonify(parsed(chunk), parsing.LOG_COLUMNS.index("raw"))
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            upsert.copy_rows(cursor, table, parsing.LOG_COLUMNS, rows)
        copy_s += time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}")
        cursor.execute(f"VACUUM ANALYZE {table}")
    # Ingest: parse + upsert (COPY into a temp table, INSERT ... ON CONFLICT), timed end to end.
    ingest_s = 0.0
    for chunk in batches(1):
        started = time.perf_counter()
        upsert.rows_upsert(stream="access", rows=parsed(chunk))
        ingest_s += time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
    return N / ingest_s, N / copy_s


def grow_history(building) -> float:
    """Fill the table up to N_TOTAL rows with older copies of the ingested rows; seconds it took.

    Copy k holds the rows of the newest N shifted k x 30 days back, with remote ids k x N further on:
    the same mix of doors, units and methods, one more month of history per copy.
    """
    from django.db import connection

    from logs import parsing
    from logs.models import AccessLogEntry

    table = AccessLogEntry._meta.db_table
    started = time.perf_counter()
    copies, remainder = divmod(N_TOTAL - N, N)
    shifted = {"remote_id": "remote_id + %s", "logged_at": "logged_at - %s * interval '30 days'"}
    select = ", ".join(shifted.get(c, c) for c in parsing.LOG_COLUMNS)
    for k in range(1, copies + 2):
        limit = N if k <= copies else remainder
        if not limit:
            break
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(parsing.LOG_COLUMNS)}) SELECT {select} FROM {table}"
                f" WHERE building_id = %s AND remote_id < %s",  # the ingested rows' ids are 10,000,000 on
                [k * N, k, building.pk, 10_000_000 + limit],
            )
        print(f"  history: {k * N + limit:,} rows ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def bench_browse(building, manager, end: datetime) -> tuple[float, float, float]:
    from django.test import Client
    from django.urls import reverse

    from logs import selectors
    from logs.filters import AccessLogFilter
    from logs.models import AccessLogEntry
    from tenants.scope import grants_of

    client = Client()
    client.force_login(manager)
    local_end = end.astimezone(building.tz)
    start = (local_end - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    query = f"building={building.pk}&start={start}&end={local_end:%Y-%m-%dT%H:%M}&release_method=swipe_to_open"
    url = reverse("logs:list") + "?" + query

    def timed(u: str, runs: int = 15) -> float:
        client.get(u)  # warm
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(u)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        return statistics.median(times)

    class Req:  # the FilterSet needs request.user
        user = manager

    fs = AccessLogFilter(
        dict(p.split("=", 1) for p in query.split("&")),
        queryset=AccessLogEntry.objects.restrict(grants_of(manager)),
        request=Req,
    )
    qs = fs.qs.select_related("building", "door").defer(*selectors.LIST_DEFERRED).order_by("-logged_at", "-id")
    deep = min(999 * 50, max(qs.count() - 50, 0))
    anchor = qs[deep - 1 : deep].get() if deep else None
    first_ms = timed(url)
    cursor = selectors.cursor_encode(anchor.logged_at, anchor.pk) if anchor else ""
    page1000_ms = timed(url + f"&cursor={cursor}")

    def offset_page():
        return list(qs[deep : deep + 50])

    offset_page()
    times = []
    for _ in range(15):
        started = time.perf_counter()
        offset_page()
        times.append((time.perf_counter() - started) * 1000)
    return first_ms, page1000_ms / first_ms, statistics.median(times)


def bench_prune(end: datetime) -> tuple[float, float, int]:
    """The retention prune (``logs.retention``) of the oldest 30 days of the grown table: rows/s, the
    longest single DELETE in ms, rows deleted."""
    from django.conf import settings
    from django.db import connection

    from logs.retention import logs_prune

    oldest_days = (N_TOTAL // N) * 30  # the history spans this many days back from ``end``
    settings.LOGS_RETENTION_DAYS = settings.LOGS_CALLS_RETENTION_DAYS = oldest_days - 30
    deletes: list[float] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if sql.lstrip().upper().startswith("DELETE"):
                deletes.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        result = logs_prune(now=end, budget_s=3600)
    seconds = time.perf_counter() - started
    rows = sum(result.deleted.values())
    return rows / seconds, max(deletes), rows


def csv_child() -> None:
    """The export, in a fresh process, so the peak memory is the export's, not the data generation's."""
    import resource

    setup_django()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(get_user_model().objects.get(email="bench-manager@example.test"))
    started = time.perf_counter()
    response = client.get(reverse("logs:export"))
    rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
    seconds = time.perf_counter() - started
    print(rows, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def csv_in_subprocess() -> tuple[float, float]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--csv-child"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True)
    rows, seconds, peak_mb = out.stdout.split()[-3:]
    assert int(rows) == N_TOTAL, f"the CSV held {rows} rows, expected {N_TOTAL}"
    return float(peak_mb), int(rows) / float(seconds)


def bench_sync_http() -> float:
    from django.conf import settings
    from django.utils import timezone

    from logs.models import AccessLogEntry
    from logs.sync import stream_sync
    from portal.butterflymx import oauth
    from tenants.models import BmxLink, Building
    from tests.factories import UserFactory
    from tests.plugins.sandbox import SandboxClient, start_sandbox, stop_sandbox

    server = start_sandbox(tempfile.mkdtemp(prefix="bench-sandbox-"))
    try:
        sandbox = SandboxClient(server.url)
        sandbox.reset()
        settings.BMX_API_BASE = settings.BMX_ACCOUNTS_BASE = server.url
        settings.BMX_CLIENT_ID, settings.BMX_CLIENT_SECRET = sandbox.demo["client_id"], sandbox.demo["client_secret"]
        sandbox.generate(11744, access_logs=N_SYNC, days=60, seed=7)
        tokens = oauth.password_grant("admin@sandbox.test", "sandbox-pass")
        user = UserFactory(email="bench-admin@example.test")
        link = BmxLink.objects.create(
            user=user,
            kind="building_admin",
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at,
        )
        building = Building.objects.create(
            name="Pacific", bmx_id=11744, time_zone="America/Los_Angeles", admin_link=link
        )
        settings.LOGS_BACKFILL_DAYS = 90
        started = time.perf_counter()
        while stream_sync(building_id=building.pk, stream="access", budget_s=3600).status == "more":
            pass
        seconds = time.perf_counter() - started
        count = AccessLogEntry.objects.filter(building=building).count()
        assert count >= N_SYNC, f"synced {count} rows, expected at least {N_SYNC}"
        _ = timezone
        return count / seconds
    finally:
        stop_sandbox(server)


def main() -> None:
    create_database()
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        building, _units, _doors, manager = make_world()
        end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        ingest, copy = bench_ingest(building, end)
        print(f"ingest_rows_per_s: {ingest:.0f} rows/s", flush=True)
        print(f"copy_rows_per_s: {copy:.0f} rows/s", flush=True)
        if N_TOTAL > N:
            print(f"log_rows: {N_TOTAL} rows", flush=True)
            print(f"history_fill_s: {grow_history(building):.0f} s", flush=True)
        first_ms, ratio, offset_ms = bench_browse(building, manager, end)
        print(f"browse_first_page_ms: {first_ms:.1f} ms", flush=True)
        print(f"browse_page1000_ratio: {ratio:.2f} x", flush=True)
        print(f"browse_offset_page1000_ms: {offset_ms:.1f} ms", flush=True)
        peak_mb, csv_rate = csv_in_subprocess()
        print(f"csv_peak_mb: {peak_mb:.0f} MB", flush=True)
        print(f"csv_rows_per_s: {csv_rate:.0f} rows/s", flush=True)
        if N_TOTAL > N:  # after the export, which counts every row
            rate, longest, pruned = bench_prune(end)
            print(f"prune_rows: {pruned} rows", flush=True)
            print(f"prune_rows_per_s: {rate:.0f} rows/s", flush=True)
            print(f"prune_longest_delete_ms: {longest:.1f} ms", flush=True)
        print(f"sync_http_rows_per_s: {bench_sync_http():.0f} rows/s", flush=True)
    finally:
        from django.db import connections

        connections.close_all()
        if os.environ.get("BENCH_KEEP_DB") != "1":
            drop_database()


if __name__ == "__main__":
    csv_child() if "--csv-child" in sys.argv else main()
