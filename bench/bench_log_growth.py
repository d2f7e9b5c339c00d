"""The access-log table's two growth plans side by side on PostgreSQL (issue 15).

    python bench/bench_log_growth.py                # 3,000,000 rows over 6 months (BENCH_SCALE=small: 100,000)
    BENCH_GROWTH_ROWS=5000000 python bench/bench_log_growth.py

(a) ``part``: declarative partitioning by month on ``logged_at``. PostgreSQL requires the partition key in
    every unique constraint, so the primary key becomes ``(id, logged_at)`` and the upsert's constraint
    ``(building_id, remote_id, logged_at)``; pruning drops a whole partition.
(b) ``brin``: one plain table as today (unique ``(building_id, remote_id)``, the same btree indexes) plus a
    BRIN index on ``logged_at``; pruning deletes the oldest rows in batches of ``BATCH`` rows, as
    ``logs.retention`` does.

Both scratch tables (in their own database, ``portal_growth_bench``, dropped at the end unless
BENCH_KEEP_DB=1) hold the same rows, generated server-side: the columns and indexes of
``logs.AccessLogEntry``, 50 buildings of which one holds 40% of the rows (the browsed one), rows
appended in ``logged_at`` order as the incremental sync writes them. Prints ``figure: value unit`` lines,
each figure suffixed with the plan.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime, timedelta

import psycopg

SMALL = os.environ.get("BENCH_SCALE") == "small"
N = int(os.environ.get("BENCH_GROWTH_ROWS") or (100_000 if SMALL else 3_000_000))
MONTHS = 6
BUILDINGS = 50
BATCH = 5_000  # rows per prune batch (logs.retention.PRUNE_BATCH)
UPSERT_BATCH = 5_000  # rows per upsert statement (a backfill chunk is a few thousand)
UPSERT_BATCHES = 4 if SMALL else 20
RUNS = 15
DB_NAME = os.environ.get("BENCH_DB", "portal_growth_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
# Month boundaries (UTC): data spans MONTHS whole months ending at END.
END = datetime(2026, 11, 1, tzinfo=UTC)
MONTH_STARTS = [datetime(2026, 11 - MONTHS + i, 1, tzinfo=UTC) for i in range(MONTHS + 1)]
START = MONTH_STARTS[0]

COLUMNS = """
    building_id bigint NOT NULL,
    remote_id bigint NOT NULL,
    logged_at timestamptz NOT NULL,
    release_method varchar(24) NOT NULL,
    entry_method_text varchar(100) NOT NULL,
    entry_method_ref bigint,
    release_type varchar(16) NOT NULL,
    release_status varchar(16) NOT NULL,
    door_id bigint,
    door_bmx_id bigint,
    unit_id bigint,
    unit_bmx_id bigint,
    unit_label varchar(64) NOT NULL,
    tenant_bmx_id bigint,
    person_name varchar(200) NOT NULL,
    snapshot_url text NOT NULL,
    raw jsonb NOT NULL,
    synced_at timestamptz NOT NULL
"""
INSERT_COLUMNS = (
    "building_id, remote_id, logged_at, release_method, entry_method_text, entry_method_ref, release_type, "
    "release_status, door_id, door_bmx_id, unit_id, unit_bmx_id, unit_label, tenant_bmx_id, person_name, "
    "snapshot_url, raw, synced_at"
)
# The model's btree indexes (logs/models.py), the same on both plans.
BTREES = [
    ("bldg_time", "building_id, logged_at DESC, id DESC"),
    ("bldg_method_time", "building_id, release_method, logged_at DESC, id DESC"),
    ("door_time", "door_id, logged_at DESC, id DESC"),
    ("unit_time", "unit_id, logged_at DESC, id DESC"),
    ("time_bldg", "logged_at DESC, id DESC, building_id"),
]


def rows_sql(n: int, first: int, start: datetime, end: datetime) -> str:
    """SELECT producing ``n`` ButterflyMX-shaped rows from ``first`` on, evenly spread over [start, end)."""
    span = (end - start).total_seconds()
    return f"""
        SELECT b, {first} + g, '{start.isoformat()}'::timestamptz + make_interval(secs => {span} * g / {n}),
               (ARRAY['swipe_to_open','swipe_to_open','swipe_to_open','access_tool','access_tool',
                      'front_door_view','virtual_key_pin','qr_code','api'])[1 + (g * 7919) % 9],
               'Swipe to open', NULL, 'Tenant', 'Unlocked',
               1 + (g * 31) % 8, 3900 + (g * 31) % 8, 1 + (g * 17) % 200, 200000 + (g * 17) % 200,
               ((g * 17) % 200 / 10 + 1)::text || 'A', 129000 + g % 500, 'Person ' || g % 500,
               'gAAAAAB' || md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text) || md5((g + 3)::text),
               jsonb_build_object('id', {first} + g, 'access_point', 3900 + (g * 31) % 8,
                                  'release_status', 'Unlocked', 'release_type', 'Tenant',
                                  'name', 'Person ' || g % 500, 'entry_method', 'Swipe to open',
                                  'unit', 200000 + (g * 17) % 200, 'tenant_id', 129000 + g % 500),
               now()
        FROM generate_series(0::bigint, {n - 1}) AS g,
             LATERAL (SELECT CASE WHEN g % 5 < 2 THEN 1 ELSE 2 + (g * 13) % {BUILDINGS - 1} END AS b) AS pick
    """


def create_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def build(conn) -> dict[str, float]:
    """Both tables with the same N rows; the load time of each (rows, then indexes)."""
    seconds = {}
    started = time.perf_counter()
    conn.execute(f"CREATE TABLE brin (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, {COLUMNS})")
    conn.execute(f"INSERT INTO brin ({INSERT_COLUMNS}) {rows_sql(N, 10_000_000, START, END)}")
    conn.execute("ALTER TABLE brin ADD CONSTRAINT brin_unique UNIQUE (building_id, remote_id)")
    for name, cols in BTREES:
        conn.execute(f"CREATE INDEX brin_{name} ON brin ({cols})")
    conn.execute("CREATE INDEX brin_logged_at ON brin USING brin (logged_at) WITH (autosummarize = on)")
    conn.execute("SELECT setval(pg_get_serial_sequence('brin', 'id'), (SELECT max(id) FROM brin))")
    seconds["brin"] = time.perf_counter() - started

    started = time.perf_counter()
    conn.execute(
        f"CREATE TABLE part (id bigint GENERATED BY DEFAULT AS IDENTITY, {COLUMNS}, PRIMARY KEY (id, logged_at))"
        " PARTITION BY RANGE (logged_at)"
    )
    # One partition per month, plus the next one (a job creates each month's partition ahead of time).
    for lo in MONTH_STARTS:
        hi = (lo + timedelta(days=32)).replace(day=1)
        bounds = f"FROM ('{lo.isoformat()}') TO ('{hi.isoformat()}')"
        conn.execute(f"CREATE TABLE part_{lo:%Y%m} PARTITION OF part FOR VALUES {bounds}")
    conn.execute(f"INSERT INTO part (id, {INSERT_COLUMNS}) SELECT id, {INSERT_COLUMNS} FROM brin")
    conn.execute("ALTER TABLE part ADD CONSTRAINT part_unique UNIQUE (building_id, remote_id, logged_at)")
    for name, cols in BTREES:
        conn.execute(f"CREATE INDEX part_{name} ON part ({cols})")
    conn.execute("SELECT setval(pg_get_serial_sequence('part', 'id'), (SELECT max(id) FROM part))")
    seconds["part"] = time.perf_counter() - started
    conn.execute("VACUUM ANALYZE brin")
    conn.execute("VACUUM ANALYZE part")
    return seconds


def sizes(conn, plan: str) -> tuple[float, float]:
    """(table MB, all indexes MB) of a plan, partitions included."""
    tables = [plan]
    if plan == "part":
        leaves = conn.execute("SELECT relid::regclass::text FROM pg_partition_tree('part') WHERE isleaf")
        tables = [r[0] for r in leaves]
    heap = idx = 0
    for t in tables:
        heap += conn.execute(f"SELECT pg_table_size('{t}')").fetchone()[0]
        idx += conn.execute(f"SELECT pg_indexes_size('{t}')").fetchone()[0]
    return heap / 2**20, idx / 2**20


def brin_index_kb(conn) -> float:
    return conn.execute("SELECT pg_relation_size('brin_logged_at')").fetchone()[0] / 1024


def upsert(conn, plan: str) -> tuple[float, float]:
    """Rows/s of the sync's upsert (COPY into a stage, then INSERT ... ON CONFLICT): new rows, then the
    same rows again (the overlap window re-read: conflicts, nothing changed)."""
    key = "building_id, remote_id" if plan == "brin" else "building_id, remote_id, logged_at"
    conflict = f"ON CONFLICT ({key}) DO UPDATE SET raw = EXCLUDED.raw WHERE {plan}.raw IS DISTINCT FROM EXCLUDED.raw"
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS stage AS SELECT {INSERT_COLUMNS} FROM brin WITH NO DATA")
    new_s = again_s = 0.0
    hour = timedelta(hours=1)
    for i in range(UPSERT_BATCHES):
        # New entries of the last day of data, after the existing ones (ids past the generated ones).
        lo = END - timedelta(days=1) + i * hour / UPSERT_BATCHES
        conn.execute("TRUNCATE stage")
        batch = rows_sql(UPSERT_BATCH, 90_000_000 + i * UPSERT_BATCH, lo, lo + hour / UPSERT_BATCHES)
        conn.execute(f"INSERT INTO stage {batch}")
        for label in ("new", "again"):
            started = time.perf_counter()
            with conn.transaction():
                conn.execute(f"INSERT INTO {plan} ({INSERT_COLUMNS}) SELECT {INSERT_COLUMNS} FROM stage {conflict}")
            if label == "new":
                new_s += time.perf_counter() - started
            else:
                again_s += time.perf_counter() - started
    total = UPSERT_BATCHES * UPSERT_BATCH
    conn.execute(f"DELETE FROM {plan} WHERE remote_id >= 90000000")
    conn.execute(f"VACUUM ANALYZE {plan}")
    return total / new_s, total / again_s


def median_ms(conn, sql: str, params=()) -> float:
    conn.execute(sql, params).fetchall()  # warm
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        conn.execute(sql, params).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def browse(conn, plan: str) -> tuple[float, float]:
    """The log list's query (logs.selectors): building + 7 days + release method, 50 per page, newest first;
    the first page and a keyset page ~1,000 pages deep (or as deep as the data goes)."""
    hi = END - timedelta(days=1)
    lo = hi - timedelta(days=7)
    where = "building_id = 1 AND logged_at >= %s AND logged_at < %s AND release_method = 'swipe_to_open'"
    select = f"SELECT id, logged_at, door_id, unit_label, person_name, release_method FROM {plan} WHERE {where}"
    first = median_ms(conn, f"{select} ORDER BY logged_at DESC, id DESC LIMIT 51", (lo, hi))
    total = conn.execute(f"SELECT count(*) FROM {plan} WHERE {where}", (lo, hi)).fetchone()[0]
    deep = min(999 * 50, max(total - 50, 0))
    at, pk = conn.execute(
        f"SELECT logged_at, id FROM {plan} WHERE {where} ORDER BY logged_at DESC, id DESC OFFSET %s LIMIT 1",
        (lo, hi, deep - 1),
    ).fetchone()
    page = median_ms(
        conn,
        f"{select} AND (logged_at, id) < (%s, %s) ORDER BY logged_at DESC, id DESC LIMIT 51",
        (lo, hi, at, pk),
    )
    return first, page


def browse_many(conn, plan: str) -> float:
    """The first page of a manager of 49 of the 50 buildings, no filter (``building_id IN (...)``)."""
    ids = ", ".join(str(b) for b in range(2, BUILDINGS + 1))
    sql = f"SELECT id, logged_at, building_id FROM {plan} WHERE building_id IN ({ids}) ORDER BY logged_at DESC, id DESC"
    return median_ms(conn, sql + " LIMIT 51")


def range_counts(conn, plan: str) -> tuple[float, float]:
    """Counting a date range: one building's last 7 days; all buildings' one day (a report, the prune's
    look-up), which only the BRIN index or partition pruning can narrow."""
    hi = END - timedelta(days=1)
    count = f"SELECT count(*) FROM {plan} WHERE logged_at >= %s AND logged_at < %s"
    one = median_ms(conn, f"{count} AND building_id = 1", (hi - timedelta(days=7), hi))
    lo = START + timedelta(days=45)
    every = median_ms(conn, count, (lo, lo + timedelta(days=1)))
    return one, every


def prune(conn, plan: str) -> tuple[float, float, int]:
    """Remove the oldest month: (total s, longest single statement ms, rows removed).

    ``part`` detaches and drops the partition; ``brin`` deletes batches of the oldest rows as
    ``logs.retention`` does (``ORDER BY logged_at, id LIMIT n``, walked through the ``time_bldg`` btree).
    """
    if plan == "part":
        name = f"part_{MONTH_STARTS[0]:%Y%m}"
        rows = conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        started = time.perf_counter()
        # DETACH ... CONCURRENTLY cannot run in a transaction block; autocommit is on.
        conn.execute(f"ALTER TABLE part DETACH PARTITION {name} CONCURRENTLY")
        conn.execute(f"DROP TABLE {name}")
        seconds = time.perf_counter() - started
        return seconds, seconds * 1000, rows
    sql = "DELETE FROM brin WHERE id IN (SELECT id FROM brin WHERE logged_at < %s ORDER BY logged_at, id LIMIT %s)"
    rows = 0
    longest = 0.0
    started = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        deleted = conn.execute(sql, (MONTH_STARTS[1], BATCH)).rowcount
        longest = max(longest, (time.perf_counter() - t0) * 1000)
        rows += deleted
        if deleted < BATCH:
            break
    return time.perf_counter() - started, longest, rows


def explain(conn, sql: str, params=()) -> str:
    return "\n".join(r[0] for r in conn.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params))


def main() -> None:
    create_database()
    try:
        with psycopg.connect(f"{PG}/{DB_NAME}", autocommit=True) as conn:
            print(f"growth_rows: {N} rows", flush=True)
            load = build(conn)
            for plan in ("brin", "part"):
                print(f"growth_load_s_{plan}: {load[plan]:.1f} s", flush=True)
            for plan in ("brin", "part"):
                heap, idx = sizes(conn, plan)
                print(f"growth_table_mb_{plan}: {heap:.0f} MB", flush=True)
                print(f"growth_index_mb_{plan}: {idx:.0f} MB", flush=True)
            print(f"growth_brin_index_kb: {brin_index_kb(conn):.0f} KB", flush=True)
            for plan in ("brin", "part"):
                new, again = upsert(conn, plan)
                print(f"growth_upsert_new_rows_per_s_{plan}: {new:.0f} rows/s", flush=True)
                print(f"growth_upsert_again_rows_per_s_{plan}: {again:.0f} rows/s", flush=True)
            for plan in ("brin", "part"):
                first, deep = browse(conn, plan)
                print(f"growth_first_page_ms_{plan}: {first:.2f} ms", flush=True)
                print(f"growth_deep_page_ms_{plan}: {deep:.2f} ms", flush=True)
                print(f"growth_many_buildings_page_ms_{plan}: {browse_many(conn, plan):.2f} ms", flush=True)
            for plan in ("brin", "part"):
                one, every = range_counts(conn, plan)
                print(f"growth_count_building_7d_ms_{plan}: {one:.1f} ms", flush=True)
                print(f"growth_count_all_1d_ms_{plan}: {every:.1f} ms", flush=True)
            # Plans before the prune removes the months they read.
            if os.environ.get("BENCH_VERBOSE") == "1":
                hi = END - timedelta(days=1)
                lo = START + timedelta(days=45)
                for plan in ("brin", "part"):
                    count = f"SELECT count(*) FROM {plan} WHERE logged_at >= %s AND logged_at < %s"
                    print(explain(conn, count, (lo, lo + timedelta(days=1))))
                    page = (
                        f"SELECT id FROM {plan} WHERE building_id = 1 AND logged_at >= %s AND logged_at < %s"
                        " AND release_method = 'swipe_to_open' ORDER BY logged_at DESC, id DESC LIMIT 51"
                    )
                    print(explain(conn, page, (hi - timedelta(days=7), hi)))
            for plan in ("brin", "part"):
                seconds, longest, rows = prune(conn, plan)
                print(f"growth_prune_month_s_{plan}: {seconds:.2f} s", flush=True)
                print(f"growth_prune_longest_statement_ms_{plan}: {longest:.1f} ms", flush=True)
                print(f"growth_prune_rows_{plan}: {rows} rows", flush=True)
    finally:
        if os.environ.get("BENCH_KEEP_DB") != "1":
            drop_database()


if __name__ == "__main__":
    main()
