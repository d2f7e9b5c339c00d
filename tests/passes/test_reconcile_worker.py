"""Beat's reconcile entry runs through a real worker: one task per building, and the pass is revoked."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from passes import services
from passes.models import Pass
from passes.tasks import passes_reconcile_all_task
from tests.bmx_fixtures import make_bmx_world
from tests.passes.helpers import pass_input, window_for_kind
from tests.plugins.sandbox import worker_env
from tests.plugins.workers import broker_url, celery_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
NY = ZoneInfo("America/New_York")


def test_the_beat_task_fans_out_per_building_and_a_worker_revokes_the_removed_pass(sandbox, tmp_path):
    bmx = make_bmx_world()
    created = services.pass_create(
        actor=bmx.rosa,
        residency=bmx.rosa_residency,
        data=pass_input("custom", tz=NY, name="Painter", **window_for_kind("custom", NY)),
    )
    token = sandbox.password_token("resident@sandbox.test")
    assert sandbox.api("DELETE", f"/v4/keychains/{created.bmx_keychain_id}", token=token).status_code == 204

    with celery_worker(broker_url(), tmp_path, extra_env=worker_env(sandbox)) as worker:
        worker.send(passes_reconcile_all_task)
        wait_for(
            lambda: Pass.objects.get(pk=created.pk).status == Pass.Status.REVOKED,
            message="the worker to reconcile Crimson Tower",
        )

    created.refresh_from_db()
    assert created.revoked_reason == Pass.RevokedReason.REMOVED_IN_APP
    # The seed's app-made passes came in with the same run
    assert Pass.objects.filter(origin=Pass.Origin.BMX_APP, building=bmx.crimson).count() == 4
