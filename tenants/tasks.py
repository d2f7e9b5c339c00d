"""Celery tasks of the tenants app: thin, take ids, call a service."""

from __future__ import annotations

from celery import shared_task

from portal.building_connections import roster_sync_and_connect

from . import roster
from .services import links_refresh_expiring, token_revocations_attempt


@shared_task(ignore_result=True)
def roster_sync_task(sync_id: int) -> None:
    """One queued roster sync; the buildings it connects start their logs (webhooks, backfill)."""
    roster_sync_and_connect(sync_id=sync_id)


@shared_task(ignore_result=True)
def roster_sync_all_task() -> int:
    return roster.roster_sync_all()


@shared_task(ignore_result=True)
def links_refresh_expiring_task() -> int:
    return links_refresh_expiring()


@shared_task(ignore_result=True)
def token_revocations_retry_task() -> int:
    """Beat: revoke at ButterflyMX the replaced or refused tokens it could not revoke at once."""
    return token_revocations_attempt()
