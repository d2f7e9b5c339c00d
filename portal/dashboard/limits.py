"""The per-door cooldown of door releases. The fixed-window rate limits are the portal-wide counter
of :mod:`portal.core.limits` (same single-statement claim)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from portal.core.limits import db_time, sql_claims

from .models import DoorCooldown


def cooldown_claim(*, door_id: int, seconds: float, now: datetime | None = None) -> float:
    """Claim the door for a release. Returns 0 when claimed, else the seconds left to wait.

    One ``INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING``: it claims only when the last
    release is older than ``seconds``, atomically on SQLite and PostgreSQL (see :mod:`portal.core.limits`).
    """
    now = now or timezone.now()
    table, q = DoorCooldown._meta.db_table, connection.ops.quote_name
    claimed = sql_claims(
        f"INSERT INTO {q(table)} (door_id, last_release_at) VALUES (%s, %s) "
        f"ON CONFLICT (door_id) DO UPDATE SET last_release_at = excluded.last_release_at "
        f"WHERE {q(table)}.last_release_at IS NULL OR {q(table)}.last_release_at <= %s "
        f"RETURNING door_id",
        [door_id, db_time(now), db_time(now - timedelta(seconds=seconds))],
    )
    if claimed:
        return 0.0
    last = DoorCooldown.objects.get(door_id=door_id).last_release_at
    return max(0.1, seconds - (now - last).total_seconds()) if last else seconds
