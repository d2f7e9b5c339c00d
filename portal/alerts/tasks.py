"""Beat's scan for manager alerts that no log batch announces (webhooks, links, bursts ending)."""

from __future__ import annotations

from celery import shared_task

from .incidents import alerts_scan


@shared_task(ignore_result=True)
def alerts_scan_task() -> dict[str, int]:
    return alerts_scan()
