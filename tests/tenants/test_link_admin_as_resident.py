"""A building-admin account signed in through the resident "Link" button (issue 16).

ButterflyMX lists no tenancy for such an account; linking it as the person's resident account used
to deactivate their home silently. Now nothing is stored, the page says what the account is and
where to connect it, and the home and the existing resident link stay as they were.
"""

from __future__ import annotations

import html

import pytest

from tenants.models import BmxLink, Residency, TokenRevocation
from tenants.services import token_revocations_attempt
from tests import factories as f

from .helpers import callback_path, sandbox_sign_in, start_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(client):
    user = f.UserFactory(email="rosa@example.test")
    client.defaults["SERVER_NAME"] = "127.0.0.1"  # a loopback redirect URI, as registered at the sandbox
    client.force_login(user)
    return user


def works(sandbox, access_token: str) -> bool:
    return sandbox.api("GET", "/v4/tenants", access_token, params={"scope": "self"}).status_code == 200


def link_through_the_browser(client, email):
    return client.get(callback_path(sandbox_sign_in(start_link(client, "tenant"), email)), follow=True)


def test_a_building_admin_account_through_the_resident_button_keeps_the_home(sandbox, client, person):
    link_through_the_browser(client, "resident@sandbox.test")
    resident_link = BmxLink.objects.get(user=person)
    home = Residency.objects.get(user=person, is_active=True)

    response = link_through_the_browser(client, "admin@sandbox.test")

    text = html.unescape(response.content.decode())
    assert response.redirect_chain[-1][0] == "/profile/"
    assert "is a building-admin account (Crimson" in text and "Pacific" in text
    assert '"Connect a building" on the Buildings page' in text
    assert f"your home ({home.unit.building.name}, unit 4B) and your current link are unchanged" in text
    assert "Your ButterflyMX account is linked" not in text
    # nothing stored: the resident link and the home are the same rows, still active
    assert list(BmxLink.objects.filter(user=person)) == [resident_link]
    assert BmxLink.objects.get(user=person).access_token == resident_link.access_token
    assert list(Residency.objects.filter(user=person, is_active=True)) == [home]
    assert Residency.objects.get(pk=home.pk).is_primary
    assert works(sandbox, resident_link.access_token)


def test_the_refused_admin_grant_is_revoked_at_butterflymx(sandbox, client, person):
    sandbox.fault("/oauth/revoke", "POST", status=503)  # keep the tokens on record to look at them

    response = link_through_the_browser(client, "admin@sandbox.test")

    assert b"Nothing was linked." in response.content and b"your home (" not in response.content
    assert not BmxLink.objects.filter(user=person).exists()
    assert not Residency.objects.filter(user=person).exists()
    refused = list(TokenRevocation.objects.filter(reason="refused"))
    assert len(refused) == 2
    access = next(r.token for r in refused if works(sandbox, r.token))  # still live while revoke fails
    sandbox.clear_faults()
    token_revocations_attempt()
    assert not TokenRevocation.objects.exists()
    assert not works(sandbox, access)
