"""Issue 16, "Passes", in Chromium at 390 and 1280 px, under the real CSP, with axe, against the sandbox:
the delivery kind says what a delivery pass really is; one list of people, each with an optional
contact, makes one key per person named as typed, and the doors left as ticked open the entrance only;
names with bidirectional-override characters are cleaned (the pass's and the people's).

Screenshots: var/screenshots/journey-people16-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from passes.models import Pass
from tests.e2e.journeys import PHONE, Journey
from tests.e2e.test_pass_extend import synced_bmx_world
from tests.e2e.test_pins_and_limits import sign_in
from tests.passes.helpers import local_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]
NY = ZoneInfo("America/New_York")
RLO, PDF = "\u202e", "\u202c"  # right-to-left override, pop directional formatting


def test_the_delivery_kind_says_single_use_with_a_five_minute_grace(live_server, sandbox, chromium):
    bmx = synced_bmx_world()
    j = Journey(chromium, "delivery16")
    page = j.page
    try:
        sign_in(page, live_server, bmx.rosa.email)
        page.goto(f"{live_server.url}/passes/new/")
        page.get_by_label("Delivery").check()

        help_text = page.locator(".form-check").filter(has=page.get_by_label("Delivery")).inner_text()
        assert "single use, then usable for 5 more minutes" in help_text
        assert "unused, it expires after 30 days" in help_text
        assert "every door the resident may use" in help_text
        assert not page.get_by_label("Visitors").is_visible()  # one key, its doors not chosen
        assert not page.get_by_label("Front door (entrance)").is_visible()
        j.step("01-delivery-kind")
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        j.assert_clean()
    finally:
        j.close()


def test_one_list_of_people_with_optional_contacts_and_bidi_overrides_cleaned(live_server, sandbox, chromium):
    bmx = synced_bmx_world()
    j = Journey(chromium, "people16")
    page = j.page
    try:
        sign_in(page, live_server, bmx.rosa.email)
        page.goto(f"{live_server.url}/passes/new/")
        page.get_by_label("Full day").check()
        page.get_by_label("Day", exact=True).fill(local_now(NY).date().isoformat())
        page.get_by_label("Name").fill(f"Dinner {RLO}gpj.exe{PDF}")
        page.get_by_label("Visitors").fill(f"{RLO}Sam Lee{PDF}\nKim Park, kim@example.com\n+1 212 555 0100")
        j.step("01-people-typed")
        page.get_by_role("button", name="Create the pass").click()
        page.wait_for_url(re.compile(r"/passes/\d+/$"))

        created = Pass.objects.get()
        assert created.name == "Dinner gpj.exe"
        # The doors left as the form ticked them: the entrance only, at ButterflyMX too
        assert [d.name for d in created.doors.all()] == ["Front door"]
        keychain = {k["id"]: k for k in sandbox.state()["keychains"]}[created.bmx_keychain_id]
        assert keychain["access_point_ids"] == [bmx.doors[3901].bmx_id]
        keys = {(k.name, k.contact) for k in created.keys.all()}
        assert keys == {("Sam Lee", ""), ("Kim Park", "kim@example.com"), ("+12125550100", "+12125550100")}
        assert page.get_by_role("heading", name="Dinner gpj.exe").is_visible()
        kim = page.get_by_role("region", name=re.compile(r"^Kim Park"))
        assert "kim@example.com" in kim.get_by_role("heading").inner_text()
        assert page.get_by_role("region", name="Sam Lee").get_by_label("Guest link for Sam Lee").is_visible()
        assert RLO not in page.locator("main").inner_text()
        j.step("02-pass-with-people")
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        j.assert_clean()
    finally:
        j.close()
