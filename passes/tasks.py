"""Thin Celery tasks: ids in, a service call, nothing else."""

from __future__ import annotations

from celery import shared_task

from . import services
from .reconcile import buildings_to_reconcile, passes_reconcile


@shared_task(ignore_result=True)
def pass_usage_refresh_task(pass_ids: list[int]) -> int:
    return services.pass_usage_refresh(pass_ids=pass_ids)


@shared_task(ignore_result=True)
def failed_passes_cleanup_task() -> int:
    return services.failed_passes_cleanup()


@shared_task(ignore_result=True)
def passes_reconcile_task(building_id: int) -> dict:
    """One building's passes against ButterflyMX's keychains (passes/reconcile.py)."""
    return passes_reconcile(building_id=building_id)


@shared_task(bind=True, ignore_result=True)
def passes_reconcile_all_task(self) -> int:
    """Beat's entry: one task per building, so a failing building never holds up the others."""
    queue = ((getattr(self.request, "delivery_info", None) or {}).get("routing_key")) or None
    ids = buildings_to_reconcile()
    for building_id in ids:
        passes_reconcile_task.apply_async((building_id,), queue=queue)
    return len(ids)
