"""Front desk in Chromium on a tablet: sign in, release a door, see "released", then "confirmed"."""

from __future__ import annotations

import re

import pytest

from logs.webhooks import webhooks_register
from tests.dashboard.conftest import FRONT_DOOR, crimson  # noqa: F401 - the fixture
from tests.dashboard.test_door_privacy import entries_at_the_front_door, nina  # noqa: F401 - the fixture
from tests.factories import PASSWORD
from tests.plugins.sandbox import worker_env
from tests.plugins.workers import app_sends_to, broker_url, celery_worker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
]

TABLET = {"width": 820, "height": 1180}


def test_staff_release_a_door_and_see_it_released_then_confirmed(
    crimson,  # noqa: F811
    sandbox,
    live_server,
    chromium,
    tmp_path,
    settings,
    screenshot_dir,
):
    settings.LOGS_WEBHOOK_BASE_URL = live_server.url
    settings.LOGS_WEBHOOK_DEBOUNCE_S = 0.5
    webhooks_register(building=crimson.building)
    context = chromium.new_context(viewport=TABLET, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(20_000)

    env = worker_env(sandbox, LOGS_BACKFILL_DAYS="1")
    with celery_worker(broker_url(), tmp_path, extra_env=env) as worker, app_sends_to(worker):
        # given: the front desk signs in and lands on the door board
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(crimson.staff.email)
        page.locator("#id_password").fill(PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        page.get_by_role("link", name="Door board", exact=True).click()
        page.wait_for_url(re.compile(r"/dashboard/\d+/$"))
        door = page.get_by_role("article", name="Front door")
        page.screenshot(path=str(screenshot_dir / "door-board-tablet.png"), full_page=True)

        # when: they release the front door through the confirmation dialog
        door.get_by_role("link", name="Release Front door").click()
        dialog = page.get_by_role("dialog", name="Release a door")
        dialog.get_by_label("Reason (optional)").fill("Courier for 4B")
        dialog.get_by_role("button", name="Release now").click()

        # then: it says released, and then (webhook, sync) confirmed
        dialog.get_by_text("Front door released.").wait_for()
        page.screenshot(path=str(screenshot_dir / "door-board-tablet-released.png"))
        dialog.locator(".modal-body").get_by_role("button", name="Close").click()
        badge = page.get_by_role("article", name="Front door").get_by_role("status")
        badge.filter(has_text=re.compile("Released")).wait_for()
        badge.filter(has_text="Confirmed open").wait_for(timeout=45_000)
        page.screenshot(path=str(screenshot_dir / "door-board-tablet-confirmed.png"), full_page=True)
    context.close()

    assert crimson.building.door_releases.get().reason == "Courier for 4B"
    assert sandbox.state()["counts"]["door_release_requests"] == 1


def test_a_resident_sees_their_own_last_use_of_a_shared_door_never_a_neighbours(
    crimson,  # noqa: F811
    nina,  # noqa: F811
    live_server,
    chromium,
    settings,
    screenshot_dir,
):
    settings.LIVE_FALLBACK_POLL_S = 1  # let htmx re-fetch the cards while we look (WSGI: no stream, the fallback poll)
    entries_at_the_front_door(crimson, nina)  # Nina came in an hour ago, Rosa (4B) two minutes ago
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(nina.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="My doors", exact=True).click()
    card = page.get_by_role("article", name="Front door")
    card.get_by_text("Nina Neighbour").wait_for()
    with page.expect_response(lambda r: r.url.endswith("/doors/state/")):  # the polled fragment, too
        pass
    card.get_by_text("Nina Neighbour").wait_for()
    page.screenshot(path=str(screenshot_dir / "my-doors-own-activity-only.png"), full_page=True)
    text = page.locator("main").inner_text()
    page.close()

    assert "Rosa" not in text and "4B" not in text
