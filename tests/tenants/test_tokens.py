"""One function hands out working tokens: refreshed ahead of expiry, once across many callers,
rotated refresh token stored, a refused refresh never retried."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from portal.butterflymx import BmxError, oauth
from tenants.models import BmxLink
from tenants.services import LinkNeedsRelink, client_for_link, link_access_token, links_refresh_expiring
from tests import factories as f

from .helpers import link_by_password


def expire(link: BmxLink) -> None:
    BmxLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))


def token_count(sandbox) -> int:
    return sandbox.state()["counts"]["tokens"]


@pytest.mark.django_db
def test_a_fresh_token_is_returned_without_asking_butterflymx(sandbox):
    link = link_by_password(f.UserFactory(), "resident@sandbox.test")
    before = token_count(sandbox)

    assert link_access_token(link_id=link.pk) == link.access_token
    assert token_count(sandbox) == before


@pytest.mark.django_db
def test_a_token_about_to_expire_is_refreshed_and_both_new_tokens_are_stored(sandbox):
    link = link_by_password(f.UserFactory(), "resident@sandbox.test")
    old_access, old_refresh = link.access_token, link.refresh_token
    BmxLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() + timedelta(minutes=4))

    token = link_access_token(link_id=link.pk)

    link.refresh_from_db()
    assert token == link.access_token != old_access
    assert link.refresh_token != old_refresh
    assert link.expires_at > timezone.now() + timedelta(hours=23)
    assert sandbox.api("GET", "/v4/tenants", token, params={"scope": "self"}).status_code == 200
    with pytest.raises(BmxError):  # the old refresh token died with the rotation
        oauth.refresh(old_refresh)


@pytest.mark.django_db
def test_a_refused_refresh_marks_the_link_emails_its_owner_and_is_never_retried(sandbox, settings, client):
    user = f.UserFactory()
    link = link_by_password(user, "resident@sandbox.test")
    oauth.refresh(link.refresh_token)  # someone else used it: ButterflyMX now refuses it
    expire(link)

    with pytest.raises(LinkNeedsRelink):
        link_access_token(link_id=link.pk)

    link.refresh_from_db()
    assert link.status == BmxLink.Status.NEEDS_RELINK
    assert len(mail.outbox) == 1 and user.email in mail.outbox[0].to
    # A second caller does not try the dead refresh token again: ButterflyMX is not even reachable.
    settings.BMX_ACCOUNTS_BASE = "http://127.0.0.1:9"
    with pytest.raises(LinkNeedsRelink):
        link_access_token(link_id=link.pk)
    assert len(mail.outbox) == 1
    client.force_login(user)
    assert b"relink-banner" in client.get("/").content


@pytest.mark.django_db
def test_butterflymx_down_during_a_refresh_keeps_the_link_and_its_tokens(sandbox):
    link = link_by_password(f.UserFactory(), "resident@sandbox.test")
    expire(link)
    sandbox.fault("/oauth/token", outage=True)

    with pytest.raises(BmxError) as raised:
        link_access_token(link_id=link.pk)

    assert raised.value.transient
    stored = BmxLink.objects.get(pk=link.pk)
    assert stored.is_active and stored.refresh_token == link.refresh_token


@pytest.mark.django_db
def test_a_401_from_the_api_refreshes_once_and_the_call_succeeds(sandbox):
    link = link_by_password(f.UserFactory(), "resident@sandbox.test")
    sandbox.advance(hours=25)  # ButterflyMX's clock says the token is dead; ours does not know yet

    tenancies = client_for_link(link).my_tenancies()

    assert [t["id"] for t in tenancies] == [129201]
    assert BmxLink.objects.get(pk=link.pk).access_token != link.access_token


@pytest.mark.django_db
def test_it_works_inside_a_request_transaction(sandbox):
    link = link_by_password(f.UserFactory(), "resident@sandbox.test")
    expire(link)

    with transaction.atomic():  # what ATOMIC_REQUESTS wraps a view in
        token = link_access_token(link_id=link.pk)
        assert link_access_token(link_id=link.pk) == token

    assert BmxLink.objects.get(pk=link.pk).access_token == token


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_callers_with_an_expired_token_make_exactly_one_refresh(sandbox):
    link = link_by_password(f.UserFactory(), "resident@sandbox.test")
    expire(link)
    before = token_count(sandbox)
    start = threading.Barrier(20)
    results: list[str] = []
    errors: list[BaseException] = []

    def caller():
        try:
            start.wait()
            results.append(link_access_token(link_id=link.pk))
        except BaseException as exc:  # reported below, with the test's failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=caller) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert token_count(sandbox) == before + 1  # exactly one refresh reached ButterflyMX
    stored = BmxLink.objects.get(pk=link.pk)
    assert set(results) == {stored.access_token}
    answer = requests.get(
        f"{sandbox.url}/v4/tenants", params={"scope": "self"}, headers={"Authorization": f"Bearer {results[0]}"}
    )
    assert answer.status_code == 200
    assert oauth.refresh(stored.refresh_token).access_token  # the stored refresh token is the newest


@pytest.mark.django_db
def test_beat_refreshes_links_an_hour_ahead_of_expiry_and_leaves_fresh_ones(sandbox):
    soon = link_by_password(f.UserFactory(), "resident@sandbox.test")
    fresh = link_by_password(f.UserFactory(), "neighbor@sandbox.test")
    BmxLink.objects.filter(pk=soon.pk).update(expires_at=timezone.now() + timedelta(minutes=40))

    assert links_refresh_expiring() == 1

    assert BmxLink.objects.get(pk=soon.pk).access_token != soon.access_token
    assert BmxLink.objects.get(pk=fresh.pk).access_token == fresh.access_token


@pytest.mark.django_db
def test_the_relink_banner_follows_the_link_status_with_no_query_when_all_is_well(client, world):
    from django.test.utils import CaptureQueriesContext

    link = BmxLink.objects.create(
        user=world.alice, kind="tenant", access_token="a", refresh_token="r", expires_at=timezone.now()
    )
    client.force_login(world.alice)
    with CaptureQueriesContext(connection) as queries:
        assert b"relink-banner" not in client.get("/").content
    # the user is loaded with an EXISTS over the links; the links themselves are not read
    assert not [q for q in queries.captured_queries if q["sql"].startswith('SELECT "tenants_bmxlink"')]
    link.status = BmxLink.Status.NEEDS_RELINK
    link.save()
    assert b"relink-banner" in client.get("/").content
