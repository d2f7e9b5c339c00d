"""Bulk upsert of parsed log rows: one SQL statement per batch, COPY for big batches on PostgreSQL.

Why raw SQL rather than ``bulk_create(update_conflicts=True)``: rows arrive as tuples from
:mod:`logs.parsing` and the snapshot URL is already encrypted there (the encrypted field would encrypt
it a second time); building a million model instances costs more than the database work itself. The
statement is the same on SQLite and PostgreSQL (``INSERT ... ON CONFLICT DO UPDATE``), and an unchanged
row is not rewritten (the ``WHERE`` on the update), so the overlap window costs no table bloat.

Big batches on PostgreSQL go through ``COPY`` into a temporary table, then one ``INSERT ... SELECT``:
COPY is the fastest way into PostgreSQL, and the upsert keeps it idempotent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection, transaction

from .models import AccessLogEntry, CallRecord
from .parsing import CALL_COLUMNS, CALL_UPDATE_COLUMNS, LOG_COLUMNS, LOG_UPDATE_COLUMNS

# Above this many rows, COPY into a temporary table beats a multi-row INSERT on PostgreSQL by far: a
# 500-row INSERT ... ON CONFLICT with 9,000 parameters cost ~150 ms, the same rows through COPY ~15 ms
# (measured in bench_logs: a backfill chunk of ~1,700 rows took the slow path every time).
COPY_THRESHOLD = 100
VALUES_CHUNK = 500  # rows per INSERT statement (SQLite allows 32766 parameters)
# Columns whose change means the row changed (the snapshot URL is re-encrypted every time, so it is not one).
CHANGE_COLUMNS = ("raw", "door_id", "unit_id", "device_id", "unit_label")

TABLES = {
    "access": (AccessLogEntry._meta.db_table, LOG_COLUMNS, LOG_UPDATE_COLUMNS),
    "calls": (CallRecord._meta.db_table, CALL_COLUMNS, CALL_UPDATE_COLUMNS),
}


def dedupe(rows: Sequence[tuple]) -> list[tuple]:
    """Keep the last row per (building, remote id): one statement may not touch a row twice."""
    seen: dict[tuple[int, int], tuple] = {}
    for row in rows:
        seen[(row[0], row[1])] = row
    return list(seen.values())


def _conflict_clause(columns: Sequence[str], update_columns: Sequence[str], table: str) -> str:
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in update_columns)
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    changed = " OR ".join(f"{table}.{c} {distinct} EXCLUDED.{c}" for c in CHANGE_COLUMNS if c in columns)
    return f"ON CONFLICT (building_id, remote_id) DO UPDATE SET {sets} WHERE {changed}"


def _jsonify(rows: Sequence[tuple], raw_index: int) -> list[tuple]:
    dumps = json.dumps
    return [(*row[:raw_index], dumps(row[raw_index]), *row[raw_index + 1 :]) for row in rows]


def rows_upsert(*, stream: str, rows: Sequence[tuple]) -> int:
    """Insert or update ``rows`` (tuples in the stream's column order). Returns how many were sent."""
    rows = dedupe(rows)
    if not rows:
        return 0
    table, columns, update_columns = TABLES[stream]
    rows = _jsonify(rows, columns.index("raw"))
    if connection.vendor == "postgresql" and len(rows) >= COPY_THRESHOLD:
        _copy_upsert(table, columns, update_columns, rows)
    else:
        _values_upsert(table, columns, update_columns, rows)
    return len(rows)


def _values_upsert(table: str, columns, update_columns, rows: list[tuple]) -> None:
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    conflict = _conflict_clause(columns, update_columns, table)
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), VALUES_CHUNK):
            chunk = rows[start : start + VALUES_CHUNK]
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * len(chunk))} {conflict}"
            cursor.execute(sql, [value for row in chunk for value in row])


def _copy_upsert(table: str, columns, update_columns, rows: list[tuple]) -> None:
    stage = f"{table}_stage"
    cols = ", ".join(columns)
    with transaction.atomic(), connection.cursor() as cursor:
        # No constraints or indexes on the stage: COPY into it is pure append.
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT {cols} FROM {table} WITH NO DATA")
        cursor.execute(f"TRUNCATE {stage}")
        copy_rows(cursor, stage, columns, rows)
        conflict = _conflict_clause(columns, update_columns, table)
        cursor.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} {conflict}")
        cursor.execute(f"TRUNCATE {stage}")


def copy_rows(cursor, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """``COPY table (columns) FROM STDIN`` with psycopg 3 (rows already JSON-encoded)."""
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# Per stream: the model, and the (local id, remote id) pairs of the links a row carries.
LINKS = {
    "access": (AccessLogEntry, (("door_id", "door_bmx_id"), ("unit_id", "unit_bmx_id"))),
    "calls": (CallRecord, (("unit_id", "unit_bmx_id"), ("device_id", "device_bmx_id"))),
}


def unchanged_remote_ids(*, stream: str, building_id: int, records: Sequence[dict]) -> set[int]:
    """Remote ids among ``records`` whose stored row would not change if upserted again.

    The incremental walk re-reads its overlap window every run (at portfolio scale ~60 stored entries
    per walk to find one new): parsing, encrypting and upserting them again cost most of the walk's
    CPU for an update that the upsert's ``WHERE`` then skips anyway. One query reads the stored copies
    instead. A row counts as unchanged on exactly the upsert's terms (:data:`CHANGE_COLUMNS`): the same
    ``raw`` (the record without its snapshot URL, which is re-signed every read and never a change),
    and every link it names already resolved (a door, unit or device the roster sync added since is
    picked up by upserting the row again).
    """
    model, links = LINKS[stream]
    by_id = {}
    for record in records:
        if isinstance(record, dict) and isinstance(record.get("id"), int):
            by_id[record["id"]] = record
    if not by_id:
        return set()
    fields = ["remote_id", "raw", *(name for pair in links for name in pair)]
    # Plain SQL: the ORM spent more CPU building this one query than the database spent answering it.
    ids = list(by_id)
    sql = (
        f"SELECT {', '.join(fields)} FROM {model._meta.db_table} "
        f"WHERE building_id = %s AND remote_id IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [building_id, *ids])
        stored_rows = cursor.fetchall()
    loads = json.loads
    same = set()
    for stored in stored_rows:
        remote_id, raw, link_values = stored[0], stored[1], stored[2:]
        if isinstance(raw, (str, bytes)):  # the JSON column arrives as text (both backends, as Django reads it)
            raw = loads(raw)
        unresolved = any(link_values[i] is None and link_values[i + 1] is not None for i in range(0, len(links) * 2, 2))
        if unresolved:
            continue
        record = by_id[remote_id]
        if len(raw) == len(record) - ("image_url" in record) and raw == {
            k: v for k, v in record.items() if k != "image_url"
        }:
            same.add(remote_id)
    return same
