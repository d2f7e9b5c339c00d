"""Managers manage the people of their buildings: invite staff and managers, change roles, remove.

Every change that could leave a building without a manager locks the building's manager memberships
first (``select_for_update``), so two managers demoting each other at once cannot both succeed.
Removing someone deletes only their :class:`Membership`: passes, releases and audit rows they made
keep pointing at the person, so history stays. A cancelled or re-sent invitation keeps its row (who
cancelled it, when, which invitation replaced it). Every change is also written to the ``tenants.people``
log by :func:`_audit` (who did what to whom, at which building), the one place these lines are made.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from portal.core.language import for_recipient

from .models import INVITATION_DAYS, Building, Invitation, Membership, Residency, Role, TenantRecord

LAST_MANAGER = gettext_lazy("You are the last manager of %(building)s: make someone else a manager first.")

# A staff role as a noun inside a sentence ("You are now manager at ..."): lower case in English, and
# each language's own form (a name-like value, like the building's name next to it).
ROLE_IN_SENTENCE = {
    Role.STAFF.value: pgettext_lazy("a role, inside a sentence", "front-desk staff"),
    Role.MANAGER.value: pgettext_lazy("a role, inside a sentence", "manager"),
}


def role_in_sentence(role: str) -> str:
    return str(ROLE_IN_SENTENCE.get(role, role))


logger = logging.getLogger(__name__)


class PeopleError(Exception):
    """A change a manager asked for that the rules refuse; the message is for people."""


def _audit(action: str, *, actor, building: Building, subject: str, **detail) -> None:
    """One line per change to who works at a building: the action, who made it, at which building, to
    whom. Ids, not names, identify the actor and building (e-mail addresses of the subject are what the
    manager typed and what the e-mail went to)."""
    extra = "".join(f" {key}={value}" for key, value in detail.items())
    logger.info(
        "people %s by user=%s building=%s subject=%s%s",
        action,
        getattr(actor, "pk", None),
        building.pk,
        subject,
        extra,
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _find_user(email: str):
    return get_user_model().objects.filter(email__iexact=email, is_active=True).first()


def person_invite(*, building: Building, email: str, role: str, invited_by, accept_url, language: str = "") -> str:
    """Invite ``email`` as ``role``. An existing portal user gets the role at once and a notice;
    anyone else gets an e-mail with a one-time link (``accept_url(token)``). Returns what happened.
    ``language``: the manager's choice for the e-mail (a person who chose their own language gets theirs)."""
    email = email.strip()
    user = _find_user(email)
    if user is not None:
        with transaction.atomic():
            membership = Membership.objects.select_for_update().filter(user=user, building=building).first()
            if membership is not None:
                raise PeopleError(
                    _("%(email)s already works at %(building)s (%(role)s).")
                    % {"email": email, "building": building.name, "role": membership.get_role_display()}
                )
            Membership.objects.create(user=user, building=building, role=role)
        _audit("added", actor=invited_by, building=building, subject=email, role=role)
        # Their own language if they chose one, else the one the manager picked for them.
        with for_recipient(user, language=user.language or language):
            values = {"role": role_in_sentence(role), "building": building.name}
            send_mail(
                _("You are now %(role)s at %(building)s") % values,
                _(
                    "%(who)s gave you the role %(role)s at %(building)s in the building portal.\n"
                    "Sign in to see it. Staff and managers need two-factor authentication."
                )
                % {**values, "who": invited_by.get_full_name() or invited_by.email},
                None,
                [user.email],
            )
        return "added"
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        building=building, email=email, role=role, token_hash=_token_hash(token), invited_by=invited_by
    )
    _audit("invited", actor=invited_by, building=building, subject=email, role=role, invitation=invitation.pk)
    _send_invitation(invitation, token, accept_url, language)
    return "invited"


def _send_invitation(invitation: Invitation, token: str, accept_url, language: str | None) -> None:
    """The invitation e-mail, in ``language`` (the manager's choice for someone the portal does not know
    yet), else in the inviter's language."""
    inviter = invitation.invited_by  # None only once the inviter's account is gone (SET_NULL)
    with for_recipient(inviter, language=language):
        who = (inviter.get_full_name() or inviter.email) if inviter else _("The building's manager")
        values = {"who": who, "building": invitation.building.name, "role": role_in_sentence(invitation.role)}
        body = _("%(who)s invites you to %(building)s as %(role)s in the building portal.") % values
        link = ngettext(
            "Create your account and accept (this link works once, for %(days)s day):",
            "Create your account and accept (this link works once, for %(days)s days):",
            INVITATION_DAYS,
        ) % {"days": INVITATION_DAYS}
        send_mail(
            _("Invitation to %(building)s") % values,
            f"{body}\n\n{link}\n{accept_url(token)}\n",
            None,
            [invitation.email],
        )


def invitation_resend(*, invitation: Invitation, actor, accept_url) -> Invitation:
    """Send the invitation again with a new link (the old link stops working: only a hash of it was
    kept, so it cannot be sent again) and a fresh :data:`INVITATION_DAYS`. The new invitation is from
    ``actor``, in ``actor``'s language (the first e-mail's language is not stored); the old row is kept,
    cancelled and pointing at its replacement."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        old = _lock_open(invitation)
        new = Invitation.objects.create(
            building=old.building, email=old.email, role=old.role, token_hash=_token_hash(token), invited_by=actor
        )
        old.cancelled_at, old.cancelled_by, old.replaced_by = timezone.now(), actor, new
        old.save(update_fields=["cancelled_at", "cancelled_by", "replaced_by"])
        _audit(
            "invitation_resent",
            actor=actor,
            building=old.building,
            subject=old.email,
            invitation=new.pk,
            replaces=old.pk,
        )
    _send_invitation(new, token, accept_url, None)
    return new


def invitation_cancel(*, invitation: Invitation, actor) -> Invitation:
    """Take an open invitation back: its link stops working at once."""
    with transaction.atomic():
        invitation = _lock_open(invitation)
        invitation.cancelled_at, invitation.cancelled_by = timezone.now(), actor
        invitation.save(update_fields=["cancelled_at", "cancelled_by"])
        _audit(
            "invitation_cancelled",
            actor=actor,
            building=invitation.building,
            subject=invitation.email,
            invitation=invitation.pk,
        )
    return invitation


def _lock_open(invitation: Invitation) -> Invitation:
    """The invitation, locked, if it is still open (two managers, or a double click, act on it once)."""
    locked = (
        open_invitations().select_for_update(of=("self",)).select_related("building").filter(pk=invitation.pk).first()
    )
    if locked is None:
        raise PeopleError(
            _("The invitation of %(email)s was already accepted, cancelled or has expired.")
            % {"email": invitation.email}
        )
    return locked


def open_invitations():
    """Invitations not accepted, not cancelled and not older than :data:`INVITATION_DAYS`."""
    since = timezone.now() - timedelta(days=INVITATION_DAYS)
    return Invitation.objects.filter(accepted_at__isnull=True, cancelled_at__isnull=True, created_at__gte=since)


def invitation_for(token: str) -> Invitation | None:
    """The open invitation the link's token names, or None (unknown, used or expired)."""
    return (
        open_invitations().select_related("building", "invited_by").filter(token_hash=_token_hash(token or "")).first()
    )


def invitation_accept(*, token: str, user) -> Membership:
    """Give ``user`` the invitation's role; the invitation is addressed to their e-mail and works once."""
    with transaction.atomic():
        invitation = open_invitations().select_for_update().filter(token_hash=_token_hash(token or "")).first()
        if invitation is None:
            raise PeopleError(_("This invitation was already used, has expired or does not exist."))
        if invitation.email.lower() != (user.email or "").lower():
            raise PeopleError(
                _("This invitation is for %(email)s; sign in with that address.") % {"email": invitation.email}
            )
        membership, created = Membership.objects.get_or_create(
            user=user, building=invitation.building, defaults={"role": invitation.role}
        )
        if not created and membership.role != Role.MANAGER:
            membership.role = invitation.role  # an invitation never demotes: it can only raise staff
            membership.save(update_fields=["role"])
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        _audit(
            "invitation_accepted",
            actor=user,
            building=invitation.building,
            subject=invitation.email,
            role=membership.role,
        )
    return membership


def _lock_managers(building: Building) -> list[int]:
    """The building's managers' user ids, their rows locked until the transaction ends."""
    rows = Membership.objects.select_for_update().filter(building=building, role=Role.MANAGER)
    return [m.user_id for m in rows]


def membership_set_role(*, membership: Membership, role: str, actor) -> Membership:
    with transaction.atomic():
        managers = _lock_managers(membership.building)
        membership.refresh_from_db()
        if membership.role == Role.MANAGER and role != Role.MANAGER and managers == [membership.user_id]:
            raise PeopleError(LAST_MANAGER % {"building": membership.building.name})
        before = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        _audit(
            "role_changed",
            actor=actor,
            building=membership.building,
            subject=membership.user.email,
            role=f"{before}->{role}",
        )
    return membership


def membership_remove(*, membership: Membership, actor) -> None:
    with transaction.atomic():
        managers = _lock_managers(membership.building)
        if membership.role == Role.MANAGER and managers == [membership.user_id]:
            raise PeopleError(LAST_MANAGER % {"building": membership.building.name})
        membership.delete()
        _audit(
            "removed", actor=actor, building=membership.building, subject=membership.user.email, role=membership.role
        )


def building_people(building: Building):
    """The building's staff and managers (managers first: "manager" sorts before "staff"), and its open invitations."""
    members = (
        Membership.objects.filter(building=building)
        .select_related("user")
        .order_by("role", "user__last_name", "user__first_name", "user__email")
    )
    invitations = open_invitations().filter(building=building)
    return list(members), list(invitations)


def building_residents(building: Building):
    """ButterflyMX tenants of the building (roster sync), each with ``residency_id``: the tenant's
    active portal :class:`Residency` (None when the tenant has no portal account)."""
    residency = Residency.objects.filter(
        unit__building=building, bmx_tenant_id=OuterRef("bmx_id"), is_active=True
    ).values("pk")[:1]
    return (
        TenantRecord.objects.filter(building=building, is_active=True)
        .select_related("unit")
        .annotate(residency_id=Subquery(residency))
        .order_by("unit__label", "last_name", "first_name")
    )
