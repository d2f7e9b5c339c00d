"""A resident's home page shows what matters now, in Chromium at 390 and 1280 px, under the real CSP,
with axe: their unit's active and upcoming passes, recent entries and calls, with links to the lists;
never a neighbour's entry at the door they share.

Screenshots: var/screenshots/journey-home-now-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.e2e.journeys import PHONE, Journey
from tests.e2e.test_phone_width import WIDTH
from tests.passes.conftest import make_pass
from tests.privacy_matrix import build_activity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def test_a_residents_home_shows_their_units_passes_entries_and_calls_and_nothing_of_the_neighbours(
    world, chromium, live_server
):
    build_activity(world)
    world.building_a.address = "12 Harbor St, Brooklyn, NY 11201"
    world.building_a.save()
    now = timezone.now()
    upcoming = make_pass(
        world.alice.residencies.get(),
        name="Cleaner (every Friday)",
        starts=now + dt.timedelta(days=2),
        ends=now + dt.timedelta(days=2, hours=3),
    )
    j = Journey(chromium, "home-now")
    j.sign_in_as(world.alice, live_server.url)
    page = j.page
    try:
        page.goto(f"{live_server.url}/")
        passes = page.get_by_role("region", name="Passes now and next")
        entries = page.get_by_role("region", name="Recent entries")
        calls = page.get_by_role("region", name="Recent calls")

        assert passes.locator("[data-home-pass]").all_text_contents()[0].strip().startswith("Aardvark guest pass")
        assert "Active" in passes.locator("[data-home-pass]").first.text_content()
        assert "Upcoming" in passes.locator(f'[data-home-pass="{upcoming.pk}"]').text_content()
        assert entries.locator("[data-home-entry]").count() == 1
        assert "Alice Aardvark" in entries.text_content() and "Bob Bluejay" not in page.content()
        assert calls.locator("[data-home-call]").count() == 1
        assert "Opened the door" in calls.text_content()  # logs.filters.CALL_STATUSES
        assert "EST" in entries.text_content() or "EDT" in entries.text_content()  # the building's zone
        page.set_viewport_size(PHONE)
        scroll, inner = page.evaluate(WIDTH)
        assert scroll <= inner, f"home is {scroll} px wide on a {inner} px phone"
        j.step("01-home")
        j.assert_clean()  # the home page; the log list below shows the factory's off-site snapshot URLs

        page.get_by_role("link", name="All entries").click()
        page.wait_for_url(f"{live_server.url}/logs/")
        assert page.get_by_text("Alice Aardvark").first.is_visible()
        page.goto(f"{live_server.url}/")
        page.locator(f'[data-home-pass="{upcoming.pk}"] a').click()
        page.wait_for_url(f"{live_server.url}/passes/{upcoming.pk}/")
    finally:
        j.close()


def test_a_resident_with_nothing_going_on_is_told_so_with_the_ways_to_start(world, chromium, live_server):
    j = Journey(chromium, "home-empty")
    j.sign_in_as(world.bob, live_server.url)
    page = j.page
    try:
        page.goto(f"{live_server.url}/")

        assert page.get_by_text("No active or upcoming passes.").is_visible()
        assert page.get_by_text("No entries at your unit yet.").is_visible()
        assert page.get_by_text("No calls to your unit yet.").is_visible()
        assert page.get_by_role("link", name="New pass").is_visible()
        j.step("01-home")
        j.assert_clean()
    finally:
        j.close()
