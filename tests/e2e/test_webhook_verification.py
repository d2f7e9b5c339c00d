"""Issue 16, "Live updates that cannot silently break", in Chromium at 390 and 1280 px, under the real CSP,
with axe: the sync health page says a registration is awaiting its first delivery, then "Verified" once
the sandbox really delivered a webhook to the live server; and webhooks registered at a port nothing
listens on (the `make dev` PORT bug) read "Not arriving" once polling finds an entry they never announced.

Screenshots: var/screenshots/journey-webhooks16-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import pytest

from logs import services
from logs.models import WebhookDelivery
from tests.dashboard.conftest import crimson  # noqa: F401 - the fixture
from tests.e2e.test_log_lists import fits_a_phone, signed_in
from tests.logs.test_webhook_health import DOOR, SWIPER, after_this_second, poll
from tests.plugins.sandbox import free_port
from tests.plugins.workers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def webhooks_card(page, live_server, building):
    page.goto(f"{live_server.url}/logs/health/")
    return page.get_by_role("region", name=building.name)


def test_a_registration_reads_awaiting_then_verified_after_a_real_delivery(
    crimson,  # noqa: F811
    sandbox,
    live_server,
    chromium,
    settings,
):
    settings.LOGS_WEBHOOK_BASE_URL, settings.LOGS_WEBHOOK_DEBOUNCE_S = live_server.url, 60
    services.webhooks_register(building=crimson.building)
    j = signed_in(chromium, live_server, crimson.manager, "webhooks16")
    page = j.page
    try:
        card = webhooks_card(page, live_server, crimson.building)
        assert card.get_by_test_id("webhook-state").inner_text() == "Registered, awaiting first delivery"
        assert card.get_by_test_id("webhook-last").inner_text() == "none yet"
        assert card.get_by_test_id("webhook-hour").inner_text() == "0 deliveries"
        j.step("01-awaiting")

        sandbox.swipe(SWIPER, DOOR)  # ButterflyMX (the sandbox) delivers to the live server
        wait_for(lambda: WebhookDelivery.objects.filter(outcome="accepted").exists(), message="the first delivery")
        card = webhooks_card(page, live_server, crimson.building)

        assert card.get_by_test_id("webhook-state").inner_text() == "Verified"
        assert card.get_by_test_id("webhook-hour").inner_text() == "1 delivery"
        assert card.get_by_test_id("webhook-failures").inner_text() == "0 refused"
        assert card.get_by_test_id("webhook-last").inner_text() != "none yet"
        assert card.get_by_test_id("webhook-detail").count() == 0  # nothing to warn about
        j.step("02-verified")
        fits_a_phone(page)
        j.assert_clean()
    finally:
        j.close()


def test_webhooks_registered_at_a_dead_port_read_not_arriving_with_the_reason(
    crimson,  # noqa: F811
    sandbox,
    live_server,
    chromium,
    settings,
):
    settings.LOGS_WEBHOOK_BASE_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.LOGS_WEBHOOK_QUIET_AFTER_S = 0
    endpoint = services.webhooks_register(building=crimson.building)
    poll(crimson.building)  # the history from before the registration does not count
    after_this_second(endpoint.registered_at)
    sandbox.swipe(SWIPER, DOOR)  # the delivery is refused at the dead port; the poll finds the entry
    poll(crimson.building)
    j = signed_in(chromium, live_server, crimson.manager, "webhooks16-dead-port")
    page = j.page
    try:
        card = webhooks_card(page, live_server, crimson.building)

        state = card.get_by_test_id("webhook-state")
        assert state.inner_text() == "Not arriving" and state.get_attribute("data-state") == "not_arriving"
        detail = card.get_by_test_id("webhook-detail").inner_text()
        assert "1 new entry since registration came by polling, but no webhook arrived" in detail
        assert "wrong port or address" in detail
        assert card.get_by_test_id("webhook-last").inner_text() == "none yet"
        j.step("01-not-arriving")
        fits_a_phone(page)
        j.assert_clean()
    finally:
        j.close()
