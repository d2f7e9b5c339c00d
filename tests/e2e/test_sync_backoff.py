"""Sync health in Chromium at 390 px and 1280 px, under the real CSP, with axe: a building whose reads
fail shows "Retrying at HH:MM (after N errors: <words>)", one whose stream waits out ButterflyMX's rate
limit shows until when; times in each building's zone. The waits are the sync's own, run against the
sandbox."""

from __future__ import annotations

import pytest

from logs.models import Stream, SyncCursor
from logs.sync import walk_run
from logs.tasks import sync_stream_task
from tests import factories as f
from tests.e2e.journeys import Journey, assert_fits
from tests.e2e.test_pins_and_limits import sign_in
from tests.logs.conftest import CRIMSON, connect_building
from tests.logs.test_sync_sched import second_building


def _clock(moment, tz) -> str:
    """How the page writes a time in the building's zone: with the day when it is not today there."""
    from django.utils import timezone

    local = moment.astimezone(tz)
    return f"{local:%H:%M}" if local.date() == timezone.now().astimezone(tz).date() else f"{local:%a %-d %b %H:%M}"


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def test_sync_health_says_when_a_backing_off_stream_retries_and_why(live_server, sandbox, chromium, settings):
    settings.LOGS_BACKFILL_DAYS = 0
    crimson = connect_building(sandbox)
    annex = second_building(crimson)  # ButterflyMX does not know it: every read fails
    f.MembershipFactory(user=crimson.manager, building=annex, role="manager")
    for _ in range(3):
        assert walk_run(building_id=annex.pk, stream=Stream.CALLS).status == "error"
    sandbox.fault(f"/v4/buildings/{CRIMSON}/access_logs", status=429, retry_after=900, count=1)
    assert sync_stream_task.apply(args=(crimson.building.pk, Stream.ACCESS)).get() == "retry"
    failing = SyncCursor.objects.get(building=annex, stream=Stream.CALLS)
    limited = SyncCursor.objects.get(building=crimson.building, stream=Stream.ACCESS)

    j = Journey(chromium, "sync-backoff")
    try:
        page = j.page
        sign_in(page, live_server, crimson.manager.email)
        page.goto(f"{live_server.url}/logs/health/")

        annex_card = page.get_by_role("region", name="Annex")
        at = _clock(failing.next_attempt_at, annex.tz)
        assert annex_card.get_by_test_id("sync-waiting").inner_text().strip() == (
            f"Retrying at {at} (after 3 errors: {failing.last_error})"
        )
        crimson_card = page.get_by_role("region", name=crimson.building.name)
        until = _clock(limited.next_attempt_at, crimson.building.tz)
        waiting = crimson_card.get_by_test_id("sync-waiting").inner_text().strip()
        assert waiting.startswith(f"Waiting out ButterflyMX's rate limit until {until} (ButterflyMX asked")
        j.step("sync-waits")
        assert_fits(page)
        j.assert_clean()
    finally:
        j.close()
