"""The rules of each pass kind, checked before ButterflyMX is called. Forms and the API both use them.

Everything a person enters is building-local wall-clock time; :func:`window_for` turns it into UTC
instants (and keeps the local dates and times recurring passes are sent with). Errors come back keyed
by the field a person typed into, with words they can act on.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from portal.core.wallclock import daily_time_issues, wall_clock_issue

from .models import WEEKDAYS, Pass

ONE_YEAR_DAYS = 365
DELIVERY_LIFETIME = dt.timedelta(days=30)
END_OF_DAY = dt.time(23, 59)
MAX_VISITORS = 10
_PHONE_CHARS = re.compile(r"[\s().-]")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


# ButterflyMX refuses a daily window that crosses midnight (422 ``must_be_less_than_time_to`` when
# time_from >= time_to: the OpenAPI document's example and sandbox/rules/keychains.py), so an overnight
# window is two passes; the form says how.
OVERNIGHT_HELP = "A daily window ends on the day it starts (ButterflyMX has no overnight window)."


def overnight_advice(time_from: dt.time, time_to: dt.time, days: list[str]) -> str:
    def names(which: list[str]) -> str:
        return ", ".join(d.capitalize() for d in which) or "the days you want"

    mornings = [WEEKDAYS[(WEEKDAYS.index(d) + 1) % 7] for d in days]
    return (
        f"ButterflyMX cannot make a daily window that crosses midnight ({time_from:%H:%M}-{time_to:%H:%M}). "
        f"Make two recurring passes: one from {time_from:%H:%M} to 23:59 on {names(days)}, and one from 00:00 "
        f"to {time_to:%H:%M} on the mornings after ({names(sorted(mornings, key=WEEKDAYS.index))})."
    )


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
    for name, time, verb in (("time_from", time_from, "starts"), ("time_to", time_to, "ends")):
        for day, issue in daily_time_issues(time, start_date, end_date, weekdays, tz):
            effect = "does not exist" if issue.kind == "gap" else "happens twice"
            notes.append(
                (
                    name,
                    f"{issue.summary} The daily window {verb} at {time:%H:%M}, which {effect} that "
                    f"{day:%A}: ButterflyMX may {verb[:-1]} it an hour off. Choose another time, or keep these "
                    "times on purpose.",
                )
            )
    return notes


def one_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _aware(value: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """``value`` as a UTC instant: naive values are building-local, already checked by
    :func:`wall_clock_issue`; aware ones (an offset given, or a fold chosen) are honoured."""
    return (value.replace(tzinfo=tz) if value.tzinfo is None else value).astimezone(dt.UTC)


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
    errors: dict[str | None, list[str]] = {}

    def err(name: str | None, message: str) -> None:
        errors.setdefault(name, []).append(message)

    today = now.astimezone(tz).date()
    latest_day = one_year_after(today)

    if kind == Pass.Kind.DELIVERY:
        return Window(starts_at=now, ends_at=now + DELIVERY_LIFETIME)

    if kind == Pass.Kind.CUSTOM:
        if starts_at is None:
            err("starts_at", "Enter when the pass starts.")
        if ends_at is None:
            err("ends_at", "Enter when the pass ends.")
        if errors:
            raise PassRuleError(errors)
        for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
            issue = wall_clock_issue(value, tz) if value.tzinfo is None else None
            if issue is not None:  # never shifted silently: the person says which time they mean
                err(name, issue.message)
        if errors:
            raise PassRuleError(errors)
        start, end = _aware(starts_at, tz), _aware(ends_at, tz)
        if end <= start:
            err("ends_at", "The end must be after the start.")
        elif end <= now:
            err("ends_at", "The end is in the past; choose a later time.")
        if end > now + dt.timedelta(days=ONE_YEAR_DAYS):
            err("ends_at", "A pass can end at most one year from now.")
        if errors:
            raise PassRuleError(errors)
        return Window(starts_at=start, ends_at=end)

    if kind in (Pass.Kind.FULL_DAY, Pass.Kind.ONE_TIME):
        if day is None:
            raise PassRuleError({"day": ["Choose the day of the visit."]})
        if day < today:
            raise PassRuleError({"day": ["That day is in the past."]})
        if day > latest_day:
            raise PassRuleError({"day": ["Choose a day at most one year from today."]})
        start = max(now, local_instant(day, dt.time(0, 0), tz))
        end = local_instant(day, END_OF_DAY, tz, fold=1)  # a day whose last hour repeats keeps both
        if end <= start:
            raise PassRuleError({"day": ["That day is over in the building's time zone; choose another day."]})
        return Window(starts_at=start.replace(microsecond=0), ends_at=end)

    if kind in (Pass.Kind.RECURRING, Pass.Kind.BUSINESS_HOURS):
        if start_date is None:
            err("start_date", "Choose the first day.")
        if end_date is None:
            err("end_date", "Choose the last day.")
        days = [d for d in WEEKDAYS if d in (weekdays or [])]
        if not days:
            err("weekdays", "Choose at least one day of the week.")
        if set(weekdays or []) - set(WEEKDAYS):
            err("weekdays", "Unknown day of the week.")
        if all_day:
            time_from, time_to = dt.time(0, 0), END_OF_DAY
        else:
            if time_from is None:
                err("time_from", "Enter the daily start time.")
            if time_to is None:
                err("time_to", "Enter the daily end time.")
            if time_from is not None and time_to is not None and time_from > time_to:
                err("time_to", overnight_advice(time_from, time_to, days))
            elif time_from is not None and time_to is not None and time_from == time_to:
                err("time_to", "The daily end time must be after the daily start time.")
        if start_date is not None and end_date is not None:
            if end_date < start_date:
                err("end_date", "The last day must be on or after the first day.")
            elif end_date < today:
                err("end_date", "The last day is in the past.")
            if end_date > latest_day or (end_date - start_date).days > ONE_YEAR_DAYS:
                err("end_date", "A recurring pass can last at most one year.")
        if errors:
            raise PassRuleError(errors)
        time_from = time_from.replace(second=0, microsecond=0)
        time_to = time_to.replace(second=0, microsecond=0)
        start = local_instant(start_date, time_from, tz)
        end = local_instant(end_date, time_to, tz, fold=1)
        if end <= now:
            raise PassRuleError({"end_date": ["The pass would already be over; choose a later last day."]})
        return Window(
            starts_at=start,
            ends_at=end,
            start_date=start_date,
            end_date=end_date,
            time_from=time_from,
            time_to=time_to,
            weekdays=days,
            clock_notes=clock_notes(start_date, end_date, days, time_from, time_to, tz),
        )
    raise PassRuleError({"kind": ["Choose a kind of pass."]})


def normalise_recipient(value: str) -> str:
    """An e-mail address, or a phone number as E.164 (10 digits are taken as North American)."""
    value = value.strip()
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError:
            raise ValueError(f"“{value}” is not a valid e-mail address.") from None
        return value.lower()
    digits = _PHONE_CHARS.sub("", value)
    if re.fullmatch(r"\d{10}", digits):
        digits = "+1" + digits
    elif re.fullmatch(r"1\d{10}", digits):
        digits = "+" + digits
    if not _E164.match(digits):
        raise ValueError(f"“{value}” is neither an e-mail address nor a phone number like +12125550123.")
    return digits


def parse_lines(text: str) -> list[str]:
    return [line.strip() for line in re.split(r"[\n,;]", text or "") if line.strip()]


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
        raise PassRuleError({field_name: ["Enter a name with visible letters or digits."]})
    return cleaned


def clean_visitor_names(values: list[str]) -> list[str]:
    """Visitors' names without contacts (the API's ``visitors``): blank ones skipped, each cleaned."""
    entries = [(f"Visitor {n}", value, "") for n, value in enumerate(values, start=1) if (value or "").strip()]
    return people_from(entries).visitors


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
    return people_from([(f"Line {n}", *parse_person(line)) for n, line in enumerate(lines, start=1) if line.strip()])


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
                errors.append(f"{where}: {exc}")
                continue
        if (raw_name or "").strip() or not contact:
            try:
                name = clean_name(raw_name, field_name="visitors")
            except PassRuleError:  # the name itself shows nothing, so where it is says which
                errors.append(f"{where}: no visible name (only invisible characters); write a name.")
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
        raise PassRuleError({"visitors": [f"A pass can have at most {MAX_VISITORS} visitors and recipients."]})
    if any(len(v) > 120 for v in visitors):
        raise PassRuleError({"visitors": ["A visitor's name can have at most 120 characters."]})
