"""Linking a ButterflyMX account through the real OAuth flow of the sandbox, and every way it fails."""

from __future__ import annotations

import pytest
import requests
from django.core import mail

from tenants.models import BmxLink, Building, Residency, RosterSync
from tenants.roster import roster_sync_run
from tests import factories as f

from .helpers import callback_path, sandbox_sign_in, start_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(client):
    user = f.UserFactory(email="rosa@example.test")
    client.defaults["SERVER_NAME"] = "127.0.0.1"  # a loopback redirect URI, as registered at the sandbox
    client.force_login(user)
    return user


def assert_nothing_linked(user):
    assert not BmxLink.objects.filter(user=user).exists()
    assert not Residency.objects.filter(user=user).exists()


def test_a_resident_links_and_sees_their_building_and_unit(sandbox, client, person):
    location = sandbox_sign_in(start_link(client), "resident@sandbox.test")

    response = client.get(callback_path(location), follow=True)

    assert response.status_code == 200
    link = BmxLink.objects.get(user=person, kind="tenant")
    assert link.is_active and link.bmx_email == "resident@sandbox.test"
    residency = Residency.objects.get(user=person)
    assert (residency.bmx_tenant_id, residency.unit.label, residency.is_primary) == (129201, "4B", True)
    assert residency.unit.building.bmx_id == 11743
    assert residency.unit.building.time_zone == "America/New_York"
    assert sorted(residency.doors.values_list("bmx_id", flat=True)) == [3901, 3902, 3903, 3904, 3905, 3906]
    assert b"Crimson Tower" in response.content and b"4B" in response.content


def test_the_authorize_url_uses_pkce_s256_and_a_state(sandbox, client, person):
    url = start_link(client)

    assert "code_challenge_method=S256" in url and "code_challenge=" in url and "state=" in url
    assert client.session["bmx_oauth"]["state"] in url
    assert client.session["bmx_oauth"]["verifier"] not in url


def test_a_person_with_two_homes_picks_the_active_one(sandbox, client, person):
    client.get(callback_path(sandbox_sign_in(start_link(client), "two-homes@sandbox.test")))
    homes = {r.bmx_tenant_id: r for r in Residency.objects.filter(user=person)}
    assert set(homes) == {129202, 129203}
    assert [r.is_primary for r in homes.values()].count(True) == 1

    client.post("/profile/tenancy/", {"residency": homes[129203].pk})

    assert Residency.objects.get(pk=homes[129203].pk).is_primary
    assert not Residency.objects.get(pk=homes[129202].pk).is_primary


def test_a_person_cannot_choose_someone_elses_tenancy(sandbox, client, person):
    other = f.ResidencyFactory()

    response = client.post("/profile/tenancy/", {"residency": other.pk})

    assert response.status_code == 404


def test_refused_consent_links_nothing(sandbox, client, person):
    location = sandbox_sign_in(start_link(client), "resident@sandbox.test", commit="Deny")

    response = client.get(callback_path(location), follow=True)

    assert b"You did not allow the portal" in response.content
    assert_nothing_linked(person)


def test_a_wrong_state_links_nothing(sandbox, client, person):
    location = sandbox_sign_in(start_link(client), "resident@sandbox.test")
    forged = callback_path(location).replace("state=", "state=x")

    response = client.get(forged, follow=True)

    assert b"could not be matched" in response.content
    assert_nothing_linked(person)


def test_a_replayed_state_links_nothing_the_second_time(sandbox, client, person):
    path = callback_path(sandbox_sign_in(start_link(client), "resident@sandbox.test"))
    client.get(path)
    BmxLink.objects.filter(user=person).delete()
    Residency.objects.filter(user=person).delete()

    response = client.get(path, follow=True)

    assert b"could not be matched" in response.content
    assert_nothing_linked(person)


def test_an_expired_code_links_nothing(sandbox, client, person):
    path = callback_path(sandbox_sign_in(start_link(client), "resident@sandbox.test"))
    sandbox.advance(minutes=11)  # codes live 10 minutes

    response = client.get(path, follow=True)

    assert b"expired or was already used" in response.content
    assert_nothing_linked(person)


def test_butterflymx_down_during_the_exchange_links_nothing(sandbox, client, person):
    path = callback_path(sandbox_sign_in(start_link(client), "resident@sandbox.test"))
    sandbox.fault("/oauth/token", status=503)

    response = client.get(path, follow=True)

    assert b"could not be reached just now" in response.content
    assert_nothing_linked(person)


def test_butterflymx_down_after_the_exchange_links_nothing(sandbox, client, person):
    path = callback_path(sandbox_sign_in(start_link(client), "resident@sandbox.test"))
    sandbox.fault("/v4/tenants", outage=True)

    response = client.get(path, follow=True)

    assert b"could not be reached just now" in response.content
    assert_nothing_linked(person)


def test_unlinking_revokes_the_token_at_butterflymx_and_deletes_it_here(sandbox, client, person):
    client.get(callback_path(sandbox_sign_in(start_link(client), "resident@sandbox.test")))
    token = BmxLink.objects.get(user=person).access_token

    client.post("/link/butterflymx/unlink/", {"kind": "tenant"})

    assert not BmxLink.objects.filter(user=person).exists()
    assert not Residency.objects.filter(user=person, is_active=True).exists()
    assert sandbox.api("GET", "/v4/tenants", token).status_code == 401


def test_a_manager_connects_a_building_admin_account(sandbox, client, person, django_capture_on_commit_callbacks):
    location = sandbox_sign_in(start_link(client, "building_admin"), "admin@sandbox.test")

    with django_capture_on_commit_callbacks() as queued:
        response = client.get(callback_path(location), follow=True)

    assert response.status_code == 200
    assert BmxLink.objects.get(user=person).kind == "building_admin"
    assert len(queued) == 1  # the roster sync task, sent after commit
    roster_sync_run(sync_id=RosterSync.objects.get().pk)  # what the worker does (see test_roster.py)
    crimson = Building.objects.get(bmx_id=11743)
    assert crimson.admin_link.user == person
    assert crimson.units.count() == 11
    assert person.memberships.get(building=crimson).role == "manager"


def test_a_tenant_account_cannot_connect_a_building(sandbox, client, person):
    location = sandbox_sign_in(start_link(client, "building_admin"), "resident@sandbox.test")

    response = client.get(callback_path(location), follow=True)

    assert b"does not administer any building" in response.content
    assert not BmxLink.objects.filter(user=person).exists()


def test_no_mail_is_sent_by_a_successful_link(sandbox, client, person):
    client.get(callback_path(sandbox_sign_in(start_link(client), "resident@sandbox.test")))

    assert mail.outbox == []


def test_the_sandbox_login_page_is_what_the_portal_redirects_to(sandbox, client, person):
    page = requests.get(start_link(client), timeout=10)

    assert page.status_code == 200 and "Log in" in page.text
