"""Periodic tasks of the live updates."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from .services import live_events_prune


@shared_task(ignore_result=True)
def live_events_prune_task() -> int:
    """Beat, every LIVE_PRUNE_INTERVAL_S: drop outbox rows older than LIVE_RETENTION_S."""
    return live_events_prune(older_than=timedelta(seconds=settings.LIVE_RETENTION_S))
