"""In Chromium at 390 px and 1280 px, under the real CSP, with axe: the board and the audit show each
release state as long as it is true, the calls list reads in the building's zone, and the pass form
names its zone and refuses a time the spring change skips."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from logs.models import CallRecord
from passes.models import Pass
from portal.dashboard.models import DoorRelease
from tests.dashboard.conftest import GARAGE, PACKAGE_ROOM, ROOFTOP, crimson  # noqa: F401 - the fixture
from tests.dashboard.test_release_states import board_clock, entry_at, release_at
from tests.e2e.test_journeys import journey, sign_in  # noqa: F401 - the fixture
from tests.passes.test_time_zone_form import AUTUMN, SPRING

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

FRONT_DOOR, ELEVATOR = 3901, 3905


def test_the_board_and_the_audit_show_each_state(crimson, live_server, journey, settings):  # noqa: F811
    settings.DOOR_CONFIRM_WINDOW_S = 60
    now = timezone.now()
    opened = release_at(crimson, now - dt.timedelta(seconds=30), door=FRONT_DOOR, reason="opened-one")
    entry_at(crimson, opened.requested_at + dt.timedelta(seconds=1), door=FRONT_DOOR)
    release_at(crimson, now - dt.timedelta(seconds=2), door=GARAGE, reason="waiting one")
    release_at(crimson, now - dt.timedelta(seconds=200), door=PACKAGE_ROOM, reason="no-entry-one")
    release_at(crimson, now - dt.timedelta(seconds=20), door=ROOFTOP, status="failed", reason="refused one",
               error="ButterflyMX refused the release: the door is offline.")  # fmt: skip
    release_at(crimson, now - dt.timedelta(seconds=300), door=ELEVATOR, status="unknown", reason="silent one")
    j = journey("desk-states")
    page = j.page
    sign_in(page, live_server, crimson.manager.email)

    page.goto(f"{live_server.url}/dashboard/{crimson.building.pk}/")

    def badge(name):
        return page.get_by_role("article", name=name).get_by_role("status").inner_text()

    def clock(release_obj):
        return board_clock(release_obj.requested_at, crimson.building.tz)

    releases = {r.reason: r for r in DoorRelease.objects.all()}
    assert badge("Front door") == f"Released {clock(opened)} · confirmed open"
    assert badge("Garage") == f"Released {clock(releases['waiting one'])} · pending confirmation"
    assert badge("Package room") == f"Released {clock(releases['no-entry-one'])} · not confirmed"
    assert badge("Rooftop") == f"Release failed {clock(releases['refused one'])}"
    assert badge("Elevator") == f"Release failed {clock(releases['silent one'])}"  # no answer, nothing logged
    assert "ButterflyMX logged the door opening at" in page.get_by_role("article", name="Front door").inner_text()
    j.step("board-states")

    page.goto(f"{live_server.url}/dashboard/audit/")
    rows = {r: page.get_by_role("row").filter(has_text=r).inner_text() for r in ("opened-one", "silent one")}
    assert "Confirmed open" in rows["opened-one"]
    assert "Confirmed open" not in rows["silent one"] and "Failed" in rows["silent one"]
    j.step("audit-states")
    j.assert_clean()


def test_the_calls_list_reads_in_the_buildings_zone(crimson, live_server, journey):  # noqa: F811
    late = dt.datetime(2026, 1, 14, 23, 30, tzinfo=crimson.building.tz)  # 04:30 UTC on the 15th
    CallRecord.objects.create(
        building=crimson.building,
        remote_id=1,
        logged_at=late,
        notification_type="visitor",
        status="opened_door",
        recipient_type="Tenant",
        unit_label="4B",
        device_name="Main Entrance",
        synced_at=timezone.now(),
    )
    j = journey("desk-calls")
    page = j.page
    sign_in(page, live_server, crimson.manager.email)

    page.goto(f"{live_server.url}/logs/calls/?start=2026-01-14T00:00&end=2026-01-15T00:00")

    row = page.get_by_role("row").filter(has_text="Main Entrance")
    assert "Wed 14 Jan, 23:30" in row.inner_text() and "EST" in row.inner_text()
    j.step("calls-list")
    j.assert_clean()


def test_the_pass_form_names_its_zone_refuses_a_skipped_time_and_asks_for_a_repeated_one(
    crimson,  # noqa: F811
    sandbox,
    live_server,
    journey,  # noqa: F811
):
    j = journey("desk-pass-dst")
    page = j.page
    sign_in(page, live_server, crimson.rosa.email)
    page.goto(f"{live_server.url}/passes/new/")
    page.get_by_text("Times are in the building's time zone, America/New_York").wait_for()

    page.get_by_label("Custom").check()
    page.get_by_label("Name").fill("Night nurse")
    page.get_by_label("Starts").fill(f"{SPRING}T02:30")
    page.get_by_label("Ends").fill(f"{SPRING}T09:00")
    page.get_by_role("button", name="Create the pass").click()

    error = page.locator("#id_starts_at-errors")
    assert "does not exist in America/New_York" in error.inner_text()
    assert "Choose 01:59 or 03:00." in error.inner_text()
    j.step("pass-form-dst-gap")
    assert not Pass.objects.exists()

    # a start in the hour the autumn change repeats: the form asks which one, and takes the answer
    page.get_by_label("Starts").fill(f"{AUTUMN}T01:30")
    page.get_by_label("Ends").fill(f"{AUTUMN}T04:00")
    page.get_by_role("button", name="Create the pass").click()
    assert "happens twice in America/New_York" in page.locator("#id_starts_at-errors").inner_text()
    choice = page.get_by_role("group", name=re.compile("Which “Starts” time?"))
    choice.get_by_label("The second 01:30 (EST, UTC−05:00)").check()
    j.step("pass-form-dst-overlap")
    page.get_by_role("button", name="Create the pass").click()
    page.wait_for_url(re.compile(r"/passes/\d+/"))
    j.assert_clean()
    created = Pass.objects.get()
    assert created.starts_at == dt.datetime.combine(AUTUMN, dt.time(6, 30), tzinfo=dt.UTC)
