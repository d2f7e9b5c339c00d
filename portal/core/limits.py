"""Atomic, race-safe fixed-window counters: the one mechanism behind every per-person and per-building
limit of the portal (door releases, PIN changes, messages, passes).

A claim is ONE ``INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING`` statement, the same on SQLite
(3.35+) and PostgreSQL: it creates the window's row the first time, and otherwise increments it only
when the limit allows, returning a row exactly when the claim succeeded. PostgreSQL locks the
conflicting row and evaluates the WHERE against its newest version, and SQLite serialises writers, so a
limit holds across many web processes. Claims run inside the caller's transaction: a caller that claims
two counters in one ``atomic`` block and is refused by the second rolls the first back. DRF throttling,
or a cache read-modify-write, would let concurrent requests through.

This module sits in ``portal.core`` (below ``tenants``, ``passes`` and ``portal.dashboard``) so that
every app can use it without importing upwards.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import F, Max
from django.utils import timezone

from .models import RateCounter


def sql_claims(sql: str, params: list) -> bool:
    """Run a conditional ``... RETURNING`` statement; True when it returned a row (the claim held)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def db_time(value: datetime):
    """A datetime as the database adapter wants it in raw SQL (naive UTC on SQLite, aware elsewhere)."""
    return connection.ops.adapt_datetimefield_value(value)


def window_start(*, window_s: int, now: datetime | None = None) -> datetime:
    """The start of the fixed window of ``window_s`` seconds that ``now`` falls in (aligned on the epoch)."""
    now = now or timezone.now()
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_s, tz=now.tzinfo)


def retry_after(*, window_s: int, now: datetime | None = None) -> int:
    """Whole seconds until the current window ends and a refused claim may succeed (at least 1)."""
    now = now or timezone.now()
    end = window_start(window_s=window_s, now=now) + timedelta(seconds=window_s)
    return max(1, math.ceil((end - now).total_seconds()))


def rate_hit(*, key: str, limit: int, window_s: int, now: datetime | None = None, amount: int = 1) -> bool:
    """Count ``amount`` events under ``key``; False (and nothing counted) when that would pass ``limit``
    in this window."""
    if amount <= 0:
        return True
    if amount > limit:
        return False
    start = window_start(window_s=window_s, now=now)
    table, q = RateCounter._meta.db_table, connection.ops.quote_name
    return sql_claims(
        f"INSERT INTO {q(table)} ({q('key')}, window_start, {q('count')}) VALUES (%s, %s, %s) "
        f"ON CONFLICT ({q('key')}, window_start) DO UPDATE SET {q('count')} = {q(table)}.{q('count')} + %s "
        f"WHERE {q(table)}.{q('count')} + %s <= %s "
        f"RETURNING {q('count')}",
        [key, db_time(start), amount, amount, amount, limit],
    )


def rate_refund(*, key: str, window_s: int, now: datetime, amount: int = 1) -> None:
    """Give back ``amount`` claimed at ``now`` (the same ``now`` the claim used): the event did not
    happen after all (a message that could not be sent, a pass ButterflyMX refused)."""
    start = window_start(window_s=window_s, now=now)
    RateCounter.objects.filter(key=key, window_start=start, count__gte=amount).update(count=F("count") - amount)


def rate_count(*, key: str, window_s: int, now: datetime | None = None) -> int:
    """How many events ``key`` has counted in the current window."""
    start = window_start(window_s=window_s, now=now)
    return RateCounter.objects.filter(key=key, window_start=start).values_list("count", flat=True).first() or 0


def rate_count_max(*, prefix: str, window_s: int, now: datetime | None = None) -> int:
    """The highest count among keys starting with ``prefix`` in the current window (0 when none)."""
    start = window_start(window_s=window_s, now=now)
    found = RateCounter.objects.filter(key__startswith=prefix, window_start=start).aggregate(top=Max("count"))
    return found["top"] or 0


def rate_counters_prune(*, older_than: timedelta = timedelta(hours=1)) -> int:
    deleted, _ = RateCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted
