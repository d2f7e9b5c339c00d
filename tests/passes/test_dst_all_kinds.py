"""Daylight saving on every pass kind whose times a person types (issue 16), from the one home of the
check (portal.core.wallclock): a recurring pass's daily times that a clock change skips or repeats on one
of its days are asked about (kept only on purpose), a day pass keeps a repeated last hour, and the times
a preset fills in are checked when the form opens."""

from __future__ import annotations

import datetime as dt
import html
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from passes import rules
from passes.forms import PassForm
from passes.models import Pass
from portal.core.wallclock import daily_time_issues
from tests.passes.test_time_zone_form import AUTUMN, NY, SPRING

pytestmark = pytest.mark.django_db

SUNDAY = "sun"


def recurring(world, *, around: dt.date, time_from: str, time_to: str, weekdays=("sat", SUNDAY), **extra) -> dict:
    return {
        "residency": world.alice.residencies.get().pk,
        "kind": "recurring",
        "name": "Cleaner",
        "start_date": (around - dt.timedelta(days=3)).isoformat(),
        "end_date": (around + dt.timedelta(days=3)).isoformat(),
        "weekdays": list(weekdays),
        "time_from": time_from,
        "time_to": time_to,
        **extra,
    }


def form_for(world, data: dict) -> PassForm:
    from passes import selectors

    return PassForm(data, residencies=selectors.residencies_for_creation(world.alice), actor=world.alice)


def test_a_daily_start_the_spring_change_skips_is_asked_about_not_shifted(world, client_for):
    data = recurring(world, around=SPRING, time_from="02:30", time_to="06:00")

    page = client_for(world.alice).post("/passes/new/", data)

    text = html.unescape(page.content.decode())
    assert page.status_code == 200 and not Pass.objects.exists()  # the form again, nothing made
    assert f"02:30 on {SPRING:%a %-d %b %Y} does not exist in America/New_York" in text
    assert "The daily window starts at 02:30, which does not exist that Sunday" in text
    assert "Keep these times: I know they move on those days" in text
    # Kept on purpose, the same times make a pass.
    kept = form_for(world, {**data, "clock_ok": "on"})
    assert kept.is_valid(), kept.errors
    assert kept.pass_input.window.time_from == dt.time(2, 30)


def test_a_daily_end_the_autumn_change_repeats_is_asked_about(world):
    form = form_for(world, recurring(world, around=AUTUMN, time_from="00:30", time_to="01:30"))

    assert not form.is_valid()
    assert "01:30 on" in form.errors["time_to"][0] and "happens twice in America/New_York" in form.errors["time_to"][0]
    assert "time_from" not in form.errors  # 00:30 is on the clock once


def test_days_without_a_change_and_hours_away_from_it_ask_nothing(world):
    # the change's day not among the chosen weekdays; and business hours never meet New York's change
    no_sunday = form_for(world, recurring(world, around=SPRING, time_from="02:30", time_to="06:00", weekdays=("sat",)))
    business = form_for(world, recurring(world, around=SPRING, time_from="09:00", time_to="17:00"))

    assert no_sunday.is_valid(), no_sunday.errors
    assert business.is_valid(), business.errors
    assert business.pass_input.window.clock_notes == []


def test_a_year_long_pass_finds_both_changes():
    start = timezone.now().astimezone(NY).date() + dt.timedelta(days=1)
    days = {start + dt.timedelta(days=n) for n in range(364)}
    sundays = {6}

    gaps = daily_time_issues(dt.time(2, 15), start, start + dt.timedelta(days=363), sundays, NY)
    overlaps = daily_time_issues(dt.time(1, 15), start, start + dt.timedelta(days=363), sundays, NY)

    assert [(d, i.kind) for d, i in gaps] == [(SPRING, "gap")] and SPRING in days
    assert [(d, i.kind) for d, i in overlaps] == [(AUTUMN, "overlap")] and AUTUMN in days


def _day_whose_last_hour_repeats(tz: ZoneInfo) -> dt.date:
    """A day within a year on which 23:59 happens twice in ``tz`` (a zone whose clocks go back at midnight)."""
    day = timezone.now().astimezone(tz).date() + dt.timedelta(days=1)
    for _ in range(366):
        if (
            dt.datetime.combine(day, dt.time(23, 59), tzinfo=tz).utcoffset()
            != dt.datetime.combine(day, dt.time(23, 59), tzinfo=tz).replace(fold=1).utcoffset()
        ):
            return day
        day += dt.timedelta(days=1)
    raise AssertionError("no such day within a year")


def test_a_day_pass_on_a_day_whose_last_hour_repeats_keeps_that_hour():
    santiago = ZoneInfo("America/Santiago")  # the clocks go back from 24:00 to 23:00 in April
    day = _day_whose_last_hour_repeats(santiago)

    window = rules.window_for("full_day", tz=santiago, now=timezone.now(), day=day)

    second = dt.datetime.combine(day, dt.time(23, 59), tzinfo=santiago).replace(fold=1)
    assert window.ends_at == second.astimezone(dt.UTC)  # not an hour early, at the first 23:59


def test_a_preset_that_lands_in_a_gap_says_so_when_the_form_opens(world):
    from passes import selectors

    residency = world.alice.residencies.get()
    # "Tonight" on the eve of the spring change ends at 02:00, which that night does not have.
    initial = {
        "residency": residency.pk,
        "kind": "custom",
        "starts_at": dt.datetime.combine(SPRING - dt.timedelta(days=1), dt.time(18, 0)),
        "ends_at": dt.datetime.combine(SPRING, dt.time(2, 0)),
    }
    form = PassForm(initial=initial, residencies=selectors.residencies_for_creation(world.alice), actor=world.alice)

    [(label, words)] = form.initial_clock_issues()
    assert (
        label == "Ends"
        and f"02:00 on {SPRING:%a %-d %b %Y} does not exist" in words
        and "Choose 01:59 or 03:00." in words
    )


def test_the_api_refuses_such_daily_times_unless_kept_on_purpose(world, client_for):
    data = recurring(world, around=SPRING, time_from="02:30", time_to="06:00")
    data["weekdays"] = ["sat", "sun"]

    refused = client_for(world.alice).post("/api/passes/", data, content_type="application/json")

    assert refused.status_code == 400 and not Pass.objects.exists()
    [words] = refused.json()["errors"]["time_from"]
    assert f"02:30 on {SPRING:%a %-d %b %Y} does not exist in America/New_York" in words
    assert "keep_clock_changes: true keeps them." in words
