"""In Chromium, phone and desktop, under the real CSP, with axe: every refusal and failure of a door
release shows in the release dialog itself, as a focused alert (htmx swaps no 4xx/5xx by default)."""

from __future__ import annotations

import re

import pytest

from portal.dashboard.models import DoorRelease
from tenants.models import TenantRecord
from tests.dashboard.conftest import FRONT_DOOR, GARAGE, ROOFTOP, ROSA_TENANT, crimson  # noqa: F401 - fixture
from tests.e2e.journeys import Journey
from tests.e2e.test_journeys import journey, sign_in  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def open_dialog(page, door_name: str):
    page.get_by_role("article", name=door_name).get_by_role("link", name=f"Release {door_name}").click()
    dialog = page.get_by_role("dialog", name="Release a door")
    dialog.get_by_role("button", name="Release now").wait_for()
    return dialog


def focused_alert_text(page) -> str:
    """The text of the focused element, which must be an alert: what a screen reader reads out."""
    alert = page.locator("[role=alert]:focus")
    alert.wait_for()
    return alert.inner_text()


def close(dialog):
    dialog.locator(".modal-body").get_by_role("button", name="Close").click()
    dialog.wait_for(state="hidden")


def to_board(j: Journey, live_server, crimson):  # noqa: F811
    sign_in(j.page, live_server, crimson.staff.email)
    j.page.goto(f"{live_server.url}/dashboard/{crimson.building.pk}/")


def test_cooldown_failure_rate_limit_and_form_errors_show_in_the_dialog(
    crimson,  # noqa: F811
    sandbox,
    live_server,
    journey,  # noqa: F811
    settings,
):
    settings.DOOR_RELEASE_COOLDOWN_S = 120  # a second click is surely inside it
    j = journey("desk-dialog")
    page = j.page
    to_board(j, live_server, crimson)

    # a release, then a second click inside the cooldown: 409, said in the dialog
    dialog = open_dialog(page, "Front door")
    dialog.get_by_role("button", name="Release now").click()
    assert "Front door released." in focused_alert_text(page)
    close(dialog)
    dialog = open_dialog(page, "Front door")
    dialog.get_by_role("button", name="Release now").click()
    text = focused_alert_text(page)
    assert re.search(r"Front door was just released\. It can be released again in \d+ s\.", text)
    j.step("dialog-409-cooldown")
    close(dialog)

    # ButterflyMX fails: 502, said in the dialog, in words
    sandbox.fault("/v4/door_release_requests", "POST", status=503, count=1)
    dialog = open_dialog(page, "Garage")
    dialog.get_by_role("button", name="Release now").click()
    text = focused_alert_text(page)
    assert "Garage was not released" in text and "problem on its side" in text
    j.step("dialog-502-butterflymx")
    close(dialog)

    # the person's per-minute limit, set to nothing so the minute's boundary cannot matter: 429
    settings.DOOR_RELEASE_USER_LIMIT = 0
    dialog = open_dialog(page, "Rooftop")
    dialog.get_by_role("button", name="Release now").click()
    assert "released doors too often" in focused_alert_text(page)
    j.step("dialog-429-rate-limit")
    close(dialog)

    settings.DOOR_RELEASE_USER_LIMIT = 10
    # a form error the server finds (the browser checks what it can first): the resident chosen in the
    # dialog left the building meanwhile. 400, the form again, its error summary focused
    dialog = open_dialog(page, "Rooftop")
    dialog.get_by_label("For").select_option(label="4B · Rosa Resident")
    TenantRecord.objects.filter(bmx_id=ROSA_TENANT).update(is_active=False)
    dialog.get_by_role("button", name="Release now").click()
    assert "Select a valid choice" in focused_alert_text(page)
    assert dialog.get_by_role("button", name="Release now").is_visible()  # the form stays, to fix it
    j.step("dialog-400-form-error")

    j.assert_clean()
    statuses = sorted(DoorRelease.objects.values_list("door__bmx_id", "status"))
    assert statuses == [(FRONT_DOOR, "succeeded"), (GARAGE, "failed")]
    assert ROOFTOP not in [bmx for bmx, _ in statuses]


def test_an_answer_that_is_not_the_portals_fragment_still_shows_a_message(
    crimson,  # noqa: F811
    sandbox,
    live_server,
    journey,  # noqa: F811
):
    # The door goes away between opening the dialog and releasing: Django's own 404 page comes back,
    # which the dialog does not show as is; it says what happened instead.
    j = journey("desk-dialog-404")
    page = j.page
    to_board(j, live_server, crimson)
    dialog = open_dialog(page, "Garage")
    crimson.doors[GARAGE].__class__.objects.filter(pk=crimson.doors[GARAGE].pk).update(is_active=False)

    dialog.get_by_role("button", name="Release now").click()

    assert "no longer available" in focused_alert_text(page)
    j.step("dialog-404-fallback")
    close(dialog)
    j.assert_clean()
    assert not DoorRelease.objects.exists()
