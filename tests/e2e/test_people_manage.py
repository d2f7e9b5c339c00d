"""Issue 16, "Managers", in Chromium at 390 and 1280 px, under the real CSP, with axe, against the
sandbox (a real roster sync): a manager removes a staff member from the People page, and front-desk
staff make a pass for a ButterflyMX tenant who has no portal account, from the pass form's tenant
picker (the invite/role/last-manager steps are in test_people.py).

Screenshots: var/screenshots/journey-people-manage16-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import re

import pytest

from passes.models import Pass
from tenants.models import Membership, RosterSync
from tenants.roster import roster_sync_run
from tests import factories as f
from tests.bmx_fixtures import make_bmx_world
from tests.e2e.journeys import PHONE, Journey
from tests.e2e.test_pins_and_limits import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def fits_a_phone(page) -> None:
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def test_a_manager_removes_staff_and_staff_make_a_pass_for_a_tenant_without_an_account(live_server, sandbox, chromium):
    world = make_bmx_world()
    roster_sync_run(sync_id=RosterSync.objects.create(link=world.crimson.admin_link).pk)
    desk = f.UserFactory(email="desk@example.test", first_name="Dee", last_name="Desk")
    Membership.objects.create(user=desk, building=world.crimson, role="staff")
    leaving = f.UserFactory(email="leaving@example.test", first_name="Lee", last_name="Leaving")
    gone = Membership.objects.create(user=leaving, building=world.crimson, role="staff")

    manager = Journey(chromium, "people-manage16")
    staff = Journey(chromium, "people-manage16-staff")
    try:
        page = manager.page
        sign_in(page, live_server, world.manager.email)
        page.goto(f"{live_server.url}/link/buildings/{world.crimson.pk}/people/")
        staff_list = page.get_by_role("region", name="Staff and managers")
        assert "leaving@example.test" in staff_list.inner_text()
        manager.step("01-people")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_role("button", name="Remove leaving@example.test").click()
        page.get_by_text("no longer works at Crimson Tower").wait_for()
        assert "leaving@example.test" not in staff_list.inner_text()
        assert not Membership.objects.filter(pk=gone.pk).exists()
        manager.step("02-removed")
        fits_a_phone(page)
        manager.assert_clean()

        page = staff.page
        sign_in(page, live_server, desk.email)
        page.goto(f"{live_server.url}/passes/new/")
        page.get_by_role("link", name=re.compile("For a tenant without a portal account")).click()
        page.get_by_role("heading", name="Unit 1A").wait_for()
        staff.step("01-choose-tenant")
        fits_a_phone(page)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_role("link", name="New pass for Duncan Idaho").click()
        page.get_by_role("heading", name="New pass for Duncan Idaho").wait_for()
        admin_made = "no portal account: the pass is made with the building's ButterflyMX admin account"
        assert page.get_by_text(admin_made).is_visible()
        page.get_by_label("Name").fill("Courier")
        staff.step("02-tenant-pass-form")
        page.get_by_role("button", name=re.compile("Create")).click()
        page.get_by_text("created for Duncan Idaho").wait_for()
        staff.step("03-tenant-pass-made")
        made = Pass.objects.get(name="Courier")
        assert made.residency is None and made.link == world.crimson.admin_link and made.keys.exists()
        assert made.bmx_keychain_id in {k["id"] for k in sandbox.state()["keychains"]}  # made at ButterflyMX
        assert page.get_by_role("link", name="Extend or change").count() == 0
        fits_a_phone(page)
        staff.assert_clean()
    finally:
        staff.close()
        manager.close()
