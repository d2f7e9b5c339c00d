"""Issue 19, "residents' own entries where the manager never connected" (logs/tenant_streams.py), in
Chromium at 390 and 1280 px, under the real CSP, with axe, against the sandbox and a real Celery worker.

Crimson Tower is known to the portal only through alice's own tenant link (Rosa, 4B): no building-admin
link, so no building sync. Linking registers her own integrations at ButterflyMX and walks her streams
with her token; the sandbox's panel lets the neighbour (Nina, 4C) in, then Rosa; Rosa's entry arrives
through her webhook and the walk it nudges. Alice's logs page shows her entry and never the neighbour's;
unlinking on her profile removes her integrations at ButterflyMX. ButterflyMX's state is read through
the sandbox after each step.

Screenshots: var/screenshots/journey-own-history19-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import pytest

from logs.models import AccessLogEntry, SyncCursor, TenantWebhook, WebhookDelivery
from logs.tasks import tenant_linked_task
from tenants.models import BmxLink
from tests.e2e.journeys import DESKTOP, PHONE, Journey, assert_fits
from tests.e2e.test_pins_and_limits import sign_in
from tests.logs.test_tenant_streams import (
    NINA,
    ROSA,
    UNIT_4B,
    alice_links,
    remote_swipe,
    tenant_delivered_ids,
    tenant_integrations,
)
from tests.plugins.sandbox import worker_env
from tests.plugins.workers import app_sends_to, broker_url, celery_worker, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
]


def shown_rows(page) -> list[str]:
    """The logs table's rows as read on the page (each row's text)."""
    rows = page.locator("#log-rows table tbody tr")
    rows.first.wait_for()
    return rows.all_inner_texts()


def test_a_resident_sees_her_own_entries_where_the_manager_never_connected(
    live_server, sandbox, chromium, tmp_path, settings
):
    settings.LOGS_WEBHOOK_BASE_URL = live_server.url
    alice, link, building = alice_links()
    neighbour_name = "Nina Neighbor"  # the sandbox's tenant 129205 (neighbor@sandbox.test), unit 4C

    # Given her streams run on a real worker: linking registers her integrations and backfills her streams
    env = worker_env(sandbox, LOGS_BACKFILL_DAYS="3", LOGS_WEBHOOK_BASE_URL=live_server.url)
    with celery_worker(broker_url(), tmp_path, extra_env=env) as worker, app_sends_to(worker):
        tenant_linked_task.delay(link.pk)
        wait_for(
            lambda: SyncCursor.objects.filter(link=link, backfill_finished_at__isnull=False).count() == 2,
            timeout=90,
            message="alice's two streams to walk and backfill",
        )
        # ButterflyMX holds her own integrations (call, access_log), under her tenant id, none for Nina
        mine_at_bmx = tenant_integrations(sandbox, ROSA)
        bound = sorted(b["resource_type"] for i in mine_at_bmx for b in i["attributes"]["bindings"])
        assert bound == ["access_log", "call"]
        assert all(f"/webhooks/bmx/tenant/{TenantWebhook.objects.get().pk}/" in i["attributes"]["configuration"]["url"]
                   for i in mine_at_bmx)  # fmt: skip
        assert tenant_integrations(sandbox, NINA) == []

        # When the sandbox's panel lets the neighbour in, then Rosa (alice)
        neighbours = remote_swipe(sandbox, NINA)
        mine = remote_swipe(sandbox, ROSA)
        wait_for(
            lambda: AccessLogEntry.objects.filter(building=building, remote_id=mine).exists(),
            timeout=60,
            message="alice's entry to arrive through her webhook and walk",
        )

    # Then ButterflyMX delivered Rosa's event to her own integration (the portal accepted it) ...
    assert mine in tenant_delivered_ids(sandbox)
    assert WebhookDelivery.objects.filter(building=building, outcome="accepted").exists()
    # ... and only her unit's rows were stored; the neighbour's entry never was
    assert not AccessLogEntry.objects.filter(building=building, remote_id=neighbours).exists()
    assert set(AccessLogEntry.objects.filter(building=building).values_list("unit__bmx_id", flat=True)) == {UNIT_4B}
    entry = AccessLogEntry.objects.get(building=building, remote_id=mine)

    j = Journey(chromium, "own-history19")
    try:
        page = j.page
        sign_in(page, live_server, alice.email)

        # Alice's logs page on a phone: her entry, on her unit, and nobody else's
        page.set_viewport_size(PHONE)
        page.goto(f"{live_server.url}/logs/")
        page.get_by_role("heading", name="Logs", level=1).wait_for()
        her_row = page.locator(f'#log-rows a[href="/logs/{entry.pk}/"]').first
        assert her_row.is_visible()
        rows = shown_rows(page)
        assert rows and all("4B" in r for r in rows)
        assert not any(neighbour_name in r or "4C" in r for r in rows)
        assert neighbour_name not in page.locator("main").inner_text()
        j.step("01-logs")

        # and at desktop width, the same
        page.set_viewport_size(DESKTOP)
        assert her_row.is_visible()
        assert shown_rows(page) == rows
        assert_fits(page)

        # Her entry's page
        page.set_viewport_size(DESKTOP)
        her_row.click()
        page.wait_for_url(f"{live_server.url}/logs/{entry.pk}/")
        assert neighbour_name not in page.locator("main").inner_text()
        j.step("02-entry")
        assert_fits(page)

        # When she unlinks on her profile (the confirm dialog is accepted)
        page.goto(f"{live_server.url}/profile/")
        j.step("03-profile-linked")
        page.set_viewport_size(DESKTOP)
        page.get_by_role("button", name="Unlink", exact=True).click()
        page.get_by_text("Unlinked. The portal no longer holds access to that ButterflyMX account.").wait_for()
        j.step("04-unlinked")

        # Then ButterflyMX holds no integration of hers, and the portal no hook, cursor or link
        assert tenant_integrations(sandbox, ROSA) == []
        assert not TenantWebhook.objects.exists()
        assert not SyncCursor.objects.filter(link__isnull=False).exists()
        assert not BmxLink.objects.filter(user=alice).exists()
        j.assert_clean()
    finally:
        j.close()
