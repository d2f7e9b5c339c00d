"""Thin Celery tasks: ids in, a service call, nothing else."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def pass_usage_refresh_task(pass_ids: list[int]) -> int:
    return services.pass_usage_refresh(pass_ids=pass_ids)


@shared_task(ignore_result=True)
def failed_passes_cleanup_task() -> int:
    return services.failed_passes_cleanup()
