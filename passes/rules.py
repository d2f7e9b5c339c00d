"""The rules of each pass kind, checked before ButterflyMX is called. Forms and the API both use them.

Everything a person enters is building-local wall-clock time; :func:`window_for` turns it into UTC
instants (and keeps the local dates and times recurring passes are sent with). Errors come back keyed
by the field a person typed into, with words they can act on.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from .models import WEEKDAYS, Pass

ONE_YEAR_DAYS = 365
DELIVERY_LIFETIME = dt.timedelta(days=30)
END_OF_DAY = dt.time(23, 59)
MAX_VISITORS = 10
_PHONE_CHARS = re.compile(r"[\s().-]")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


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


def local_instant(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """A building-local wall-clock time as an aware UTC instant (fold=0 on the repeated autumn hour)."""
    return dt.datetime.combine(day, time, tzinfo=tz).astimezone(dt.UTC)


def one_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _aware(value: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


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
        start, end = _aware(starts_at, tz), _aware(ends_at, tz)
        if end <= start:
            err("ends_at", "The end must be after the start.")
        elif end <= now:
            err("ends_at", "The end is in the past; choose a later time.")
        if end > now + dt.timedelta(days=ONE_YEAR_DAYS):
            err("ends_at", "A pass can end at most one year from now.")
        if errors:
            raise PassRuleError(errors)
        return Window(starts_at=start.astimezone(dt.UTC), ends_at=end.astimezone(dt.UTC))

    if kind in (Pass.Kind.FULL_DAY, Pass.Kind.ONE_TIME):
        if day is None:
            raise PassRuleError({"day": ["Choose the day of the visit."]})
        if day < today:
            raise PassRuleError({"day": ["That day is in the past."]})
        if day > latest_day:
            raise PassRuleError({"day": ["Choose a day at most one year from today."]})
        start = max(now, local_instant(day, dt.time(0, 0), tz))
        end = local_instant(day, END_OF_DAY, tz)
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
            if time_from is not None and time_to is not None and time_from >= time_to:
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
        end = local_instant(end_date, time_to, tz)
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


def check_visitor_count(visitors: list[str], recipients: list[str]) -> None:
    if len(visitors) + len(recipients) > MAX_VISITORS:
        raise PassRuleError({"visitors": [f"A pass can have at most {MAX_VISITORS} visitors and recipients."]})
    if any(len(v) > 120 for v in visitors):
        raise PassRuleError({"visitors": ["A visitor's name can have at most 120 characters."]})
