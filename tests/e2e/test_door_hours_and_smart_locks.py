"""Door hours and smart locks in Chromium, at 390 px and at desktop width: the front desk reads a door's
open hours on the board ("Unlocked until ..."), a resident reads the hours on their doors and opens
their apartment's smart lock, which ButterflyMX receives as one release by device."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.dashboard.models import DoorRelease
from tests.dashboard.conftest import FRONT_DOOR, ROSA_TENANT, crimson  # noqa: F401 - the fixture
from tests.dashboard.test_door_hours import every_day, label, resync
from tests.e2e.journeys import Journey, assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

UNIT_4B, UNIT_4B_LOCK = 3906, 58808
NY = ZoneInfo("America/New_York")


def test_door_hours_on_the_board_and_my_doors_and_a_smart_lock_released_by_device(
    crimson,  # noqa: F811
    sandbox,
    live_server,
    chromium,
):
    now = datetime.now(NY)
    until = now + timedelta(hours=2)
    sandbox.set_open_hours(FRONT_DOOR, every_day(now - timedelta(hours=1), until))
    resync(crimson)
    crimson.rosa_residency.doors.add(crimson.doors[UNIT_4B])
    unlocked = f"Unlocked until {label(until.replace(second=0), now)}"

    # the front desk: the board says the front door stands unlocked, and until when, in Crimson's zone
    desk = Journey(chromium, "door-hours-staff")
    desk.sign_in_as(crimson.staff, live_server.url)
    desk.page.goto(f"{live_server.url}/dashboard/{crimson.building.pk}/")
    front = desk.page.get_by_role("article", name="Front door")
    front.get_by_test_id("door-hours").get_by_text(unlocked).wait_for()
    desk.step("board")
    assert_fits(desk.page)
    desk.assert_clean()
    desk.close()

    # the resident: the same hours on My doors, and the smart lock opened by its device
    rosa = Journey(chromium, "door-hours-resident")
    rosa.sign_in_as(crimson.rosa, live_server.url)
    page = rosa.page
    page.goto(f"{live_server.url}/doors/")
    page.get_by_role("article", name="Front door").get_by_text(unlocked).wait_for()
    lock = page.get_by_role("article", name="Unit 4B")
    lock.get_by_test_id("door-device").get_by_text("4B Door Lock").wait_for()
    rosa.step("my-doors")
    assert_fits(page)
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})
        assert lock.get_by_role("link", name="Release Unit 4B").is_visible()
    lock.get_by_role("link", name="Release Unit 4B").click()
    dialog = page.get_by_role("dialog", name="Release a door")
    dialog.get_by_test_id("release-device").get_by_text("4B Door Lock").wait_for()
    rosa.step("smart-lock-dialog")
    dialog.get_by_role("button", name="Release now").click()
    dialog.get_by_text("Unit 4B released.").wait_for()
    rosa.step("smart-lock-released")
    rosa.assert_clean()
    rosa.close()

    state = sandbox.state()
    assert state["counts"]["door_release_requests"] == 1
    at_bmx = state["latest_door_release_requests"][0]
    assert (at_bmx["device_id"], at_bmx["access_point_id"], at_bmx["tenant_id"]) == (UNIT_4B_LOCK, None, ROSA_TENANT)
    release = DoorRelease.objects.get()
    assert release.device.bmx_id == UNIT_4B_LOCK and release.status == DoorRelease.Status.SUCCEEDED
