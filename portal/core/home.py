"""What matters now on a resident's home page: their unit's passes, entries and calls.

Every read starts from the models' ``restrict(grants)`` (the one rule of :mod:`tenants.scope`, fed by
the request's grants) and is then narrowed to the resident's own
units of that building: a person who is also staff somewhere sees on their resident card only their
home's activity, never the building's. Times are wall-clock strings in the building's zone, as the log
lists make them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from logs.models import AccessLogEntry, CallRecord
from passes.models import Pass
from passes.selectors import filter_state
from tenants.scope import Grants

# A glance, not a list: the full lists are one link away.
SHOWN = 5


@dataclass
class UnitNow:
    passes: list = field(default_factory=list)  # (pass, state): active first, then upcoming
    entries: list = field(default_factory=list)  # (entry, when, what happened)
    calls: list = field(default_factory=list)  # (call, when, outcome in words: CallRecord.status_label, what it was)


def _when(value, tz) -> str:
    """A moment in the building's zone, in the reader's language, with the zone's abbreviation."""
    local = timezone.localtime(value, tz)
    return f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')} {local.tzname()}"


# Whole sentences, one per case: a name or door ButterflyMX left out must not leave a sentence glued
# from pieces ("Someone" + "came in through" + "a door") that no other language can follow.
# Keys: (refused, person known, door known).
_ENTRY = {
    (False, True, True): _("%(who)s came in through %(door)s"),
    (False, True, False): _("%(who)s came in through a door"),
    (False, False, True): _("Someone came in through %(door)s"),
    (False, False, False): _("Someone came in through a door"),
    (True, True, True): _("%(who)s was refused at %(door)s"),
    (True, True, False): _("%(who)s was refused at a door"),
    (True, False, True): _("Someone was refused at %(door)s"),
    (True, False, False): _("Someone was refused at a door"),
}
# Keys: (ButterflyMX's notification_type, panel known).
_CALL = {
    ("visitor", True): _("Visitor at %(panel)s"),
    ("visitor", False): _("Visitor at the panel"),
    ("delivery", True): _("Delivery at %(panel)s"),
    ("delivery", False): _("Delivery at the panel"),
    ("", True): _("Call at %(panel)s"),
    ("", False): _("Call at the panel"),
}


def entry_sentence(entry) -> str:
    door = entry.door.name if entry.door is not None else ""
    text = _ENTRY[(entry.release_status == "Locked", bool(entry.person_name), bool(door))]
    return str(text) % {"who": entry.person_name, "door": door}


def call_sentence(call) -> str:
    kind = call.notification_type if call.notification_type in ("visitor", "delivery") else ""
    return str(_CALL[(kind, bool(call.device_name))]) % {"panel": call.device_name}


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
        entries=[(e, _when(e.logged_at, tz), entry_sentence(e)) for e in entries],
        calls=[(c, _when(c.logged_at, tz), c.status_label or "—", call_sentence(c)) for c in calls],
    )
