"""Celery tasks of the logs app: thin, by id, calling :mod:`logs.sync`.

A rate limit's long ``Retry-After`` is not slept in the worker: the client raises it
(``max_wait``), and the task schedules itself again with that countdown plus jitter.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from tenants.models import Building

from .sync import stream_sync

logger = logging.getLogger(__name__)


def _queue(task) -> str | None:
    """The queue this task came from, so follow-ups go to the same workers."""
    info = getattr(task.request, "delivery_info", None) or {}
    return info.get("routing_key") or None


@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def sync_stream_task(self, building_id: int, stream: str) -> str:
    """Sync one building's stream; reschedule on rate limits and outages, continue a backfill."""
    try:
        outcome = stream_sync(building_id=building_id, stream=stream)
    except Building.DoesNotExist:
        return "gone"
    if outcome.status == "retry":
        if outcome.retry_after is not None:
            countdown = outcome.retry_after + random.uniform(0, 1 + outcome.retry_after / 10)
        else:  # exponential backoff with full jitter, capped
            countdown = random.uniform(1, min(300, 2 ** min(self.request.retries, 8)))
        raise self.retry(countdown=countdown)
    if outcome.status == "more":
        sync_stream_task.apply_async((building_id, stream), queue=_queue(self))
    return outcome.status


@shared_task(bind=True, ignore_result=True)
def sync_all_task(self, stream: str) -> int:
    """Beat's entry: one task per connected building, so a failing building never stops the others."""
    ids = list(
        Building.objects.filter(is_active=True, bmx_id__isnull=False, admin_link__isnull=False).values_list(
            "id", flat=True
        )
    )
    for building_id in ids:
        sync_stream_task.apply_async((building_id, stream), queue=_queue(self))
    return len(ids)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def building_connected_task(self, building_id: int) -> None:
    """Register a newly connected building's webhooks and start its first sync (the backfill)."""
    from .services import building_connected

    building_connected(building_id=building_id, queue=_queue(self))


@shared_task(ignore_result=True)
def webhook_deliveries_prune_task() -> int:
    """Beat, hourly: delete webhook deliveries older than ``LOGS_WEBHOOK_RETENTION_DAYS``."""
    from .services import webhook_deliveries_prune

    return webhook_deliveries_prune(older_than=timedelta(days=settings.LOGS_WEBHOOK_RETENTION_DAYS))


@shared_task(bind=True, ignore_result=True)
def logs_prune_task(self) -> int:
    """Beat, hourly: delete access and call rows older than their retention (``logs.retention``). When
    the time budget runs out (the first prune of a big table), continue in a follow-up task."""
    from .retention import logs_prune

    result = logs_prune()
    if not result.finished:
        logs_prune_task.apply_async(countdown=5, queue=_queue(self))
    return sum(result.deleted.values())
