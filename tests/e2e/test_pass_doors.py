"""Issue 16 in Chromium, at 390 px and 1280 px with axe-core: the new-pass form ticks the entrances and
marks the resident's own door and amenities as opt-in; a people line of invisible characters and an
overnight window are refused with words next to their fields."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from passes.models import Pass
from tenants.models import Device
from tests import factories as f
from tests.bmx_fixtures import make_bmx_world
from tests.e2e.journeys import PHONE, Journey
from tests.passes.test_issue16_passes import CRIMSON_DEVICES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NY = ZoneInfo("America/New_York")


def test_the_new_pass_form_doors_people_and_overnight_advice(live_server, sandbox, chromium):
    world = make_bmx_world()
    for name, kind, doors in CRIMSON_DEVICES:
        device = Device.objects.create(building=world.crimson, name=name, kind=kind)
        device.access_points.set([world.doors[d] for d in doors])
    journey = Journey(chromium, "passes16")
    page = journey.page
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill("rosa@example.test")
        page.locator("#id_password").fill(f.PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_url(f"{live_server.url}/")

        # The doors: the entrance ticked, the unit door and amenities opt-in, said in the form
        page.goto(f"{live_server.url}/passes/new/")
        assert page.get_by_label("Front door (entrance)").is_checked()
        assert not page.get_by_label("Unit 4B (resident's own door, opt-in)").is_checked()
        assert not page.get_by_label("Rooftop (amenity, opt-in)").is_checked()
        assert page.get_by_text("open only if you tick them").is_visible()
        journey.step("new-pass-doors")
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        # A people line of zero-width characters is refused, by line
        page.get_by_label("Name").fill("Dinner")
        page.get_by_label("Visitors").fill("Sam\n\u200b\u200b\nKim Park, kim@example.com")
        page.get_by_role("button", name="Create the pass").click()
        assert page.get_by_text("Line 2: no visible name").is_visible()
        journey.step("new-pass-invisible-name")

        # An overnight window is explained as two passes
        today = dt.datetime.now(NY).date()
        page.get_by_label("Recurring").check()
        page.get_by_label("Visitors").fill("Night nurse")
        page.get_by_label("First day").fill(today.isoformat())
        page.get_by_label("Last day").fill((today + dt.timedelta(days=7)).isoformat())
        page.get_by_label("Monday").check()
        page.get_by_label("Daily from").fill("22:00")
        page.get_by_label("Daily until").fill("06:00")
        page.get_by_role("button", name="Create the pass").click()
        assert page.get_by_text("Make two recurring passes").is_visible()
        journey.step("new-pass-overnight")
        assert not Pass.objects.exists()
        journey.assert_clean()
    finally:
        journey.close()
