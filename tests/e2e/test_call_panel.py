"""Issue 18's "Done means", in Chromium: the sandbox places a call, Rosa's page rings with the snapshot,
she opens the door, the sandbox records exactly one release for her, and Nina (another unit) sees nothing.

The whole chain is real, nothing is handed to the pages: the sandbox's webhook reaches the portal served
by uvicorn (tests/plugins/asgi_server.py: pages, static files and /live/events/ from one origin, as
``make dev`` serves them), a real Celery worker runs the ring pass against the sandbox and writes the
``LiveEvent`` rows, each page's own stream (static/portal/live.js) brings them, and the panel
(static/dashboard/calls.js) rings. Each page records the ``live:<kind>`` events its stream dispatched
(an init script, :data:`RECORD_LIVE`), so a test can say what reached it, and what did not.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from logs.models import CallRecord, RingState
from logs.webhooks import webhooks_register
from tenants.models import Residency
from tests import factories as f
from tests.dashboard.conftest import FRONT_DOOR, ROSA_TENANT, crimson  # noqa: F401 - the fixture
from tests.dashboard.test_door_privacy import nina  # noqa: F401 - the fixture
from tests.e2e.journeys import DESKTOP, PHONE, SCREENSHOTS, Journey, assert_fits
from tests.plugins.asgi_server import uvicorn_server
from tests.plugins.sandbox import worker_env
from tests.plugins.workers import app_sends_to, broker_url, celery_worker, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]

MAIN_ENTRANCE = 58801

# Every live event live.js dispatches on <body> is noted in window.liveKinds (an init script runs before
# the page's own scripts and is not subject to the page's CSP); the page itself is unchanged.
RECORD_LIVE = """
window.liveKinds = [];
const dispatch = EventTarget.prototype.dispatchEvent;
EventTarget.prototype.dispatchEvent = function (event) {
  if (event.type.startsWith("live:") && event.type !== "live:fallback") window.liveKinds.push(event.type.slice(5));
  return dispatch.call(this, event);
};
"""


@contextmanager
def building_live(sandbox, tmp_path, building, settings, **env: str):
    """A real worker and the portal under uvicorn on the worker's broker (the webhook's view enqueues the
    ring pass there); the building's webhooks registered at that server, as ButterflyMX would call it."""
    with celery_worker(broker_url(), tmp_path, extra_env=worker_env(sandbox, **env)) as worker, app_sends_to(worker):
        portal_env = worker_env(
            sandbox, CELERY_BROKER_URL=worker.broker_url, CELERY_TASK_DEFAULT_QUEUE=worker.queue, **env
        )
        with uvicorn_server(tmp_path, extra_env=portal_env) as server:
            settings.LOGS_WEBHOOK_BASE_URL = server.url
            webhooks_register(building=building)
            yield server


def signed_in(chromium, server, user, name: str, path: str) -> Journey:
    journey = Journey(chromium, name)
    journey.context.add_init_script(RECORD_LIVE)
    journey.sign_in_as(user, server.url)
    journey.page.goto(f"{server.url}{path}")
    stream_open(journey.page)
    return journey


def stream_open(page) -> None:
    page.locator("body[data-live-state=open]").wait_for(state="attached")


def live_kinds(page) -> list[str]:
    """The live events this page's stream delivered so far, in order."""
    return page.evaluate("window.liveKinds")


def snapshot_shown(panel) -> bool:
    image = panel.locator("img[data-call-snapshot]")
    return image.evaluate("img => img.complete && img.naturalWidth > 0")


def test_a_call_rings_on_rosas_page_she_opens_the_door_once_and_nina_sees_nothing(
    crimson,  # noqa: F811
    nina,  # noqa: F811
    sandbox,
    chromium,
    tmp_path,
    settings,
):
    last_entry = max(e["id"] for e in sandbox.state()["latest_access_logs"])  # the seed's history

    with building_live(sandbox, tmp_path, crimson.building, settings) as server:
        rosa = signed_in(chromium, server, crimson.rosa, "call-rosa", "/")
        neighbour = signed_in(chromium, server, nina, "call-nina", "/doors/")
        neighbour.page.set_viewport_size(PHONE)

        # given: a visitor at the Main Entrance calls 4B
        placed = sandbox.call(MAIN_ENTRANCE, ROSA_TENANT)
        # (the webhook reaches the portal; the worker reads the call from the API and rings it; her stream
        # brings the ring to her page)

        # then: Rosa's page rings, with the panel's name and the snapshot
        panel = rosa.page.get_by_role("alertdialog", name="Visitor at Main Entrance")
        panel.wait_for(timeout=60_000)
        assert "call.ringing" in live_kinds(rosa.page)
        assert panel.get_by_role("button", name="Open door").evaluate("b => b === document.activeElement")
        wait_for(lambda: snapshot_shown(panel), timeout=10, message="the snapshot")
        rosa.step("ringing")  # screenshots at 390 and 1280 px, axe, CSP
        for viewport in (PHONE, DESKTOP):
            rosa.page.set_viewport_size(viewport)
            box = panel.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
            assert box["y"] + box["height"] <= viewport["height"]  # on screen, not below the fold
        assert_fits(rosa.page)

        # and a page Rosa opens during the call rings too (it asks the portal: the ring was before it)
        second = rosa.context.new_page()
        second.set_viewport_size(PHONE)
        second.goto(f"{server.url}/doors/")
        stream_open(second)
        second_panel = second.get_by_role("alertdialog", name="Visitor at Main Entrance")
        second_panel.wait_for()
        wait_for(lambda: snapshot_shown(second_panel), timeout=10, message="the snapshot on the phone")
        second.screenshot(path=str(SCREENSHOTS / "call-panel-phone.png"), full_page=False)

        # when: she opens the door from the first page, with a double click
        panel.get_by_role("button", name="Open door").dblclick()
        rosa.page.get_by_role("status").filter(has_text="Front door released.").wait_for()
        panel.wait_for(state="detached")
        rosa.page.screenshot(path=str(SCREENSHOTS / "call-panel-answered-desktop.png"))

        # then: her other page closes its panel when the answer reaches it through its own stream
        second_panel.wait_for(state="detached", timeout=30_000)
        assert live_kinds(second).count("call.answered") == 1

        # and Nina's page, open on the same server all along, got no call event and showed no panel
        stream_open(neighbour.page)
        assert [kind for kind in live_kinds(neighbour.page) if kind.startswith("call.")] == []
        assert neighbour.page.get_by_role("alertdialog").count() == 0

    # the sandbox recorded exactly one release, for Rosa, at the panel's door
    assert sandbox.state()["counts"]["door_release_requests"] == 1
    released = [e for e in sandbox.state()["latest_access_logs"] if e["id"] > last_entry]
    assert [(e["release_method"], e["tenant_id"], e["access_point"]) for e in released] == [
        ("api", ROSA_TENANT, FRONT_DOOR)
    ]
    assert CallRecord.objects.get(remote_id=placed["id"]).ring_state == RingState.ANSWERED
    rosa.assert_clean()
    neighbour.assert_clean()


def test_decline_closes_the_panel_for_everyone_in_the_unit(
    crimson,  # noqa: F811
    sandbox,
    chromium,
    tmp_path,
    settings,
):
    partner = f.UserFactory(email="ray@crimson.test", first_name="Ray")
    Residency.objects.create(user=partner, unit=crimson.rosa_residency.unit)

    with building_live(sandbox, tmp_path, crimson.building, settings) as server:
        rosa = signed_in(chromium, server, crimson.rosa, "decline-rosa", "/")
        ray = signed_in(chromium, server, partner, "decline-ray", "/")
        sandbox.call(MAIN_ENTRANCE, ROSA_TENANT)
        rosa_panel = rosa.page.get_by_role("alertdialog", name=re.compile("Main Entrance"))
        ray_panel = ray.page.get_by_role("alertdialog", name=re.compile("Main Entrance"))
        rosa_panel.wait_for(timeout=60_000)
        ray_panel.wait_for(timeout=30_000)

        rosa_panel.get_by_role("button", name="Decline").click()
        rosa.page.get_by_role("status").filter(has_text="Call declined.").wait_for()

        ray_panel.wait_for(state="detached", timeout=30_000)
        assert "call.declined" in live_kinds(ray.page)
    assert sandbox.state()["counts"]["door_release_requests"] == 0
