"""Atomic limits on door releases: a per-door cooldown and fixed-window rate limits.

Each check is ONE ``INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING`` statement, the same on
SQLite (3.35+) and PostgreSQL: it creates the row the first time, and otherwise updates it only when the
limit allows, returning a row exactly when the claim succeeded. PostgreSQL locks the conflicting row and
evaluates the WHERE against its newest version, and SQLite serialises writers, so the checks hold across
many web processes; they run inside the caller's transaction. DRF throttling, or a cache
read-modify-write, would let concurrent clicks through.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from .models import DoorCooldown, RateCounter


def _claims(sql: str, params: list) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def _db_time(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def cooldown_claim(*, door_id: int, seconds: float, now: datetime | None = None) -> float:
    """Claim the door for a release. Returns 0 when claimed, else the seconds left to wait."""
    now = now or timezone.now()
    table, q = DoorCooldown._meta.db_table, connection.ops.quote_name
    claimed = _claims(
        f"INSERT INTO {q(table)} (door_id, last_release_at) VALUES (%s, %s) "
        f"ON CONFLICT (door_id) DO UPDATE SET last_release_at = excluded.last_release_at "
        f"WHERE {q(table)}.last_release_at IS NULL OR {q(table)}.last_release_at <= %s "
        f"RETURNING door_id",
        [door_id, _db_time(now), _db_time(now - timedelta(seconds=seconds))],
    )
    if claimed:
        return 0.0
    last = DoorCooldown.objects.get(door_id=door_id).last_release_at
    return max(0.1, seconds - (now - last).total_seconds()) if last else seconds


def rate_hit(*, key: str, limit: int, window_s: int, now: datetime | None = None) -> bool:
    """Count one event under ``key``; False when ``limit`` events already happened in this window."""
    now = now or timezone.now()
    epoch = int(now.timestamp())
    window_start = datetime.fromtimestamp(epoch - epoch % window_s, tz=now.tzinfo)
    table, q = RateCounter._meta.db_table, connection.ops.quote_name
    return _claims(
        f"INSERT INTO {q(table)} ({q('key')}, window_start, {q('count')}) VALUES (%s, %s, 1) "
        f"ON CONFLICT ({q('key')}, window_start) DO UPDATE SET {q('count')} = {q(table)}.{q('count')} + 1 "
        f"WHERE {q(table)}.{q('count')} < %s "
        f"RETURNING {q('count')}",
        [key, _db_time(window_start), limit],
    )


def rate_counters_prune(*, older_than: timedelta = timedelta(hours=1)) -> int:
    deleted, _ = RateCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted
