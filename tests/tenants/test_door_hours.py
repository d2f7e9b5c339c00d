"""Door hours read at a moment, in the building's zone (tenants.door_hours): no database, no ButterflyMX."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tenants import door_hours

LA, NY = ZoneInfo("America/Los_Angeles"), ZoneInfo("America/New_York")
WORKWEEK = ["mon", "tue", "wed", "thu", "fri"]
NINE_TO_FIVE = [{"weekdays": WORKWEEK, "from": "09:00", "to": "17:00"}]


def at(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


def test_open_inside_the_window_until_its_end_in_the_buildings_zone():
    now = at(LA, 2026, 11, 25, 10, 30)  # a Wednesday, 10:30 in Los Angeles (18:30 UTC)

    hours = door_hours.hours_now(NINE_TO_FIVE, now, LA)

    assert hours == door_hours.HoursNow(True, until=at(LA, 2026, 11, 25, 17, 0).astimezone(UTC))
    assert door_hours.local_label(hours.until, now, LA) == "17:00"


def test_the_same_instant_reads_differently_in_another_zone():
    """18:30 UTC is 10:30 in Los Angeles (open) but 13:30 in New York; at 17:30 New York time the
    New York door is closed while the Los Angeles one (14:30 there) is open."""
    instant = at(NY, 2026, 11, 25, 17, 30)

    assert door_hours.hours_now(NINE_TO_FIVE, instant, LA).is_open is True
    new_york = door_hours.hours_now(NINE_TO_FIVE, instant, NY)
    assert new_york.is_open is False
    assert door_hours.local_label(new_york.next_open, instant, NY) == "09:00 Thu"


def test_closed_on_friday_evening_opens_on_monday():
    now = at(NY, 2026, 11, 27, 18, 0)  # Friday 18:00

    hours = door_hours.hours_now(NINE_TO_FIVE, now, NY)

    assert hours.is_open is False and hours.next_open == at(NY, 2026, 11, 30, 9, 0).astimezone(UTC)
    assert door_hours.local_label(hours.next_open, now, NY) == "09:00 Mon"


def test_all_day_every_day_never_closes_and_all_day_weekdays_close_at_saturday_midnight():
    always = [{"weekdays": list(door_hours.WEEKDAYS), "from": "00:00", "to": "00:00"}]
    weekdays = [{"weekdays": WORKWEEK, "from": "00:00", "to": "00:00"}]
    now = at(NY, 2026, 11, 25, 3, 0)

    assert door_hours.hours_now(always, now, NY) == door_hours.HoursNow(True)
    hours = door_hours.hours_now(weekdays, now, NY)
    assert hours.is_open and door_hours.local_label(hours.until, now, NY) == "00:00 Sat"


def test_a_window_past_midnight_belongs_to_the_day_it_starts():
    night = [{"weekdays": ["fri"], "from": "22:00", "to": "06:00"}]

    saturday_early = door_hours.hours_now(night, at(NY, 2026, 11, 28, 5, 0), NY)
    saturday_late = door_hours.hours_now(night, at(NY, 2026, 11, 28, 7, 0), NY)

    assert saturday_early == door_hours.HoursNow(True, until=at(NY, 2026, 11, 28, 6, 0).astimezone(UTC))
    assert saturday_late.is_open is False and saturday_late.next_open == at(NY, 2026, 12, 4, 22, 0).astimezone(UTC)


def test_local_hours_hold_across_a_daylight_saving_change():
    """Los Angeles leaves daylight time on Sunday 2026-11-01: the door still opens at 09:00 local, which
    is 16:00 UTC before and 17:00 UTC after."""
    before = door_hours.hours_now(NINE_TO_FIVE, at(LA, 2026, 10, 30, 18, 0), LA)  # Friday evening, PDT

    assert before.next_open == datetime(2026, 11, 2, 17, 0, tzinfo=UTC)  # Monday 09:00 PST
    assert door_hours.local_label(before.next_open, at(LA, 2026, 10, 30, 18, 0), LA) == "09:00 Mon"


def test_unreadable_items_are_left_out_never_guessed_and_no_schedule_says_nothing():
    items = [
        {"weekdays": ["funday"], "from": "09:00", "to": "17:00"},
        {"weekdays": ["mon"], "from": "9am", "to": "17:00"},
        "09:00-17:00",
        {"weekdays": ["SAT"], "from": "10:00", "to": "14:00"},
    ]

    assert door_hours.normalized(items) == [{"weekdays": ["sat"], "from": "10:00", "to": "14:00"}]
    assert door_hours.hours_now([], at(NY, 2026, 11, 25, 12, 0), NY) is None
    assert door_hours.hours_now(items[:3], at(NY, 2026, 11, 25, 12, 0), NY) is None


def test_normalized_is_stable_so_a_second_sync_writes_nothing():
    items = [
        {"weekdays": ["sat"], "from": "10:00", "to": "14:00", "id": 7},
        {"weekdays": ["fri", "mon", "tue", "wed", "thu"], "from": "08:00", "to": "18:00"},
    ]

    once = door_hours.normalized(items)

    assert once == door_hours.normalized(once) == door_hours.normalized(list(reversed(items)))
    assert once[0] == {"weekdays": WORKWEEK, "from": "08:00", "to": "18:00"}


def test_summary_says_the_schedule_in_a_few_words():
    assert door_hours.summary(NINE_TO_FIVE) == "Mon–Fri 09:00–17:00"
    assert door_hours.summary([{"weekdays": list(door_hours.WEEKDAYS), "from": "00:00", "to": "00:00"}]) == (
        "Every day, all day"
    )
    assert door_hours.summary([{"weekdays": ["sat", "mon"], "from": "10:00", "to": "14:00"}]) == "Mon, Sat 10:00–14:00"
