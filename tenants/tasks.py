"""Celery tasks of the tenants app: thin, take ids, call a service."""

from __future__ import annotations

from celery import shared_task

from . import roster


@shared_task(ignore_result=True)
def roster_sync_task(sync_id: int) -> None:
    roster.roster_sync_run(sync_id=sync_id)


@shared_task(ignore_result=True)
def roster_sync_all_task() -> int:
    return roster.roster_sync_all()


@shared_task(ignore_result=True)
def links_refresh_expiring_task() -> int:
    from .services import links_refresh_expiring

    return links_refresh_expiring()


@shared_task(ignore_result=True)
def token_revocations_retry_task() -> int:
    """Beat: revoke at ButterflyMX the replaced or refused tokens it could not revoke at once."""
    from .services import token_revocations_attempt

    return token_revocations_attempt()
