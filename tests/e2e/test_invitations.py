"""In Chromium at 390 px and 1280 px, under the real CSP, with axe: a manager resends a pending
invitation (a new link goes out, the old one stops working) and cancels another (asked first; its link
stops working at once)."""

from __future__ import annotations

import re

import pytest

from tenants.models import Invitation
from tests import factories as f
from tests.e2e.journeys import PHONE, Journey, assert_fits
from tests.e2e.test_pins_and_limits import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

LINK = re.compile(r"https?://\S+/invitations/\S+/")


def test_a_manager_resends_and_cancels_pending_invitations(live_server, chromium, mailoutbox):
    manager = f.UserFactory(email="manager@example.test", first_name="Mona", last_name="Manager")
    building = f.BuildingFactory(name="Harbor View")
    f.MembershipFactory(user=manager, building=building, role="manager")

    j = Journey(chromium, "invitations")
    try:
        page = j.page
        sign_in(page, live_server, "manager@example.test")
        page.goto(f"{live_server.url}/link/buildings/{building.pk}/people/")
        for email in ("dana@example.test", "a.very.long.address.for.a.phone@subcontractor-example.test"):
            page.get_by_label("E-mail").fill(email)
            page.locator("#id_role").select_option("staff")
            page.get_by_role("button", name="Invite").click()
            page.get_by_text(f"Invitation sent to {email}").wait_for()
        first_link = LINK.search(mailoutbox[0].body).group(0)
        invitations = page.get_by_test_id("invitations")
        assert invitations.locator("li").count() == 2
        j.step("01-pending")

        page.get_by_role("button", name="Resend the invitation of dana@example.test").click()
        page.get_by_text("Invitation sent again to dana@example.test").wait_for()
        assert len(mailoutbox) == 3 and mailoutbox[-1].to == ["dana@example.test"]
        new_link = LINK.search(mailoutbox[-1].body).group(0)
        assert new_link != first_link
        assert invitations.locator("li").count() == 2  # the resent one is listed once
        j.step("02-resent")

        page.get_by_role("button", name=re.compile("Cancel the invitation of a.very.long")).click()  # confirm accepted
        page.get_by_text("cancelled: its link no longer works").wait_for()
        assert invitations.locator("li").count() == 1
        assert Invitation.objects.filter(cancelled_by=manager).count() == 2  # the resent one and this one
        j.step("03-cancelled")
        assert_fits(page)

        # The old link is gone; the new one shows the invitation.
        guest = j.context.browser.new_context(viewport=PHONE).new_page()
        assert guest.goto(first_link).status == 404
        assert guest.goto(new_link).status == 200
        guest.get_by_text("Harbor View").first.wait_for()
        guest.context.close()
        j.assert_clean()
    finally:
        j.close()
