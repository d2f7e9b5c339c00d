"""Periodic tasks of the portal itself."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from .demo import demo_link_to_sandbox
from .limits import rate_counters_prune
from .services import heartbeat_record


@shared_task(acks_late=True, ignore_result=True)
def heartbeat_task() -> None:
    """Run by beat every PORTAL_HEARTBEAT_INTERVAL_S: /healthz reads it to know beat and a worker live."""
    heartbeat_record(name="beat")


@shared_task(bind=True, ignore_result=True, max_retries=360)
def demo_link_task(self, placeholder_names: list[str]) -> None:
    """`make dev`: link the demo to the sandbox once it answers (it starts after the seed runs)."""
    if not demo_link_to_sandbox(placeholder_names):
        raise self.retry(countdown=5)


@shared_task(ignore_result=True)
def rate_counters_prune_task() -> int:
    """Beat, hourly: delete rate-limit counters older than ``RATE_COUNTER_RETENTION_S``."""
    return rate_counters_prune(older_than=timedelta(seconds=settings.RATE_COUNTER_RETENTION_S))
