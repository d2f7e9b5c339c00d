"""Connecting a building registers its webhooks and starts its history backfill; unlinking removes them.

Both are one flow across tenants and logs: portal/building_connections.py.
"""

from __future__ import annotations

import pytest

from logs.models import SyncCursor, WebhookEndpoint
from logs.tasks import building_connected_task
from portal.building_connections import link_unlink, roster_sync_and_connect
from portal.celery import send_task
from tenants.models import BmxLink, Building, RosterSync
from tenants.roster import roster_sync_run
from tenants.tasks import roster_sync_task
from tests import factories as f
from tests.plugins.sandbox import worker_env
from tests.plugins.workers import app_sends_to, broker_url, celery_worker, wait_for
from tests.tenants.helpers import link_by_password

CRIMSON = 11743


def ours_at_sandbox(sandbox, building_bmx_id: int) -> list[dict]:
    return [i for i in sandbox.state()["integrations"] if i["building_id"] == building_bmx_id]


def connections_queued(callbacks) -> list[int]:
    """The buildings whose ``building_connected_task`` the captured on-commit callbacks would send."""
    return sorted(
        c.args[1]
        for c in callbacks
        if getattr(c, "func", None) is send_task and c.args[0] == building_connected_task.name
    )


@pytest.mark.django_db
def test_the_first_roster_sync_of_a_building_queues_its_connection(sandbox, django_capture_on_commit_callbacks):
    link = link_by_password(f.UserFactory(), "admin@sandbox.test", BmxLink.Kind.BUILDING_ADMIN, False)
    sync = RosterSync.objects.create(link=link)

    with django_capture_on_commit_callbacks() as callbacks:
        roster_sync_and_connect(sync_id=sync.pk)
    again = RosterSync.objects.create(link=link)
    with django_capture_on_commit_callbacks() as second:
        roster_sync_and_connect(sync_id=again.pk)

    assert connections_queued(callbacks) == sorted(
        Building.objects.filter(admin_link=link).values_list("pk", flat=True)
    )
    assert connections_queued(second) == []


@pytest.mark.django_db
def test_the_roster_task_is_the_connecting_sync(sandbox, django_capture_on_commit_callbacks):
    """What the worker runs for a queued sync connects the buildings; the roster alone only mirrors."""
    link = link_by_password(f.UserFactory(), "admin@sandbox.test", BmxLink.Kind.BUILDING_ADMIN, False)

    with django_capture_on_commit_callbacks() as by_the_task:
        roster_sync_task.apply(args=(RosterSync.objects.create(link=link).pk,))
    Building.objects.filter(admin_link=link).update(admin_link=None)
    with django_capture_on_commit_callbacks() as by_the_roster_alone:
        roster_sync_run(sync_id=RosterSync.objects.create(link=link).pk)

    assert connections_queued(by_the_task) == sorted(
        Building.objects.filter(admin_link=link).values_list("pk", flat=True)
    )
    assert connections_queued(by_the_task) != []
    assert connections_queued(by_the_roster_alone) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_connecting_registers_webhooks_and_backfills_on_a_real_worker(sandbox, tmp_path, settings, live_server):
    settings.LOGS_WEBHOOK_BASE_URL = live_server.url
    link = link_by_password(f.UserFactory(), "admin@sandbox.test", BmxLink.Kind.BUILDING_ADMIN, False)
    roster_sync_run(sync_id=RosterSync.objects.create(link=link).pk)  # enqueued nothing: no worker yet
    crimson = Building.objects.get(bmx_id=CRIMSON)

    env = worker_env(sandbox, LOGS_BACKFILL_DAYS="3")
    with celery_worker(broker_url(), tmp_path, extra_env=env) as worker, app_sends_to(worker):
        building_connected_task.delay(crimson.pk)
        wait_for(
            lambda: SyncCursor.objects.filter(building=crimson, backfill_finished_at__isnull=False).count() == 2,
            timeout=90,
            message="both streams to finish their backfill",
        )

    endpoint = WebhookEndpoint.objects.get(building=crimson)
    assert endpoint.registered_at and not endpoint.last_error and endpoint.refused == {}
    # one integration per documented resource type: call and access_log
    assert len(ours_at_sandbox(sandbox, CRIMSON)) == 2
    assert crimson.access_log_entries.exists()

    # when: the manager unlinks the building-admin account
    link_unlink(link=BmxLink.objects.get(pk=link.pk))

    # then: the integrations are gone at ButterflyMX and the secret here
    assert ours_at_sandbox(sandbox, CRIMSON) == []
    assert not WebhookEndpoint.objects.filter(building=crimson).exists()
