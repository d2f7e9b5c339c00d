"""Issue 19, "Access tools" and "Remove one visitor", in Chromium at 390 and 1280 px, under the real CSP,
with axe, against the sandbox (a real roster sync): a manager goes from the People page to a tenant's PINs
and fobs and revokes a lost fob (on a phone); a resident removes one visitor from a pass (on a desktop),
and the other visitors' PINs keep opening the door. ButterflyMX's state is read through the sandbox after
each step.

Screenshots: var/screenshots/journey-tools19-<step>-<phone|desktop>.png and journey-visitor19-...
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from passes import services
from tenants.models import AccessToolChange, RosterSync
from tenants.roster import roster_sync_run
from tests.bmx_fixtures import make_bmx_world
from tests.e2e.journeys import DESKTOP, PHONE, Journey, assert_fits
from tests.e2e.test_pins_and_limits import sign_in
from tests.passes.helpers import pass_input, window_for_kind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]
NY = ZoneInfo("America/New_York")
FRONT_DOOR, DUNCAN_FOB = 3901, 843205


def test_a_manager_revokes_a_lost_fob_and_a_resident_removes_one_visitor(live_server, sandbox, chromium):
    world = make_bmx_world()
    roster_sync_run(sync_id=RosterSync.objects.create(link=world.crimson.admin_link).pk)
    party = services.pass_create(
        actor=world.rosa,
        residency=world.rosa_residency,
        data=pass_input(
            "custom", tz=NY, name="Book club", visitors=["Ann", "Ben", "Cy"], **window_for_kind("custom", NY)
        ),
    )
    ann, ben, cy = (party.keys.get(name=n) for n in ("Ann", "Ben", "Cy"))
    assert sandbox.use_key(access_point_id=FRONT_DOOR, rfid="25c064d101")["granted"]

    manager = Journey(chromium, "tools19")
    resident = Journey(chromium, "visitor19")
    try:
        # A manager, on a phone: People -> Duncan's PINs and fobs -> revoke his lost fob
        page = manager.page
        sign_in(page, live_server, world.manager.email)
        page.set_viewport_size(PHONE)
        page.goto(f"{live_server.url}/link/buildings/{world.crimson.pk}/people/")
        page.get_by_role("link", name="PINs and fobs of Duncan Idaho").click()
        tools = page.get_by_test_id("access-tools")
        tools.wait_for()
        assert "••••d101" in tools.inner_text() and "25c064d101" not in page.content()
        manager.step("01-duncans-fob")
        page.set_viewport_size(PHONE)
        page.get_by_role("button", name="Revoke Fob or card ••••d101 of Duncan Idaho").click()
        page.get_by_text("revoked: it no longer opens any door").wait_for()
        assert DUNCAN_FOB not in {t["id"] for t in sandbox.state()["access_tools"]}
        assert not sandbox.use_key(access_point_id=FRONT_DOOR, rfid="25c064d101")["granted"]
        assert "Revoked" in page.get_by_test_id("access-tool-changes").inner_text()
        assert AccessToolChange.objects.get().status == "done"
        manager.step("02-revoked")
        assert_fits(page)
        manager.assert_clean()

        # The resident, on a desktop: the pass page -> remove Ben; Ann and Cy still get in
        page = resident.page
        sign_in(page, live_server, world.rosa.email)
        page.set_viewport_size(DESKTOP)
        page.goto(f"{live_server.url}/passes/{party.pk}/")
        resident.step("01-three-visitors")
        page.set_viewport_size(DESKTOP)
        page.get_by_role("button", name="Remove Ben from this pass").click()
        page.get_by_text("Ben is removed from").wait_for()
        keys = {k["id"] for k in sandbox.state()["virtual_keys"]}
        assert ben.bmx_virtual_key_id not in keys and {ann.bmx_virtual_key_id, cy.bmx_virtual_key_id} <= keys
        assert not sandbox.use_key(access_point_id=FRONT_DOOR, pin=ben.pin)["granted"]
        assert sandbox.use_key(access_point_id=FRONT_DOOR, pin=ann.pin)["granted"]
        assert sandbox.use_key(access_point_id=FRONT_DOOR, pin=cy.pin)["granted"]
        assert ben.pin not in page.content()
        resident.step("02-ben-removed")
        assert_fits(page)
        resident.assert_clean()
    finally:
        manager.close()
        resident.close()
