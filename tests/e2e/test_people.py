"""In Chromium at 390 px and 1280 px, under the real CSP, with axe: a manager sees the building's
tenants (from a roster sync against the sandbox) and who has a portal account, invites a new person who
signs up through the one-time link and accepts, changes a role, and is refused removing themself as the
last manager."""

from __future__ import annotations

import re

import pytest

from passes.models import Pass
from tenants.models import Membership, RosterSync
from tenants.roster import roster_sync_run
from tests.bmx_fixtures import make_bmx_world
from tests.e2e.journeys import Journey
from tests.e2e.test_pins_and_limits import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def test_a_manager_invites_changes_and_is_kept_as_the_last_manager(live_server, sandbox, chromium, mailoutbox):
    world = make_bmx_world()
    roster_sync_run(sync_id=RosterSync.objects.create(link=world.crimson.admin_link).pk)
    j = Journey(chromium, "people")
    try:
        page = j.page
        sign_in(page, live_server, "ada@example.test")
        page.goto(f"{live_server.url}/link/buildings/{world.crimson.pk}/")
        page.get_by_role("link", name=re.compile("People")).click()
        residents = page.get_by_role("region", name="Residents")
        residents.get_by_role("table").wait_for()
        j.step("01-people")
        # Rosa and Nina have portal accounts; the sandbox's other tenants do not.
        rows = {
            r.locator("td").nth(1).inner_text(): r.locator("td").nth(2).inner_text()
            for r in residents.locator("tbody tr").all()
        }
        assert rows and set(rows.values()) == {"Yes", "No"}

        page.get_by_label("E-mail").fill("dana@example.test")
        page.locator("#id_role").select_option("staff")
        page.get_by_role("button", name="Invite", exact=True).click()
        page.get_by_text("Invitation sent to dana@example.test").wait_for()
        j.step("02-invited")
        link = re.search(r"https?://\S+/invitations/\S+/", mailoutbox[-1].body).group(0)

        # The invited person signs up from the link, confirms their address, and accepts.
        guest = chromium.new_context(viewport={"width": 390, "height": 844}).new_page()
        guest.goto(link)
        guest.get_by_role("link", name="Create an account").click()
        guest.get_by_label("Email").fill("dana@example.test")
        guest.locator("#id_password1").fill("a-long-and-unusual-passphrase")
        guest.locator("#id_password2").fill("a-long-and-unusual-passphrase")
        guest.get_by_role("button", name="Sign Up").click()
        guest.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
        confirm = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[-1].body).group(0)
        guest.goto(confirm.replace("http://testserver", live_server.url))
        guest.get_by_role("button", name="Confirm").click()
        guest.goto(link)
        guest.get_by_role("button", name="Accept as dana@example.test").click()
        guest.get_by_text("Welcome to Crimson Tower as front-desk staff").wait_for()
        guest.context.close()
        dana = Membership.objects.get(building=world.crimson, user__email="dana@example.test")
        assert dana.role == "staff"

        # The last manager cannot remove themself: the page says why.
        own = Membership.objects.get(building=world.crimson, user=world.manager)
        page.reload()
        page.get_by_role("button", name="Remove ada@example.test").click()
        page.get_by_text("You are the last manager of Crimson Tower").wait_for()
        j.step("03-last-manager")
        page.get_by_label("Role of dana@example.test").select_option("manager")
        page.locator(f"form[action$='/people/{dana.pk}/role/'] button").click()
        page.get_by_text(re.compile("is now manager")).wait_for()
        j.step("04-role-changed")
        # A tenant with a portal account: "New pass" opens the pass form with their tenancy chosen.
        page.get_by_role("link", name="New pass for Rosa Resident").click()
        page.wait_for_url(re.compile(r"/passes/new/\?residency="))
        assert page.locator("#id_residency").input_value() == str(world.rosa_residency.pk)
        # A tenant without a portal account: the roster-tenant form, made with the building-admin link.
        page.get_by_role("link", name=re.compile("For a tenant without a portal account")).click()
        page.get_by_role("heading", name="Unit 1A").wait_for()
        j.step("05-choose-tenant")
        page.get_by_role("link", name="New pass for Duncan Idaho").click()
        page.get_by_role("heading", name="New pass for Duncan Idaho").wait_for()
        j.step("06-tenant-pass-form")
        page.get_by_label("Name").fill("Plumber")
        page.get_by_role("button", name=re.compile("Create")).click()
        page.get_by_text("created for Duncan Idaho").wait_for()
        j.step("07-tenant-pass-made")
        made = Pass.objects.get(name="Plumber")
        assert made.residency is None and made.link == world.crimson.admin_link and made.keys.exists()
        assert made.kind == "custom"  # the form starts as a custom pass for the next hour
        assert page.get_by_role("button", name=re.compile("Revoke")).is_visible()
        assert page.get_by_role("link", name="Extend or change").count() == 0  # no tenancy to change it for
        page.goto(f"{live_server.url}/link/buildings/{world.crimson.pk}/people/")

        assert Membership.objects.get(pk=own.pk).role == "manager"
        assert Membership.objects.get(pk=dana.pk).role == "manager"
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no page wider than a phone
        j.assert_clean()
    finally:
        j.close()
