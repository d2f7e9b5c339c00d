"""Reconciliation in Chromium: a pass deleted in the ButterflyMX app shows revoked in the portal.

The test plays the ButterflyMX app with a plain ``DELETE /v4/keychains/{id}`` and Rosa's own token
against the sandbox, runs one reconcile (the beat task, called directly), and looks at Rosa's pass list
and the visitor's guest page on a 390 px wide phone screen.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from passes import services
from passes.tasks import passes_reconcile_task
from tests import factories as f
from tests.bmx_fixtures import make_bmx_world
from tests.passes.helpers import pass_input, window_for_kind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NY = ZoneInfo("America/New_York")
PHONE = {"width": 390, "height": 844}


def test_a_pass_deleted_in_the_butterflymx_app_shows_revoked_and_its_guest_page_hides_the_pin(
    live_server, sandbox, chromium, screenshot
):
    bmx = make_bmx_world()
    passes_reconcile_task(bmx.crimson.pk)  # the seed's own passes, as the first beat run imports them
    created = services.pass_create(
        actor=bmx.rosa,
        residency=bmx.rosa_residency,
        data=pass_input("custom", tz=NY, name="Window cleaner", **window_for_kind("custom", NY)),
    )
    key = created.keys.get()
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)

    # given: Rosa signs in on her phone and sees the pass active
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("rosa@example.test")
    page.locator("#id_password").fill(f.PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/passes/?state=active")
    assert page.get_by_role("link", name="Window cleaner").is_visible()
    # (and the passes she made in the ButterflyMX app, marked so)
    app_made = page.get_by_role("row").filter(has_text="Weekend guests")
    assert "created in the ButterflyMX app" in app_made.inner_text()
    screenshot("reconcile-active-list-390", target=page)
    guest = context.browser.new_context(viewport=PHONE).new_page()
    guest.goto(f"{live_server.url}/p/{key.share_token}/")
    assert key.pin in guest.locator("main").inner_text()

    # when: she deletes it in the ButterflyMX app, and the reconcile runs once
    token = sandbox.password_token("resident@sandbox.test")
    assert sandbox.api("DELETE", f"/v4/keychains/{created.bmx_keychain_id}", token=token).status_code == 204
    passes_reconcile_task(bmx.crimson.pk)

    # then: her list shows it revoked, "removed in the ButterflyMX app"
    page.goto(f"{live_server.url}/passes/?state=revoked")
    row = page.get_by_role("row").filter(has_text="Window cleaner")
    assert row.is_visible()
    text = row.inner_text()
    assert "Revoked" in text and "removed in the ButterflyMX app" in text
    # it is no longer among the active ones
    page.goto(f"{live_server.url}/passes/?state=active")
    assert page.get_by_role("link", name="Window cleaner").count() == 0
    page.goto(f"{live_server.url}/passes/?state=revoked")
    screenshot("reconcile-pass-list-390", target=page)

    # and the visitor's guest page shows no PIN and no QR code
    guest.reload()
    guest_text = guest.locator("main").inner_text()
    assert "This pass has been revoked" in guest_text
    assert key.pin not in guest_text
    assert guest.get_by_role("img", name="QR code of the pass").count() == 0
    screenshot("reconcile-guest-page-390", target=guest)
    guest.context.close()
    context.close()
