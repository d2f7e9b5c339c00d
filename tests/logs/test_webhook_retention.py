"""Webhook deliveries are stored once per id (valid or refused, concurrent too), and pruned with the
rate-limit counters on a schedule."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from logs import services
from logs.models import SyncCursor, WebhookDelivery, WebhookEndpoint
from logs.tasks import webhook_deliveries_prune_task
from logs.webhooks import secret_hash
from portal.core.limits import rate_hit
from portal.core.models import RateCounter
from portal.core.tasks import rate_counters_prune_task
from tests import factories as f

SECRET = "retention-secret-0123456789"
EVENT = {"event": {"resource_type": "door_release", "action": "create", "data": {"id": 4242}}}


@pytest.fixture
def endpoint(db):
    building = f.BuildingFactory(name="Retention Tower")
    return WebhookEndpoint.objects.create(building=building, secret_hash=secret_hash(SECRET))


def deliver(client, endpoint, body):
    url = reverse("logs_webhooks:receive", kwargs={"building_id": endpoint.building_id, "secret": SECRET})
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json")


@pytest.mark.django_db
def test_a_repeated_delivery_of_one_id_is_stored_once(client, endpoint):
    answers = [deliver(client, endpoint, EVENT) for _ in range(3)]
    # the same event re-sent with other members: the same id, so the same delivery
    answers.append(deliver(client, endpoint, {"event": {**EVENT["event"], "data": {"id": 4242, "x": 1}}}))

    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert [json.loads(a.content)["status"] for a in answers] == ["accepted", "duplicate", "duplicate", "duplicate"]
    assert list(WebhookDelivery.objects.values_list("outcome", "dedupe_key")) == [
        ("accepted", "door_release:create:4242")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "status"), [(b"{not json", 400), (b'{"hello": "world"}', 422)])
def test_a_repeated_refused_delivery_is_stored_once(client, endpoint, body, status):
    answers = [deliver(client, endpoint, body) for _ in range(3)]
    other = deliver(client, endpoint, body + b" ")

    assert [a.status_code for a in answers] == [status] * 3 and other.status_code == status
    assert WebhookDelivery.objects.filter(outcome="rejected", status_code=status).count() == 2


@pytest.mark.django_db
def test_a_new_delivery_is_still_one_statement(client, endpoint, django_assert_max_num_queries):
    # The first of a burst also notes the delivery time and claims a walk at once (the leading edge).
    deliver(client, endpoint, EVENT)
    # Once that walk started (it clears the claim), the next claims the walk at the end of the debounce
    # window (the trailing edge: what happened after the first walk read); later ones are covered by it.
    SyncCursor.objects.filter(building_id=endpoint.building_id).update(
        sync_requested_at=None, last_attempt_at=timezone.now()
    )
    deliver(client, endpoint, {"event": {**EVENT["event"], "data": {"id": 4243}}})

    with django_assert_max_num_queries(1):
        assert deliver(client, endpoint, {"event": {**EVENT["event"], "data": {"id": 4244}}}).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_id_store_one_row(endpoint):
    answers: list[tuple[int, str]] = []
    barrier = threading.Barrier(8)
    body = json.dumps(EVENT).encode()

    def post():
        try:
            barrier.wait()
            answers.append(services.delivery_receive(building_id=endpoint.building_id, secret=SECRET, body=body))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [(200, "accepted")] + [(200, "duplicate")] * 7
    assert WebhookDelivery.objects.count() == 1


def _age(rows, days: float):
    WebhookDelivery.objects.filter(pk__in=[r.pk for r in rows]).update(
        received_at=timezone.now() - timedelta(days=days)
    )


@pytest.mark.django_db
def test_pruning_deletes_deliveries_past_the_retention_and_keeps_recent_ones(client, endpoint, settings):
    settings.LOGS_WEBHOOK_RETENTION_DAYS = 30
    for ident in (1, 2, 3):
        deliver(client, endpoint, {"event": {**EVENT["event"], "data": {"id": ident}}})
    deliver(client, endpoint, b"{garbage")
    old_accepted, old_rejected = (
        WebhookDelivery.objects.get(dedupe_key__endswith=":1"),
        WebhookDelivery.objects.get(outcome="rejected"),
    )
    _age([old_accepted, old_rejected], days=31)
    _age([WebhookDelivery.objects.get(dedupe_key__endswith=":2")], days=29)

    deleted = webhook_deliveries_prune_task.apply().get()

    assert deleted == 2
    assert sorted(WebhookDelivery.objects.values_list("dedupe_key", flat=True)) == [
        "door_release:create:2",
        "door_release:create:3",
    ]


@pytest.mark.django_db
def test_pruning_deletes_rate_counters_past_the_retention_and_keeps_recent_ones(settings):
    settings.RATE_COUNTER_RETENTION_S = 3600
    now = timezone.now()
    assert rate_hit(key="user:1", limit=10, window_s=60, now=now - timedelta(hours=2))
    assert rate_hit(key="user:1", limit=10, window_s=60, now=now - timedelta(minutes=30))
    assert rate_hit(key="door:1", limit=10, window_s=60, now=now)

    deleted = rate_counters_prune_task.apply().get()

    assert deleted == 1
    assert RateCounter.objects.count() == 2
    assert not RateCounter.objects.filter(window_start__lt=now - timedelta(hours=1)).exists()


def test_beat_runs_both_prunes_with_retentions_from_settings():
    schedule = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"logs.tasks.webhook_deliveries_prune_task", "portal.core.tasks.rate_counters_prune_task"} <= schedule
    assert django_settings.LOGS_WEBHOOK_RETENTION_DAYS > 0 and django_settings.RATE_COUNTER_RETENTION_S >= 86400
