"""Bulk history for benchmarks: N access-log entries and M calls for one building, fast.

Rows come from a few hundred pre-rendered templates (tenant, door, method) plus a random timestamp, sorted
so ids grow with time and index inserts are sequential. SQLite gets ``executemany`` on the raw connection
with ``synchronous=OFF`` for the duration; PostgreSQL gets ``COPY FROM STDIN``. Both are ANALYZEd after.
"""

import contextlib
import datetime as dt
import io
import json
import random
import time
import uuid
from typing import Any

from django.db import connection, transaction

from sandbox import clock
from sandbox.models import AccessLog, AccessPoint, AccessTool, Building, Call, Device, Tenant

LOG_COLUMNS = (
    "building_id",
    "logged_at",
    "access_point_id",
    "release_status",
    "name",
    "release_type",
    "unit_id",
    "unit_label",
    "tenant_id",
    "entry_method",
    "release_method",
    "image_path",
)
CALL_COLUMNS = (
    "building_id",
    "logged_at",
    "guid",
    "notification_type",
    "recipient_type",
    "recipient_id",
    "recipient_name",
    "unit_id",
    "unit_label",
    "device_id",
    "device_name",
    "status",
    "image_path",
)
METHODS = [  # (code, weight, release type, display entry method or None for an access tool)
    ("swipe_to_open", 35, "Tenant", "Swipe to open"),
    ("pin", 25, "Tenant", None),
    ("front_door_view", 15, "Tenant", "App call"),
    ("virtual_key_pin", 8, "Visitor", "Visitor Pass (using PIN)"),
    ("qr_code", 7, "Visitor", "Visitor Pass (using QR code)"),
    ("delivery_pass", 5, "Delivery", "Visitor Pass (using PIN)"),
    ("api", 5, "Tenant", "API"),
]
CALL_STATUSES = ["opened_door", "opened_door", "opened_door", "canceled", "timeout_online_signal", "rejected"]
BATCH = 50_000


def _templates(building: Building, rng: random.Random) -> list[tuple]:
    tenants = list(Tenant.objects.filter(building=building).select_related("user", "unit"))
    doors = list(AccessPoint.objects.filter(building=building).values_list("id", flat=True))
    pins = dict(AccessTool.objects.filter(building=building, type="pin").values_list("tenant_id", "id"))
    if not tenants or not doors:
        raise ValueError("the building needs tenants and access points")
    out = []
    for code, weight, release_type, display in METHODS:
        for _ in range(weight * 4):
            t = rng.choice(tenants)
            entry = display if display else {"access_tool": pins.get(t.id, 843201)}
            name = f"{t.user.first_name} {t.user.last_name}" if release_type == "Tenant" else "Guest"
            out.append(
                (
                    rng.choice(doors),
                    "Unlocked",
                    name,
                    release_type,
                    t.unit_id,
                    t.unit.label,
                    t.id,
                    json.dumps(entry),
                    code,
                    "/uploads/store/generated.png",
                )
            )
    return out


def _timestamps(n: int, start: dt.datetime, end: dt.datetime, rng: random.Random) -> list[str]:
    lo, hi = int(start.timestamp()), int(end.timestamp())
    epochs = sorted(rng.randrange(lo, hi) for _ in range(n))
    fmt = "%Y-%m-%d %H:%M:%S"
    utc = dt.UTC
    return [dt.datetime.fromtimestamp(e, utc).strftime(fmt) for e in epochs]


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    if connection.vendor == "postgresql":
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for start in range(0, len(rows), BATCH):
                buffer = io.StringIO()
                for row in rows[start : start + BATCH]:
                    buffer.write("\t".join("\\N" if v is None else str(v) for v in row))
                    buffer.write("\n")
                copy.write(buffer.getvalue())
        return
    raw = connection.connection
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    for start in range(0, len(rows), BATCH):
        raw.executemany(sql, rows[start : start + BATCH])


def log_rows(building: Building, n: int, start: dt.datetime, end: dt.datetime, rng: random.Random) -> list[tuple]:
    """``n`` access-log rows (``LOG_COLUMNS``) of one building, oldest first."""
    if not n:
        return []
    templates = _templates(building, rng)
    picks = rng.choices(templates, k=n)
    stamps = _stamps(n, start, end, rng)
    return [(building.id, s, *t) for s, t in zip(stamps, picks, strict=True)]


def call_rows(building: Building, n: int, start: dt.datetime, end: dt.datetime, rng: random.Random) -> list[tuple]:
    """``n`` call rows (``CALL_COLUMNS``) of one building, oldest first, each with its own GUID."""
    if not n:
        return []
    panels = list(
        Device.objects.filter(building=building, type__in=["panel", "virtual_intercom"]).values_list("id", "name")
    ) or list(Device.objects.filter(building=building).values_list("id", "name"))
    tenants = list(Tenant.objects.filter(building=building).select_related("user", "unit"))
    if not panels or not tenants:
        raise ValueError("the building needs tenants and devices")
    rows = []
    for i, s in enumerate(_stamps(n, start, end, rng)):
        t = tenants[i % len(tenants)]
        panel = panels[i % len(panels)]
        rows.append(
            (
                building.id,
                s,
                str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "delivery" if i % 7 == 0 else "visitor",
                "Tenant",
                t.id,
                f"{t.user.first_name} {t.user.last_name}",
                t.unit_id,
                t.unit.label,
                panel[0],
                panel[1],
                CALL_STATUSES[i % len(CALL_STATUSES)],
                "/uploads/store/generated.png",
            )
        )
    return rows


def _stamps(n: int, start: dt.datetime, end: dt.datetime, rng: random.Random) -> list[str]:
    stamps = _timestamps(n, start, end, rng)
    return stamps if connection.vendor == "sqlite" else [s + "+00" for s in stamps]


def insert_logs(rows: list[tuple]) -> None:
    _insert(AccessLog._meta.db_table, LOG_COLUMNS, rows)


def insert_calls(rows: list[tuple]) -> None:
    _insert(Call._meta.db_table, CALL_COLUMNS, rows)


@contextlib.contextmanager
def bulk_mode():
    """One transaction with SQLite's fsyncs off for its duration; tables ANALYZEd after."""
    sqlite = connection.vendor == "sqlite"
    connection.ensure_connection()
    if sqlite:
        connection.connection.execute("PRAGMA synchronous=OFF")
        connection.connection.execute("PRAGMA cache_size=-262144")  # 256 MiB of page cache for the inserts
    try:
        with transaction.atomic():
            yield
        # Fresh statistics for the planner; on PostgreSQL VACUUM also sets the visibility map, so the
        # page's COUNT(*) can be an index-only scan instead of visiting every heap page.
        analyze = "ANALYZE" if sqlite else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            cursor.execute(f"{analyze} {AccessLog._meta.db_table}")
            cursor.execute(f"{analyze} {Call._meta.db_table}")
    finally:
        if sqlite:
            connection.connection.execute("PRAGMA synchronous=NORMAL")


def generate(
    building_id: int, access_logs: int = 0, calls: int = 0, days: int = 365, seed: int | None = None
) -> dict[str, Any]:
    """Insert history ending now (sandbox clock) and reaching ``days`` back. Returns counts and seconds."""
    started = time.perf_counter()
    building = Building.objects.get(id=building_id)
    rng = random.Random(seed)
    end = clock.now()
    start = end - dt.timedelta(days=days)
    with bulk_mode():
        insert_logs(log_rows(building, access_logs, start, end, rng))
        insert_calls(call_rows(building, calls, start, end, rng))
    return {
        "building_id": building_id,
        "access_logs": access_logs,
        "calls": calls,
        "seconds": round(time.perf_counter() - started, 3),
    }
