"""Webhook nudges: registration at ButterflyMX, both payload styles, duplicates, garbage."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from logs import services
from logs.models import SyncCursor, WebhookDelivery, WebhookEndpoint
from logs.webhooks import secret_hash
from tests.plugins.workers import reset_producer_pools, wait_for

from .conftest import CRIMSON

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooked(crimson, settings):
    """A building with a known webhook secret (no registration call)."""
    WebhookEndpoint.objects.create(building=crimson.building, secret_hash=secret_hash("s3cret-value"))
    crimson.url = reverse(
        "logs_webhooks:receive", kwargs={"building_id": crimson.building.pk, "secret": "s3cret-value"}
    )
    return crimson


def post(client, url, body, **extra):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", **extra)


DOCUMENTED = {
    "event": {
        "resource_type": "door_release",
        "action": "create",
        "data": {"id": 123, "logged_at": "2026-01-01T10:00:00Z", "image_url": "https://s3.example/x.png"},
    }
}
LEGACY_CALL = {"guid": "ba17520f-8768", "unit": {"id": 101308, "label": "4B"}, "provider": "twilio"}
LEGACY_STATUS = {"call": {"guid": "ba17520f-8768"}, "status": "opened_door"}
LEGACY_RELEASE = {"id": 77, "panel_id": 3901, "release_method": "pin", "logged_at": "2026-01-01T10:00:00Z"}


@pytest.mark.parametrize(
    ("body", "stream", "style"),
    [
        (DOCUMENTED, "access", "documented.door_release"),
        (
            {"event": {"resource_type": "call", "action": "status_update", "data": {"id": 9, "status": "canceled"}}},
            "calls",
            "documented.call.status_update",
        ),
        (LEGACY_CALL, "calls", "legacy.call.create"),
        (LEGACY_STATUS, "calls", "legacy.call.status"),
        (LEGACY_RELEASE, "access", "legacy.door_release"),
    ],
)
def test_each_payload_style_is_accepted_and_requests_a_sync_of_its_stream(
    hooked, client, django_capture_on_commit_callbacks, body, stream, style
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, hooked.url, body)
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == "accepted" and delivery.style == style
    assert "s3.example" not in delivery.body  # the snapshot link is not kept
    assert SyncCursor.objects.get(building=hooked.building, stream=stream).sync_requested_at is not None
    # a call also queues a ring pass at once (logs.calls: the incoming-call panel)
    assert len(callbacks) == (2 if stream == "calls" else 1)


def test_a_repeated_delivery_enqueues_one_sync(hooked, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = post(client, hooked.url, DOCUMENTED)
        again = post(client, hooked.url, DOCUMENTED)
        other = post(client, hooked.url, {"event": {**DOCUMENTED["event"], "data": {"id": 124}}})
    assert (first.status_code, again.status_code, other.status_code) == (200, 200, 200)
    assert json.loads(again.content)["status"] == "duplicate"
    # one sync for the burst: the duplicate is ignored and the next delivery is debounced
    assert len(callbacks) == 1
    # and the repeat is stored once: no second row
    assert list(WebhookDelivery.objects.order_by("id").values_list("outcome", "dedupe_key")) == [
        ("accepted", "door_release:create:123"),
        ("accepted", "door_release:create:124"),
    ]


def test_a_burst_of_deliveries_records_the_last_delivery_without_writing_the_endpoint_each_time(
    hooked, client, django_assert_max_num_queries
):
    # given a first delivery, which records when deliveries were last seen (and walks at once: the first
    # of a burst, tests/logs/test_nudge_leading_edge.py), whose walk has started (it clears its claim)
    assert post(client, hooked.url, DOCUMENTED).status_code == 200
    endpoint = WebhookEndpoint.objects.get(building=hooked.building)
    assert endpoint.last_delivery_at is not None
    SyncCursor.objects.filter(building=hooked.building, stream="access").update(
        sync_requested_at=None, last_attempt_at=timezone.now()
    )
    # and a second, whose walk waits for the end of that walk's debounce window: its claim covers the rest
    assert post(client, hooked.url, {"event": {**DOCUMENTED["event"], "data": {"id": 199}}}).status_code == 200
    # when more arrive within a few seconds, each is ONE statement: the INSERT that checks the secret
    # and de-duplicates; no UPDATE of the endpoint or of the sync claim (whose row locks would make
    # concurrent deliveries queue behind each other), no cursor read while the first claim covers them
    for ident in (200, 201, 202):
        with django_assert_max_num_queries(1) as queries:
            body = {"event": {**DOCUMENTED["event"], "data": {"id": ident}}}
            assert post(client, hooked.url, body).status_code == 200
        assert queries.captured_queries[0]["sql"].startswith("INSERT")
    # then every delivery is kept and the endpoint still shows the first one's time (5 s resolution)
    assert WebhookDelivery.objects.filter(outcome="accepted").count() == 5
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).last_delivery_at == endpoint.last_delivery_at


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"\xff\xfe", 400),
        (b"[1, 2]", 422),
        (json.dumps({"event": {"resource_type": "pizza", "action": "create", "data": {"id": 1}}}).encode(), 422),
        (json.dumps({"hello": "world"}).encode(), 422),
    ],
)
def test_garbage_gets_a_4xx_and_is_kept_for_inspection(hooked, client, body, status):
    response = post(client, hooked.url, body)
    assert response.status_code == status
    kept = WebhookDelivery.objects.get()
    assert kept.outcome == "rejected" and kept.status_code == status and kept.error


def test_an_oversized_body_gets_413(hooked, client):
    response = post(client, hooked.url, json.dumps({"pad": "x" * 70_000}))
    assert response.status_code == 413
    assert WebhookDelivery.objects.get().status_code == 413


@pytest.mark.parametrize(
    "body",
    [DOCUMENTED, b"{not json", json.dumps({"hello": "world"}), json.dumps({"pad": "x" * 70_000})],
    ids=["valid", "garbage", "unknown", "oversized"],
)
def test_a_wrong_secret_is_a_404_and_stores_nothing(hooked, client, body):
    url = reverse("logs_webhooks:receive", kwargs={"building_id": hooked.building.pk, "secret": "guess"})
    assert post(client, url, body).status_code == 404
    assert not WebhookDelivery.objects.exists()
    assert WebhookEndpoint.objects.get(building=hooked.building).last_delivery_at is None


def test_a_repeat_sent_to_a_wrong_secret_is_a_404_not_a_duplicate(hooked, client):
    assert post(client, hooked.url, DOCUMENTED).status_code == 200
    url = reverse("logs_webhooks:receive", kwargs={"building_id": hooked.building.pk, "secret": "guess"})
    assert post(client, url, DOCUMENTED).status_code == 404
    assert list(WebhookDelivery.objects.values_list("outcome", flat=True)) == ["accepted"]


def test_the_endpoint_shows_a_delivery_after_the_resolution_window(hooked, client, monkeypatch):
    assert post(client, hooked.url, DOCUMENTED).status_code == 200
    first = WebhookEndpoint.objects.get(building=hooked.building).last_delivery_at
    later = first + timedelta(seconds=services.LAST_DELIVERY_RESOLUTION_S + 1)
    monkeypatch.setattr(services.timezone, "now", lambda: later)
    assert post(client, hooked.url, {"event": {**DOCUMENTED["event"], "data": {"id": 999}}}).status_code == 200
    assert WebhookEndpoint.objects.get(building=hooked.building).last_delivery_at == later


def test_get_is_not_allowed_on_the_receiver(hooked, client):
    assert client.get(hooked.url).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_connecting_registers_integrations_whose_deliveries_reach_the_receiver(crimson, sandbox, live_server):
    # given the portal reachable at live_server
    with override_settings(LOGS_WEBHOOK_BASE_URL=live_server.url, LOGS_WEBHOOK_DEBOUNCE_S=60):
        endpoint = services.webhooks_register(building=crimson.building)
        # then ButterflyMX holds one integration per documented resource type, call and access_log
        integrations = [i for i in sandbox.state()["integrations"] if i["building_id"] == CRIMSON]
        assert list(endpoint.integrations.values()) == [i["id"] for i in integrations] and endpoint.refused == {}
        kinds = [(b["resource_type"], b["actions"]) for i in integrations for b in i["attributes"]["bindings"]]
        assert kinds == [("call", ["create"]), ("access_log", ["create"])]
        urls = {i["attributes"]["configuration"]["url"] for i in integrations}
        assert len(urls) == 1 and urls.pop().startswith(f"{live_server.url}/webhooks/bmx/")
        # when a door is swiped, ButterflyMX posts to us and a sync is requested
        sandbox.swipe(129201, 3901)
        wait_for(lambda: WebhookDelivery.objects.filter(outcome="accepted").exists(), message="a delivery")
        # (the receiver stores the delivery, then claims the walk: the claim follows within moments)
        requested = SyncCursor.objects.filter(
            building=crimson.building, stream="access", sync_requested_at__isnull=False
        )
        wait_for(requested.exists, message="the sync request the delivery made")
        # and disconnecting removes the integration
        services.webhooks_unregister(building=crimson.building)
    assert not [i for i in sandbox.state()["integrations"] if i["building_id"] == CRIMSON]
    assert not WebhookEndpoint.objects.filter(building=crimson.building).exists()


def test_a_delivery_is_accepted_even_when_the_broker_is_down(hooked, client, django_capture_on_commit_callbacks):
    from portal.celery import app

    conf = app.conf
    saved = conf.broker_url, conf.broker_transport_options, conf.broker_connection_timeout
    conf.broker_url, conf.broker_transport_options = "redis://127.0.0.1:1/0", {"max_retries": 0}
    conf.broker_connection_timeout = 1
    reset_producer_pools(app)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = post(client, hooked.url, DOCUMENTED)
    finally:
        conf.broker_url, conf.broker_transport_options, conf.broker_connection_timeout = saved
        reset_producer_pools(app)

    # then: the nudge could not be sent, but the delivery is answered 200 and kept (beat syncs anyway)
    assert len(callbacks) == 1
    assert response.status_code == 200
    assert WebhookDelivery.objects.get().outcome == "accepted"
