"""Webhooks are verified, and the sync health page says per building whether they arrive (issue 16).

The contract has no "send a test delivery" operation (sandbox/contract/butterflymx-openapi.json lists
only list/create/show/update/delete of integrations), so the portal watches for the first delivery:
"registered, awaiting first delivery" until one arrives, "verified" after, and "not arriving" when
polling finds entries logged after the registration that no delivery announced.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from logs import services
from logs.health import webhook_health
from logs.models import Stream, WebhookDelivery, WebhookEndpoint
from logs.sync import stream_sync
from logs.webhooks import base_url
from portal.core.health import check_webhooks
from tests import factories as f
from tests.plugins.sandbox import free_port
from tests.plugins.workers import wait_for

from .factories import call_for, entry_for

SWIPER, DOOR = 129201, 3901  # a tenant of Crimson Tower and its lobby door, in the sandbox's seed


def poll(building, stream=Stream.ACCESS) -> None:
    """The regular sync, as beat runs it, until it has nothing more to read."""
    for _ in range(50):
        if stream_sync(building_id=building.pk, stream=stream).status != "more":
            return
    pytest.fail("the sync did not finish")


def after_this_second(when) -> None:
    """Wait until the clock is past the second of ``when``: the sandbox logs whole seconds, and the next
    entry must be logged after ``when`` (a registration, a delivery), not in the same second."""
    mark = when.replace(microsecond=0) + timedelta(seconds=1)
    wait_for(lambda: timezone.now() >= mark, timeout=5, message="the next second")


@pytest.mark.django_db(transaction=True)
def test_a_registration_awaits_its_first_delivery_then_is_verified(crimson, sandbox, live_server, settings):
    settings.LOGS_WEBHOOK_BASE_URL, settings.LOGS_WEBHOOK_DEBOUNCE_S = live_server.url, 60
    services.webhooks_register(building=crimson.building)

    health = webhook_health([crimson.building.pk])[crimson.building.pk]
    assert (health.state, health.label, health.warning) == ("awaiting", "Registered, awaiting first delivery", False)

    sandbox.swipe(SWIPER, DOOR)  # ButterflyMX delivers to the registered URL
    wait_for(lambda: WebhookDelivery.objects.filter(outcome="accepted").exists(), message="the first delivery")

    health = webhook_health([crimson.building.pk])[crimson.building.pk]
    assert (health.state, health.label) == ("verified", "Verified")
    assert health.last_hour == 1 and health.last_received is not None and health.missed == 0


@pytest.mark.django_db(transaction=True)
def test_deliveries_to_a_wrong_port_show_as_not_arriving_once_polling_finds_new_entries(
    crimson, sandbox, settings, client
):
    # given webhooks registered at a port nothing listens on (the `make dev` PORT bug)
    settings.LOGS_WEBHOOK_BASE_URL = f"http://127.0.0.1:{free_port()}"
    settings.LOGS_WEBHOOK_QUIET_AFTER_S = 0  # the margin for slow deliveries and skew: none in this test
    endpoint = services.webhooks_register(building=crimson.building)
    poll(crimson.building)  # the history backfill: entries from before the registration do not count
    after_this_second(endpoint.registered_at)
    assert webhook_health([crimson.building.pk])[crimson.building.pk].state == "awaiting"

    # when a door is swiped: the delivery fails (connection refused), the regular poll finds the entry
    sandbox.swipe(SWIPER, DOOR)
    poll(crimson.building)

    # then the registration is not verified but "not arriving", and the page and /healthz say so plainly
    health = webhook_health([crimson.building.pk])[crimson.building.pk]
    assert (health.state, health.label, health.warning, health.missed) == ("not_arriving", "Not arriving", True, 1)
    assert not WebhookDelivery.objects.exists()
    client.force_login(crimson.manager)
    page = client.get(reverse("logs:health")).content.decode()
    assert "Not arriving" in page and "1 new entry since registration came by polling, but no webhook" in page
    assert "Crimson Tower (not arriving)" in check_webhooks().detail


@pytest.mark.django_db(transaction=True)
def test_webhooks_that_stop_after_working_show_as_gone_quiet(crimson, sandbox, live_server, settings):
    settings.LOGS_WEBHOOK_BASE_URL, settings.LOGS_WEBHOOK_DEBOUNCE_S = live_server.url, 60
    settings.LOGS_WEBHOOK_QUIET_AFTER_S = 0
    services.webhooks_register(building=crimson.building)
    poll(crimson.building)
    sandbox.swipe(SWIPER, DOOR)
    wait_for(lambda: WebhookDelivery.objects.filter(outcome="accepted").exists(), message="the first delivery")
    poll(crimson.building)
    assert webhook_health([crimson.building.pk])[crimson.building.pk].state == "verified"
    after_this_second(WebhookDelivery.objects.get().received_at)

    # when ButterflyMX loses the next delivery, and the poll finds its entry
    sandbox.webhook_faults(drop_next=1)
    sandbox.swipe(SWIPER, DOOR)
    poll(crimson.building)

    health = webhook_health([crimson.building.pk])[crimson.building.pk]
    assert (health.state, health.label, health.missed) == ("quiet", "Gone quiet", 1)
    assert "Webhooks have gone quiet: 1 new entry since the last webhook" in health.detail


def _building_with_figures(manager, *, now):
    """A building whose webhooks were verified, then went quiet: figures made as the sync would."""
    building = f.BuildingFactory()
    f.MembershipFactory(user=manager, building=building, role="manager")
    WebhookEndpoint.objects.create(
        building=building,
        secret_hash="x" * 64,
        integrations={"call": "1", "access_log": "2"},
        base_url=base_url(),
        registered_at=now - timedelta(hours=3),
        last_delivery_at=now - timedelta(minutes=30),
    )
    for n in range(3):  # accepted within the hour (dated below)
        WebhookDelivery.objects.create(building=building, outcome="accepted", status_code=200, dedupe_key=f"a{n}")
    WebhookDelivery.objects.create(building=building, outcome="accepted", status_code=200, dedupe_key="old")
    for n in range(2):
        WebhookDelivery.objects.create(building=building, outcome="rejected", status_code=422, dedupe_key=f"r{n}")
    for n, minutes in enumerate((30, 40, 50)):
        WebhookDelivery.objects.filter(building=building, dedupe_key=f"a{n}").update(
            received_at=now - timedelta(minutes=minutes)
        )
    WebhookDelivery.objects.filter(building=building, dedupe_key="old").update(received_at=now - timedelta(hours=2))
    WebhookDelivery.objects.filter(building=building, outcome="rejected").update(received_at=now - timedelta(hours=5))
    # entries polling found: three logged after the last delivery (+2 min margin), and not counted: one
    # logged before it, one too recent to blame the webhooks for (its delivery may still be on its way)
    for n, minutes in enumerate((20, 10, 5)):
        entry_for(building, remote_id=100 + n, logged_at=now - timedelta(minutes=minutes))
    call_for(building, remote_id=200, logged_at=now - timedelta(minutes=7))  # calls count too
    entry_for(building, remote_id=300, logged_at=now - timedelta(minutes=45))
    entry_for(building, remote_id=301, logged_at=now - timedelta(seconds=30))
    return building


@pytest.mark.django_db
def test_sync_health_shows_each_buildings_webhook_figures_and_warns_when_they_go_quiet(
    client, django_assert_max_num_queries, django_assert_num_queries
):
    manager = f.UserFactory()
    now = timezone.now()
    building = _building_with_figures(manager, now=now)

    health = webhook_health([building.pk])[building.pk]
    assert (health.last_hour, health.failures, health.missed) == (3, 2, 4)
    assert health.state == "quiet" and health.warning
    assert abs((health.last_received - (now - timedelta(minutes=30))).total_seconds()) < 1

    client.force_login(manager)
    page = client.get(reverse("logs:health")).content.decode()
    assert "Gone quiet" in page
    assert "Webhooks have gone quiet: 4 new entries since the last webhook (30 min ago) came by polling only" in page
    assert "3 deliveries" in page and "2 refused" in page

    # one aggregate per figure, however many buildings: the query count does not grow with them
    with django_assert_max_num_queries(1000) as one:
        webhook_health([building.pk])
    more = [_building_with_figures(manager, now=now).pk for _ in range(3)]
    with django_assert_num_queries(len(one.captured_queries)):
        figures = webhook_health([building.pk, *more])
    assert [figures[b].missed for b in more] == [4, 4, 4]


@pytest.mark.django_db
def test_a_building_without_webhooks_says_so_and_a_moved_portal_says_it_is_updating(settings):
    building = f.BuildingFactory()
    assert webhook_health([building.pk])[building.pk].label == "Not registered"

    WebhookEndpoint.objects.create(
        building=building,
        secret_hash="x" * 64,
        integrations={"access_log": "2"},
        base_url="http://127.0.0.1:8000",
        registered_at=timezone.now(),
    )
    settings.LOGS_WEBHOOK_BASE_URL = "http://127.0.0.1:8123"
    health = webhook_health([building.pk])[building.pk]
    assert health.state == "moving" and health.warning
    assert (
        health.detail == "The integrations point at http://127.0.0.1:8000; the portal is now at http://127.0.0.1:8123."
    )


@pytest.mark.django_db
def test_deliveries_that_arrive_but_are_refused_are_a_warning_not_verified():
    building = f.BuildingFactory()
    WebhookEndpoint.objects.create(
        building=building,
        secret_hash="x" * 64,
        integrations={"access_log": "2"},
        base_url=base_url(),
        registered_at=timezone.now() - timedelta(hours=1),
    )
    WebhookDelivery.objects.create(building=building, outcome="accepted", status_code=200, dedupe_key="a")
    assert webhook_health([building.pk])[building.pk].state == "verified"

    # ButterflyMX changes its payload: the next deliveries are refused (422) and request no sync
    for n in range(2):
        WebhookDelivery.objects.create(building=building, outcome="rejected", status_code=422, dedupe_key=f"r{n}")

    health = webhook_health([building.pk])[building.pk]
    assert (health.state, health.label, health.warning, health.failures) == (
        "refusing",
        "Arriving, but refused",
        True,
        2,
    )
    assert "The latest webhook was refused (2 in 24 h" in health.detail
