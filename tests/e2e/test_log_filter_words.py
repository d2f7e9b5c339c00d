"""Issue 16, "Logs", in Chromium at 390 and 1280 px, under the real CSP, with axe: the filter's labels
are the table's ("Type" offers "Tenant", as the Type column says), a filter picked in the form narrows
the rows, an invalid filter (a hand-edited link) shows its error and no rows on both lists, and call
outcomes read as words. (Search, Newer/Older and the time sort are in test_log_lists.py.)

Screenshots: var/screenshots/journey-logwords16-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_log_lists import fits_a_phone, signed_in
from tests.logs.factories import call_for, entry_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def column(page, header: str) -> list[str]:
    headers = [h.strip() for h in page.locator("table thead th").all_inner_texts()]
    index = headers.index(header)
    return [t.strip() for t in page.locator(f"table tbody tr td:nth-child({index + 1})").all_inner_texts()]


def test_filter_labels_match_the_table_and_invalid_filters_show_no_rows(world, chromium, live_server):
    entry_for(world.building_a, unit=world.unit_a1, door=world.door_a, remote_id=1, snapshot_url="")
    entry_for(world.building_a, unit=world.unit_a1, door=world.door_a, remote_id=2, snapshot_url="",
              release_type="Delivery", person_name="Parcel Courier")  # fmt: skip
    call_for(world.building_a, unit=world.unit_a1, remote_id=1, status="opened_door", snapshot_url="")
    call_for(world.building_a, unit=world.unit_a1, remote_id=2, status="timeout_online_signal", snapshot_url="")
    j = signed_in(chromium, live_server, world.manager, "logwords16")
    page = j.page
    rows = page.locator("table tbody tr")
    try:
        page.goto(f"{live_server.url}/logs/")
        assert sorted(column(page, "Type")) == ["Delivery", "Tenant"]
        for header in ("Status", "Door", "Unit", "Method", "Type"):
            assert page.get_by_role("columnheader", name=header, exact=True).is_visible()
        for label in ("Status", "Door", "Unit", "Method", "Type"):
            assert page.get_by_label(label, exact=True).is_visible(), label
        options = page.get_by_label("Type", exact=True).locator("option").all_inner_texts()
        assert "Tenant" in options and "Resident" not in options
        page.get_by_label("Type", exact=True).select_option("Tenant")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url(re.compile(r"release_type=Tenant"))
        assert column(page, "Type") == ["Tenant"]
        j.step("01-entries-type-tenant")
        fits_a_phone(page)

        # A hand-edited link with a value the filter does not know: its error, and no rows at all
        page.goto(f"{live_server.url}/logs/?release_type=Resident")
        assert page.get_by_test_id("invalid-filters").is_visible()
        assert page.get_by_text(re.compile("Select a valid choice")).first.is_visible()
        assert page.locator("table").count() == 0
        assert page.get_by_role("link", name="Export CSV").count() == 0
        j.step("02-entries-invalid")
        fits_a_phone(page)

        page.goto(f"{live_server.url}/logs/calls/")
        assert sorted(column(page, "Outcome")) == ["Not answered", "Opened the door"]
        j.step("03-calls-outcomes")
        page.goto(f"{live_server.url}/logs/calls/?status=opened")
        assert page.get_by_test_id("invalid-filters").is_visible() and page.locator("table").count() == 0
        assert rows.count() == 0
        j.step("04-calls-invalid")
        fits_a_phone(page)
        j.assert_clean()
    finally:
        j.close()
