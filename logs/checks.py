"""System checks of the logs app's settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def retention_covers_backfill(app_configs, **kwargs):
    """A retention shorter than the backfill makes every backfill write rows the next prune deletes."""
    problems = []
    for name in ("LOGS_RETENTION_DAYS", "LOGS_CALLS_RETENTION_DAYS"):
        days = getattr(settings, name)
        if 0 < days < settings.LOGS_BACKFILL_DAYS:
            problems.append(
                Warning(
                    f"{name}={days} is shorter than LOGS_BACKFILL_DAYS={settings.LOGS_BACKFILL_DAYS}.",
                    hint="Backfilled rows older than the retention are deleted by the next prune; "
                    "set LOGS_BACKFILL_DAYS to the retention or less.",
                    id="logs.W001",
                )
            )
    return problems


@register()
def prune_settings_make_progress(app_configs, **kwargs):
    """A batch of 0 rows or a budget of 0 s would re-queue the prune forever without deleting anything."""
    problems = []
    if settings.LOGS_PRUNE_BATCH < 1:
        problems.append(Error("LOGS_PRUNE_BATCH must be at least 1.", id="logs.E001"))
    if settings.LOGS_PRUNE_BUDGET_S <= 0:
        problems.append(Error("LOGS_PRUNE_BUDGET_S must be more than 0 seconds.", id="logs.E002"))
    return problems
