"""What matters now on a resident's home page: their unit's passes, entries and calls.

Every read starts from the models' ``restrict(grants)`` (the one rule of :mod:`tenants.scope`, fed by
the request's grants) and is then narrowed to the resident's own
units of that building: a person who is also staff somewhere sees on their resident card only their
home's activity, never the building's. Times are wall-clock strings in the building's zone, as the log
lists make them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from logs.models import AccessLogEntry, CallRecord
from passes.models import Pass
from passes.selectors import filter_state
from tenants.scope import Grants

# A glance, not a list: the full lists are one link away.
SHOWN = 5


@dataclass
class UnitNow:
    passes: list = field(default_factory=list)  # (pass, state): active first, then upcoming
    entries: list = field(default_factory=list)  # (entry, when)
    calls: list = field(default_factory=list)  # (call, when, outcome)


def _when(value, tz) -> str:
    local = value.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b, %H:%M} {local.tzname()}"


def call_outcome(status: str) -> str:
    """ButterflyMX's call status as words: 'opened_door' -> 'Opened door'."""
    return status.replace("_", " ").capitalize() if status else "—"


def unit_now(grants: Grants, building, units) -> UnitNow:
    tz, now = building.tz, timezone.now()
    mine = {"building": building, "unit__in": units}
    passes = Pass.objects.restrict(grants).filter(**mine).select_related("building")
    active = list(filter_state(passes, "active", now).order_by("ends_at", "id")[:SHOWN])
    upcoming = list(filter_state(passes, "upcoming", now).order_by("starts_at", "id")[: SHOWN - len(active)])
    entries = (
        AccessLogEntry.objects.restrict(grants).filter(**mine).select_related("door").defer("raw", "snapshot_url")
    ).order_by("-logged_at", "-id")[:SHOWN]
    calls = (
        CallRecord.objects.restrict(grants)
        .filter(**mine)
        .defer("raw", "snapshot_url")
        .order_by("-logged_at", "-id")[:SHOWN]
    )
    return UnitNow(
        passes=[(p, "active") for p in active] + [(p, "upcoming") for p in upcoming],
        entries=[(e, _when(e.logged_at, tz)) for e in entries],
        calls=[(c, _when(c.logged_at, tz), call_outcome(c.status)) for c in calls],
    )
