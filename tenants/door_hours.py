"""Door hours: a weekly schedule of ButterflyMX (``open_hours`` of an access point, and
``GET /v4/access_points/{id}/schedules``) read as "open now, until when" and "closed, opens when".

Both have the shape the document gives for a schedule item (contract §4.4):
``{"weekdays": ["mon", ...], "from": "HH:MM", "to": "HH:MM"}``. Times are the BUILDING's wall clock
(ButterflyMX's schedules, like its recurring passes, are local to the building), so everything here is
computed in the building's zone, whatever the viewer's or the server's zone. Readings:

- ``"00:00"``–``"00:00"`` is the whole day (the document's example, contract §4.4);
- ``to`` earlier than ``from`` runs past midnight into the next day (a night shift: Fri 22:00–06:00 ends
  Saturday 06:00); the weekday is the day the window starts;
- windows that touch or overlap are one (Mon 00:00–00:00 and Tue 00:00–00:00 are open from Monday to
  Wednesday, with no change at midnight);
- an item this module cannot read (unknown weekday, bad time) is left out and logged, never guessed.

No database, no ButterflyMX: the roster sync stores the schedules (:mod:`tenants.roster`,
:func:`tenants.services.residency_doors_refresh`) and pages ask this module what they mean now.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# How far ahead a change is looked for: past a week every weekly window has been seen once.
_HORIZON_DAYS = 8


@dataclass(frozen=True)
class Window:
    """One schedule item, read: the weekdays (0 = Monday) it starts on, its start and end wall times."""

    weekdays: frozenset[int]
    start: time
    end: time

    @property
    def all_day(self) -> bool:
        return self.start == self.end == time(0, 0)

    def as_item(self) -> dict:
        """The item again, in ButterflyMX's shape (weekdays in the week's order)."""
        return {
            "weekdays": [WEEKDAYS[d] for d in sorted(self.weekdays)],
            "from": self.start.strftime("%H:%M"),
            "to": self.end.strftime("%H:%M"),
        }


def windows(items: Iterable | None) -> list[Window]:
    """The readable windows of a list of schedule items (see the module docstring for what is left out)."""
    found = []
    for item in items or []:
        window = _window(item)
        if window is None:
            logger.info("schedule item not understood, left out: %r", item)
        else:
            found.append(window)
    return found


def normalized(items: Iterable | None) -> list[dict]:
    """What the portal stores of a schedule: the readable items in ButterflyMX's shape, sorted, so that an
    unchanged schedule compares equal and a sync writes nothing."""
    return sorted(
        (w.as_item() for w in windows(items)), key=lambda i: (WEEKDAYS.index(i["weekdays"][0]), i["from"], i["to"])
    )


def _window(item) -> Window | None:
    if not isinstance(item, dict):
        return None
    days = item.get("weekdays")
    start, end = _time(item.get("from")), _time(item.get("to"))
    if not isinstance(days, list) or not days or start is None or end is None:
        return None
    try:
        weekdays = frozenset(WEEKDAYS.index(str(day).lower()) for day in days)
    except ValueError:
        return None
    return Window(weekdays, start, end)


def _time(value) -> time | None:
    match = _HHMM.match(value) if isinstance(value, str) else None
    return time(int(match.group(1)), int(match.group(2))) if match else None


@dataclass(frozen=True)
class HoursNow:
    """A schedule at one moment. ``is_open``: inside a window. ``until``: when an open door closes (None:
    it does not within the week ahead: always open). ``next_open``: when a closed door opens (None: not
    within the week ahead: never)."""

    is_open: bool
    until: datetime | None = None
    next_open: datetime | None = None


def intervals(wins: list[Window], around: datetime, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The schedule's concrete open periods from the day before ``around`` to a week after, in UTC,
    merged where they touch or overlap. Built from local wall times, so a daylight-saving change moves
    the UTC instants and not the local hours."""
    local_today = around.astimezone(zone).date()
    spans = []
    for offset in range(-1, _HORIZON_DAYS):
        day = local_today + timedelta(days=offset)
        for window in wins:
            if day.weekday() in window.weekdays:
                spans.append(_span(day, window, zone))
    spans.sort()
    merged: list[list[datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _span(day: date, window: Window, zone: ZoneInfo) -> tuple[datetime, datetime]:
    end_day = day if window.end > window.start else day + timedelta(days=1)  # equal: a whole day
    start = datetime.combine(day, window.start, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(end_day, window.end, tzinfo=zone).astimezone(UTC)
    return start, end


def hours_now(items: Iterable | None, now: datetime, zone: ZoneInfo) -> HoursNow | None:
    """What the schedule ``items`` say at ``now`` in the building's ``zone``; None when there is no
    readable schedule at all (the page then says nothing rather than "closed")."""
    wins = windows(items)
    if not wins:
        return None
    spans = intervals(wins, now, zone)
    horizon = now + timedelta(days=_HORIZON_DAYS - 1)
    for start, end in spans:
        if start <= now < end:
            return HoursNow(True, until=None if end >= horizon else end)
        if start > now:
            return HoursNow(False, next_open=start)
    return HoursNow(False)


def local_label(moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    """A change time as the building says it: "17:00" today, "09:00 Mon" on another day this week."""
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    if local.date() == today:
        return _clock(local.time())
    return _("%(time)s %(weekday)s") % {"time": _clock(local.time()), "weekday": _weekday(local.weekday())}


def _clock(value: time) -> str:
    """A wall time in the reader's language's format ("14:21", "14 h 21")."""
    return formats.time_format(value, "TIME_FORMAT")


# A Monday: the short weekday names come from Django's own translations of the date format "D".
_A_MONDAY = date(2024, 1, 1)


def _weekday(number: int) -> str:
    """The short name of weekday ``number`` (0 = Monday) in the reader's language: "Mon", "lun."."""
    return formats.date_format(_A_MONDAY + timedelta(days=number), "D")


def summary(items: Iterable | None) -> str:
    """The schedule in a few words: "Mon–Fri 08:00–18:00", "Every day, all day", "Sat 10:00–14:00 · ..."."""
    parts = []
    for window in windows(items):
        if window.all_day:
            hours = _("all day")
        else:
            hours = _("%(start)s–%(end)s") % {"start": _clock(window.start), "end": _clock(window.end)}
        parts.append(_("%(days)s %(hours)s") % {"days": _days(window.weekdays), "hours": hours})
    return " · ".join(parts)


def _days(weekdays: frozenset[int]) -> str:
    if len(weekdays) == 7:
        return _("Every day,")
    names = [_weekday(d) for d in sorted(weekdays)]
    ordered = sorted(weekdays)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{names[0]}–{names[-1]}"
    return ", ".join(names)
