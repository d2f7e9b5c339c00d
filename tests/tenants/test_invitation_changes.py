"""Managers resend and cancel pending invitations (issue 16): a resend mails a new link and ends the old
one; a cancel ends the link at once; both keep the row (who, when) and write an audit line; building
scope (404 outside it), CSRF, and only open invitations can be acted on."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from tenants.models import Invitation, Membership
from tests import factories as f

pytestmark = pytest.mark.django_db


def people_url(building) -> str:
    return f"/link/buildings/{building.pk}/people/"


def invitation_url(invitation, action: str, building=None) -> str:
    building = building or invitation.building
    return f"/link/buildings/{building.pk}/invitations/{invitation.pk}/{action}/"


def _invite(world, client_for, email="dana@example.test") -> tuple[Invitation, str]:
    client_for(world.manager).post(people_url(world.building_a), {"email": email, "role": "staff"})
    link = re.search(r"http://testserver(/invitations/[^/\s]+/)", mail.outbox[-1].body).group(1)
    return Invitation.objects.get(email=email, cancelled_at__isnull=True), link


def test_resending_mails_a_new_link_and_the_old_link_stops_working(world, client_for, caplog):
    invitation, old_link = _invite(world, client_for)
    co_manager = f.UserFactory(email="co@example.test")
    f.MembershipFactory(user=co_manager, building=world.building_a, role="manager")

    with caplog.at_level(logging.INFO, logger="tenants.people"):
        answer = client_for(co_manager).post(invitation_url(invitation, "resend"), follow=True)

    assert answer.status_code == 200 and "Invitation sent again to dana@example.test" in answer.content.decode()
    assert len(mail.outbox) == 2 and mail.outbox[-1].to == ["dana@example.test"]
    new_link = re.search(r"http://testserver(/invitations/[^/\s]+/)", mail.outbox[-1].body).group(1)
    assert new_link != old_link
    old = Invitation.objects.get(pk=invitation.pk)
    new = Invitation.objects.get(cancelled_at__isnull=True)
    assert old.cancelled_by == co_manager and old.replaced_by == new and new.invited_by == co_manager
    assert f"people invitation_resent by user={co_manager.pk} building={world.building_a.pk}" in caplog.text
    # The page lists the invitation once, with its new date.
    html = client_for(world.manager).get(people_url(world.building_a)).content.decode()
    assert html.count("Resend the invitation of dana@example.test") == 1

    dana = f.UserFactory(email="dana@example.test")
    assert client_for(dana).get(old_link).status_code == 404
    assert client_for(dana).post(old_link).status_code == 404
    assert client_for(dana).post(new_link).status_code == 302
    assert Membership.objects.get(user=dana, building=world.building_a).role == "staff"


def test_a_resend_gives_the_invitation_a_fresh_fourteen_days(world, client_for):
    invitation, _ = _invite(world, client_for)
    Invitation.objects.update(created_at=timezone.now() - timedelta(days=13))
    client_for(world.manager).post(invitation_url(invitation, "resend"))
    link = re.search(r"http://testserver(/invitations/[^/\s]+/)", mail.outbox[-1].body).group(1)
    Invitation.objects.filter(cancelled_at__isnull=True).update(created_at=timezone.now() - timedelta(days=10))

    assert client_for(f.UserFactory(email="dana@example.test")).post(link).status_code == 302


def test_cancelling_ends_the_link_at_once_and_keeps_who_cancelled_it(world, client_for, caplog):
    invitation, link = _invite(world, client_for)

    with caplog.at_level(logging.INFO, logger="tenants.people"):
        answer = client_for(world.manager).post(invitation_url(invitation, "cancel"), follow=True)

    html = answer.content.decode()
    assert "Invitation of dana@example.test cancelled" in html
    assert "Resend the invitation of dana@example.test" not in html  # no longer listed
    invitation.refresh_from_db()
    assert invitation.cancelled_by == world.manager and invitation.cancelled_at is not None
    assert f"people invitation_cancelled by user={world.manager.pk}" in caplog.text
    dana = f.UserFactory(email="dana@example.test")
    assert client_for(dana).post(link).status_code == 404
    assert not Membership.objects.filter(user=dana).exists()
    # Acting on it again: it is no longer open, so there is nothing to act on.
    assert client_for(world.manager).post(invitation_url(invitation, "cancel")).status_code == 404
    assert client_for(world.manager).post(invitation_url(invitation, "resend")).status_code == 404
    assert len(mail.outbox) == 1


def test_accepted_and_expired_invitations_cannot_be_resent_or_cancelled(world, client_for):
    accepted, link = _invite(world, client_for, "acc@example.test")
    client_for(f.UserFactory(email="acc@example.test")).post(link)
    expired, _ = _invite(world, client_for, "old@example.test")
    Invitation.objects.filter(pk=expired.pk).update(created_at=timezone.now() - timedelta(days=15))

    for invitation in (accepted, expired):
        for action in ("resend", "cancel"):
            assert client_for(world.manager).post(invitation_url(invitation, action)).status_code == 404
    assert Invitation.objects.filter(cancelled_at__isnull=False).count() == 0


def test_outside_their_building_and_for_staff_and_residents_it_is_404(world, client_for):
    invitation, link = _invite(world, client_for)
    b_manager = f.UserFactory(email="b-manager@example.test")
    f.MembershipFactory(user=b_manager, building=world.building_b, role="manager")

    for person in (b_manager, world.staff, world.alice):
        for action in ("resend", "cancel"):
            assert client_for(person).post(invitation_url(invitation, action)).status_code == 404
    # Building A's invitation through building B's URL, by building B's manager: not theirs either.
    assert client_for(b_manager).post(invitation_url(invitation, "cancel", world.building_b)).status_code == 404
    assert client_for(world.manager).post(invitation_url(invitation, "cancel", world.building_b)).status_code == 404
    assert client_for(None).post(invitation_url(invitation, "cancel")).status_code == 302  # to the login page
    assert client_for(world.manager).get(invitation_url(invitation, "cancel")).status_code == 405
    invitation.refresh_from_db()
    assert invitation.cancelled_at is None and len(mail.outbox) == 1


def test_resend_and_cancel_need_the_csrf_token(world, client_for):
    invitation, _ = _invite(world, client_for)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.manager)

    assert browser.post(invitation_url(invitation, "resend")).status_code == 403
    assert browser.post(invitation_url(invitation, "cancel")).status_code == 403
    invitation.refresh_from_db()
    assert invitation.cancelled_at is None and len(mail.outbox) == 1


def test_role_changes_and_removals_are_audited_too(world, client_for, caplog):
    staff_m = Membership.objects.get(user=world.staff)
    with caplog.at_level(logging.INFO, logger="tenants.people"):
        client_for(world.manager).post(f"{people_url(world.building_a)}{staff_m.pk}/role/", {"role": "manager"})
        client_for(world.manager).post(f"{people_url(world.building_a)}{staff_m.pk}/remove/")

    assert f"people role_changed by user={world.manager.pk} building={world.building_a.pk} " in caplog.text
    assert "role=staff->manager" in caplog.text
    assert f"people removed by user={world.manager.pk} building={world.building_a.pk} " in caplog.text
