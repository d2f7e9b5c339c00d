"""Issue 18's "Done means", in Chromium: the sandbox places a call, Rosa's page rings with the snapshot,
she opens the door, the sandbox records exactly one release for her, and Nina (another unit) sees nothing.

The chain is real up to the live events: the sandbox's webhook reaches the portal (live_server), a real
Celery worker runs the ring pass against the sandbox, and the portal writes its ``LiveEvent`` rows. Until
the live stream (static/portal/live.js) is in this branch, each page is handed the events of its own
audiences the way live.js hands them over: a ``live:<kind>`` CustomEvent on document.body whose detail is
the payload (:func:`deliver`). A page opened during the call needs no event: it asks the portal.
"""

from __future__ import annotations

import re

import pytest

from logs.models import CallRecord, RingState
from logs.webhooks import webhooks_register
from portal.live.models import LiveEvent
from tenants.models import Residency
from tenants.scope import grants_of
from tests import factories as f
from tests.dashboard.conftest import FRONT_DOOR, ROSA_TENANT, crimson  # noqa: F401 - the fixture
from tests.dashboard.test_door_privacy import nina  # noqa: F401 - the fixture
from tests.e2e.journeys import DESKTOP, PHONE, SCREENSHOTS, Journey, assert_fits
from tests.plugins.sandbox import worker_env
from tests.plugins.workers import app_sends_to, broker_url, celery_worker, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]

MAIN_ENTRANCE = 58801
DISPATCH = "([kind, payload]) => document.body.dispatchEvent(new CustomEvent('live:' + kind, {detail: payload}))"


def audiences_of(user) -> list[str]:
    """The audiences whose events reach ``user``'s pages: their units, their desks, themselves."""
    grants = grants_of(user)
    return (
        [f"unit:{unit}" for unit in grants.units]
        + [f"desk:{building}" for building in grants.memberships]
        + [f"user:{user.pk}"]
    )


def deliver(page, user, after_id: int) -> list[str]:
    """Dispatch on ``page`` the live events for ``user`` newer than ``after_id``; their kinds."""
    events = LiveEvent.objects.filter(pk__gt=after_id, audience__in=audiences_of(user)).order_by("pk")
    for event in events:
        page.evaluate(DISPATCH, [event.kind, event.payload])
    return [event.kind for event in events]


def signed_in(chromium, live_server, user, name: str, path: str) -> Journey:
    journey = Journey(chromium, name)
    journey.sign_in_as(user, live_server.url)
    journey.page.goto(f"{live_server.url}{path}")
    return journey


def snapshot_shown(panel) -> bool:
    image = panel.locator("img[data-call-snapshot]")
    return image.evaluate("img => img.complete && img.naturalWidth > 0")


def test_a_call_rings_on_rosas_page_she_opens_the_door_once_and_nina_sees_nothing(
    crimson,  # noqa: F811
    nina,  # noqa: F811
    sandbox,
    live_server,
    chromium,
    tmp_path,
    settings,
):
    settings.LOGS_WEBHOOK_BASE_URL = live_server.url
    webhooks_register(building=crimson.building)
    rosa = signed_in(chromium, live_server, crimson.rosa, "call-rosa", "/")
    neighbour = signed_in(chromium, live_server, nina, "call-nina", "/doors/")
    neighbour.page.set_viewport_size(PHONE)
    before = LiveEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_entry = max(e["id"] for e in sandbox.state()["latest_access_logs"])  # the seed's history

    with celery_worker(broker_url(), tmp_path, extra_env=worker_env(sandbox)) as worker, app_sends_to(worker):
        # given: a visitor at the Main Entrance calls 4B
        placed = sandbox.call(MAIN_ENTRANCE, ROSA_TENANT)
        # (the webhook reaches the portal; the worker reads the call from the API and rings it)
        wait_for(lambda: LiveEvent.objects.filter(pk__gt=before, kind="call.ringing").exists(), message="the ring")
        assert "call.ringing" in deliver(rosa.page, crimson.rosa, before)
        assert deliver(neighbour.page, nina, before) == []  # nothing at all reaches Nina's page

        # then: Rosa's page rings, with the panel's name and the snapshot
        panel = rosa.page.get_by_role("alertdialog", name="Visitor at Main Entrance")
        panel.wait_for()
        assert panel.get_by_role("button", name="Open door").evaluate("b => b === document.activeElement")
        wait_for(lambda: snapshot_shown(panel), timeout=10, message="the snapshot")
        rosa.step("ringing")  # screenshots at 390 and 1280 px, axe, CSP
        for viewport in (PHONE, DESKTOP):
            rosa.page.set_viewport_size(viewport)
            box = panel.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
            assert box["y"] + box["height"] <= viewport["height"]  # on screen, not below the fold
        assert_fits(rosa.page)

        # and a page Rosa opens during the call rings too (it asks the portal, no event needed)
        second = rosa.context.new_page()
        second.set_viewport_size(PHONE)
        second.goto(f"{live_server.url}/doors/")
        second_panel = second.get_by_role("alertdialog", name="Visitor at Main Entrance")
        second_panel.wait_for()
        wait_for(lambda: snapshot_shown(second_panel), timeout=10, message="the snapshot on the phone")
        second.screenshot(path=str(SCREENSHOTS / "call-panel-phone.png"), full_page=False)

        # when: she opens the door from the first page, with a double click
        panel.get_by_role("button", name="Open door").dblclick()
        rosa.page.get_by_role("status").filter(has_text="Front door released.").wait_for()
        panel.wait_for(state="detached")
        rosa.page.screenshot(path=str(SCREENSHOTS / "call-panel-answered-desktop.png"))

        # then: her other page closes its panel when the answer reaches it
        assert deliver(second, crimson.rosa, before).count("call.answered") == 1
        second_panel.wait_for(state="detached")
        assert deliver(neighbour.page, nina, before) == []

    # the sandbox recorded exactly one release, for Rosa, at the panel's door
    assert sandbox.state()["counts"]["door_release_requests"] == 1
    released = [e for e in sandbox.state()["latest_access_logs"] if e["id"] > last_entry]
    assert [(e["release_method"], e["tenant_id"], e["access_point"]) for e in released] == [
        ("api", ROSA_TENANT, FRONT_DOOR)
    ]
    assert CallRecord.objects.get(remote_id=placed["id"]).ring_state == RingState.ANSWERED
    # and Nina's page never showed a panel
    assert neighbour.page.get_by_role("alertdialog").count() == 0
    rosa.assert_clean()
    neighbour.assert_clean()


def test_decline_closes_the_panel_for_everyone_in_the_unit(
    crimson,  # noqa: F811
    sandbox,
    live_server,
    chromium,
    tmp_path,
    settings,
):
    partner = f.UserFactory(email="ray@crimson.test", first_name="Ray")
    Residency.objects.create(user=partner, unit=crimson.rosa_residency.unit)
    settings.LOGS_WEBHOOK_BASE_URL = live_server.url
    webhooks_register(building=crimson.building)
    rosa = signed_in(chromium, live_server, crimson.rosa, "decline-rosa", "/")
    ray = signed_in(chromium, live_server, partner, "decline-ray", "/")
    before = LiveEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    with celery_worker(broker_url(), tmp_path, extra_env=worker_env(sandbox)) as worker, app_sends_to(worker):
        sandbox.call(MAIN_ENTRANCE, ROSA_TENANT)
        wait_for(lambda: LiveEvent.objects.filter(pk__gt=before, kind="call.ringing").exists(), message="the ring")
        deliver(rosa.page, crimson.rosa, before)
        deliver(ray.page, partner, before)
        rosa_panel = rosa.page.get_by_role("alertdialog", name=re.compile("Main Entrance"))
        ray_panel = ray.page.get_by_role("alertdialog", name=re.compile("Main Entrance"))
        ray_panel.wait_for()

        rosa_panel.get_by_role("button", name="Decline").click()
        rosa.page.get_by_role("status").filter(has_text="Call declined.").wait_for()
        assert "call.declined" in deliver(ray.page, partner, before)

        ray_panel.wait_for(state="detached")
    assert sandbox.state()["counts"]["door_release_requests"] == 0
