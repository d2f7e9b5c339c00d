"""A resident creates a recurring pass in Chromium and opens its guest page: QR code and local times."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from passes.models import Pass
from tests import factories as f
from tests.bmx_fixtures import make_bmx_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NY = ZoneInfo("America/New_York")


def test_a_resident_creates_a_recurring_pass_and_opens_its_guest_page(live_server, sandbox, page, screenshot):
    make_bmx_world()
    today = dt.datetime.now(NY).date()
    last = today + dt.timedelta(days=60)

    # given: Rosa signs in
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("rosa@example.test")
    page.locator("#id_password").fill(f.PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/")

    # when: she creates a recurring pass, Monday/Wednesday/Friday 12:00 to 13:30
    page.get_by_role("link", name="Passes", exact=True).click()
    page.get_by_role("link", name="New pass").click()
    page.get_by_label("Recurring").check()
    assert not page.get_by_label("Starts").is_visible()  # only the kind's fields show
    page.get_by_label("Name").fill("Dog walker")
    page.get_by_label("First day").fill(today.isoformat())
    page.get_by_label("Last day").fill(last.isoformat())
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        page.get_by_label(day).set_checked(day in ("Monday", "Wednesday", "Friday"))
    page.get_by_label("Daily from").fill("12:00")
    page.get_by_label("Daily until").fill("13:30")
    page.get_by_label("Visitors").fill("Sam Walker")
    screenshot("passes-new-recurring")
    page.get_by_role("button", name="Create the pass").click()

    # then: the pass page shows it, with the visitor's PIN and guest link
    page.wait_for_url(re.compile(r"/passes/\d+/$"))
    assert page.get_by_role("heading", name=re.compile("Dog walker")).is_visible()
    created = Pass.objects.get(name="Dog walker")
    assert created.bmx_keychain_id and created.weekdays == ["mon", "wed", "fri"]
    guest_url = page.get_by_label("Guest link for Sam Walker").input_value()
    screenshot("passes-detail")

    # when: the guest opens the link (signed out, a fresh page)
    guest = page.context.browser.new_context().new_page()
    guest.goto(guest_url.replace("http://testserver", live_server.url))

    # then: the QR code and the local times show
    qr = guest.get_by_role("img", name="QR code of the pass")
    assert qr.is_visible() and qr.bounding_box()["width"] > 150
    text = guest.locator("main").inner_text()
    assert "12:00–13:30" in text and "Mon, Wed, Fri" in text and "America/New_York" in text
    assert created.keys.get().pin in text
    screenshot("passes-guest-page", target=guest)
    guest.context.close()
