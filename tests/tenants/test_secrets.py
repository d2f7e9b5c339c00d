"""Tokens and PINs never sit in the database in plain text and never reach a log line."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from tenants.models import BmxLink
from tests import factories as f

from .helpers import callback_path, link_by_password, sandbox_sign_in, start_link

pytestmark = pytest.mark.django_db


def every_raw_value() -> str:
    """Every column of every table, as the database stores it."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # table names
            chunks += [repr(row) for row in cursor.fetchall()]
    return "\n".join(chunks)


def test_the_database_and_the_logs_hold_no_token_or_pin_in_plain_text(sandbox, client, caplog):
    caplog.set_level(logging.DEBUG)
    user = f.UserFactory()
    client.defaults["SERVER_NAME"] = "127.0.0.1"
    client.force_login(user)
    authorize = start_link(client)
    verifier = client.session["bmx_oauth"]["verifier"]
    code_and_state = callback_path(sandbox_sign_in(authorize, "resident@sandbox.test"))
    client.get(code_and_state)
    client.get("/profile/pin/?reveal=1")
    client.post("/profile/pin/", {"code": "502718"})
    client.post("/api/me/pin/", {"code": "123456"}, content_type="application/json")
    link = BmxLink.objects.get(user=user)
    secrets = {
        "access token": link.access_token,
        "refresh token": link.refresh_token,
        "old pin": "483920",
        "new pin": "502718",
        "refused pin": "123456",
        "code verifier": verifier,
    }

    stored = every_raw_value()
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text

    assert [name for name, value in secrets.items() if value and value in stored] == []
    assert [name for name, value in secrets.items() if value and value in logged] == []
    assert caplog.records, "the flow logged nothing at all: the check above would prove nothing"


def test_rotating_the_encryption_keys_re_encrypts_every_token(sandbox, settings):
    link = link_by_password(f.UserFactory(), "resident@sandbox.test")
    old_key = settings.TOKEN_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    raw_before = every_raw_value()
    settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]

    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115

    settings.TOKEN_ENCRYPTION_KEYS = [new_key]  # the old key is gone: everything must still read
    stored = BmxLink.objects.get(pk=link.pk)
    assert (stored.access_token, stored.refresh_token) == (link.access_token, link.refresh_token)
    assert every_raw_value() != raw_before
