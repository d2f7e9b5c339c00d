"""In Chromium, under the real CSP, with axe: a resident's refused PINs all read alike and the PIN
limit says when to try again; a manager raises a building's limit from the building page."""

from __future__ import annotations

import re

import pytest

from passes.models import Pass
from tenants.limits import effective_limits
from tenants.pin_rules import REFUSED
from tests import factories as f
from tests.bmx_fixtures import make_bmx_world
from tests.e2e.journeys import Journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def sign_in(page, live_server, email):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.locator("#id_password").fill(f.PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/")


def test_refused_pins_read_alike_and_the_limit_says_when_to_try_again(live_server, sandbox, chromium, settings):
    settings.PIN_CHANGE_LIMIT = 3
    make_bmx_world()
    j = Journey(chromium, "pin")
    try:
        page = j.page
        sign_in(page, live_server, "rosa@example.test")
        page.goto(f"{live_server.url}/profile/")
        page.get_by_role("button", name="Set PIN").wait_for()

        seen = []
        for code in ("572913", "111111", "2580"):  # someone else's, weak, a new 4-digit one
            # the previous answer's message goes first, so what is read next is this answer's
            page.evaluate("document.getElementById('id_code-errors')?.remove()")
            page.get_by_label("New PIN", exact=True).fill(code)
            page.get_by_role("button", name="Set PIN").click()
            seen.append(page.locator("#id_code-errors").inner_text())
        j.step("01-pin-refused")
        page.get_by_label("New PIN", exact=True).fill("502718")
        page.get_by_role("button", name="Set PIN").click()
        page.get_by_text(re.compile("Too many PIN changes: you can try again in")).wait_for()
        j.step("02-pin-limited")

        assert seen == [REFUSED] * 3
        j.assert_clean()
    finally:
        j.close()


def test_a_manager_raises_the_passes_limit_from_the_building_page(live_server, sandbox, chromium, settings):
    settings.PORTAL_LIMIT_PASSES_PER_PERSON = 1
    world = make_bmx_world()
    j = Journey(chromium, "limits")
    try:
        page = j.page
        sign_in(page, live_server, "ada@example.test")
        page.goto(f"{live_server.url}/link/buildings/{world.crimson.pk}/")
        page.get_by_role("heading", name="Usage limits").wait_for()
        j.step("01-building-limits")
        page.get_by_role("link", name="Change limits").click()
        page.get_by_label("Passes per person per hour").fill("4")
        j.step("02-limits-form")
        page.get_by_role("button", name="Save limits").click()
        page.get_by_text("Limits saved.").wait_for()
        j.step("03-limits-saved")

        row = page.locator('tr[data-limit="passes_per_person"]')
        assert "4" in row.inner_text() and "set here" in row.inner_text()
        assert effective_limits(world.crimson)["passes_per_person"] == 4
        assert not Pass.objects.exists()
        j.assert_clean()
    finally:
        j.close()
