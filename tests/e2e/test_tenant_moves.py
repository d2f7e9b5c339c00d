"""Issue 19, the tenant lifecycle in Chromium at 390 and 1280 px, under the real CSP, with axe, against the
sandbox (a real roster sync): a manager moves a tenant in with an access group, moves them out, and imports
a small rent roll (preview, then apply), with ButterflyMX's state read through the sandbox after each step.

Screenshots: var/screenshots/journey-tenant-moves19-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import pytest

from tenants.models import RentRollImport, RosterSync, TenantMove, TenantRecord
from tenants.roster import roster_sync_run
from tests.bmx_fixtures import make_bmx_world
from tests.e2e.journeys import DESKTOP, PHONE, Journey
from tests.e2e.test_pins_and_limits import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

ROLL = b"unit,name,email,phone,move-in date\n3B,Cy Cole,cy@example.test,+12125550188,\n4A,Dee Dunn,dee@example.test,,\n"


def fits_a_phone(page) -> None:
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
    page.set_viewport_size(DESKTOP)


def at_bmx(sandbox, email: str) -> dict | None:
    return next((t for t in sandbox.state()["tenants"] if t["email"] == email), None)


def test_a_manager_moves_a_tenant_in_and_out_and_imports_a_rent_roll(live_server, sandbox, chromium):
    world = make_bmx_world()
    roster_sync_run(sync_id=RosterSync.objects.create(link=world.crimson.admin_link).pk)
    people = f"{live_server.url}/link/buildings/{world.crimson.pk}/people/"

    j = Journey(chromium, "tenant-moves19")
    try:
        page = j.page
        sign_in(page, live_server, world.manager.email)
        page.set_viewport_size(PHONE)  # the move-in at phone width
        page.goto(people)
        page.get_by_role("link", name="Move a tenant in").click()
        page.get_by_role("heading", name="Move a tenant in").wait_for()
        page.get_by_label("First name").fill("Ana")
        page.get_by_label("Last name").fill("Ortiz")
        page.get_by_label("E-mail").fill("ana@example.test")
        page.get_by_label("Mobile phone").fill("212 555 0123")
        page.locator("#id_unit").select_option(label="2B")
        page.get_by_label("Rooftop access").check()
        fits_a_phone(page)
        j.step("01-move-in-form")
        page.get_by_role("button", name="Move in and invite").click()
        page.get_by_text("Ana Ortiz moved in to unit 2B").wait_for()
        made = at_bmx(sandbox, "ana@example.test")
        assert made is not None and made["unit"]["id"] == 101304 and made["registration_status"] == "invited"
        rooftop = next(g for g in sandbox.state()["access_groups"] if g["id"] == 7702)
        assert made["id"] in rooftop["tenants_ids"]
        residents = page.get_by_role("region", name="Residents")
        assert "Ana Ortiz" in residents.inner_text() and "Invited" in residents.inner_text()
        fits_a_phone(page)
        j.step("02-moved-in")

        page.get_by_role("button", name="Resend the invitation of Ana Ortiz").click()
        page.get_by_text("sending the invitation to ana@example.test again").wait_for()
        page.get_by_role("button", name="Move Ana Ortiz out").click()  # data-confirm: accepted by the journey
        page.get_by_text("Ana Ortiz moved out of unit 2B").wait_for()
        assert at_bmx(sandbox, "ana@example.test") is None
        assert not TenantRecord.objects.get(bmx_id=made["id"]).is_active
        assert "Ana Ortiz" not in residents.inner_text()
        assert list(TenantMove.objects.order_by("pk").values_list("action", flat=True)) == [
            "moved_in",
            "invitation_resent",
            "moved_out",
        ]
        j.step("03-moved-out")

        page.set_viewport_size(DESKTOP)  # the rent roll at desktop width
        page.get_by_role("link", name="Import a rent roll").click()
        page.get_by_label("Rent roll (CSV)").set_input_files(
            {"name": "roll.csv", "mimeType": "text/csv", "buffer": ROLL}
        )
        page.get_by_role("button", name="Preview").click()
        preview = page.get_by_test_id("roll-preview")
        preview.wait_for()
        assert preview.get_by_text("Moves in").count() == 2
        assert at_bmx(sandbox, "cy@example.test") is None  # a preview changes nothing
        fits_a_phone(page)
        j.step("04-roll-preview")
        page.get_by_role("button", name="Apply: move 2 tenants in").click()
        page.get_by_text("Rent roll applied: 2 tenants moved in").wait_for()
        assert at_bmx(sandbox, "cy@example.test")["unit"]["id"] == 101306
        assert at_bmx(sandbox, "dee@example.test")["unit"]["id"] == 101307
        assert RentRollImport.objects.get().status == "done"
        fits_a_phone(page)
        j.step("05-roll-applied")
        j.assert_clean()
    finally:
        j.close()
