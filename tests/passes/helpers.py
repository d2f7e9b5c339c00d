"""Building pass requests for tests, in the building's zone, through the same rules as the form."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from passes import rules
from passes.services import PassInput


def pass_input(kind: str, *, tz, name: str = "Guest", doors=(), recipients=(), visitors=(), **window) -> PassInput:
    built = rules.window_for(kind, tz=tz, now=timezone.now(), **window)
    return PassInput(
        kind=kind, name=name, window=built, doors=list(doors), recipients=list(recipients), visitors=list(visitors)
    )


def local_now(tz) -> dt.datetime:
    """Naive building-local now, to the minute (what a datetime-local input gives)."""
    return timezone.now().astimezone(tz).replace(tzinfo=None, second=0, microsecond=0)


def window_for_kind(kind: str, tz) -> dict:
    """A window valid right now for each kind."""
    now = local_now(tz)
    today = now.date()
    if kind == "custom":
        return {"starts_at": now - dt.timedelta(minutes=5), "ends_at": now + dt.timedelta(hours=2)}
    if kind in ("full_day", "one_time"):
        return {"day": today}
    if kind == "recurring":
        return {
            "start_date": today,
            "end_date": today + dt.timedelta(days=7),
            "weekdays": list(rules.WEEKDAYS),
            "all_day": True,
        }
    if kind == "business_hours":
        return {
            "start_date": today,
            "end_date": today + dt.timedelta(days=14),
            "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "time_from": dt.time(9),
            "time_to": dt.time(17),
        }
    return {}
