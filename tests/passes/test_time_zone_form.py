"""The pass form says which zone its times are in, and a time that daylight saving makes missing (spring
gap) or double (autumn overlap) is never shifted silently: a field error with the nearest valid times
for a gap; for an overlap, the person chooses which occurrence (zoneinfo's fold: 0 the first)."""

from __future__ import annotations

import datetime as dt
import html
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from passes import rules
from passes.models import Pass
from portal.core.wallclock import wall_clock_issue

NY = ZoneInfo("America/New_York")


def next_change(forward: bool) -> dt.date:
    """The next day New York's clocks go forward (the spring gap) or back (the autumn overlap)."""
    day = timezone.now().astimezone(NY).date() + dt.timedelta(days=2)
    for _ in range(370):
        before = dt.datetime.combine(day, dt.time(0), tzinfo=NY).utcoffset()
        after = dt.datetime.combine(day, dt.time(12), tzinfo=NY).utcoffset()
        if before != after and (after > before) == forward:
            return day
        day += dt.timedelta(days=1)
    raise AssertionError("no change of New York's clocks within a year")


SPRING, AUTUMN = next_change(True), next_change(False)


def post(client, world, starts_at: str, ends_at: str, **extra):
    data = {
        "residency": world.alice.residencies.get().pk,
        "kind": "custom",
        "name": "Night nurse",
        "starts_at": starts_at,
        "ends_at": ends_at,
        **extra,
    }
    return client.post("/passes/new/", data)


def test_the_form_says_which_zone_its_times_are_in(world, client_for):
    page = html.unescape(client_for(world.alice).get("/passes/new/").content.decode())

    abbreviation = timezone.now().astimezone(NY).tzname()  # EST or EDT, whichever is in force now
    assert f"Times are in the building's time zone, America/New_York ({abbreviation})." in page


def test_someone_with_residents_in_two_zones_is_told_each_buildings_zone(world, client_for):
    world.building_b.memberships.create(user=world.staff, role="staff")

    page = client_for(world.staff).get("/passes/new/").content.decode()

    assert "Building A: America/New_York" in page and "Building B: America/Los_Angeles" in page


def test_a_start_in_the_spring_gap_is_an_error_with_the_nearest_valid_times(world, client_for):
    response = post(client_for(world.alice), world, f"{SPRING}T02:30", f"{SPRING}T09:00")

    errors = response.context["form"].errors["starts_at"]
    assert errors == [
        f"02:30 on {SPRING:%a %-d %b %Y} does not exist in America/New_York: the clocks jump from 02:00 to "
        "03:00 (EST to EDT). Choose 01:59 or 03:00."
    ]
    assert "does not exist" in response.content.decode()
    assert not Pass.objects.exists()


def test_an_end_in_the_autumn_overlap_asks_which_one_and_keeps_the_form(world, client_for):
    response = post(client_for(world.alice), world, f"{AUTUMN}T00:30", f"{AUTUMN}T01:30")

    assert "happens twice" in response.context["form"].errors["ends_at"][0]
    page = response.content.decode()
    assert 'data-fold-choice="ends_at"' in page and 'data-fold-choice="starts_at"' not in page
    assert "The first 01:30 (EDT, UTC−04:00)" in page and "The second 01:30 (EST, UTC−05:00)" in page
    assert not Pass.objects.exists()


@pytest.mark.parametrize(("fold", "utc_hour"), [(0, 5), (1, 6)])
def test_the_chosen_occurrence_is_the_instant_used(world, fold, utc_hour):
    from passes.forms import PassForm

    residencies = world.alice.residencies.all()
    data = {
        "residency": residencies.get().pk,
        "kind": "custom",
        "name": "Night nurse",
        "starts_at": f"{AUTUMN}T01:30",
        "ends_at": f"{AUTUMN}T04:00",
        "starts_at_fold": str(fold),
    }
    form = PassForm(data, residencies=residencies, actor=world.alice)

    assert form.is_valid(), form.errors
    assert form.pass_input.window.starts_at == dt.datetime.combine(AUTUMN, dt.time(utc_hour, 30), tzinfo=dt.UTC)


def test_a_start_in_the_first_and_an_end_in_the_second_occurrence_is_a_valid_half_hour(world):
    # 01:40 EDT is 05:40 UTC and 01:10 EST is 06:10 UTC: compared as instants, not as clock readings.
    window = rules.window_for(
        "custom",
        tz=NY,
        now=timezone.now(),
        starts_at=dt.datetime.combine(AUTUMN, dt.time(1, 40), tzinfo=NY).replace(fold=0),
        ends_at=dt.datetime.combine(AUTUMN, dt.time(1, 10), tzinfo=NY).replace(fold=1),
    )

    assert window.ends_at - window.starts_at == dt.timedelta(minutes=30)


@pytest.mark.parametrize(
    ("local", "kind"),
    [("02:00", "gap"), ("02:59", "gap"), ("03:00", None), ("01:59", None)],
)
def test_the_gap_is_exactly_the_missing_hour(local, kind):
    issue = wall_clock_issue(dt.datetime.fromisoformat(f"{SPRING}T{local}"), NY)

    assert (issue.kind if issue else None) == kind


@pytest.mark.parametrize(
    ("local", "kind"),
    [("00:59", None), ("01:00", "overlap"), ("01:59", "overlap"), ("02:00", None)],
)
def test_the_overlap_is_exactly_the_repeated_hour(local, kind):
    issue = wall_clock_issue(dt.datetime.fromisoformat(f"{AUTUMN}T{local}"), NY)

    assert (issue.kind if issue else None) == kind


def test_a_zone_that_skipped_a_whole_day_names_the_dates():
    issue = wall_clock_issue(dt.datetime(2011, 12, 30, 12, 0), ZoneInfo("Pacific/Apia"))

    assert issue.kind == "gap" and "Choose Thu 29 Dec, 23:59 or Sat 31 Dec, 00:00." in issue.message


def test_the_api_asks_for_an_offset_for_a_time_in_the_overlap_and_honours_one():
    naive = dt.datetime.combine(AUTUMN, dt.time(1, 30))
    with pytest.raises(rules.PassRuleError) as refused:
        rules.window_for("custom", tz=NY, now=timezone.now(), starts_at=naive, ends_at=naive + dt.timedelta(hours=3))
    assert "happens twice" in refused.value.errors["starts_at"][0]

    given = naive.replace(tzinfo=dt.timezone(dt.timedelta(hours=-5)))  # the second 01:30, EST
    window = rules.window_for("custom", tz=NY, now=timezone.now(), starts_at=given, ends_at=naive.replace(hour=4))
    assert window.starts_at == dt.datetime.combine(AUTUMN, dt.time(6, 30), tzinfo=dt.UTC)
