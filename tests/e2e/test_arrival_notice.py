"""Alice's arrival notice on her open page, in Chromium at 390 and 1280 px, under the real CSP, with axe.

The server side: an access-log entry made with her pass ("Dog walker", told by push) is stored, and the
arrivals write one ``notice`` live event, to alice only (not bob, who shares the door). The page side:
that event's payload, dispatched as the ``live:notice`` DOM event the live stream (static/portal/live.js)
dispatches for it, shows as a toast with the pass's name, door and time, the snapshot through the
portal, and a link to the pass. A call's notice is left to the call panel. The stream's own delivery is
tested with it (tests/e2e of the live part).

Screenshots: var/screenshots/journey-arrival-notice-<step>-<phone|desktop>.png.
"""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from logs.models import ReleaseMethod
from portal.alerts.arrivals import arrivals_tell
from portal.live.models import LiveEvent
from tests.e2e.journeys import Journey
from tests.logs.factories import entry_for
from tests.passes.conftest import make_pass

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

DISPATCH = "payload => document.body.dispatchEvent(new CustomEvent('live:notice', {detail: payload}))"


def test_alices_arrival_notice_is_hers_alone_and_shows_on_her_open_page(world, chromium, live_server):
    walker = make_pass(world.alice.residencies.get(), name="Dog walker", bmx_keychain_id=7001, arrival_push=True)
    entry = entry_for(
        world.building_a,
        remote_id=5001,
        door=world.door_a,
        unit=world.unit_a1,
        logged_at=timezone.now(),
        release_method=ReleaseMethod.KEYCHAIN,
        entry_method_text="keychain",
        entry_method_ref=7001,
        release_type="Visitor",
        person_name="Dog walker visitor",
        snapshot_url="https://bmx-snapshots.s3.amazonaws.com/visitor.png",  # a host the CSP allows (a redirect)
    )
    assert arrivals_tell(building_id=world.building_a.pk, remote_ids=[entry.remote_id]) == 1
    events = list(LiveEvent.objects.filter(kind="notice"))
    assert [e.audience for e in events] == [f"user:{world.alice.pk}"]  # not bob, not the desk
    payload = events[0].payload

    j = Journey(chromium, "arrival-notice")
    j.sign_in_as(world.alice, live_server.url)
    page = j.page
    try:
        page.goto(f"{live_server.url}/passes/{walker.pk}/")
        page.evaluate(DISPATCH, {"category": "call", "title": "Visitor at Front door", "body": "", "tag": "call-1"})
        page.evaluate(DISPATCH, payload)
        toast = page.locator("[data-live-notices] .toast")
        toast.first.wait_for()
        assert toast.count() == 1  # the call's notice is the call panel's, not a toast
        assert toast.locator(".toast-header").inner_text().strip() == "Dog walker arrived"
        assert toast.locator(".toast-body").inner_text().startswith(f"{world.door_a.name}, ")
        assert toast.locator("a").get_attribute("href") == f"/passes/{walker.pk}/"
        assert toast.locator("img").get_attribute("src") == f"/logs/{entry.pk}/snapshot"
        j.step("toast")
        # the same notice again (a replay after a reconnect) replaces, never stacks
        page.evaluate(DISPATCH, json.loads(json.dumps(payload)))
        assert page.locator("[data-live-notices] .toast").count() == 1
        page.locator("[data-live-notices] .btn-close").click()
        assert page.locator("[data-live-notices] .toast").count() == 0
        j.assert_clean()
    finally:
        j.close()


def test_the_notification_settings_and_the_pass_switch_for_a_resident_and_a_manager(world, chromium, live_server):
    """Every notification setting is on one page: a resident's arrival default is the "Guest arrivals"
    row, a manager's alerts per building a section of it; the old /alerts/ address opens that page."""
    from portal.alerts.categories import WEBHOOKS
    from portal.alerts.models import AlertIncident

    walker = make_pass(world.alice.residencies.get(), name="Dog walker", bmx_keychain_id=7002)
    AlertIncident.objects.create(
        building=world.building_a,
        category=WEBHOOKS,
        subject="webhooks",
        title="Building A: webhooks gone quiet",
        detail="Webhooks have gone quiet: 3 new entries since the last webhook (12 min ago) came by polling only.",
        url="/logs/health/",
        last_seen_at=timezone.now(),
    )
    j = Journey(chromium, "notifications-resident")
    j.sign_in_as(world.alice, live_server.url)
    page = j.page
    try:
        page.goto(f"{live_server.url}/alerts/")
        assert page.url == f"{live_server.url}/profile/notifications/#building-alerts"
        assert page.locator("[data-manager-alerts], [data-alert-incidents]").count() == 0
        page.get_by_label("Guest arrivals by push", exact=True).uncheck()
        page.get_by_label("Guest arrivals by e-mail", exact=True).check()
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_selector("text=Your notification settings are saved.")
        j.step("settings")
        page.goto(f"{live_server.url}/passes/new/")
        choice = page.locator("[data-arrival-choice]")
        assert choice.get_by_label("By e-mail").is_checked()
        assert not choice.get_by_label("By push: on this browser and my other devices").is_checked()
        j.step("pass-form")
        page.goto(f"{live_server.url}/passes/{walker.pk}/")
        page.locator("[data-pass-arrivals]").get_by_label("By e-mail").check()
        page.locator("[data-pass-arrivals]").get_by_role("button", name="Save").click()
        page.wait_for_selector("text=You will be told by e-mail")
        j.step("pass-switch")
        j.assert_clean()
    finally:
        j.close()
    j = Journey(chromium, "notifications-manager")
    j.sign_in_as(world.manager, live_server.url)
    page = j.page
    try:
        page.goto(f"{live_server.url}/alerts/")
        assert page.url.endswith("/profile/notifications/#building-alerts")
        assert page.locator("[data-alert-incident]").count() == 1
        # the navigation has one way to these settings: the user menu's "Notifications"
        assert page.locator("nav a[href='/alerts/']").count() == 0
        released_here = page.get_by_label(f"Doors released by staff at {world.building_a.name}", exact=True)
        released_here.check()
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_selector("text=Your notification settings are saved.")
        assert released_here.is_checked()
        j.step("settings")
        j.assert_clean()
    finally:
        j.close()
