"""The log lists and the call detail page (issue 16), in Chromium at 390 and 1280 px, under the real CSP,
with axe: search by any part of a name, an invalid range, Newer/Older, the time sort, and a call's page.

Screenshots: var/screenshots/journey-logs16-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.e2e.journeys import DESKTOP, PHONE, Journey
from tests.e2e.test_phone_width import LONG, WIDTH, fill
from tests.logs.factories import call_for, entry_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def signed_in(chromium, live_server, user, name: str) -> Journey:
    j = Journey(chromium, name)
    j.sign_in_as(user, live_server.url)
    return j


def fits_a_phone(page) -> None:
    page.set_viewport_size(PHONE)
    scroll, inner = page.evaluate(WIDTH)
    assert scroll <= inner, f"{page.url}: {scroll} px wide on a {inner} px phone"
    page.set_viewport_size(DESKTOP)  # the steps below use the open filter form of a desktop


def test_a_manager_searches_pages_sorts_and_opens_a_call(world, chromium, live_server):
    fill(world)  # long names, snapshots, six calls at unit 101
    now = timezone.now()
    for i in range(60):
        entry_for(world.building_a, unit=world.unit_a2, door=world.door_a2, remote_id=930000 + i,
                  person_name=f"Resident {i:02d}", snapshot_url="",
                  logged_at=now - dt.timedelta(hours=1, minutes=i))  # fmt: skip
    j = signed_in(chromium, live_server, world.manager, "logs16")
    page = j.page
    try:
        page.goto(f"{live_server.url}/logs/")
        rows = page.locator("table tbody tr")
        assert rows.count() == 50
        assert page.get_by_test_id("pager-next").inner_text().strip() == "Older"
        j.step("01-list")
        fits_a_phone(page)

        # Search by the middle of a name, in another case
        page.goto(f"{live_server.url}/logs/")
        page.get_by_label("Person or unit contains").fill("FEATHERSTONE")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url(re.compile(r"q=FEATHERSTONE"))
        assert rows.count() == 6 and all(LONG in t for t in rows.all_inner_texts())
        j.step("02-search")

        # Until before From: the error, and no rows
        page.goto(f"{live_server.url}/logs/?start=2026-03-10T12:00&end=2026-03-09T00:00")
        assert page.get_by_test_id("invalid-filters").is_visible()
        assert page.get_by_text("“Until” must be later than “From”.").is_visible()
        assert page.locator("table").count() == 0
        j.step("03-invalid-range")
        fits_a_phone(page)

        # Older, then Newer back to the first page
        page.goto(f"{live_server.url}/logs/")
        first = rows.all_inner_texts()
        page.get_by_test_id("pager-next").click()
        page.wait_for_url(re.compile(r"cursor="))
        nav = page.get_by_role("navigation", name="Pages")
        assert [t.strip() for t in nav.get_by_role("link").all_inner_texts()] == ["Newest", "Newer"]
        j.step("04-older")
        page.get_by_test_id("pager-prev").click()
        page.wait_for_url(re.compile(r"before="))
        assert rows.all_inner_texts() == first

        # Oldest first from the Time header
        page.get_by_test_id("sort-time").click()
        page.wait_for_url(re.compile(r"sort=oldest"))
        assert page.locator("th[aria-sort=ascending]").count() == 1
        assert "Resident 59" in rows.first.inner_text()
        j.step("05-oldest-first")

        # Calls: outcomes in words, each call opens its page
        page.goto(f"{live_server.url}/logs/calls/")
        assert "Opened the door" in page.locator("table tbody").inner_text()
        j.step("06-calls")
        page.locator("table tbody tr").first.get_by_role("link").click()
        page.wait_for_url(re.compile(r"/logs/calls/\d+/$"))
        assert page.get_by_role("heading", level=1).inner_text().startswith("Visitor call at")
        assert page.get_by_test_id("call-outcome").inner_text() == "Opened the door"
        zone = "EST" if timezone.localtime(now, world.building_a.tz).dst() == dt.timedelta(0) else "EDT"
        assert page.get_by_test_id("call-time").inner_text().endswith(zone)
        snapshot = page.get_by_role("img", name="Snapshot taken by the panel during the call")
        assert re.search(r"/logs/calls/\d+/snapshot$", snapshot.get_attribute("src"))
        j.step("07-call-detail")
        fits_a_phone(page)
        j.assert_clean()
    finally:
        j.close()


def test_a_resident_opens_a_call_at_their_unit_and_not_a_neighbour_s(world, chromium, live_server):
    mine = call_for(world.building_a, unit=world.unit_a1, remote_id=1, status="timeout_online_signal",
                    snapshot_url="")  # fmt: skip
    bobs = call_for(world.building_a, unit=world.unit_a2, remote_id=2)
    j = signed_in(chromium, live_server, world.alice, "logs16-resident")
    page = j.page
    try:
        page.goto(f"{live_server.url}/logs/calls/")
        assert page.locator("table tbody tr").count() == 1
        page.locator("table tbody tr").first.get_by_role("link").click()
        page.wait_for_url(re.compile(rf"/logs/calls/{mine.pk}/$"))
        assert page.get_by_test_id("call-outcome").inner_text() == "Not answered"
        assert page.get_by_text("No snapshot for this call.").is_visible()
        j.step("08-resident-call")
        assert page.goto(f"{live_server.url}/logs/calls/{bobs.pk}/").status == 404
        j.assert_clean()
    finally:
        j.close()
