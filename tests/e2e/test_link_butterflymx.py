"""In Chromium: a resident links their ButterflyMX account on the sandbox's login page and comes back
linked; refusing, replaying the callback and ButterflyMX being down each say so and link nothing."""

from __future__ import annotations

import re

import pytest

from tenants.models import BmxLink, Residency
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_to_portal(page, live_server, email="rosa@example.test"):
    f.UserFactory(email=email, first_name="Rosa", password="correct-horse-battery")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/")


def click_link_and_sign_in_at_butterflymx(page, live_server, sandbox, commit="Log in"):
    page.goto(f"{live_server.url}/profile/")
    page.get_by_role("button", name="Link ButterflyMX account").click()
    page.wait_for_url(re.compile(re.escape(sandbox.url) + "/oauth/authorize"))
    page.get_by_label("Email").fill("resident@sandbox.test")
    page.get_by_label("Password").fill("sandbox-pass")
    page.get_by_role("button", name=commit).click()


def test_a_resident_links_butterflymx_in_the_browser(live_server, sandbox, page, screenshot):
    sign_in_to_portal(page, live_server)

    click_link_and_sign_in_at_butterflymx(page, live_server, sandbox)

    page.wait_for_url(f"{live_server.url}/profile/")
    assert page.get_by_text("Your ButterflyMX account is linked.").is_visible()
    assert page.get_by_label("Crimson Tower · unit 4B").is_checked()
    page.get_by_role("button", name="Show").wait_for()
    screenshot("link-profile-linked")
    page.get_by_role("button", name="Show").click()
    page.get_by_test_id("pin-value").filter(has_text="483920").wait_for()
    assert Residency.objects.get(user__email="rosa@example.test").bmx_tenant_id == 129201


def test_refusing_at_butterflymx_links_nothing(live_server, sandbox, page):
    sign_in_to_portal(page, live_server)

    click_link_and_sign_in_at_butterflymx(page, live_server, sandbox, commit="Deny")

    page.wait_for_url(f"{live_server.url}/profile/")
    assert page.get_by_text("You did not allow the portal").is_visible()
    assert not BmxLink.objects.exists()


def test_replaying_the_callback_links_nothing_more(live_server, sandbox, page, screenshot):
    sign_in_to_portal(page, live_server)
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if "/link/butterflymx/callback/" in r.url else None)
    click_link_and_sign_in_at_butterflymx(page, live_server, sandbox)
    page.wait_for_url(f"{live_server.url}/profile/")
    BmxLink.objects.all().delete()
    Residency.objects.all().delete()

    page.goto(callbacks[0])  # the same code and state again

    assert page.get_by_text("could not be matched").is_visible()
    assert not BmxLink.objects.exists() and not Residency.objects.exists()
    screenshot("link-replayed-state")


def test_butterflymx_down_links_nothing(live_server, sandbox, page, screenshot):
    sign_in_to_portal(page, live_server)
    sandbox.fault("/oauth/token", outage=True)

    click_link_and_sign_in_at_butterflymx(page, live_server, sandbox)

    page.wait_for_url(f"{live_server.url}/profile/")
    assert page.get_by_text("could not be reached just now").is_visible()
    assert not BmxLink.objects.exists()
    screenshot("link-butterflymx-down")


def test_a_manager_sees_the_connected_buildings_and_the_sync_result(live_server, sandbox, page, screenshot):
    from tenants.models import Building, RosterSync
    from tenants.roster import roster_sync_run
    from tests.tenants.helpers import link_by_password

    sign_in_to_portal(page, live_server, email="morgan@example.test")
    link = link_by_password(
        f.UserFactory._meta.model.objects.get(email="morgan@example.test"),
        "admin@sandbox.test",
        "building_admin",
        False,
    )
    roster_sync_run(sync_id=RosterSync.objects.create(link=link).pk)

    page.goto(f"{live_server.url}/link/buildings/")
    page.get_by_role("link", name=re.compile("Crimson Tower")).click()

    page.get_by_test_id("sync-status").filter(has_text="Done").wait_for()
    assert page.get_by_role("heading", name="Crimson Tower").is_visible()
    assert Building.objects.get(bmx_id=11743).admin_link == link
    screenshot("link-building-roster")
