"""Issue 16, "Time zones, everywhere the same", in Chromium at 390 and 1280 px, under the real CSP, with
axe: a call and an entry logged at 23:30 in New York (04:30 UTC the next day) read "Jan 14, 23:30" on
the lists, a date filter for the 14th finds them and one for the 15th does not, and their detail pages
(opened from the lists) and a pass's page say the same local time.

Screenshots: var/screenshots/journey-tz16-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.e2e.test_log_lists import fits_a_phone, signed_in
from tests.logs.factories import call_for, entry_for
from tests.passes.conftest import make_pass

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

DAY_14 = "start=2026-01-14T00:00&end=2026-01-15T00:00"
DAY_15 = "start=2026-01-15T00:00&end=2026-01-16T00:00"


def test_lists_filters_and_detail_pages_agree_on_the_buildings_local_time(world, chromium, live_server):
    late = dt.datetime(2026, 1, 14, 23, 30, tzinfo=world.building_a.tz)  # 04:30 UTC on the 15th
    call_for(world.building_a, unit=world.unit_a1, remote_id=1, logged_at=late, snapshot_url="")
    entry_for(world.building_a, unit=world.unit_a1, door=world.door_a, remote_id=1, logged_at=late, snapshot_url="")
    party = make_pass(
        world.alice.residencies.get(),
        name="Late party",
        starts=dt.datetime(2099, 1, 14, 23, 30, tzinfo=world.building_a.tz),
        ends=dt.datetime(2099, 1, 15, 2, 0, tzinfo=world.building_a.tz),
    )
    j = signed_in(chromium, live_server, world.manager, "tz16")
    page = j.page
    rows = page.locator("table tbody tr")
    try:
        # Calls: the filter for the 14th finds the call labelled the 14th; the 15th does not
        page.goto(f"{live_server.url}/logs/calls/?{DAY_14}")
        assert rows.count() == 1
        assert "Wed 14 Jan, 23:30" in rows.first.inner_text()
        j.step("01-calls-14th")
        page.goto(f"{live_server.url}/logs/calls/?{DAY_15}")
        assert rows.count() == 0 and page.get_by_text("No calls match these filters.").is_visible()
        page.goto(f"{live_server.url}/logs/calls/?{DAY_14}")
        rows.first.get_by_role("link").first.click()
        page.wait_for_url(re.compile(r"/logs/calls/\d+/$"))
        assert page.get_by_test_id("call-time").inner_text() == "Wed 14 Jan 2026, 23:30 EST"
        j.step("02-call-detail")
        fits_a_phone(page)

        # Entries: the same, and the entry's page
        page.goto(f"{live_server.url}/logs/?{DAY_15}")
        assert rows.count() == 0
        page.goto(f"{live_server.url}/logs/?{DAY_14}")
        assert rows.count() == 1 and "Wed 14 Jan, 23:30" in rows.first.inner_text()
        j.step("03-entries-14th")
        rows.first.get_by_role("link").first.click()
        page.wait_for_url(re.compile(r"/logs/\d+/$"))
        assert page.locator("main time").inner_text() == "Wed 14 Jan 2026, 23:30 EST"
        j.step("04-entry-detail")
        fits_a_phone(page)

        # A pass's page: its validity in the building's zone, named
        page.goto(f"{live_server.url}/passes/{party.pk}/")
        valid = page.locator("dt:text-is('Valid') + dd").inner_text()
        assert "Wed 14 Jan 2099, 23:30" in valid and "Thu 15 Jan 2099, 02:00" in valid
        assert "America/New_York" in valid
        j.step("05-pass-detail")
        fits_a_phone(page)
        j.assert_clean()
    finally:
        j.close()
