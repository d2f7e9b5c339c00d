"""Accounts: e-mail login, rate-limited failures, and two-factor required of staff when configured."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model

from tests.factories import PASSWORD


def test_people_log_in_with_their_email_address(client, world):
    response = client.post("/accounts/login/", {"login": "alice@example.test", "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_the_user_model_has_no_username_and_lowercases_emails(db):
    user = get_user_model().objects.create_user(email="Eve@Example.TEST", password="x" * 12)

    assert user.email == "eve@example.test"
    assert not hasattr(user, "username") or user.username is None


def test_repeated_failed_logins_are_rate_limited(client, world, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "10/m/ip,3/5m/key"}
    attempts = [
        client.post("/accounts/login/", {"login": "alice@example.test", "password": "wrong"}).content.decode()
        for _ in range(4)
    ]
    # then: even the right password is refused until the window passes
    right = client.post("/accounts/login/", {"login": "alice@example.test", "password": PASSWORD})

    assert ["Too many failed login attempts" in page for page in attempts] == [False, False, False, True]
    assert right.status_code == 200
    assert "Too many failed login attempts" in right.content.decode()
    assert client.get("/").status_code == 302  # still signed out


def test_staff_without_two_factor_are_sent_to_set_it_up_when_required(client_for, world, settings):
    settings.PORTAL_REQUIRE_MFA_FOR_STAFF = True

    response = client_for(world.staff).get("/")

    assert response.status_code == 302
    assert response.url == "/accounts/2fa/totp/activate/"


def test_residents_are_not_forced_into_two_factor(client_for, world, settings):
    settings.PORTAL_REQUIRE_MFA_FOR_STAFF = True

    assert client_for(world.alice).get("/").status_code == 200


def test_staff_with_totp_set_up_pass_through(client_for, world, settings):
    settings.PORTAL_REQUIRE_MFA_FOR_STAFF = True
    Authenticator.objects.create(user=world.manager, type=Authenticator.Type.TOTP, data={"secret": "x"})

    assert client_for(world.manager).get("/").status_code == 200
