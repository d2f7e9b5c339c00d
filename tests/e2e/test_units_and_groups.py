"""Issue 19, "Access groups and units", in Chromium at 390 and 1280 px, under the real CSP, with axe,
against the sandbox (a real roster sync): a manager adds a unit, then puts a tenant into an amenity
group ("Rooftop access"); ButterflyMX's state is read through the sandbox after each step, and the
tenant's doors in the portal follow.

Screenshots: var/screenshots/journey-units-groups19-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import pytest

from tenants.models import RosterSync, Unit
from tenants.roster import roster_sync_run
from tests.bmx_fixtures import make_bmx_world
from tests.e2e.journeys import DESKTOP, Journey, assert_fits
from tests.e2e.test_pins_and_limits import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

CRIMSON, ROOFTOP_GROUP, ROOFTOP, NINA = 11743, 7702, 3904, 129205


def test_a_manager_adds_a_unit_and_puts_a_tenant_into_an_amenity_group(live_server, sandbox, chromium):
    world = make_bmx_world()
    roster_sync_run(sync_id=RosterSync.objects.create(link=world.crimson.admin_link).pk)
    j = Journey(chromium, "units-groups19")
    try:
        page = j.page
        sign_in(page, live_server, world.manager.email)
        page.goto(f"{live_server.url}/link/buildings/{world.crimson.pk}/")
        page.get_by_role("link", name="Units: add, rename, remove").click()
        page.get_by_role("heading", name="Units", level=1).wait_for()
        j.step("01-units")

        page.set_viewport_size(DESKTOP)
        adding = page.get_by_role("region", name="Add a unit")
        adding.get_by_label("Unit label").fill("6A")
        adding.get_by_label("Floor").fill("6")
        adding.get_by_role("button", name="Add unit").click()
        page.get_by_text("Unit 6A added at ButterflyMX.").wait_for()
        made = [u for u in sandbox.state()["units"] if u["building_id"] == CRIMSON and u["label"] == "6A"]
        assert len(made) == 1 and made[0]["floor"] == "6"  # at ButterflyMX
        assert Unit.objects.get(building=world.crimson, bmx_id=made[0]["id"]).is_active  # and mirrored at once
        assert page.locator('[data-unit="6A"]').is_visible()
        j.step("02-unit-added")
        assert_fits(page)

        page.goto(f"{live_server.url}/link/buildings/{world.crimson.pk}/")
        page.get_by_role("link", name="Access groups: amenities and who may use them").click()
        page.get_by_text("no way to create, rename or delete a group").wait_for()  # said, not faked
        j.step("03-groups")
        page.get_by_role("link", name="Rooftop access", exact=True).click()
        page.get_by_role("heading", name="Rooftop access").wait_for()
        j.step("04-rooftop")

        page.set_viewport_size(DESKTOP)
        page.get_by_label("Add a tenant").select_option(label="Nina Neighbor (4C)")
        page.get_by_role("button", name="Add tenant").click()
        page.get_by_text("Nina Neighbor added at ButterflyMX.").wait_for()
        rooftop = next(g for g in sandbox.state()["access_groups"] if g["id"] == ROOFTOP_GROUP)
        assert NINA in rooftop["tenants_ids"]  # at ButterflyMX
        assert ROOFTOP in set(world.nina_residency.doors.values_list("bmx_id", flat=True))  # her doors follow
        nina_row = page.locator('[data-tenant="129205"]')
        assert "Rooftop" in nina_row.inner_text()
        j.step("05-tenant-added")
        assert_fits(page)
        j.assert_clean()
    finally:
        j.close()
