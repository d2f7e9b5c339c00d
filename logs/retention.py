"""Retention of the local log copies: rows older than ``LOGS_RETENTION_DAYS`` (access) and
``LOGS_CALLS_RETENTION_DAYS`` (calls) are deleted by beat, a few thousand at a time.

The growth plan (docs/performance.md, "Log growth"): one plain table per stream, its btree indexes
(among them ``(logged_at, id, building)``, migration 0004) and this prune. Monthly partitions and a
BRIN index on ``logged_at`` were measured against it and not chosen.

How it deletes, and why so:

- oldest first, through the ``(logged_at, id, building)`` index: each batch starts at the oldest row
  left, so it never re-reads what earlier batches deleted (a ``WHERE logged_at < cutoff LIMIT n``
  without an order, through a BRIN index, walks over those pages again each batch: 9x slower);
- one ``DELETE ... WHERE id IN (SELECT id ... ORDER BY logged_at, id LIMIT n)`` per batch, each its own
  short transaction: row locks on at most ``LOGS_PRUNE_BATCH`` old rows, which nothing else writes,
  never a table lock;
- a time budget per run: the first prune of a large table continues in follow-up runs instead of holding
  a worker for an hour.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from .models import AccessLogEntry, CallRecord, Stream

logger = logging.getLogger(__name__)

MODELS: dict[str, type[models.Model]] = {Stream.ACCESS.value: AccessLogEntry, Stream.CALLS.value: CallRecord}


@dataclass
class PruneResult:
    deleted: dict[str, int] = field(default_factory=dict)  # stream -> rows deleted
    batches: int = 0
    finished: bool = True  # False: the time budget ran out with old rows left


def retention_days() -> dict[str, int]:
    """Stream -> days kept; 0 (or less) keeps everything."""
    return {Stream.ACCESS.value: settings.LOGS_RETENTION_DAYS, Stream.CALLS.value: settings.LOGS_CALLS_RETENTION_DAYS}


def batch_delete(model: type[models.Model], *, before: datetime, batch: int) -> int:
    """Delete up to ``batch`` of the oldest rows logged before ``before``; how many went.

    One statement (the model has no signals and no relation pointing at it that cascades, so Django
    deletes without loading the rows: keep it so; portal.alerts' claims on entries do not cascade):
    ``DELETE FROM t WHERE id IN (SELECT id ... ORDER BY logged_at, id LIMIT batch)``.
    """
    oldest = model.objects.filter(logged_at__lt=before).order_by("logged_at", "id").values("pk")[:batch]
    deleted, _ = model.objects.filter(pk__in=oldest).delete()
    return deleted


def logs_prune(*, now: datetime | None = None, batch: int | None = None, budget_s: float | None = None) -> PruneResult:
    """Delete every stream's rows older than its retention, in batches, until done or out of time."""
    now = now or timezone.now()
    batch = batch or settings.LOGS_PRUNE_BATCH
    deadline = time.monotonic() + (budget_s if budget_s is not None else settings.LOGS_PRUNE_BUDGET_S)
    result = PruneResult()
    for stream, days in retention_days().items():
        if days <= 0:
            continue
        before = now - timedelta(days=days)
        result.deleted[stream] = 0
        while True:
            if time.monotonic() >= deadline:
                result.finished = False
                return result
            deleted = batch_delete(MODELS[stream], before=before, batch=batch)
            result.batches += 1
            result.deleted[stream] += deleted
            if deleted < batch:
                break
    if any(result.deleted.values()):
        logger.info("log retention: deleted %s in %s batches", result.deleted, result.batches)
    return result
