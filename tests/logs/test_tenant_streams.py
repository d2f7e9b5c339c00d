"""Residents' own streams in a building whose manager never connected (logs/tenant_streams.py).

Crimson Tower exists in the portal only through Rosa's (alice's) own tenant link: no building-admin
link. Her entries and calls are walked with her token, her own webhook integrations nudge the walk, no
neighbour's row is ever stored, unlinking removes her integrations at ButterflyMX, and when the manager
connects the building later its own sync takes over without a second copy of any row.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from logs import sync
from logs.models import AccessLogEntry, CallRecord, Stream, SyncCursor, TenantWebhook, WebhookDelivery
from logs.services import building_connected, tenant_linked
from logs.sync import stream_sync, walk_run
from logs.tasks import sync_all_task, sync_watchdog_task, tenant_linked_task
from logs.tenant_streams import tenant_scope, tenant_stream_pairs, tenant_webhooks_register
from logs.webhooks import secret_hash
from portal.building_connections import TENANT_LINKED_TASK, link_unlink
from portal.butterflymx import oauth
from portal.celery import send_task
from tenants.models import BmxLink, Building, Residency, Unit
from tests import factories as f
from tests.plugins.sandbox import worker_env
from tests.plugins.workers import app_sends_to, broker_url, celery_worker, wait_for
from tests.tenants.helpers import callback_path, link_by_password, sandbox_sign_in, start_link

from .conftest import CRIMSON

ROSA, NINA = 129201, 129205  # the sandbox's tenants of 4B (Rosa) and 4C (Nina, the neighbour)
UNIT_4B, UNIT_4C = 101308, 101309
FRONT_DOOR = 3901


def tenant_integrations(sandbox, tenant_id: int) -> list[dict]:
    return [i for i in sandbox.state()["integrations"] if i["tenant_id"] == tenant_id]


def tenant_delivered_ids(sandbox) -> list:
    """Ids of the events ButterflyMX delivered to tenant integrations (the portal answered them)."""
    delivered = [d for d in sandbox.deliveries() if d.get("outcome") == "delivered" and "/tenant/" in d["url"]]
    return [((d["payload"].get("event") or {}).get("data") or {}).get("id") for d in delivered]


def alice_links() -> tuple[object, BmxLink, Building]:
    """Alice links her ButterflyMX tenant account (Rosa, 4B); nobody connected the building."""
    alice = f.UserFactory(email="alice-tenant@example.test")
    link = link_by_password(alice, "resident@sandbox.test")
    building = Building.objects.get(bmx_id=CRIMSON)
    assert building.admin_link is None
    # The neighbour's unit is known to the portal too, so a row of it would have somewhere to land.
    Unit.objects.get_or_create(building=building, bmx_id=UNIT_4C, defaults={"label": "4C"})
    return alice, link, building


def remote_swipe(sandbox, tenant_id: int) -> int:
    outcome = sandbox.swipe(tenant_id, FRONT_DOOR)
    assert outcome["granted"], outcome
    return int(outcome["access_log_ids"][0])


@pytest.mark.django_db
def test_alice_s_own_walk_stores_her_entries_and_calls_and_never_a_neighbours(sandbox, settings, client_for):
    settings.LOGS_BACKFILL_DAYS = 3
    alice, link, building = alice_links()
    assert tenant_stream_pairs() == {(building.pk, link.pk)}
    mine, neighbours = remote_swipe(sandbox, ROSA), remote_swipe(sandbox, NINA)
    call = sandbox.call(58801, tenant_id=ROSA)
    other_call = sandbox.call(58801, tenant_id=NINA)

    # when alice's streams are walked (with her own token: the building has no admin link)
    assert stream_sync(building_id=building.pk, stream=Stream.ACCESS, link_id=link.pk).status == "done"
    assert stream_sync(building_id=building.pk, stream=Stream.CALLS, link_id=link.pk).status == "done"

    # then her entry and call are stored, on her unit, and the neighbour's never are
    entries = AccessLogEntry.objects.filter(building=building)
    assert entries.filter(remote_id=mine, unit__bmx_id=UNIT_4B).exists()
    assert not entries.filter(remote_id=neighbours).exists()
    assert set(entries.values_list("unit__bmx_id", flat=True)) == {UNIT_4B}
    calls = CallRecord.objects.filter(building=building)
    assert calls.filter(remote_id=call["id"], unit__bmx_id=UNIT_4B).exists()
    assert not calls.filter(remote_id=other_call["id"]).exists()
    # in a cursor of her own, beside (not instead of) the building's
    cursor = SyncCursor.objects.get(building=building, stream=Stream.ACCESS, link=link)
    assert cursor.high_water is not None and cursor.last_error == "" and cursor.backfill_percent == 100
    assert not SyncCursor.objects.filter(building=building, link__isnull=True).exists()

    # and her logs page shows her entry (the one scope rule: her unit's rows)
    page = client_for(alice).get(reverse("logs:list"))
    assert page.status_code == 200
    row = entries.get(remote_id=mine)
    assert reverse("logs:detail", args=[row.pk]) in page.content.decode()


@pytest.mark.django_db
def test_a_tenant_walk_keeps_only_its_own_units_rows_whatever_the_listing_holds(sandbox):
    """Defence in depth: ButterflyMX lists a tenant only their own activity, but a row of another unit in a
    tenant token's answer (a bug there, a shared token) must still never reach the tables."""
    _alice, link, building = alice_links()
    cursor = sync.cursor_for(building, Stream.ACCESS, link.pk)
    units = tenant_scope(building=building, link=link)
    assert units == {Unit.objects.get(building=building, bmx_id=UNIT_4B).pk}
    ctx = sync._context(building, cursor, "test-owner", units_only=units)
    record = {"logged_at": "2026-11-29T10:00:00Z", "access_point": FRONT_DOOR, "release_status": "Unlocked"}
    rows = ctx.parse(
        [
            dict(record, id=1, unit=UNIT_4B, tenant_id=ROSA, name="Rosa"),
            dict(record, id=2, unit=UNIT_4C, tenant_id=NINA, name="Nina"),
            dict(record, id=3, unit=None, tenant_id=None, name=None),  # a building event, no unit
        ]
    )
    assert [row[sync._REMOTE_ID] for row in rows] == [1]
    assert ctx.foreign == 2


@pytest.mark.django_db
def test_registering_alice_s_webhooks_uses_her_tenant_integrations_and_a_delivery_nudges_her_walk(
    sandbox, client, django_capture_on_commit_callbacks
):
    _alice, link, building = alice_links()
    hooks = tenant_webhooks_register(link=link)

    # then ButterflyMX holds her own two integrations (call, access_log), under her tenant id
    at_bmx = tenant_integrations(sandbox, ROSA)
    assert len(hooks) == 1 and hooks[0].building_id == building.pk
    assert sorted(b["resource_type"] for i in at_bmx for b in i["attributes"]["bindings"]) == ["access_log", "call"]
    assert all(i["building_id"] is None for i in at_bmx)
    url = at_bmx[0]["attributes"]["configuration"]["url"]
    assert f"/webhooks/bmx/tenant/{hooks[0].pk}/" in url
    # a second registration re-points the same integrations (no new ones)
    tenant_webhooks_register(link=link)
    assert sorted(i["id"] for i in tenant_integrations(sandbox, ROSA)) == sorted(i["id"] for i in at_bmx)

    # when a delivery arrives at her URL (the secret is only known as a hash: use a known one)
    TenantWebhook.objects.filter(pk=hooks[0].pk).update(secret_hash=secret_hash("t-secret"))
    path = reverse("logs_webhooks:tenant_receive", kwargs={"hook_id": hooks[0].pk, "secret": "t-secret"})
    body = {"event": {"resource_type": "access_log", "action": "create", "data": {"id": 77, "unit": UNIT_4B}}}
    with django_capture_on_commit_callbacks() as callbacks:
        first = client.post(path, json.dumps(body), content_type="application/json")
        again = client.post(path, json.dumps(body), content_type="application/json")
    wrong = client.post(path.replace("t-secret", "guess"), json.dumps(body), content_type="application/json")
    garbage = client.post(path, "not json", content_type="application/json")

    # then her walk (not the building's) is requested once, the repeat is a duplicate, a wrong secret 404
    assert (first.status_code, first.json()) == (200, {"status": "accepted"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert wrong.status_code == 404 and garbage.status_code == 400
    assert SyncCursor.objects.get(building=building, stream=Stream.ACCESS, link=link).sync_requested_at
    assert not SyncCursor.objects.filter(building=building, link__isnull=True).exists()
    assert len(callbacks) == 1
    assert WebhookDelivery.objects.filter(building=building, outcome="accepted").count() == 1
    assert TenantWebhook.objects.get(pk=hooks[0].pk).last_delivery_at is not None


@pytest.mark.django_db
def test_unlinking_removes_alice_s_integrations_at_butterflymx_and_her_cursors(sandbox):
    _alice, link, building = alice_links()
    tenant_webhooks_register(link=link)
    assert len(tenant_integrations(sandbox, ROSA)) == 2
    sync.cursor_for(building, Stream.ACCESS, link.pk)

    link_unlink(link=BmxLink.objects.get(pk=link.pk))

    assert tenant_integrations(sandbox, ROSA) == []
    assert not TenantWebhook.objects.exists()
    assert not SyncCursor.objects.filter(link__isnull=False).exists()
    assert tenant_stream_pairs() == set()


@pytest.mark.django_db
def test_when_the_manager_connects_the_building_its_sync_takes_over_without_a_second_copy(
    sandbox, settings, monkeypatch
):
    settings.LOGS_BACKFILL_DAYS = 3
    monkeypatch.setattr("logs.services.enqueue", lambda *args, **kwargs: True)  # no worker: walked below
    _alice, link, building = alice_links()
    tenant_webhooks_register(link=link)
    mine = remote_swipe(sandbox, ROSA)
    assert stream_sync(building_id=building.pk, stream=Stream.ACCESS, link_id=link.pk).status == "done"
    assert AccessLogEntry.objects.filter(building=building, remote_id=mine).count() == 1

    # when the manager connects the building (the roster sync sets its admin link)
    tokens = oauth.password_grant("admin@sandbox.test", "sandbox-pass")
    manager = f.UserFactory(email="crimson-manager@example.test")
    admin = BmxLink.objects.create(
        user=manager,
        kind=BmxLink.Kind.BUILDING_ADMIN,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=tokens.expires_at,
    )
    Building.objects.filter(pk=building.pk).update(admin_link=admin)
    building_connected(building_id=building.pk)
    assert stream_sync(building_id=building.pk, stream=Stream.ACCESS).status == "done"

    # then the building's own sync read the whole building, alice's entry once
    assert AccessLogEntry.objects.filter(building=building, remote_id=mine).count() == 1
    assert AccessLogEntry.objects.filter(building=building).exclude(unit__bmx_id=UNIT_4B).exists()
    # her stream stops (beat no longer queues it) and her integrations are gone at ButterflyMX
    assert walk_run(building_id=building.pk, stream=Stream.ACCESS, link_id=link.pk).status == "idle"
    assert tenant_stream_pairs() == set()
    assert tenant_integrations(sandbox, ROSA) == []
    assert not TenantWebhook.objects.exists()
    # and a resident who moved out of a building without admin link stops likewise
    Building.objects.filter(pk=building.pk).update(admin_link=None)
    assert tenant_stream_pairs() == {(building.pk, link.pk)}
    Residency.objects.filter(link=link).update(is_active=False)
    assert tenant_stream_pairs() == set()


@pytest.mark.django_db
def test_beat_queues_alice_s_walks_beside_the_connected_buildings(sandbox, monkeypatch):
    _alice, link, building = alice_links()
    sent: list[tuple] = []

    def enqueue_walks(pairs, stream, *, countdown, queue):  # what beat would send, captured
        sent.extend((tuple(p), stream) for p in pairs)
        return len(pairs)

    monkeypatch.setattr("logs.tasks.enqueue_walks", enqueue_walks)
    sync_all_task.apply(args=(Stream.ACCESS,))

    cursor = SyncCursor.objects.get(building=building, stream=Stream.ACCESS, link=link)
    assert sent == [((cursor.pk, building.pk, link.pk), Stream.ACCESS)]
    # and once the building has its admin link, beat walks the building, not alice's view of it
    manager = f.UserFactory(email="m@example.test")
    admin = BmxLink.objects.create(
        user=manager, kind=BmxLink.Kind.BUILDING_ADMIN, access_token="x", expires_at=timezone.now()
    )
    Building.objects.filter(pk=building.pk).update(admin_link=admin)
    sent.clear()
    sync_all_task.apply(args=(Stream.ACCESS,))
    own = SyncCursor.objects.get(building=building, stream=Stream.ACCESS, link__isnull=True)
    assert sent == [((own.pk, building.pk, None), Stream.ACCESS)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_alice_s_entry_arrives_through_her_webhook_and_walk_and_the_neighbours_never(
    sandbox, tmp_path, settings, live_server, client_for
):
    """The whole chain on a real worker: linking registers her integrations at ButterflyMX and walks her
    streams; the sandbox's delivery to her URL nudges a walk that stores her entry, never Nina's."""
    settings.LOGS_WEBHOOK_BASE_URL = live_server.url
    alice, link, building = alice_links()
    env = worker_env(sandbox, LOGS_BACKFILL_DAYS="3", LOGS_WEBHOOK_BASE_URL=live_server.url)
    with celery_worker(broker_url(), tmp_path, extra_env=env) as worker, app_sends_to(worker):
        tenant_linked_task.delay(link.pk)
        wait_for(
            lambda: SyncCursor.objects.filter(link=link, backfill_finished_at__isnull=False).count() == 2,
            timeout=90,
            message="alice's two streams to walk and backfill",
        )
        assert len(tenant_integrations(sandbox, ROSA)) == 2
        settled = timezone.now()
        time.sleep(0.01)

        # when the sandbox's panel lets Nina in, then Rosa (alice)
        neighbours = remote_swipe(sandbox, NINA)
        mine = remote_swipe(sandbox, ROSA)

        # then ButterflyMX delivers Rosa's event to her own integration, and the walk it nudges stores it
        wait_for(
            lambda: AccessLogEntry.objects.filter(building=building, remote_id=mine).exists(),
            timeout=60,
            message="alice's entry to arrive through her webhook",
        )
    assert mine in tenant_delivered_ids(sandbox)
    assert WebhookDelivery.objects.filter(building=building, received_at__gte=settled, outcome="accepted").exists()
    assert not AccessLogEntry.objects.filter(building=building, remote_id=neighbours).exists()
    assert set(AccessLogEntry.objects.filter(building=building).values_list("unit__bmx_id", flat=True)) == {UNIT_4B}
    page = client_for(alice).get(reverse("logs:list")).content.decode()
    assert reverse("logs:detail", args=[AccessLogEntry.objects.get(remote_id=mine).pk]) in page

    # when alice unlinks, her integrations are removed at ButterflyMX
    link_unlink(link=BmxLink.objects.get(pk=link.pk))
    assert tenant_integrations(sandbox, ROSA) == []


def test_tenant_linked_without_a_link_queues_nothing(db):
    assert tenant_linked(link_id=987654) == 0


@pytest.mark.django_db
def test_linking_through_the_profile_queues_the_residents_own_streams(
    sandbox, client, django_capture_on_commit_callbacks
):
    person = f.UserFactory(email="rosa-link@example.test")
    client.defaults["SERVER_NAME"] = "127.0.0.1"  # a loopback redirect URI, as registered at the sandbox
    client.force_login(person)
    location = sandbox_sign_in(start_link(client), "resident@sandbox.test")

    with django_capture_on_commit_callbacks() as callbacks:
        assert client.get(callback_path(location)).status_code == 302

    link = BmxLink.objects.get(user=person, kind=BmxLink.Kind.TENANT)
    queued = [c.args for c in callbacks if getattr(c, "func", None) is send_task]
    assert (TENANT_LINKED_TASK, link.pk) in queued


@pytest.mark.django_db
def test_the_watchdog_resumes_an_abandoned_tenant_walk(sandbox, monkeypatch):
    _alice, link, building = alice_links()
    cursor = sync.cursor_for(building, Stream.ACCESS, link.pk)
    expired = timezone.now() - timedelta(seconds=1)
    SyncCursor.objects.filter(pk=cursor.pk).update(lease_owner="dead-worker", lease_expires_at=expired)
    resumed: list[tuple] = []

    def enqueue(building_id, stream, kind, **options):  # what the watchdog would queue, captured
        resumed.append((building_id, stream, kind, options["cursor_id"], options["link_id"]))
        return True

    monkeypatch.setattr("logs.tasks.enqueue", enqueue)
    sync_watchdog_task.apply()

    assert resumed == [(building.pk, Stream.ACCESS, sync.WALK, cursor.pk, link.pk)]
