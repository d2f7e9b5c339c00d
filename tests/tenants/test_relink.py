"""Re-linking revokes the previous grant at ButterflyMX; one ButterflyMX tenant, one portal account.

Observed at the sandbox: a revoked access token gets 401 from the API, a revoked refresh token is
refused by the token endpoint.
"""

from __future__ import annotations

import pytest
from django.db import connection

from portal.butterflymx import BmxError, oauth
from tenants.models import BmxLink, Residency, TokenRevocation
from tenants.services import TenantLinkedElsewhere, link_tenant_connect
from tenants.tasks import token_revocations_retry_task
from tests import factories as f

from .helpers import PASSWORD, callback_path, link_by_password, sandbox_sign_in, start_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(client):
    user = f.UserFactory(email="rosa@example.test")
    client.defaults["SERVER_NAME"] = "127.0.0.1"  # a loopback redirect URI, as registered at the sandbox
    client.force_login(user)
    return user


def link_through_the_browser(client, email="resident@sandbox.test"):
    return client.get(callback_path(sandbox_sign_in(start_link(client), email)), follow=True)


def works(sandbox, access_token: str) -> bool:
    return sandbox.api("GET", "/v4/tenants", access_token, params={"scope": "self"}).status_code == 200


def refresh_works(refresh_token: str) -> bool:
    try:
        oauth.refresh(refresh_token)
    except BmxError:
        return False
    return True


def test_relinking_revokes_the_previous_grant_and_keeps_the_new_one(sandbox, client, person):
    link_through_the_browser(client)
    old = BmxLink.objects.get(user=person)
    old_access, old_refresh = old.access_token, old.refresh_token

    response = link_through_the_browser(client)

    assert b"Your ButterflyMX account is linked" in response.content
    new = BmxLink.objects.get(user=person)
    assert new.access_token != old_access and works(sandbox, new.access_token)
    assert not works(sandbox, old_access)
    assert not refresh_works(old_refresh)
    assert not TokenRevocation.objects.exists()
    assert works(sandbox, BmxLink.objects.get(user=person).access_token)  # the old grant's end left it alone


def test_relinking_a_building_admin_account_revokes_the_previous_grant(sandbox, person):
    old = link_by_password(person, "admin@sandbox.test", kind=BmxLink.Kind.BUILDING_ADMIN, sync=False)

    new = link_by_password(person, "admin@sandbox.test", kind=BmxLink.Kind.BUILDING_ADMIN, sync=False)

    assert works(sandbox, new.access_token) and not works(sandbox, old.access_token)
    assert not refresh_works(old.refresh_token)


def test_a_failed_revocation_keeps_the_new_link_and_is_retried_by_beat(sandbox, client, person):
    link_through_the_browser(client)
    old = BmxLink.objects.get(user=person)
    sandbox.fault("/oauth/revoke", "POST", status=503)

    response = link_through_the_browser(client)

    # the new link is in place and works; the old grant is recorded for revocation, still live
    assert b"Your ButterflyMX account is linked" in response.content
    new = BmxLink.objects.get(user=person)
    assert works(sandbox, new.access_token)
    pending = list(TokenRevocation.objects.order_by("pk"))
    assert [(r.reason, r.attempts) for r in pending] == [("relinked", 1), ("relinked", 1)]
    assert all(r.last_error for r in pending)
    assert works(sandbox, old.access_token)
    with connection.cursor() as cursor:  # kept encrypted, like the link's own tokens
        cursor.execute(f"SELECT token FROM {TokenRevocation._meta.db_table}")
        raw = " ".join(row[0] for row in cursor.fetchall())
    assert old.access_token not in raw and old.refresh_token not in raw
    # when ButterflyMX answers again, beat's retry revokes it
    sandbox.clear_faults()
    assert token_revocations_retry_task.apply().get() == 2
    assert not TokenRevocation.objects.exists()
    assert not works(sandbox, old.access_token) and not refresh_works(old.refresh_token)
    assert works(sandbox, new.access_token)


def test_a_second_portal_account_cannot_link_the_same_butterflymx_tenant(sandbox, client, person):
    first = f.UserFactory(email="first@example.test")
    first_link = link_by_password(first, "resident@sandbox.test")

    response = link_through_the_browser(client)  # the signed-in person signs in as the same tenant

    assert b"already linked to another portal account" in response.content
    assert b"Nothing was linked" in response.content
    assert not BmxLink.objects.filter(user=person).exists()
    assert not Residency.objects.filter(user=person).exists()
    # the first account's link is untouched and still works
    assert BmxLink.objects.get(user=first).access_token == first_link.access_token
    assert works(sandbox, first_link.access_token)
    assert Residency.objects.get(user=first).link_id == first_link.pk


def test_the_refused_link_s_new_tokens_are_revoked(sandbox, person):
    first = f.UserFactory(email="first@example.test")
    link_by_password(first, "resident@sandbox.test")
    issued = oauth.password_grant("resident@sandbox.test", PASSWORD)

    with pytest.raises(TenantLinkedElsewhere):
        link_tenant_connect(user=person, tokens=issued)

    assert not works(sandbox, issued.access_token)
    assert not refresh_works(issued.refresh_token)
    assert not TokenRevocation.objects.exists()


def test_after_the_first_account_unlinks_the_second_may_link(sandbox, client, person):
    first = f.UserFactory(email="first@example.test")
    first_link = link_by_password(first, "resident@sandbox.test")
    client.force_login(first)
    client.post("/link/butterflymx/unlink/", {"kind": "tenant"})
    assert not BmxLink.objects.filter(pk=first_link.pk).exists()
    client.force_login(person)

    response = link_through_the_browser(client)

    assert b"Your ButterflyMX account is linked" in response.content
    assert Residency.objects.get(user=person, is_active=True).bmx_tenant_id == 129201
