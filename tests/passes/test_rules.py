"""Each rule of each kind, checked before ButterflyMX is called, with a message a person can act on."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from passes import rules

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 11, 22, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York
TODAY = dt.date(2026, 11, 22)


def errors_of(kind, **kwargs):
    with pytest.raises(rules.PassRuleError) as caught:
        rules.window_for(kind, tz=NY, now=NOW, **kwargs)
    return caught.value.errors


def test_a_custom_pass_needs_a_start_and_an_end():
    assert set(errors_of("custom")) == {"starts_at", "ends_at"}


def test_it_refuses_a_custom_pass_ending_before_it_starts():
    start = dt.datetime(2026, 11, 23, 12, 0)
    assert "after the start" in errors_of("custom", starts_at=start, ends_at=start)["ends_at"][0]


def test_it_refuses_a_custom_pass_ending_in_the_past():
    assert (
        "past"
        in errors_of("custom", starts_at=dt.datetime(2026, 11, 20), ends_at=dt.datetime(2026, 11, 21))["ends_at"][0]
    )


def test_it_refuses_a_pass_ending_after_one_year():
    errors = errors_of("custom", starts_at=dt.datetime(2026, 11, 23), ends_at=dt.datetime(2027, 11, 23, 12))
    assert "one year" in errors["ends_at"][0]


def test_custom_times_are_read_in_the_buildings_zone():
    window = rules.window_for(
        "custom", tz=NY, now=NOW, starts_at=dt.datetime(2026, 11, 23, 9, 0), ends_at=dt.datetime(2026, 11, 23, 17, 0)
    )
    assert window.starts_at == dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # EST = UTC-5


@pytest.mark.parametrize("kind", ["full_day", "one_time"])
def test_a_day_pass_needs_a_day_not_in_the_past_and_within_a_year(kind):
    assert "day" in errors_of(kind)
    assert "past" in errors_of(kind, day=TODAY - dt.timedelta(days=1))["day"][0]
    assert "one year" in errors_of(kind, day=TODAY + dt.timedelta(days=400))["day"][0]


def test_a_full_day_pass_runs_from_now_until_2359_local_today():
    window = rules.window_for("full_day", tz=NY, now=NOW, day=TODAY)
    assert window.starts_at == NOW
    assert window.ends_at == dt.datetime(2026, 11, 23, 4, 59, tzinfo=dt.UTC)


def test_a_one_time_pass_on_a_later_day_starts_at_local_midnight():
    window = rules.window_for("one_time", tz=NY, now=NOW, day=dt.date(2026, 11, 25))
    assert window.starts_at == dt.datetime(2026, 11, 25, 5, 0, tzinfo=dt.UTC)


def test_a_recurring_pass_needs_dates_days_and_a_window():
    assert set(errors_of("recurring")) == {"start_date", "end_date", "weekdays", "time_from", "time_to"}


def test_it_refuses_a_daily_window_that_ends_before_it_starts():
    errors = errors_of(
        "recurring", start_date=TODAY, end_date=TODAY, weekdays=["mon"], time_from=dt.time(17), time_to=dt.time(9)
    )
    assert "crosses midnight (17:00-09:00)" in errors["time_to"][0]


def test_it_refuses_a_recurring_pass_longer_than_a_year():
    errors = errors_of(
        "recurring", start_date=TODAY, end_date=TODAY + dt.timedelta(days=366), weekdays=["mon"], all_day=True
    )
    assert "at most one year" in errors["end_date"][0]


def test_it_refuses_a_last_day_before_the_first():
    errors = errors_of(
        "recurring", start_date=TODAY + dt.timedelta(days=3), end_date=TODAY + dt.timedelta(days=1), weekdays=["mon"],
        all_day=True,
    )  # fmt: skip
    assert "on or after the first day" in errors["end_date"][0]


def test_every_day_all_day_is_possible():
    window = rules.window_for(
        "recurring", tz=NY, now=NOW, start_date=TODAY, end_date=TODAY + dt.timedelta(days=30),
        weekdays=list(rules.WEEKDAYS), all_day=True,
    )  # fmt: skip
    assert (window.time_from, window.time_to) == (dt.time(0, 0), dt.time(23, 59))
    assert window.weekdays == list(rules.WEEKDAYS)


def test_a_recurring_window_is_local_wall_clock_in_winter_and_in_summer():
    window = rules.window_for(
        "business_hours", tz=NY, now=NOW, start_date=dt.date(2027, 1, 11), end_date=dt.date(2027, 7, 16),
        weekdays=["mon", "tue", "wed", "thu", "fri"], time_from=dt.time(9), time_to=dt.time(17),
    )  # fmt: skip
    assert window.starts_at == dt.datetime(2027, 1, 11, 14, 0, tzinfo=dt.UTC)  # EST
    assert window.ends_at == dt.datetime(2027, 7, 16, 21, 0, tzinfo=dt.UTC)  # EDT


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Guest@Example.com", "guest@example.com"),
        ("(212) 555-0123", "+12125550123"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_recipients_are_normalised(given, expected):
    assert rules.clean_recipients([given]) == [expected]


@pytest.mark.parametrize("bad", ["not-an-address", "guest@", "12345"])
def test_it_refuses_a_recipient_that_is_neither_an_email_nor_a_phone(bad):
    with pytest.raises(rules.PassRuleError) as caught:
        rules.clean_recipients([bad])
    assert "recipients" in caught.value.errors


def test_it_refuses_more_than_ten_visitors():
    with pytest.raises(rules.PassRuleError):
        rules.check_visitor_count([f"V{i}" for i in range(8)], ["a@example.com", "b@example.com", "c@example.com"])


@pytest.mark.django_db
def test_a_delivery_pass_with_an_unusable_name_is_a_field_error_not_a_crash(client):
    """Found by tests/fuzz/test_form_fuzz.py: a name Django refuses (here a NUL) left no cleaned name."""
    from tests.factories import ResidencyFactory

    residency = ResidencyFactory(bmx_tenant_id=1)
    client.force_login(residency.user)

    response = client.post("/passes/new/", {"kind": "delivery", "name": "Door\x00Dash", "residency": residency.pk})

    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()
