"""Managers manage the people of their buildings: invitations (new and existing users), role changes,
removal with the last-manager rule, the residents list; 404 outside scope; CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from tenants.models import Invitation, Membership, TenantRecord
from tests import factories as f

pytestmark = pytest.mark.django_db


def people_url(building) -> str:
    return f"/link/buildings/{building.pk}/people/"


def test_inviting_a_new_person_mails_a_one_time_link_that_gives_the_role_on_accepting(world, client_for):
    invite = {"email": "new@example.test", "role": "staff"}
    answer = client_for(world.manager).post(people_url(world.building_a), invite)

    assert answer.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@example.test"]
    link = re.search(r"http://testserver(/invitations/[^/\s]+/)", mail.outbox[0].body).group(1)
    assert Invitation.objects.get().token_hash not in mail.outbox[0].body  # only the hash is stored
    # Anyone holding the link sees the invitation; anonymous people are offered sign-up.
    page = client_for(None).get(link)
    assert page.status_code == 200 and "Create an account" in page.content.decode()
    # Someone else signed in cannot take it.
    client_for(world.bob).post(link)
    assert not Membership.objects.filter(user=world.bob).exists()
    newcomer = f.UserFactory(email="New@example.test")
    assert client_for(newcomer).post(link).status_code == 302
    assert Membership.objects.get(user=newcomer).role == "staff"
    assert client_for(newcomer).get(link).status_code == 404  # used: the link works once


def test_an_invitation_link_expires_after_fourteen_days(world, client_for):
    client_for(world.manager).post(people_url(world.building_a), {"email": "late@example.test", "role": "staff"})
    link = re.search(r"http://testserver(/invitations/[^/\s]+/)", mail.outbox[0].body).group(1)
    Invitation.objects.update(created_at=timezone.now() - timedelta(days=14, minutes=1))
    late = f.UserFactory(email="late@example.test")

    assert client_for(late).get(link).status_code == 404
    assert client_for(late).post(link).status_code == 404
    assert not Membership.objects.filter(user=late).exists()
    assert "late@example.test" not in client_for(world.manager).get(people_url(world.building_a)).content.decode()


def test_inviting_an_existing_user_gives_the_role_at_once_with_a_notice(world, client_for):
    client_for(world.manager).post(people_url(world.building_a), {"email": "charlie@example.test", "role": "manager"})

    assert Membership.objects.get(user=world.charlie, building=world.building_a).role == "manager"
    assert mail.outbox[0].to == ["charlie@example.test"] and "manager" in mail.outbox[0].subject.lower()
    assert not Invitation.objects.exists()


def test_bad_invitations_show_field_errors_and_change_nothing(world, client_for):
    bad = client_for(world.manager).post(people_url(world.building_a), {"email": "not-an-address", "role": "owner"})
    existing = {"email": "staff@example.test", "role": "staff"}
    again = client_for(world.manager).post(people_url(world.building_a), existing)

    assert bad.status_code == 400 and "Enter a valid email address" in bad.content.decode()
    assert again.status_code == 400 and "already works at Building A" in again.content.decode()
    assert not mail.outbox and not Invitation.objects.exists()


def test_a_manager_changes_roles_and_removes_people_but_never_the_last_manager(world, client_for):
    manager = client_for(world.manager)
    staff_m = Membership.objects.get(user=world.staff)
    own = Membership.objects.get(user=world.manager)

    manager.post(f"{people_url(world.building_a)}{own.pk}/role/", {"role": "staff"})
    refused = manager.post(f"{people_url(world.building_a)}{own.pk}/remove/", follow=True)
    assert Membership.objects.get(pk=own.pk).role == "manager"
    assert "last manager of Building A" in refused.content.decode()

    manager.post(f"{people_url(world.building_a)}{staff_m.pk}/role/", {"role": "manager"})
    assert Membership.objects.get(pk=staff_m.pk).role == "manager"
    manager.post(f"{people_url(world.building_a)}{own.pk}/role/", {"role": "staff"})  # not the last one now
    assert Membership.objects.get(pk=own.pk).role == "staff"
    client_for(world.staff).post(f"{people_url(world.building_a)}{own.pk}/remove/")
    assert not Membership.objects.filter(pk=own.pk).exists()
    assert world.manager.__class__.objects.filter(pk=world.manager.pk).exists()  # the person stays


def test_outside_their_building_managers_and_everyone_else_get_404(world, client_for):
    b_staff = f.UserFactory(email="b-staff@example.test")
    other = f.MembershipFactory(user=b_staff, building=world.building_b, role="staff")
    staff_m = Membership.objects.get(user=world.staff)

    # Building B's membership through building A's URL, and building B's page: not the manager's.
    assert client_for(world.manager).post(f"{people_url(world.building_a)}{other.pk}/remove/").status_code == 404
    assert client_for(world.manager).get(people_url(world.building_b)).status_code == 404
    for person in (world.staff, world.alice):
        assert client_for(person).post(f"{people_url(world.building_a)}{staff_m.pk}/remove/").status_code == 404
    assert Membership.objects.filter(pk__in=[other.pk, staff_m.pk]).count() == 2


def test_changes_need_the_csrf_token(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.manager)
    staff_m = Membership.objects.get(user=world.staff)

    assert browser.post(f"{people_url(world.building_a)}{staff_m.pk}/remove/").status_code == 403
    assert browser.post(people_url(world.building_a), {"email": "x@example.test", "role": "staff"}).status_code == 403
    assert Membership.objects.filter(pk=staff_m.pk).exists() and not mail.outbox


def test_managers_see_the_buildings_tenants_and_who_has_a_portal_account(world, client_for):
    alice_res = world.alice.residencies.get()
    alice_res.bmx_tenant_id = 9001
    alice_res.save()
    for unit, bmx_id, first, last in (
        (world.unit_a1, 9001, "Alice", "Adams"),
        (world.unit_a2, 9002, "Dana", "Doe"),
        (world.unit_b1, 9003, "Eve", "Elsewhere"),
    ):
        TenantRecord.objects.create(building=unit.building, unit=unit, bmx_id=bmx_id, first_name=first, last_name=last)

    html = client_for(world.manager).get(people_url(world.building_a)).content.decode()

    rows = re.findall(r"<tr><td>(.*?)</td><td[^>]*>(.*?)</td><td>.*?>(Yes|No)<", html)
    assert rows == [("101", "Alice Adams", "Yes"), ("102", "Dana Doe", "No")]
    assert "Eve" not in html
    # A tenant with a portal account gets a "New pass" link to the pass form, their tenancy chosen.
    assert html.count(">New pass</a>") == 2 and f"/passes/new/?residency={alice_res.pk}" in html
    dana = TenantRecord.objects.get(bmx_id=9002)
    assert f"/passes/new/tenant/{dana.pk}/" in html  # no account: the roster-tenant form


def test_two_factor_rules_hold_for_the_people_page_and_for_a_newly_invited_person(world, client_for, settings):
    settings.PORTAL_REQUIRE_MFA_FOR_STAFF = True
    to_totp = "/accounts/2fa/totp/activate/"
    people_page = client_for(world.manager).get(people_url(world.building_a))
    assert (people_page.status_code, people_page.url) == (302, to_totp)

    from tenants.people import person_invite

    person_invite(
        building=world.building_a,
        email="newcomer@example.test",
        role="staff",
        invited_by=world.manager,
        accept_url=lambda token: f"/invitations/{token}/",
    )
    link = re.search(r"/invitations/[^/\s]+/", mail.outbox[-1].body).group(0)
    newcomer = f.UserFactory(email="newcomer@example.test")
    browser = client_for(newcomer)
    assert browser.get(link).status_code == 200  # not staff yet: no two-factor needed to read it
    accepted = browser.post(link, follow=True)
    # Staff from now on: the next page is two-factor set-up, before anything else.
    # (allauth then asks a force-logged-in test user for their password before enrolling)
    assert [url for url, _ in accepted.redirect_chain][:2] == ["/", to_totp]
    assert Membership.objects.get(user=newcomer).role == "staff"
