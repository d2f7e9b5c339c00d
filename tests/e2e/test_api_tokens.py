"""In Chromium, as a new manager would: two-factor first, then an API token made, used, and revoked."""

from __future__ import annotations

import re

import pytest
import requests

from portal.accounts.services import api_token_create
from tests.factories import PASSWORD
from tests.portal.test_mfa_everywhere import totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def test_a_manager_sets_up_two_factor_then_makes_uses_and_revokes_an_api_token(
    page, live_server, world, settings, screenshot
):
    settings.PORTAL_REQUIRE_MFA_FOR_STAFF = True
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm's window.confirm

    # given: a manager signs in and is sent to set up two-factor (after giving the password again)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(world.manager.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"{live_server.url}/profile/api-tokens/")
    page.wait_for_url(re.compile(r"/accounts/(reauthenticate|2fa/totp/activate)/"))
    if "/reauthenticate/" in page.url:
        page.locator("#id_password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(totp(secret))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url(lambda url: "/accounts/2fa/" in url and "/totp/activate/" not in url)  # enrolled

    # when: they open "API tokens" from their menu and create one
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name=re.compile("Morgan")).click()
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("front-desk script")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_test_id("new-token-value").input_value()
    screenshot("api-token-created")

    # then: the token works in the API, as them, and is listed without being shown again
    api = f"{live_server.url}/api/doors/"
    assert requests.get(api, headers={"Authorization": f"Token {token}"}, timeout=10).status_code == 200
    page.reload()  # sends the same form again: no second token, and the token is not shown again
    assert token not in page.content()
    page.get_by_text("That form was already sent").wait_for()
    assert page.get_by_test_id("token-table").get_by_role("cell", name="front-desk script", exact=True).count() == 1

    # and once revoked, it is refused
    page.get_by_role("button", name="Revoke front-desk script").click()
    page.get_by_text("The token is revoked").wait_for()
    refused = requests.get(api, headers={"Authorization": f"Token {token}"}, timeout=10)
    assert refused.status_code == 403
    assert refused.json()["code"] == "authentication_failed"


def test_a_staff_token_made_before_two_factor_was_required_is_refused_with_a_clear_message(
    live_server, world, settings
):
    _, token = api_token_create(user=world.staff, name="old script")
    settings.PORTAL_REQUIRE_MFA_FOR_STAFF = True

    response = requests.get(f"{live_server.url}/api/doors/", headers={"Authorization": f"Token {token}"}, timeout=10)

    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"
    assert "Set it up in the portal" in response.json()["detail"]
