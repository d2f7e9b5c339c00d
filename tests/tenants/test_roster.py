"""The roster sync: mirrors a building-admin account's buildings, idempotent, history kept."""

from __future__ import annotations

import pytest
from django.db import connection

from tenants.models import AccessPoint, BmxLink, Building, Device, Membership, RosterSync, TenantRecord, Unit
from tenants.roster import roster_sync_run
from tenants.services import roster_sync_start
from tenants.tasks import roster_sync_task
from tests import factories as f
from tests.plugins.workers import celery_worker, redis_url_for_tests, wait_for

from .helpers import link_by_password


def run_sync(link: BmxLink) -> RosterSync:
    sync = RosterSync.objects.create(link=link)
    return roster_sync_run(sync_id=sync.pk)


def admin_link(user=None, sync: bool = True) -> BmxLink:
    return link_by_password(user or f.UserFactory(), "admin@sandbox.test", BmxLink.Kind.BUILDING_ADMIN, sync)


def snapshot() -> list:
    """Every mirrored row, field by field, and every device's doors."""
    rows = []
    for model in (Building, Unit, AccessPoint, Device, TenantRecord, Membership):
        for obj in model.objects.order_by("pk"):
            rows.append((model.__name__, {k: v for k, v in vars(obj).items() if k != "_state"}))
    rows += [(d.pk, sorted(d.access_points.values_list("pk", flat=True))) for d in Device.objects.order_by("pk")]
    return rows


@pytest.mark.django_db
def test_the_sync_mirrors_buildings_units_doors_devices_and_tenants(sandbox):
    link = admin_link()

    sync = run_sync(link)

    assert sync.status == "done" and sync.progress == 100, sync.error
    crimson = Building.objects.get(bmx_id=11743)
    assert crimson.time_zone == "America/New_York" and crimson.admin_link == link
    assert crimson.capabilities["delivery_pass_enabled"] in (True, False)
    assert Building.objects.get(bmx_id=11744).time_zone == "America/Los_Angeles"
    assert not Building.objects.filter(bmx_id=11745).exists()  # administered by someone else
    assert crimson.units.count() == 11 and crimson.access_points.count() == 6 and crimson.devices.count() == 8
    front = Device.objects.get(bmx_id=58801)
    assert list(front.access_points.values_list("bmx_id", flat=True)) == [3901]
    rosa = TenantRecord.objects.get(bmx_id=129201)
    assert (rosa.first_name, rosa.unit.label, rosa.building) == ("Rosa", "4B", crimson)
    assert sync.counters["units_created"] == 17


@pytest.mark.django_db
def test_the_sync_twice_in_a_row_changes_nothing_the_second_time(sandbox):
    link = admin_link()
    run_sync(link)
    before = snapshot()

    second = run_sync(link)

    assert second.status == "done"
    assert second.counters == {}  # nothing created, updated or deactivated
    assert snapshot() == before


@pytest.mark.django_db
def test_what_disappears_at_butterflymx_is_marked_inactive_not_deleted(sandbox):
    link = admin_link()
    run_sync(link)
    token = sandbox.password_token("admin@sandbox.test")
    assert sandbox.api("DELETE", "/v4/tenants/129205", token).status_code == 204

    sync = run_sync(link)

    nina = TenantRecord.objects.get(bmx_id=129205)
    assert not nina.is_active
    assert sync.counters == {"tenants_deactivated": 1}


@pytest.mark.django_db
def test_the_sync_keeps_butterflymx_do_not_disturb_of_each_tenant(sandbox):
    """Set in the ButterflyMX app (here: the documented PUT's partial update of just that key), read by
    the roster: portal.notifications does not push visitor calls to a tenant in "do not disturb"."""
    link = admin_link()
    run_sync(link)
    assert not TenantRecord.objects.get(bmx_id=129201).do_not_disturb
    token = sandbox.password_token("admin@sandbox.test")
    body = {"tenant": {"notification_preference_attributes": {"do_not_disturb": True}}}
    assert sandbox.api("PUT", "/v4/tenants/129201", token, json=body).status_code == 200

    sync = run_sync(link)

    assert TenantRecord.objects.get(bmx_id=129201).do_not_disturb
    assert sync.counters == {"tenants_updated": 1}


@pytest.mark.django_db
def test_the_first_admin_to_connect_a_building_becomes_its_manager_but_not_of_a_managed_one(sandbox):
    pacific = f.BuildingFactory(bmx_id=11744, name="Pacific Lofts")
    f.MembershipFactory(building=pacific, role="manager")
    person = f.UserFactory()

    run_sync(admin_link(person))

    assert Membership.objects.get(user=person, building__bmx_id=11743).role == "manager"
    assert not Membership.objects.filter(user=person, building=pacific).exists()


@pytest.mark.django_db
def test_a_failed_sync_records_an_error_a_person_can_act_on(sandbox):
    link = admin_link()
    sandbox.fault("/v4/buildings", status=500)

    sync = RosterSync.objects.create(link=link)
    link_sync = roster_sync_run(sync_id=sync.pk)

    assert link_sync.status == "failed"
    assert "problem on its side" in link_sync.error


@pytest.mark.django_db
def test_a_sync_already_queued_is_not_queued_twice(sandbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        link = admin_link()  # connecting queues the first sync
        again = roster_sync_start(link=link)

    assert RosterSync.objects.get() == again and len(queued) == 1


@pytest.mark.django_db
def test_a_duplicate_delivery_of_the_task_does_nothing(sandbox):
    link = admin_link()
    sync = run_sync(link)

    again = roster_sync_run(sync_id=sync.pk)

    assert again.finished_at == sync.finished_at


@pytest.mark.django_db
def test_the_building_page_shows_progress_to_its_manager(sandbox, client):
    person = f.UserFactory()
    link = admin_link(person)
    run_sync(link)
    crimson = Building.objects.get(bmx_id=11743)
    client.force_login(person)

    page = client.get(f"/link/buildings/{crimson.pk}/")
    status = client.get(f"/link/buildings/{crimson.pk}/sync/status/")

    assert page.status_code == 200 and b"11</div>" in page.content
    assert b"Done" in status.content and b"hx-trigger" not in status.content  # finished: polling stops


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_a_manager_runs_the_sync_on_demand_and_a_real_worker_completes_it(sandbox, client, tmp_path):
    person = f.UserFactory()
    link = admin_link(person, sync=False)
    run_sync(link)
    crimson = Building.objects.get(bmx_id=11743)
    client.force_login(person)
    broker = redis_url_for_tests() if connection.vendor == "postgresql" else "filesystem://"
    with celery_worker(
        broker, tmp_path, extra_env={"BMX_API_BASE": sandbox.url, "BMX_ACCOUNTS_BASE": sandbox.url}
    ) as worker:
        sync = RosterSync.objects.create(link=link)
        worker.send(roster_sync_task, sync.pk)

        done = wait_for(
            lambda: RosterSync.objects.filter(pk=sync.pk, status="done").first(), timeout=60, message="sync"
        )

    assert done.progress == 100, worker.log()[-3000:]
    status = client.get(f"/link/buildings/{crimson.pk}/sync/status/")
    assert b"Done" in status.content
