"""Atomic limits on door releases: a per-door cooldown and fixed-window rate limits.

Both are conditional UPDATEs checked by row count, so they hold across many web processes and on
SQLite and PostgreSQL alike (PostgreSQL re-checks the WHERE clause after waiting for a row lock; SQLite
serialises writers). DRF throttling or a cache read-modify-write would let concurrent clicks through.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import DoorCooldown, RateCounter


def cooldown_claim(*, door_id: int, seconds: float, now: datetime | None = None) -> float:
    """Claim the door for a release. Returns 0 when claimed, else the seconds left to wait."""
    now = now or timezone.now()
    DoorCooldown.objects.bulk_create([DoorCooldown(door_id=door_id)], ignore_conflicts=True)
    with transaction.atomic():
        claimed = (
            DoorCooldown.objects.filter(door_id=door_id)
            .filter(Q(last_release_at__isnull=True) | Q(last_release_at__lte=now - timedelta(seconds=seconds)))
            .update(last_release_at=now)
        )
    if claimed == 1:
        return 0.0
    last = DoorCooldown.objects.get(door_id=door_id).last_release_at
    return max(0.1, seconds - (now - last).total_seconds()) if last else seconds


def rate_hit(*, key: str, limit: int, window_s: int, now: datetime | None = None) -> bool:
    """Count one event under ``key``; False when ``limit`` events already happened in this window."""
    now = now or timezone.now()
    epoch = int(now.timestamp())
    window_start = datetime.fromtimestamp(epoch - epoch % window_s, tz=now.tzinfo)
    bumped = RateCounter.objects.filter(key=key, window_start=window_start, count__lt=limit)
    with transaction.atomic():
        if bumped.update(count=F("count") + 1):
            return True
    try:
        with transaction.atomic():
            RateCounter.objects.create(key=key, window_start=window_start, count=1)
        return True
    except IntegrityError:  # someone created the window first: count against it
        with transaction.atomic():
            return bool(bumped.update(count=F("count") + 1))


def rate_counters_prune(*, older_than: timedelta = timedelta(hours=1)) -> int:
    deleted, _ = RateCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted
