"""Use counts come from ButterflyMX through a real worker; the page never waits for ButterflyMX."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from passes import services
from passes.tasks import pass_usage_refresh_task
from tests.bmx_fixtures import make_bmx_world
from tests.passes.helpers import pass_input, window_for_kind
from tests.plugins.workers import celery_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
NY = ZoneInfo("America/New_York")


def test_a_worker_refreshes_use_counts_and_the_list_shows_them(sandbox, tmp_path, client):
    bmx = make_bmx_world()
    data = pass_input("custom", tz=NY, name="Tutor", **window_for_kind("custom", NY))
    created = services.pass_create(actor=bmx.rosa, residency=bmx.rosa_residency, data=data)
    pin = created.keys.get().pin
    for _ in range(3):
        assert sandbox.use_key(access_point_id=3901, pin=pin)["granted"]
    env = {"BMX_API_BASE": sandbox.url, "BMX_ACCOUNTS_BASE": sandbox.url}

    with celery_worker("filesystem://", tmp_path, extra_env=env) as worker:
        worker.send(pass_usage_refresh_task, [created.pk])
        wait_for(lambda: type(created).objects.get(pk=created.pk).use_count == 3, message="the worker to refresh")

    client.force_login(bmx.rosa)
    rows = client.get("/passes/?partial=1").context["passes"]
    assert [(p.name, p.use_count) for p, _ in rows] == [("Tutor", 3)]
