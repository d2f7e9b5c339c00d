"""Wall-clock times that daylight saving makes missing or double, in one place: the pass form and API
(every kind whose times a person types), presets, and the logs' From/Until filters all ask here.

A building-local time a person typed can fall in a **gap** (the spring change skips it: it names no
instant) or an **overlap** (the autumn change repeats it: it names two). zoneinfo then silently picks one
by ``fold`` (PEP 495); the portal never does: it says so, in words that name the zone and the change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext


@dataclass(frozen=True)
class WallClockIssue:
    """A local time in a daylight-saving gap (it does not exist) or overlap (it happens twice)."""

    kind: str  # "gap" | "overlap"
    message: str  # what happens and what to do: ``summary`` and the advice
    summary: str  # what happens to that time that day, naming the zone and the change
    # overlap: (fold, label) of each occurrence, fold 0 the first (zoneinfo's documented meaning)
    choices: tuple[tuple[int, str], ...] = ()


def _offset(value: dt.datetime) -> dt.timedelta:
    """The UTC offset of an aware ``value`` (``utcoffset()`` is None only for a naive one)."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{value!r} has no time zone")
    return offset


def _offset_text(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _transition(earlier: dt.datetime, later: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant, between ``earlier`` and ``later`` (UTC, offsets differing), where ``tz``'s
    offset changes: bisection on whole seconds, as every zone's transitions are."""
    low, high = earlier, later
    before = low.astimezone(tz).utcoffset()
    while (high - low) > dt.timedelta(seconds=1):
        middle = low + dt.timedelta(seconds=int((high - low).total_seconds()) // 2)
        if middle.astimezone(tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high


def _clock(value: dt.datetime, *, with_day: bool = False) -> str:
    """A wall-clock time in the reader's format ("14:21", "14 h 21"), with its day when it is another one."""
    return formats.date_format(value, "SHORT_DATETIME_FORMAT" if with_day else "TIME_FORMAT")


def wall_clock_issue(value: dt.datetime, tz: ZoneInfo) -> WallClockIssue | None:
    """None when the naive local ``value`` names exactly one instant in ``tz``.

    zoneinfo resolves such a time by its ``fold``: in a gap, fold=0 reads it with the offset before the
    change and fold=1 with the one after (two different instants, neither of which shows ``value`` on a
    clock); in an overlap, fold=0 is the first occurrence and fold=1 the second. So the two folds giving
    different offsets is the sign of both, and the round trip through UTC tells them apart.
    """
    first, second = value.replace(tzinfo=tz, fold=0), value.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    # Words in the active language; times by the named formats of portal/formats (never strftime's English).
    day = formats.date_format(value, "DATE_FORMAT")
    at = _clock(value)
    zone = tz.key
    shown = first.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
    if shown != value:  # not on any clock: a gap (the clocks jump forward)
        before, after = _offset(first), _offset(second)
        change = _transition(second.astimezone(dt.UTC), first.astimezone(dt.UTC), tz)
        gap_end = change.astimezone(tz)
        gap_start = gap_end.replace(tzinfo=None) - (after - before)
        last_before = gap_start - dt.timedelta(minutes=1)
        other_day = gap_start.date() != gap_end.date()
        start, end = _clock(gap_start, with_day=other_day), _clock(gap_end.replace(tzinfo=None), with_day=other_day)
        summary = gettext(
            "%(at)s on %(day)s does not exist in %(zone)s: the clocks jump from %(start)s to %(end)s "
            "(%(before)s to %(after)s)."
        ) % {"at": at, "day": day, "zone": zone, "start": start, "end": end, **_abbreviations(first, second)}
        advice = gettext("Choose %(earlier)s or %(later)s.") % {
            "earlier": _clock(last_before, with_day=other_day),
            "later": end,
        }
        return WallClockIssue("gap", f"{summary} {advice}", summary)
    occurrence = {
        0: gettext("the first %(at)s (%(abbr)s, %(offset)s)"),
        1: gettext("the second %(at)s (%(abbr)s, %(offset)s)"),
    }
    labels = tuple(
        (fold, occurrence[fold] % {"at": at, "abbr": occ.tzname(), "offset": _offset_text(_offset(occ))})
        for fold, occ in ((0, first), (1, second))
    )
    change = _transition(first.astimezone(dt.UTC), second.astimezone(dt.UTC), tz)
    back_to = change.astimezone(tz).replace(tzinfo=None)
    back_from = back_to + (_offset(first) - _offset(second))
    summary = gettext(
        "%(at)s on %(day)s happens twice in %(zone)s: the clocks go back from %(start)s to %(end)s "
        "(%(before)s to %(after)s)."
    ) % {
        "at": at,
        "day": day,
        "zone": zone,
        "start": _clock(back_from),
        "end": _clock(back_to),
        **_abbreviations(first, second),
    }
    advice = gettext("Say which: %(first)s or %(second)s.") % {"first": labels[0][1], "second": labels[1][1]}
    return WallClockIssue("overlap", f"{summary} {advice}", summary, labels)


def _abbreviations(first: dt.datetime, second: dt.datetime) -> dict[str, str | None]:
    """The zone's abbreviations before and after the change (EST, EDT): codes, the same in every language."""
    return {"before": first.tzname(), "after": second.tzname()}


def daily_time_issues(
    time: dt.time, first: dt.date, last: dt.date, weekdays: set[int], tz: ZoneInfo
) -> list[tuple[dt.date, WallClockIssue]]:
    """The days from ``first`` to ``last`` (``weekdays``: 0 Monday) on which the daily ``time`` falls in a
    gap or overlap: a recurring window's start or end that a clock change moves on those days.

    A change happens where the zone's offset differs between one midnight and the next, so only those
    days are looked at closely: two offset reads per day, cheap for a year-long pass.
    """
    found = []
    day = first
    while day <= last:
        following = day + dt.timedelta(days=1)
        start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)
        end = dt.datetime.combine(following, dt.time(0, 0), tzinfo=tz)
        if day.weekday() in weekdays and start.utcoffset() != end.utcoffset():
            issue = wall_clock_issue(dt.datetime.combine(day, time), tz)
            if issue is not None:
                found.append((day, issue))
        day = following
    return found


def local_moment(value: dt.datetime, tz: ZoneInfo, *, repeated: str) -> tuple[dt.datetime, WallClockIssue | None]:
    """``value`` (naive, building-local) as an aware time in ``tz``, and the issue it has if any. A time
    in an overlap is read as its ``repeated`` ("first" or "second") occurrence; a time in a gap has no
    reading that is right, so the caller refuses it (the aware value returned is then fold=0's)."""
    issue = wall_clock_issue(value, tz)
    fold = 1 if issue is not None and issue.kind == "overlap" and repeated == "second" else 0
    return value.replace(tzinfo=tz, fold=fold), issue
