"""A business-hours pass is 9-to-5 local in winter and in summer (New York: UTC-5, then UTC-4)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from passes import services
from tests.passes.helpers import pass_input

NY = ZoneInfo("America/New_York")
FRONT_DOOR = 3901


def second_tuesday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(1 - first.weekday()) % 7 + 7)


def next_second_tuesday(month: int, after: dt.date) -> dt.date:
    day = second_tuesday(after.year, month)
    return day if day > after else second_tuesday(after.year + 1, month)


def test_a_business_hours_pass_created_in_one_season_keeps_local_hours_in_the_other(bmx, sandbox):
    today = dt.datetime.now(NY).date()
    winter, summer = next_second_tuesday(1, today), next_second_tuesday(7, today)
    data = pass_input(
        "business_hours", tz=NY, name="Cleaner", start_date=today, end_date=max(winter, summer) + dt.timedelta(days=3),
        weekdays=["mon", "tue", "wed", "thu", "fri"], time_from=dt.time(9), time_to=dt.time(17),
    )  # fmt: skip
    created = services.pass_create(actor=bmx.rosa, residency=bmx.rosa_residency, data=data)
    pin = created.keys.get().pin
    keychain = next(k for k in sandbox.state()["keychains"] if k["id"] == created.bmx_keychain_id)
    assert (keychain["time_from"], keychain["time_to"]) == ("09:00", "17:00")  # sent as local wall-clock

    def opens_at(day: dt.date, utc_hour: int, minute: int) -> bool:
        sandbox.set_clock(dt.datetime.combine(day, dt.time(utc_hour, minute), tzinfo=dt.UTC).isoformat())
        return sandbox.use_key(access_point_id=FRONT_DOOR, pin=pin)["granted"]

    # January, EST (UTC-5): 9:00-17:00 local is 14:00-22:00 UTC
    assert not opens_at(winter, 13, 55)
    assert opens_at(winter, 14, 5)
    assert opens_at(winter, 21, 55)
    assert not opens_at(winter, 22, 5)
    # July, EDT (UTC-4): 9:00-17:00 local is 13:00-21:00 UTC
    assert not opens_at(summer, 12, 55)
    assert opens_at(summer, 13, 5)
    assert opens_at(summer, 20, 55)
    assert not opens_at(summer, 21, 5)
