"""Personal API tokens (django-rest-knox): hashed at rest, expiring, listed and revoked by their owner,
shown once, and dead once the password changes (through allauth, the admin or any other path)."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from portal.accounts.models import ApiToken
from portal.accounts.selectors import api_tokens_of
from portal.accounts.services import MAX_TOKENS_PER_USER, api_token_create
from portal.core.logging import redact
from tests import factories as f
from tests.factories import PASSWORD

PROBE = "/api/me/link/"  # any API answer that needs a signed-in caller


def token_client(token: str) -> Client:
    """A client with no session: only the token speaks for it."""
    return Client(headers={"Authorization": f"Token {token}"})


def issue(client, **data):
    return client.post("/api/me/tokens/", {"name": "script", **data}, content_type="application/json")


def raw_rows() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        return [" ".join(str(value) for value in row) for row in cursor.fetchall()]


def test_a_new_token_is_shown_once_uncached_and_the_database_keeps_only_its_digest(client_for, world):
    client = client_for(world.alice)

    response = issue(client, name="laptop", lifetime_days=7)

    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    token = response.json()["token"]
    assert token.startswith("bpt_") and len(token) == 4 + 64
    rows = raw_rows()
    assert len(rows) == 1
    assert token not in rows[0]
    assert token[15:] not in rows[0]  # not even the part after knox's lookup prefix
    assert ApiToken.objects.get().digest == hashlib.sha512(token.encode()).hexdigest()
    # and the listing never shows it again
    listed = client.get("/api/me/tokens/").json()
    assert [t["name"] for t in listed] == ["laptop"]
    assert token not in str(listed)


def test_a_token_acts_as_its_owner_and_records_when_it_was_last_used(world):
    _, token = api_token_create(user=world.alice, name="script")

    response = token_client(token).get(PROBE)

    assert response.status_code == 200
    assert ApiToken.objects.get().user == world.alice
    assert ApiToken.objects.get().last_used_at is not None


def test_a_token_expires(world):
    instance, token = api_token_create(user=world.alice, name="script", lifetime_days=7)
    assert timedelta(days=6, hours=23) < instance.expiry - timezone.now() <= timedelta(days=7)
    ApiToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - timedelta(seconds=1))

    response = token_client(token).get(PROBE)

    assert response.status_code == 403
    assert response.json()["code"] == "authentication_failed"
    assert api_tokens_of(world.alice) == []  # no longer listed


def test_a_wrong_or_malformed_token_is_refused_with_the_api_error_shape(world):
    _, token = api_token_create(user=world.alice, name="script")

    for bad in (token[:-1] + ("0" if token[-1] != "0" else "1"), "bpt_", "x" * 200):
        response = token_client(bad).get(PROBE)
        assert response.status_code == 403
        assert set(response.json()) == {"detail", "code", "errors"}


def test_the_owner_lists_and_revokes_one_token_and_then_all(client_for, world):
    first, first_token = api_token_create(user=world.alice, name="first")
    _, second_token = api_token_create(user=world.alice, name="second")
    client = client_for(world.alice)

    listed = client.get("/api/me/tokens/").json()
    assert {t["name"] for t in listed} == {"first", "second"}
    assert set(listed[0]) == {"id", "name", "prefix", "created", "expiry", "last_used_at"}

    assert client.delete(f"/api/me/tokens/{first.public_id}/").status_code == 204
    assert token_client(first_token).get(PROBE).status_code == 403
    assert token_client(second_token).get(PROBE).status_code == 200

    # a token may end every token of its owner, itself included
    assert token_client(second_token).delete("/api/me/tokens/").status_code == 204
    assert token_client(second_token).get(PROBE).status_code == 403
    assert not ApiToken.objects.exists()


def test_nobody_revokes_or_sees_another_persons_token(client_for, world):
    alices, alices_token = api_token_create(user=world.alice, name="alice's")
    client = client_for(world.bob)

    assert client.get("/api/me/tokens/").json() == []
    response = client.delete(f"/api/me/tokens/{alices.public_id}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert token_client(alices_token).get(PROBE).status_code == 200


def test_a_token_cannot_mint_tokens(world):
    _, token = api_token_create(user=world.alice, name="script")

    response = issue(token_client(token))

    assert response.status_code == 403
    assert response.json()["code"] == "session_required"
    assert ApiToken.objects.count() == 1


def test_a_token_needs_a_name_and_a_known_lifetime(client_for, world):
    client = client_for(world.alice)

    no_name = issue(client, name="  ")
    odd_lifetime = issue(client, lifetime_days=3650)

    assert no_name.status_code == 400 and "name" in no_name.json()["errors"]
    assert odd_lifetime.status_code == 400 and "lifetime_days" in odd_lifetime.json()["errors"]
    assert not ApiToken.objects.exists()


def test_one_person_holds_a_bounded_number_of_tokens(client_for, world):
    for n in range(MAX_TOKENS_PER_USER):
        api_token_create(user=world.alice, name=f"t{n}")

    response = issue(client_for(world.alice))

    assert response.status_code == 400
    assert response.json()["code"] == "token_refused"
    assert "Revoke one" in response.json()["detail"]


def test_changing_the_password_in_the_portal_ends_every_token(client, world):
    _, token = api_token_create(user=world.alice, name="script")
    assert client.post("/accounts/login/", {"login": "alice@example.test", "password": PASSWORD}).status_code == 302

    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase"},
    )

    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=world.alice).exists()
    assert token_client(token).get(PROBE).status_code == 403


def test_resetting_the_password_by_e_mail_ends_every_token(client, world, mailoutbox):
    _, token = api_token_create(user=world.alice, name="script")
    _, bobs_token = api_token_create(user=world.bob, name="bob's")
    client.post("/accounts/password/reset/", {"email": "alice@example.test"})
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+)", mailoutbox[-1].body).group(1)
    form_url = client.get(link).url  # allauth moves the key into the session and redirects

    response = client.post(form_url, {"password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase"})

    assert response.status_code == 302
    assert token_client(token).get(PROBE).status_code == 403
    assert not ApiToken.objects.filter(user=world.alice).exists()
    assert token_client(bobs_token).get(PROBE).status_code == 200  # only hers


@pytest.mark.parametrize("path", ["the admin's password form", "set_password (as manage.py changepassword)"])
def test_a_password_changed_outside_allauth_ends_the_tokens_too(client, world, path):
    _, token = api_token_create(user=world.alice, name="script")
    if path == "the admin's password form":
        client.force_login(f.UserFactory(email="root@example.test", is_staff=True, is_superuser=True))
        changed = client.post(
            f"/admin/accounts/user/{world.alice.pk}/password/",
            {"password1": "changed-by-an-operator", "password2": "changed-by-an-operator"},
        )
        assert changed.status_code == 302
    else:
        user = type(world.alice).objects.get(pk=world.alice.pk)
        user.set_password("changed-on-the-command-line")
        user.save()
    user = type(world.alice).objects.get(pk=world.alice.pk)

    response = token_client(token).get(PROBE)

    assert response.status_code == 403
    assert response.json()["code"] == "authentication_failed"
    assert api_tokens_of(user) == []  # no longer listed
    api_token_create(user=user, name="new")  # and pruned when the next one is made
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["new"]


def test_the_tokens_page_shows_a_new_token_once_and_revokes(client_for, world):
    client = client_for(world.alice)

    created = client.post("/profile/api-tokens/", {"name": "laptop", "lifetime_days": "30", "once": uuid.uuid4().hex})

    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    token = re.search(r'value="(bpt_[0-9a-f]{64})"', created.content.decode()).group(1)
    assert token_client(token).get(PROBE).status_code == 200
    page = client.get("/profile/api-tokens/").content.decode()
    assert "laptop" in page and token not in page
    instance = ApiToken.objects.get()

    revoked = client.post(f"/profile/api-tokens/{instance.public_id}/revoke/")

    assert revoked.status_code == 302
    assert token_client(token).get(PROBE).status_code == 403


def test_the_tokens_page_revokes_all_and_only_the_owners(client_for, world):
    _, alices = api_token_create(user=world.alice, name="a")
    _, bobs = api_token_create(user=world.bob, name="b")
    bobs_row = ApiToken.objects.get(user=world.bob)
    client = client_for(world.alice)

    assert client.post(f"/profile/api-tokens/{bobs_row.public_id}/revoke/").status_code == 404
    assert client.post("/profile/api-tokens/revoke-all/").status_code == 302

    assert token_client(alices).get(PROBE).status_code == 403
    assert token_client(bobs).get(PROBE).status_code == 200


def test_the_tokens_page_explains_a_refused_name(client_for, world):
    response = client_for(world.alice).post("/profile/api-tokens/", {"name": "", "lifetime_days": "30", "once": "f"})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_token_that_reaches_a_log_line_is_masked(world):
    _, token = api_token_create(user=world.alice, name="script")

    for line in (f"Authorization: Token {token}", f"headers={{'Authorization': 'Token {token}'}}", f"got {token}"):
        assert token[4:] not in redact(line)


def test_sending_the_tokens_form_twice_makes_one_token(client_for, world):
    client = client_for(world.alice)
    form = {"name": "laptop", "lifetime_days": "30", "once": uuid.uuid4().hex}

    first = client.post("/profile/api-tokens/", form)
    again = client.post("/profile/api-tokens/", form)  # a reload of the answer

    assert 'data-testid="new-token"' in first.content.decode()
    assert 'data-testid="new-token"' not in again.content.decode()
    assert "That form was already sent" in again.content.decode()
    assert ApiToken.objects.count() == 1
