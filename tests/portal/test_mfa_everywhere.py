"""Two-factor that cannot be walked around: operators are held to it like staff, the admin's login is
the portal's own (rate limits, two-factor), and the secrets it rests on are encrypted at rest under the
rotatable TOKEN_ENCRYPTION_KEYS. TOTP codes here are computed from the secret by RFC 6238 itself, not
by allauth's code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import io
import struct
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from portal.accounts.mfa import PortalMFAAdapter
from portal.core import crypto
from tests import factories as f
from tests.factories import PASSWORD


def totp(secret: str, step: int = 0) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), ``step`` periods from now.

    The current code is computed with at least 10 s of its period left (waiting for the next period
    otherwise): the portal accepts only the current period, and a code typed into a busy browser as its
    period turns over would be refused for a reason the test is not about."""
    if step == 0 and 30 - time.time() % 30 < 10:
        time.sleep(30 - time.time() % 30 + 0.1)
    counter = int(time.time()) // 30 + step
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def raw_data(authenticator) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT data FROM {Authenticator._meta.db_table} WHERE id = %s", [authenticator.pk])
        return str(cursor.fetchone()[0])


def sign_in(client, email, next_url=""):
    suffix = f"?next={next_url}" if next_url else ""
    return client.post(f"/accounts/login/{suffix}", {"login": email, "password": PASSWORD})


def enrol_totp(client) -> str:
    """Set TOTP up through allauth's own page, as a person would; returns the secret it showed."""
    page = client.get("/accounts/2fa/totp/activate/")
    if page.status_code == 302 and page.url.startswith("/accounts/reauthenticate/"):
        client.post(page.url, {"password": PASSWORD})  # allauth asks for the password again first
        page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200, page
    secret = page.context["form"].secret
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp(secret)})
    assert done.status_code == 302, done.content.decode()[:500]
    return secret


@pytest.fixture
def operator(db):
    return f.UserFactory(email="root@example.test", is_staff=True, is_superuser=True)


@pytest.fixture
def mfa_required(settings):
    settings.PORTAL_REQUIRE_MFA_FOR_STAFF = True
    # one step of clock drift, so that the sign-in after enrolment uses a fresh code (a code is accepted once)
    settings.MFA_TOTP_TOLERANCE = 1


# --- operators and the admin -----------------------------------------------------------------------


def test_a_superuser_without_totp_is_sent_to_set_it_up_before_the_admin(client, operator, mfa_required):
    client.force_login(operator)

    for path in ("/admin/", "/admin/login/", "/admin/accounts/user/", "/"):
        response = client.get(path)
        assert (path, response.status_code, response.url) == (path, 302, "/accounts/2fa/totp/activate/")


def test_a_pages_scripts_get_a_refusal_not_the_set_up_page_while_two_factor_is_missing(client, operator, mfa_required):
    """The pages' scripts (the live stream, the ringing calls, htmx) must not follow the redirect: every load
    of the set-up page starts a new authenticator secret, and the code typed from the open tab would fail."""
    sign_in(client, operator.email)
    page = client.get("/accounts/2fa/totp/activate/")
    if page.status_code == 302:  # allauth asks for the password again first
        client.post(page.url, {"password": PASSWORD})
        page = client.get("/accounts/2fa/totp/activate/")
    secret = page.context["form"].secret

    for path, headers in (
        ("/live/events/", {"HTTP_SEC_FETCH_MODE": "cors"}),
        ("/calls/ringing/", {"HTTP_SEC_FETCH_MODE": "cors"}),
        ("/doors/", {"HTTP_HX_REQUEST": "true"}),
    ):
        assert client.get(path, **headers).status_code == 403, path
    assert client.get("/doors/", HTTP_SEC_FETCH_MODE="navigate").url == "/accounts/2fa/totp/activate/"

    # and the code from the secret the person is looking at still turns two-factor on
    assert client.post("/accounts/2fa/totp/activate/", {"code": totp(secret)}).status_code == 302
    assert Authenticator.objects.filter(user=operator, type=Authenticator.Type.TOTP).exists()


def test_a_superuser_with_totp_reaches_the_admin(client, operator, mfa_required):
    Authenticator.objects.create(user=operator, type=Authenticator.Type.TOTP, data={"secret": "unused"})
    client.force_login(operator)

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/login/?next=/admin/accounts/user/").url == "/admin/accounts/user/"


def test_the_admin_login_forwards_to_the_portal_login_and_keeps_next(client, db):
    response = client.get("/admin/login/?next=/admin/accounts/user/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/admin/accounts/user/"


def test_the_admin_login_never_forwards_to_another_site(client, db):
    assert client.get("/admin/login/?next=https://evil.example/").url == "/accounts/login/?next=/admin/"


def test_the_admin_sends_anonymous_people_through_its_login_to_the_portal_login(client, db):
    first = client.get("/admin/")
    second = client.get(first.url)

    assert first.url == "/admin/login/?next=/admin/"
    assert second.url == "/accounts/login/?next=/admin/"


def test_the_admin_login_takes_no_password(client, operator):
    response = client.post("/admin/login/", {"username": "root@example.test", "password": PASSWORD})

    assert response.status_code == 405
    assert client.get("/admin/").status_code == 302  # still nobody


def test_an_operator_signs_in_to_the_admin_through_the_portal_login_and_two_factor(client, operator, mfa_required):
    """The whole way, end to end: enrol TOTP, sign out, come back to /admin/, password, code, admin."""
    sign_in(client, operator.email)
    secret = enrol_totp(client)
    client.post("/accounts/logout/")

    login_url = client.get(client.get("/admin/").url).url
    password_step = client.post(login_url, {"login": operator.email, "password": PASSWORD})
    assert password_step.url.startswith("/accounts/2fa/authenticate/")
    assert client.get("/admin/").status_code == 302  # a password alone is not enough
    code_step = client.post(password_step.url, {"code": totp(secret, step=1)})

    assert code_step.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_does_not_open_the_admin(client, operator, mfa_required):
    sign_in(client, operator.email)
    secret = enrol_totp(client)
    client.post("/accounts/logout/")

    password_step = sign_in(client, operator.email, next_url="/admin/")
    wrong = "000000" if totp(secret) != "000000" else "111111"
    client.post(password_step.url, {"code": wrong})

    assert client.get("/admin/").status_code == 302


def test_failed_logins_on_the_way_to_the_admin_are_rate_limited(client, operator, settings):
    # the per-account limit is under test: counters of earlier tests (kept in Redis) must not count
    cache.clear()
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "100/m/ip,3/5m/key"}
    login_url = client.get("/admin/login/?next=/admin/").url
    pages = [client.post(login_url, {"login": operator.email, "password": "wrong"}).content.decode() for _ in range(4)]

    right = client.post(login_url, {"login": operator.email, "password": PASSWORD})

    assert ["Too many failed login attempts" in page for page in pages] == [False, False, False, True]
    assert "Too many failed login attempts" in right.content.decode()
    assert client.get("/admin/").status_code == 302


def test_an_admin_operator_without_superuser_is_held_to_two_factor_too(client, mfa_required, db):
    clerk = f.UserFactory(email="clerk@example.test", is_staff=True)
    client.force_login(clerk)

    assert client.get("/admin/").url == "/accounts/2fa/totp/activate/"


# --- secrets at rest -------------------------------------------------------------------------------


def test_totp_secret_and_recovery_seed_are_stored_encrypted_and_sign_in_still_works(client, world, mfa_required):
    sign_in(client, world.staff.email)
    secret = enrol_totp(client)

    totp_row = Authenticator.objects.get(user=world.staff, type=Authenticator.Type.TOTP)
    codes_row = Authenticator.objects.get(user=world.staff, type=Authenticator.Type.RECOVERY_CODES)
    assert secret not in raw_data(totp_row)
    assert totp_row.data["secret"].startswith("gAAAA")
    assert crypto.decrypt(totp_row.data["secret"]) == secret
    seed = crypto.decrypt(codes_row.data["seed"])
    assert seed not in raw_data(codes_row)

    # signing in with a code computed from the secret still works
    client.post("/accounts/logout/")
    password_step = sign_in(client, world.staff.email)
    assert password_step.url.startswith("/accounts/2fa/authenticate/")
    assert client.post(password_step.url, {"code": totp(secret, step=1)}).status_code == 302
    assert client.get("/").status_code == 200

    # and a recovery code (derived from the decrypted seed) signs in as well
    client.post("/accounts/logout/")
    recovery_code = RecoveryCodes(codes_row).get_unused_codes()[0]
    password_step = sign_in(client, world.staff.email)
    assert client.post(password_step.url, {"code": recovery_code}).status_code == 302
    assert client.get("/").status_code == 200


def test_decrypting_refuses_a_value_that_is_not_ciphertext():
    with pytest.raises(ImproperlyConfigured):
        PortalMFAAdapter().decrypt("JBSWY3DPEHPK3PXP")


def test_the_migration_encrypts_secrets_stored_in_the_clear_and_is_idempotent(world):
    migration = importlib.import_module("portal.accounts.migrations.0003_encrypt_mfa_secrets")
    secret, seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "ab" * 40
    totp_row = Authenticator.objects.create(user=world.staff, type="totp", data={"secret": secret})
    codes_row = Authenticator.objects.create(
        user=world.staff, type="recovery_codes", data={"seed": seed, "used_mask": 2, "migrated_codes": ["12345678"]}
    )

    migration.encrypt_secrets(apps, None)
    once = (raw_data(totp_row), raw_data(codes_row))
    migration.encrypt_secrets(apps, None)

    assert (raw_data(totp_row), raw_data(codes_row)) == once  # already encrypted: left alone
    for plain in (secret, seed, "12345678"):
        assert plain not in once[0] + once[1]
    totp_row.refresh_from_db()
    codes_row.refresh_from_db()
    assert crypto.decrypt(totp_row.data["secret"]) == secret
    assert crypto.decrypt(codes_row.data["seed"]) == seed
    assert codes_row.data["used_mask"] == 2
    assert RecoveryCodes(codes_row).get_unused_codes() == ["12345678"]
    # backwards, the clear values come back
    migration.decrypt_secrets(apps, None)
    totp_row.refresh_from_db()
    assert totp_row.data == {"secret": secret}


def test_rotating_the_keys_re_encrypts_two_factor_secrets(world, settings):
    old_key = settings.TOKEN_ENCRYPTION_KEYS[0]
    secret, seed = "JBSWY3DPEHPK3PXP", "cd" * 40
    totp_row = Authenticator.objects.create(user=world.staff, type="totp", data={"secret": crypto.encrypt(secret)})
    codes_row = Authenticator.objects.create(
        user=world.staff, type="recovery_codes", data={"seed": crypto.encrypt(seed), "used_mask": 0}
    )
    new_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]

    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)

    assert "mfa.Authenticator: 2 row(s) re-encrypted" in out.getvalue()

    settings.TOKEN_ENCRYPTION_KEYS = [new_key]  # the old key removed: everything must still read
    totp_row.refresh_from_db()
    codes_row.refresh_from_db()
    assert PortalMFAAdapter().decrypt(totp_row.data["secret"]) == secret
    assert PortalMFAAdapter().decrypt(codes_row.data["seed"]) == seed
    settings.TOKEN_ENCRYPTION_KEYS = [old_key]
    with pytest.raises(ImproperlyConfigured):
        PortalMFAAdapter().decrypt(totp_row.data["secret"])
