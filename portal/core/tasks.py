"""Periodic tasks of the portal itself."""

from celery import shared_task

from .services import heartbeat_record


@shared_task(acks_late=True, ignore_result=True)
def heartbeat_task() -> None:
    """Run by beat every PORTAL_HEARTBEAT_INTERVAL_S: /healthz reads it to know beat and a worker live."""
    heartbeat_record(name="beat")
