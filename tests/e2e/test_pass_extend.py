"""Issue 16, "Extend or change keeps the visitor's link working", in Chromium at 390 and 1280 px, under
the real CSP, with axe, against the sandbox: a resident extends a pass by a day and swaps one visitor;
the guest's old link, opened again, shows the new PIN and the new end, and the page names the visitor
whose link no longer opens anything.

Screenshots: var/screenshots/journey-extend16-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from passes import services
from passes.models import Pass
from tenants.models import Device
from tests.bmx_fixtures import BmxWorld, make_bmx_world
from tests.e2e.journeys import Journey
from tests.e2e.test_pins_and_limits import sign_in
from tests.passes.helpers import pass_input, window_for_kind
from tests.passes.test_issue16_passes import CRIMSON_DEVICES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]
NY = ZoneInfo("America/New_York")


def synced_bmx_world() -> BmxWorld:
    """The sandbox's Crimson Tower with its doors' devices recorded, as after a roster sync: the portal
    then tells entrances from unit doors and amenities."""
    bmx = make_bmx_world()
    for name, kind, doors in CRIMSON_DEVICES:
        device = Device.objects.create(building=bmx.crimson, name=name, kind=kind)
        device.access_points.set([bmx.doors[d] for d in doors])
    return bmx


def test_extending_a_pass_keeps_the_guests_link_and_shows_the_new_pin(live_server, sandbox, chromium):
    bmx = synced_bmx_world()
    old = services.pass_create(
        actor=bmx.rosa,
        residency=bmx.rosa_residency,
        data=pass_input("custom", tz=NY, name="Party", visitors=["Sam", "Kim"], **window_for_kind("custom", NY)),
    )
    sam_link = f"{live_server.url}/p/{old.keys.get(name='Sam').share_token}/"
    kim_link = f"{live_server.url}/p/{old.keys.get(name='Kim').share_token}/"
    old_pin = old.keys.get(name="Sam").pin
    j = Journey(chromium, "extend16")
    guest = j.context.browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page = j.page
    try:
        guest.goto(sam_link)
        assert old_pin in guest.locator("main").inner_text()

        sign_in(page, live_server, bmx.rosa.email)
        page.goto(f"{live_server.url}/passes/{old.pk}/")
        page.get_by_role("link", name="Extend or change").click()
        page.wait_for_url(re.compile(rf"/passes/{old.pk}/change/$"))
        ends = dt.datetime.fromisoformat(page.get_by_label("Ends").input_value()) + dt.timedelta(days=1)
        page.get_by_label("Ends").fill(ends.strftime("%Y-%m-%dT%H:%M"))
        assert page.get_by_label("Front door (entrance)").is_checked()  # the old pass's doors, kept
        assert not page.get_by_label("Rooftop (amenity, opt-in)").is_checked()
        page.get_by_label("Visitors").fill("Sam\nLee")
        assert page.get_by_text("a new pass is created and “Party” is revoked").is_visible()
        j.step("01-change-form")
        page.get_by_role("button", name="Replace the pass").click()
        page.wait_for_url(re.compile(r"/passes/\d+/$"))

        new = Pass.objects.get(replaces=old)
        assert page.url.endswith(f"/passes/{new.pk}/")
        assert page.get_by_text("The visitors' links keep working: they now show the new QR code and PIN.").is_visible()
        assert page.get_by_text(re.compile(r"no longer opens anything: Kim\. Send them the new pass")).is_visible()
        assert page.get_by_label("Guest link for Sam").input_value().endswith(sam_link.removeprefix(live_server.url))
        j.step("02-replaced")

        # The guest opens the same link again: the new PIN and the new last day
        guest.goto(sam_link)
        text = guest.locator("main").inner_text()
        new_pin = new.keys.get(name="Sam").pin
        assert new_pin in text and (new_pin == old_pin or old_pin not in text)
        assert f"{ends:%a} {ends.day} {ends:%b %Y}, {ends:%H:%M}" in text
        page.goto(sam_link)
        j.step("03-guest-link-after-extend")
        # Kim, not on the new pass, is told the pass no longer works rather than shown a dead PIN
        page.goto(kim_link)
        assert old.keys.get(name="Kim").pin not in page.locator("main").inner_text()
        j.step("04-dropped-guest-link")
        assert [d.name for d in new.doors.all()] == ["Front door"]
        assert Pass.objects.get(pk=old.pk).status == Pass.Status.REVOKED
        j.assert_clean()
    finally:
        guest.context.close()
        j.close()
