"""A visitor call end to end, without a browser: the sandbox places it, its webhook reaches the portal
(live_server), a real Celery worker runs the ring pass against the sandbox, and the live events are
written once for the called unit, even when ButterflyMX delivers the webhook twice."""

from __future__ import annotations

import pytest

from logs.models import CallRecord, RingState
from logs.webhooks import webhooks_register
from portal.live.models import LiveEvent
from tests.dashboard.test_door_privacy import nina  # noqa: F401 - the fixture
from tests.plugins.sandbox import worker_env
from tests.plugins.workers import app_sends_to, broker_url, celery_worker, wait_for

from .conftest import ROSA_TENANT

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

MAIN_ENTRANCE = 58801


def test_a_call_delivered_twice_rings_rosas_unit_once_and_ends_when_butterflymx_ends_it(
    crimson,
    nina,  # noqa: F811
    sandbox,
    live_server,
    tmp_path,
    settings,
):
    settings.LOGS_WEBHOOK_BASE_URL = live_server.url
    webhooks_register(building=crimson.building)
    sandbox.webhook_faults(duplicate_next=1)  # ButterflyMX repeats the call's delivery
    unit_4b, unit_4c = crimson.rosa_residency.unit, nina.residencies.get().unit

    with celery_worker(broker_url(), tmp_path, extra_env=worker_env(sandbox)) as worker, app_sends_to(worker):
        placed = sandbox.call(MAIN_ENTRANCE, ROSA_TENANT)
        wait_for(lambda: LiveEvent.objects.filter(kind="call.ringing").exists(), message="the ring")
        wait_for(lambda: len(sandbox.deliveries(event="call.create")) >= 2, message="both deliveries")
        call = CallRecord.objects.get(building=crimson.building, remote_id=placed["id"])
        assert call.ring_state == RingState.RINGING

        # ButterflyMX ends the call: the worker's poll pass (every CALLS_POLL_S) closes every panel
        sandbox.call_status(placed["id"], "canceled")
        wait_for(lambda: LiveEvent.objects.filter(kind="call.ended").exists(), message="the end")

    rung = list(LiveEvent.objects.filter(kind="call.ringing").values_list("audience", flat=True))
    assert rung == [f"unit:{unit_4b.pk}"]  # once, and never to 4C
    assert not LiveEvent.objects.filter(audience=f"unit:{unit_4c.pk}").exists()
    ended = list(LiveEvent.objects.filter(kind="call.ended").values_list("audience", "payload"))
    assert ended == [(f"unit:{unit_4b.pk}", {"call": call.pk, "reason": "canceled"})]
