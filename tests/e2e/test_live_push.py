"""Push to the open page, in Chromium: Rosa's "My doors" changes when the front desk releases her door
elsewhere, with the page's polling turned off (only a pushed event can refresh it); then the stream goes
away and the page says so, quietly.

The portal runs under uvicorn here (tests/plugins/asgi_server.py): pytest-django's live_server is WSGI,
which serves no stream.
"""

from __future__ import annotations

import pytest

from portal.dashboard.services import door_release
from tenants.models import TenantRecord
from tests.dashboard.conftest import FRONT_DOOR, ROSA_TENANT, crimson  # noqa: F401 - the fixture
from tests.plugins.asgi_server import uvicorn_server
from tests.plugins.nginx import stop
from tests.plugins.sandbox import worker_env

from .journeys import Journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def test_rosas_doors_update_by_push_when_the_desk_releases_her_door(crimson, sandbox, chromium, tmp_path):  # noqa: F811
    env = worker_env(sandbox, LIVE_FALLBACK_POLL_S="0")  # no polling at all: only a push refreshes the page
    with uvicorn_server(tmp_path, extra_env=env) as server:
        journey = Journey(chromium, "live-rosa")
        journey.sign_in_as(crimson.rosa, server.url)
        page = journey.page
        refreshes: list[str] = []
        page.on("request", lambda r: refreshes.append(r.url) if r.url.endswith("/doors/state/") else None)
        page.goto(f"{server.url}/doors/")
        page.locator("body[data-live-state=open]").wait_for(state="attached")  # the stream is open
        card = page.get_by_role("article", name="Front door")
        assert card.locator(".door-state-note").count() == 0  # no release of hers yet
        journey.step("my-doors-live")

        # when: the front desk releases the front door for Rosa, somewhere else (a real release, sandbox)
        rosa = TenantRecord.objects.get(building=crimson.building, bmx_id=ROSA_TENANT)
        release = door_release(user=crimson.staff, door_id=crimson.doors[FRONT_DOOR].pk, for_tenant_id=rosa.pk)
        assert release.status == "succeeded"

        # then: her page shows it, refreshed once, by the pushed event
        card.locator(".door-state-note").filter(has_text="Last release by").wait_for()
        journey.step("my-doors-pushed")
        assert len(refreshes) == 1

        # and when the stream goes away, the page says so (and keeps what it shows)
        stop(server.process)
        page.get_by_text("Live updates paused, reconnecting").wait_for()
        assert page.locator("body").get_attribute("data-live-state") == "down"
        journey.step("my-doors-paused")
        journey.assert_clean()  # under the real CSP: the EventSource is allowed (connect-src 'self')
        journey.close()
