"""Daylight-saving checks in Chromium at 390 px and 1280 px, under the real CSP, with axe (issue 16): a
recurring pass whose daily start the spring change skips is asked about and made only when kept on
purpose; the logs' From in the skipped hour is an error naming the times to use, and an Until in the
repeated hour keeps both occurrences and says so."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from passes.models import Pass
from tests.dashboard.conftest import crimson  # noqa: F401 - the fixture
from tests.e2e.journeys import PHONE, assert_fits
from tests.e2e.test_journeys import journey, sign_in  # noqa: F401 - the fixture
from tests.passes.test_time_zone_form import AUTUMN, SPRING

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def test_a_recurring_pass_across_the_spring_change_is_asked_about(crimson, sandbox, live_server, journey):  # noqa: F811
    j = journey("dst-recurring")
    page = j.page
    sign_in(page, live_server, crimson.rosa.email)
    page.goto(f"{live_server.url}/passes/new/")
    page.get_by_label("Recurring").check()
    page.get_by_label("Name").fill("Early cleaner")
    page.get_by_label("First day").fill((SPRING - dt.timedelta(days=3)).isoformat())
    page.get_by_label("Last day").fill((SPRING + dt.timedelta(days=3)).isoformat())
    for day in ("Saturday", "Sunday"):
        page.get_by_label(day, exact=True).check()
    page.get_by_label("Daily from").fill("02:30")
    page.get_by_label("Daily until").fill("06:00")
    page.get_by_role("button", name="Create the pass").click()

    error = page.locator("#id_time_from-errors")
    assert f"02:30 on {SPRING:%a %-d %b %Y} does not exist in America/New_York" in error.inner_text()
    assert "The daily window starts at 02:30, which does not exist that Sunday" in error.inner_text()
    j.step("01-asked")
    assert_fits(page)
    assert not Pass.objects.exists()

    page.get_by_label("Keep these times: I know they move on those days").check()
    page.get_by_role("button", name="Create the pass").click()
    page.wait_for_url(re.compile(r"/passes/\d+/"))
    made = Pass.objects.get()
    assert (made.kind, made.time_from) == ("recurring", dt.time(2, 30))
    j.step("02-kept")
    j.assert_clean()


def test_the_logs_from_and_until_across_the_changes(crimson, live_server, journey):  # noqa: F811
    j = journey("dst-logs")
    page = j.page
    sign_in(page, live_server, crimson.manager.email)

    page.goto(f"{live_server.url}/logs/?building={crimson.building.pk}&start={SPRING}T02:30")
    error = page.locator("#id_start-errors")
    assert f"“From”: 02:30 on {SPRING:%a %-d %b %Y} does not exist in America/New_York" in error.inner_text()
    assert "Choose 01:59 or 03:00." in error.inner_text()
    assert page.get_by_test_id("invalid-filters").is_visible()
    j.step("01-from-in-gap")
    assert_fits(page)

    page.goto(f"{live_server.url}/logs/?end={AUTUMN}T01:30")
    # The manager's buildings are in two zones, and both repeat that hour: each zone says so.
    notes = page.locator("[data-clock-note]")
    assert notes.count() == 2 and notes.filter(has_text="America/Los_Angeles").count() == 1
    note = notes.filter(has_text="America/New_York")
    page.set_viewport_size(PHONE)
    assert note.is_visible()  # not folded away with the filters on a phone
    assert "“Until”: 01:30 on" in note.inner_text() and "happens twice in America/New_York" in note.inner_text()
    assert "The list runs to the second 01:30, so it includes both." in note.inner_text()
    j.step("02-until-in-overlap")
    assert_fits(page)
    j.assert_clean()
