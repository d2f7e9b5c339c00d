"""Issue 16 in Chromium at 390 and 1280 px, under the real CSP, with axe: a building-admin account
signed in through the resident's Link button (real OAuth at the sandbox) is refused with a message and
the home is kept; the calls list puts Outcome next to Time on a phone; the API tokens page and the
release audit show times in the building's zone.

Screenshots: var/screenshots/journey-<name>-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.accounts.models import ApiToken
from portal.accounts.services import api_token_create
from tenants.models import BmxLink, Residency
from tests import factories as f
from tests.e2e.journeys import PHONE, Journey
from tests.e2e.test_phone_width import WIDTH, fill

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


@pytest.fixture
def journey(chromium, live_server):
    made = []

    def start(name: str, user) -> Journey:
        j = Journey(chromium, name)
        j.sign_in_as(user, live_server.url)
        made.append(j)
        return j

    yield start
    for j in made:
        j.close()


def sign_in_at_butterflymx(page, sandbox, button: str, email: str) -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(re.escape(sandbox.url) + "/oauth/authorize"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("sandbox-pass")
    page.get_by_role("button", name="Log in").click()


def test_a_building_admin_account_through_the_resident_link_says_so_and_keeps_the_home(journey, live_server, sandbox):
    rosa = f.UserFactory(email="rosa@example.test", first_name="Rosa")
    j = journey("link-admin-as-resident", rosa)
    page = j.page
    page.goto(f"{live_server.url}/profile/")
    sign_in_at_butterflymx(page, sandbox, "Link ButterflyMX account", "resident@sandbox.test")
    page.wait_for_url(f"{live_server.url}/profile/")
    home = Residency.objects.get(user=rosa, is_active=True)
    BmxLink.objects.filter(user=rosa).update(status=BmxLink.Status.NEEDS_RELINK)  # so the page offers Re-link
    page.goto(f"{live_server.url}/profile/")

    sign_in_at_butterflymx(page, sandbox, "Re-link ButterflyMX", "admin@sandbox.test")

    page.wait_for_url(f"{live_server.url}/profile/")
    alert = page.get_by_role("alert").filter(has_text="building-admin account")
    assert alert.is_visible()
    assert '"Connect a building" on the Buildings page' in alert.text_content()
    assert "your home (Crimson Tower, unit 4B) and your current link are unchanged" in alert.text_content()
    assert page.get_by_label("Crimson Tower · unit 4B").is_visible()
    assert list(Residency.objects.filter(user=rosa, is_active=True)) == [home]
    assert BmxLink.objects.get(user=rosa).kind == BmxLink.Kind.TENANT
    j.step("01-refused-home-kept")
    j.assert_clean()


def test_the_calls_list_shows_outcome_next_to_time_on_a_phone(world, journey, live_server):
    fill(world)
    j = journey("calls-phone", world.manager)
    page = j.page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/logs/calls/")

    headers = [h.strip() for h in page.locator("table thead th").all_text_contents()]
    assert headers[0].startswith("Time") and headers[1] == "Outcome", headers
    outcome = page.locator("table tbody tr").first.locator("td").nth(1)
    box = outcome.bounding_box()
    assert outcome.text_content().strip() == "Opened the door" and outcome.is_visible()
    assert box["x"] + box["width"] <= PHONE["width"]  # seen without scrolling sideways
    scroll, inner = page.evaluate(WIDTH)
    assert scroll <= inner
    j.step("01-calls")
    j.assert_clean()


def test_the_tokens_page_and_the_audit_show_the_buildings_zone(world, journey, live_server):
    fill(world)
    token, _ = api_token_create(user=world.manager, name="backup script", lifetime_days=30)
    ApiToken.objects.filter(pk=token.pk).update(created=dt.datetime(2026, 7, 1, 16, 30, tzinfo=dt.UTC))
    j = journey("local-times", world.manager)
    page = j.page

    page.goto(f"{live_server.url}/profile/api-tokens/")
    assert page.get_by_test_id("token-created").text_content() == "Wed 1 Jul 2026, 12:30"  # New York, EDT
    assert page.get_by_text(f"Times in {world.building_a.time_zone}.").is_visible()
    j.step("01-tokens")

    page.goto(f"{live_server.url}/dashboard/audit/")
    assert page.get_by_test_id("release-time").first.text_content().endswith((" EST", " EDT"))
    j.step("02-audit")
    j.assert_clean()
