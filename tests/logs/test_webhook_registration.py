"""Webhook registration cannot silently break (issues 15 and 16).

A transient failure is retried with backoff by itself (one pending attempt per building), a refusal is
shown and not retried, and a change of the portal's address (another PORT, a new PORTAL_SITE_URL)
updates the integrations at ButterflyMX (the sandbox) in place.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from logs import registration
from logs.models import WebhookEndpoint
from logs.tasks import building_connected_task, webhooks_register_task
from tests.plugins.sandbox import worker_env
from tests.plugins.workers import app_sends_to, broker_url, celery_worker, wait_for

from .conftest import CRIMSON

INTEGRATIONS = f"/v4/buildings/{CRIMSON}/integrations"


def ours_at_sandbox(sandbox) -> list[dict]:
    return [i for i in sandbox.state()["integrations"] if i["building_id"] == CRIMSON]


def urls_at_sandbox(sandbox) -> set[str]:
    return {i["attributes"]["configuration"]["url"] for i in ours_at_sandbox(sandbox)}


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_one_503_when_a_building_connects_is_retried_by_the_worker_until_registered(crimson, sandbox, tmp_path):
    # given ButterflyMX answers the first integration request with a 503
    sandbox.fault(INTEGRATIONS, "POST", status=503, count=1)
    env = worker_env(sandbox, LOGS_WEBHOOK_RETRY_BASE_S="0.5", LOGS_BACKFILL_DAYS="1")

    # when the building connects on a real worker, and nobody clicks anything
    with celery_worker(broker_url(), tmp_path, extra_env=env) as worker, app_sends_to(worker):
        building_connected_task.delay(crimson.building.pk)
        endpoint = wait_for(
            lambda: WebhookEndpoint.objects.filter(building=crimson.building, registered_at__isnull=False).first(),
            timeout=60,
            message="the registration to succeed on a later attempt",
        )

    # then the first attempt failed transiently, a later one registered both integrations
    assert "attempt 1; next in" in worker.log()
    assert endpoint.failure == "" and endpoint.last_error == "" and endpoint.attempts == 0
    assert len(endpoint.integrations) == 2 and len(ours_at_sandbox(sandbox)) == 2
    assert endpoint.pending_token == "" and endpoint.pending_until is None  # nothing left pending


@pytest.mark.django_db
def test_a_transient_failure_keeps_one_pending_attempt_with_backoff(crimson, sandbox, settings):
    settings.LOGS_WEBHOOK_RETRY_BASE_S = 10
    sandbox.fault(INTEGRATIONS, "POST", status=503, count=1)
    token = registration.registration_claim(building_id=crimson.building.pk)

    before = timezone.now()
    assert registration.registration_attempt(building_id=crimson.building.pk, token=token) == "retry"

    endpoint = WebhookEndpoint.objects.get(building=crimson.building)
    assert endpoint.failure == "transient" and endpoint.attempts == 1 and endpoint.pending_token == token
    # equal jitter: between half the ceiling and the ceiling (10 s for the first retry)
    assert before + timedelta(seconds=5) <= endpoint.retry_at <= timezone.now() + timedelta(seconds=10)
    # bounded: while it is pending, neither beat nor a new connection can queue another
    assert registration.registration_claim(building_id=crimson.building.pk) is None
    assert registration.registrations_due() == []
    # a stale token (an attempt from an earlier claim) does nothing
    assert registration.registration_attempt(building_id=crimson.building.pk, token="0" * 32) == "superseded"
    assert ours_at_sandbox(sandbox) == []

    # when the pending attempt runs (the task, as the worker would run it)
    assert webhooks_register_task.apply(args=(crimson.building.pk, token)).get() == "registered"

    endpoint.refresh_from_db()
    assert endpoint.failure == "" and endpoint.attempts == 0 and endpoint.pending_token == ""
    assert len(ours_at_sandbox(sandbox)) == 2


def test_the_backoff_doubles_up_to_its_cap_with_jitter_and_honours_retry_after(settings):
    settings.LOGS_WEBHOOK_RETRY_BASE_S, settings.LOGS_WEBHOOK_RETRY_MAX_S = 10, 60
    for attempts, ceiling in ((1, 10), (2, 20), (3, 40), (4, 60), (12, 60)):
        delays = [registration.backoff_s(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered: many buildings failing together do not retry in lockstep
    assert registration.backoff_s(1, retry_after=45) == 45


@pytest.mark.django_db
def test_a_refusal_is_kept_and_shown_and_not_retried(crimson, sandbox, client):
    sandbox.fault(INTEGRATIONS, "POST", status=422)
    token = registration.registration_claim(building_id=crimson.building.pk)

    assert registration.registration_attempt(building_id=crimson.building.pk, token=token) == "refused"

    endpoint = WebhookEndpoint.objects.get(building=crimson.building)
    assert endpoint.failure == "permanent" and endpoint.pending_until is None and endpoint.last_error
    assert registration.registrations_due() == []  # beat leaves it to a person
    client.force_login(crimson.manager)
    page = client.get(reverse("logs:health")).content.decode()
    assert "Refused by ButterflyMX" in page and "ButterflyMX refused the values sent." in page


@pytest.mark.django_db
def test_beat_retries_missing_and_transiently_failed_registrations_whose_attempt_was_lost(crimson, sandbox):
    # never registered: due
    assert registration.registrations_due() == [crimson.building.pk]
    # a transient failure whose queued attempt was lost (its pending time passed): due again
    WebhookEndpoint.objects.create(
        building=crimson.building,
        secret_hash="",
        failure="transient",
        attempts=3,
        pending_token="lost",
        pending_until=timezone.now() - timedelta(seconds=1),
    )
    assert registration.registrations_due() == [crimson.building.pk]

    assert registration.registrations_maintain() == 1
    assert registration.registrations_maintain() == 0  # one pending attempt, never a growing queue
    token = WebhookEndpoint.objects.get(building=crimson.building).pending_token
    assert token != "lost"
    assert webhooks_register_task.apply(args=(crimson.building.pk, token)).get() == "registered"
    assert registration.registrations_due() == []


@pytest.mark.django_db
def test_a_new_port_updates_the_registered_integrations_in_place(crimson, sandbox, settings, bmx_requests):
    # given webhooks registered while the portal ran on port 8000
    settings.LOGS_WEBHOOK_BASE_URL = "http://127.0.0.1:8000"
    token = registration.registration_claim(building_id=crimson.building.pk)
    registration.registration_attempt(building_id=crimson.building.pk, token=token)
    before = {i["id"] for i in ours_at_sandbox(sandbox)}
    assert all(u.startswith("http://127.0.0.1:8000/webhooks/bmx/") for u in urls_at_sandbox(sandbox))

    # when the portal next runs on PORT=8123 and beat looks
    settings.LOGS_WEBHOOK_BASE_URL = "http://127.0.0.1:8123"
    assert registration.registrations_due() == [crimson.building.pk]
    token = registration.registration_claim(building_id=crimson.building.pk)
    assert webhooks_register_task.apply(args=(crimson.building.pk, token)).get() == "registered"

    # then the same integrations now point at the new address: updated (PUT), not duplicated
    assert {i["id"] for i in ours_at_sandbox(sandbox)} == before
    urls = urls_at_sandbox(sandbox)
    assert len(urls) == 1 and urls.pop().startswith(f"http://127.0.0.1:8123/webhooks/bmx/{crimson.building.pk}/")
    assert len(bmx_requests.find("PUT", INTEGRATIONS + "/{id}")) == 2
    endpoint = WebhookEndpoint.objects.get(building=crimson.building)
    assert endpoint.base_url == "http://127.0.0.1:8123" and registration.registrations_due() == []


@pytest.mark.django_db
def test_an_integration_removed_at_butterflymx_is_created_again(crimson, sandbox, settings):
    token = registration.registration_claim(building_id=crimson.building.pk)
    registration.registration_attempt(building_id=crimson.building.pk, token=token)
    endpoint = WebhookEndpoint.objects.get(building=crimson.building)
    sandbox.api("DELETE", f"{INTEGRATIONS}/{endpoint.integrations['call']}", crimson.token)

    settings.LOGS_WEBHOOK_BASE_URL = "http://127.0.0.1:8123"
    token = registration.registration_claim(building_id=crimson.building.pk)
    assert registration.registration_attempt(building_id=crimson.building.pk, token=token) == "registered"

    kinds = sorted(b["resource_type"] for i in ours_at_sandbox(sandbox) for b in i["attributes"]["bindings"])
    assert kinds == ["access_log", "call"]
