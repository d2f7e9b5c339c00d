"""The sync health page in Chromium at 390 px and 1280 px: per building, the webhook state in plain
words, the last webhook, deliveries in the last hour, refused deliveries, and the "gone quiet" warning;
axe-core clean and under the real CSP (tests/e2e/journeys.py)."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.e2e.journeys import Journey, assert_fits
from tests.logs.test_webhook_health import _building_with_figures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sync_health_shows_webhook_figures_and_warnings_on_phone_and_desktop(live_server, chromium):
    from django.utils import timezone

    manager = f.UserFactory(email="manager@example.test")
    quiet = _building_with_figures(manager, now=timezone.now())
    quiet.name = "Harbor View"
    quiet.save(update_fields=["name"])
    waiting = f.BuildingFactory(name="Maple Court")
    f.MembershipFactory(user=manager, building=waiting, role="manager")

    j = Journey(chromium, "manager-sync-health")
    try:
        page = j.page
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill("manager@example.test")
        page.locator("#id_password").fill(f.PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/logs/health/")

        harbor = page.get_by_role("region", name="Harbor View")
        assert harbor.get_by_test_id("webhook-state").inner_text() == "Gone quiet"
        assert "4 new entries since the last webhook" in harbor.get_by_test_id("webhook-detail").inner_text()
        assert harbor.get_by_test_id("webhook-hour").inner_text() == "3 deliveries"
        assert harbor.get_by_test_id("webhook-failures").inner_text() == "2 refused"
        assert harbor.get_by_test_id("webhook-last").inner_text() == "30\xa0minutes ago"
        maple = page.get_by_role("region", name="Maple Court")
        assert maple.get_by_test_id("webhook-state").inner_text() == "Not registered"
        assert maple.get_by_test_id("webhook-last").inner_text() == "none yet"

        j.step("sync-health-webhooks")  # screenshots at both sizes, axe, CSP
        assert_fits(page)
        j.assert_clean()
    finally:
        j.close()
