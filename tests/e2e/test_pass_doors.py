"""Issue 16: the new-pass form ticks the entrances and marks the resident's own door and amenities as
opt-in, readable on a phone (390 px) and a desktop (1280 px)."""

from __future__ import annotations

import pytest

from tenants.models import Device
from tests import factories as f
from tests.bmx_fixtures import make_bmx_world
from tests.passes.test_issue16_passes import CRIMSON_DEVICES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1280])
def test_the_new_pass_form_ticks_entrances_and_leaves_opt_in_doors_unticked(
    live_server, sandbox, page, screenshot, width
):
    world = make_bmx_world()
    for name, kind, doors in CRIMSON_DEVICES:
        device = Device.objects.create(building=world.crimson, name=name, kind=kind)
        device.access_points.set([world.doors[d] for d in doors])
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("rosa@example.test")
    page.locator("#id_password").fill(f.PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/passes/new/")

    assert page.get_by_label("Front door (entrance)").is_checked()
    assert not page.get_by_label("Unit 4B (resident's own door, opt-in)").is_checked()
    assert not page.get_by_label("Rooftop (amenity, opt-in)").is_checked()
    assert page.get_by_text("open only if you tick them").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(f"passes-new-doors-{width}")
