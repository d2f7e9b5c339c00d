"""The rules of each pass kind, checked before ButterflyMX is called. Forms and the API both use them.

Everything a person enters is building-local wall-clock time; :func:`window_for` turns it into UTC
instants (and keeps the local dates and times recurring passes are sent with). Errors come back keyed
by the field a person typed into, with words they can act on.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.core.wallclock import daily_time_issues, wall_clock_issue

from .models import WEEKDAYS, Pass, weekday_name

ONE_YEAR_DAYS = 365
DELIVERY_LIFETIME = dt.timedelta(days=30)
END_OF_DAY = dt.time(23, 59)
MAX_VISITORS = 10
_PHONE_CHARS = re.compile(r"[\s().-]")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


# ButterflyMX refuses a daily window that crosses midnight (422 ``must_be_less_than_time_to`` when
# time_from >= time_to: the OpenAPI document's example and sandbox/rules/keychains.py), so an overnight
# window is two passes; the form says how.
OVERNIGHT_HELP = gettext_lazy("A daily window ends on the day it starts (ButterflyMX has no overnight window).")


def _time(value: dt.time) -> str:
    """A time of day in the language's named format ("14:21", "14 h 21")."""
    return formats.time_format(value, "TIME_FORMAT")


def overnight_advice(time_from: dt.time, time_to: dt.time, days: list[str]) -> str:
    def names(which: list[str]) -> str:
        return ", ".join(weekday_name(d) for d in which) or _("the days you want")

    mornings = [WEEKDAYS[(WEEKDAYS.index(d) + 1) % 7] for d in days]
    return _(
        "ButterflyMX cannot make a daily window that crosses midnight (%(from)s-%(to)s). Make two recurring "
        "passes: one from %(from)s to %(end_of_day)s on %(days)s, and one from %(midnight)s to %(to)s on the "
        "mornings after (%(mornings)s)."
    ) % {
        "from": _time(time_from),
        "to": _time(time_to),
        "end_of_day": _time(END_OF_DAY),
        "midnight": _time(dt.time(0, 0)),
        "days": names(days),
        "mornings": names(sorted(mornings, key=WEEKDAYS.index)),
    }


class PassRuleError(Exception):
    """Field errors, by field name (``None`` for the whole form)."""

    def __init__(self, errors: dict[str | None, list[str]]):
        super().__init__("; ".join(m for msgs in errors.values() for m in msgs))
        self.errors = errors


@dataclass
class Window:
    starts_at: dt.datetime
    ends_at: dt.datetime
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    time_from: dt.time | None = None
    time_to: dt.time | None = None
    weekdays: list[str] = field(default_factory=list)
    # (field, words): daily times a clock change moves on some day of the pass (:func:`clock_notes`);
    # not errors, since no other time may suit, but never passed over in silence (the form asks).
    clock_notes: list[tuple[str, str]] = field(default_factory=list)


def local_instant(day: dt.date, time: dt.time, tz: ZoneInfo, *, fold: int = 0) -> dt.datetime:
    """A building-local wall-clock time as an aware UTC instant. On the repeated autumn hour ``fold``
    picks the occurrence: 0 (the first) for a start, 1 (the second) for an end, so a window never
    loses the repeated hour."""
    return dt.datetime.combine(day, time, tzinfo=tz).replace(fold=fold).astimezone(dt.UTC)


def clock_notes(
    start_date: dt.date, end_date: dt.date, days: list[str], time_from: dt.time, time_to: dt.time, tz: ZoneInfo
) -> list[tuple[str, str]]:
    """(field, words) for each day of a recurring pass on which its daily start or end time falls in a
    daylight-saving gap or overlap of ``tz`` (:func:`portal.core.wallclock.daily_time_issues`)."""
    weekdays = {WEEKDAYS.index(d) for d in days}
    notes = []
    for name, time in (("time_from", time_from), ("time_to", time_to)):
        for day, issue in daily_time_issues(time, start_date, end_date, weekdays, tz):
            words = _CLOCK_NOTES[(name, issue.kind == "gap")] % {
                "time": _time(time),
                "weekday": formats.date_format(day, "l"),
            }
            notes.append((name, f"{issue.summary} {words}"))
    return notes


# (field, the time does not exist that day): one whole sentence each, so each language words its own.
_CLOCK_NOTES = {
    ("time_from", True): gettext_lazy(
        "The daily window starts at %(time)s, which does not exist that %(weekday)s: ButterflyMX may start it "
        "an hour off. Choose another time, or keep these times on purpose."
    ),
    ("time_from", False): gettext_lazy(
        "The daily window starts at %(time)s, which happens twice that %(weekday)s: ButterflyMX may start it "
        "an hour off. Choose another time, or keep these times on purpose."
    ),
    ("time_to", True): gettext_lazy(
        "The daily window ends at %(time)s, which does not exist that %(weekday)s: ButterflyMX may end it an "
        "hour off. Choose another time, or keep these times on purpose."
    ),
    ("time_to", False): gettext_lazy(
        "The daily window ends at %(time)s, which happens twice that %(weekday)s: ButterflyMX may end it an "
        "hour off. Choose another time, or keep these times on purpose."
    ),
}


def one_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _aware(value: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """``value`` as a UTC instant: naive values are building-local, already checked by
    :func:`wall_clock_issue`; aware ones (an offset given, or a fold chosen) are honoured."""
    return (value.replace(tzinfo=tz) if value.tzinfo is None else value).astimezone(dt.UTC)


@dataclass(frozen=True)
class _Entered:
    """What a person entered for a pass, as :func:`window_for` takes it (unused fields stay None)."""

    tz: ZoneInfo
    now: dt.datetime
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    day: dt.date | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    time_from: dt.time | None = None
    time_to: dt.time | None = None
    weekdays: list[str] | None = None
    all_day: bool = False

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(self.tz).date()


class _Errors(dict[str | None, list[str]]):
    """Field errors collected in the order found, so a person sees every problem at once."""

    def add(self, name: str | None, message: str) -> None:
        self.setdefault(name, []).append(message)

    def raise_any(self) -> None:
        if self:
            raise PassRuleError(dict(self))


def _delivery_window(entered: _Entered) -> Window:
    return Window(starts_at=entered.now, ends_at=entered.now + DELIVERY_LIFETIME)


def _custom_window(entered: _Entered) -> Window:
    """Any start and end within a year; a naive time in a daylight-saving gap or overlap is refused with
    words rather than shifted (:func:`wall_clock_issue`)."""
    tz, now = entered.tz, entered.now
    starts_at, ends_at = entered.starts_at, entered.ends_at
    errors = _Errors()
    if starts_at is None:
        errors.add("starts_at", _("Enter when the pass starts."))
    if ends_at is None:
        errors.add("ends_at", _("Enter when the pass ends."))
    if starts_at is None or ends_at is None:
        raise PassRuleError(dict(errors))
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        issue = wall_clock_issue(value, tz) if value.tzinfo is None else None
        if issue is not None:  # never shifted silently: the person says which time they mean
            errors.add(name, issue.message)
    errors.raise_any()
    start, end = _aware(starts_at, tz), _aware(ends_at, tz)
    if end <= start:
        errors.add("ends_at", _("The end must be after the start."))
    elif end <= now:
        errors.add("ends_at", _("The end is in the past; choose a later time."))
    if end > now + dt.timedelta(days=ONE_YEAR_DAYS):
        errors.add("ends_at", _("A pass can end at most one year from now."))
    errors.raise_any()
    return Window(starts_at=start, ends_at=end)


def _day_window(entered: _Entered) -> Window:
    """One day (full-day and one-time passes): from now or the day's start to its end, building time."""
    tz, now, day = entered.tz, entered.now, entered.day
    if day is None:
        raise PassRuleError({"day": [_("Choose the day of the visit.")]})
    if day < entered.today:
        raise PassRuleError({"day": [_("That day is in the past.")]})
    if day > one_year_after(entered.today):
        raise PassRuleError({"day": [_("Choose a day at most one year from today.")]})
    start = max(now, local_instant(day, dt.time(0, 0), tz))
    end = local_instant(day, END_OF_DAY, tz, fold=1)  # a day whose last hour repeats keeps both
    if end <= start:
        raise PassRuleError({"day": [_("That day is over in the building's time zone; choose another day.")]})
    return Window(starts_at=start.replace(microsecond=0), ends_at=end)


def _daily_times(entered: _Entered, days: list[str], errors: _Errors) -> tuple[dt.time | None, dt.time | None]:
    """The daily window of a recurring pass (the whole day when ``all_day``); problems go to ``errors``."""
    if entered.all_day:
        return dt.time(0, 0), END_OF_DAY
    time_from, time_to = entered.time_from, entered.time_to
    if time_from is None:
        errors.add("time_from", _("Enter the daily start time."))
    if time_to is None:
        errors.add("time_to", _("Enter the daily end time."))
    if time_from is not None and time_to is not None and time_from > time_to:
        errors.add("time_to", overnight_advice(time_from, time_to, days))
    elif time_from is not None and time_to is not None and time_from == time_to:
        errors.add("time_to", _("The daily end time must be after the daily start time."))
    return time_from, time_to


def _check_date_range(entered: _Entered, start_date: dt.date, end_date: dt.date, errors: _Errors) -> None:
    """A recurring pass's first and last day: in order, not over, at most a year."""
    if end_date < start_date:
        errors.add("end_date", _("The last day must be on or after the first day."))
    elif end_date < entered.today:
        errors.add("end_date", _("The last day is in the past."))
    if end_date > one_year_after(entered.today) or (end_date - start_date).days > ONE_YEAR_DAYS:
        errors.add("end_date", _("A recurring pass can last at most one year."))


def _recurring_window(entered: _Entered) -> Window:
    """Chosen weekdays between a first and last day (at most a year), in a daily window."""
    start_date, end_date = entered.start_date, entered.end_date
    errors = _Errors()
    if start_date is None:
        errors.add("start_date", _("Choose the first day."))
    if end_date is None:
        errors.add("end_date", _("Choose the last day."))
    days = [d for d in WEEKDAYS if d in (entered.weekdays or [])]
    if not days:
        errors.add("weekdays", _("Choose at least one day of the week."))
    if set(entered.weekdays or []) - set(WEEKDAYS):
        errors.add("weekdays", _("Unknown day of the week."))
    time_from, time_to = _daily_times(entered, days, errors)
    if start_date is not None and end_date is not None:
        _check_date_range(entered, start_date, end_date, errors)
    errors.raise_any()
    # Each None above added an error, so past raise_any() none is left (the check tells mypy so too).
    if start_date is None or end_date is None or time_from is None or time_to is None:
        raise PassRuleError(dict(errors))
    time_from = time_from.replace(second=0, microsecond=0)
    time_to = time_to.replace(second=0, microsecond=0)
    start = local_instant(start_date, time_from, entered.tz)
    end = local_instant(end_date, time_to, entered.tz, fold=1)
    if end <= entered.now:
        raise PassRuleError({"end_date": [_("The pass would already be over; choose a later last day.")]})
    return Window(
        starts_at=start,
        ends_at=end,
        start_date=start_date,
        end_date=end_date,
        time_from=time_from,
        time_to=time_to,
        weekdays=days,
        clock_notes=clock_notes(start_date, end_date, days, time_from, time_to, entered.tz),
    )


# One rule per kind of pass; kinds that share a rule share its function.
_WINDOW_RULES: dict[str, Callable[[_Entered], Window]] = {
    Pass.Kind.DELIVERY: _delivery_window,
    Pass.Kind.CUSTOM: _custom_window,
    Pass.Kind.FULL_DAY: _day_window,
    Pass.Kind.ONE_TIME: _day_window,
    Pass.Kind.RECURRING: _recurring_window,
    Pass.Kind.BUSINESS_HOURS: _recurring_window,
}


def window_for(
    kind: str,
    *,
    tz: ZoneInfo,
    now: dt.datetime,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    day: dt.date | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    time_from: dt.time | None = None,
    time_to: dt.time | None = None,
    weekdays: list[str] | None = None,
    all_day: bool = False,
) -> Window:
    """The validated validity window of a pass of ``kind``; raises :class:`PassRuleError`.

    Naive datetimes are building-local (what a ``datetime-local`` input gives).
    """
    rule = _WINDOW_RULES.get(kind)
    if rule is None:
        raise PassRuleError({"kind": [_("Choose a kind of pass.")]})
    entered = _Entered(
        tz=tz,
        now=now,
        starts_at=starts_at,
        ends_at=ends_at,
        day=day,
        start_date=start_date,
        end_date=end_date,
        time_from=time_from,
        time_to=time_to,
        weekdays=weekdays,
        all_day=all_day,
    )
    return rule(entered)


def normalise_recipient(value: str) -> str:
    """An e-mail address, or a phone number as E.164 (10 digits are taken as North American)."""
    value = value.strip()
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError:
            raise ValueError(_("“%(value)s” is not a valid e-mail address.") % {"value": value}) from None
        return value.lower()
    digits = _PHONE_CHARS.sub("", value)
    if re.fullmatch(r"\d{10}", digits):
        digits = "+1" + digits
    elif re.fullmatch(r"1\d{10}", digits):
        digits = "+" + digits
    if not _E164.match(digits):
        raise ValueError(
            _("“%(value)s” is neither an e-mail address nor a phone number like +12125550123.") % {"value": value}
        )
    return digits


def clean_recipients(values: list[str]) -> list[str]:
    errors, out = [], []
    for value in values:
        try:
            normalised = normalise_recipient(value)
        except ValueError as exc:
            errors.append(str(exc))
            continue
        if normalised not in out:
            out.append(normalised)
    if errors:
        raise PassRuleError({"recipients": errors})
    return out


# Bidirectional embedding, override and isolate controls (and the marks): in a name they can make a key
# read differently on a screen than it is stored ("Trojan Source"); a name needs none of them.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# What does not show on a screen: format characters (zero-width space, joiners, BOM, soft hyphen),
# separators and control characters, and combining marks with nothing to combine with.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"})


def clean_name(value: str, *, field_name: str = "name") -> str:
    """A person's or pass's name: bidirectional controls removed, outer spaces stripped; raises
    :class:`PassRuleError` when nothing visible is left (a key with an invisible name is nameless)."""
    cleaned = _BIDI_CONTROLS.sub("", value or "").strip()
    if not any(unicodedata.category(ch) not in _INVISIBLE_CATEGORIES for ch in cleaned):
        raise PassRuleError({field_name: [_("Enter a name with visible letters or digits.")]})
    return cleaned


@dataclass
class People:
    """The people of a pass, from one list: ``visitors`` (names without a contact: the portal adds a
    key for each) and ``recipients`` (contacts: ButterflyMX makes and sends their keys), with
    ``contact_names`` saying whose each contact is."""

    visitors: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    contact_names: dict[str, str] = field(default_factory=dict)


_CONTACT_LIKE = re.compile(r"[+\d\s().-]{7,}")


def _looks_like_contact(text: str) -> bool:
    return "@" in text or bool(_CONTACT_LIKE.fullmatch(text.strip()))


def parse_person(line: str) -> tuple[str, str]:
    """One line of the people list as (name, contact or ""): "Sam Lee", "Sam Lee, sam@example.com",
    "Sam Lee, +1 212 555 0100", or a contact alone (then it names the person too). Only the part after
    the last comma that looks like an e-mail address or phone number is a contact: "Lee, Sam" is a name."""
    name, sep, last = line.rpartition(",")
    if sep and _looks_like_contact(last):
        return name, last.strip()
    if _looks_like_contact(line):
        return "", line.strip()
    return line, ""


def clean_people(lines: list[str]) -> People:
    """The form's people list (one person a line, :func:`parse_person`); see :func:`people_from`."""
    return people_from(
        [
            (_("Line %(number)s") % {"number": n}, *parse_person(line))
            for n, line in enumerate(lines, start=1)
            if line.strip()
        ]
    )


def people_from(entries: list[tuple[str, str, str]]) -> People:
    """People from (where, name, contact) entries, ``where`` naming the entry in errors ("Line 2"): each
    name visible and cleaned (a contact alone names the person), each contact normalised and listed
    once. Raises :class:`PassRuleError` with every problem, under ``visitors``."""
    people, errors = People(), []
    for where, raw_name, raw_contact in entries:
        contact = ""
        if (raw_contact or "").strip():
            try:
                contact = normalise_recipient(raw_contact)
            except ValueError as exc:
                errors.append(_("%(where)s: %(problem)s") % {"where": where, "problem": exc})
                continue
        if (raw_name or "").strip() or not contact:
            try:
                name = clean_name(raw_name, field_name="visitors")
            except PassRuleError:  # the name itself shows nothing, so where it is says which
                errors.append(
                    _("%(where)s: no visible name (only invisible characters); write a name.") % {"where": where}
                )
                continue
        else:
            name = contact
        if not contact:
            people.visitors.append(name)
        elif contact not in people.recipients:
            people.recipients.append(contact)
            people.contact_names[contact] = name
    if errors:
        raise PassRuleError({"visitors": errors})
    return people


def check_visitor_count(visitors: list[str], recipients: list[str]) -> None:
    if len(visitors) + len(recipients) > MAX_VISITORS:
        raise PassRuleError(
            {"visitors": [_("A pass can have at most %(count)s visitors and recipients.") % {"count": MAX_VISITORS}]}
        )
    if any(len(v) > 120 for v in visitors):
        raise PassRuleError(
            {"visitors": [_("A visitor's name can have at most %(count)s characters.") % {"count": 120}]}
        )
