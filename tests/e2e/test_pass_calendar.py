"""Issue 16, "The calendar file is valid RFC 5545", in Chromium at 390 and 1280 px, under the real CSP,
with axe: a guest opens a recurring pass whose first day is not an allowed weekday, downloads "Add to
calendar" through the browser, and the file, read by the icalendar library, has a VTIMEZONE for every
TZID and starts on the first allowed day, in the building's zone.

Screenshots: var/screenshots/journey-calendar16-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest

from passes import rules, services
from tests.e2e.journeys import Journey
from tests.e2e.test_pass_extend import synced_bmx_world
from tests.passes.helpers import local_now, pass_input

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]
NY = ZoneInfo("America/New_York")


def test_the_guest_downloads_a_calendar_file_that_starts_on_an_allowed_day(live_server, sandbox, chromium):
    bmx = synced_bmx_world()
    today = local_now(NY).date()
    # Allowed: the weekdays two and four days from now; the pass's first day (today) is not one of them.
    allowed = [rules.WEEKDAYS[(today + dt.timedelta(days=n)).weekday()] for n in (2, 4)]
    walker = services.pass_create(
        actor=bmx.rosa,
        residency=bmx.rosa_residency,
        data=pass_input(
            "recurring",
            tz=NY,
            name="Dog walker",
            visitors=["Sam"],
            start_date=today,
            end_date=today + dt.timedelta(days=30),
            weekdays=allowed,
            time_from=dt.time(18),
            time_to=dt.time(19, 30),
        ),
    )
    j = Journey(chromium, "calendar16")
    page = j.page
    try:
        page.goto(f"{live_server.url}/p/{walker.keys.get().share_token}/")
        j.step("01-guest-page")
        with page.expect_download() as downloading:
            page.get_by_role("link", name="Add to calendar").click()
        download = downloading.value
        assert download.suggested_filename == "visitor-pass.ics"
        raw = download.path().read_bytes()

        cal = icalendar.Calendar.from_ical(raw)
        (event,) = cal.walk("VEVENT")
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        tzids = {event["dtstart"].params["TZID"], event["dtend"].params["TZID"]}
        assert tzids == {"America/New_York"}
        assert {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")} == tzids
        assert cal.get_missing_tzids() == set()
        first = today + dt.timedelta(days=2)
        assert start == dt.datetime.combine(first, dt.time(18), tzinfo=NY)  # the first allowed day
        assert end == dt.datetime.combine(first, dt.time(19, 30), tzinfo=NY)
        assert rules.WEEKDAYS[start.weekday()] in allowed
        assert sorted(event["rrule"]["BYDAY"]) == sorted(d[:2].upper() for d in allowed)
        assert f"/p/{walker.keys.get().share_token}/" in str(event.get("description", "")) + str(event.get("url", ""))
        assert raw.endswith(b"END:VCALENDAR\r\n")
        j.assert_clean()
    finally:
        j.close()
