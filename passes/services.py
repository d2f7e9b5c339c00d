"""Writes of the passes app: create, replace, revoke and clean up visitor passes at ButterflyMX.

The one rule that shapes this module: never a half-made pass. A keychain at ButterflyMX opens doors, so
one must never exist there without a local row that shows it. Hence:

1. the local ``Pass`` is saved (status ``pending``) and committed *before* ButterflyMX is called, so even
   a crash mid-way leaves a row that points at what may exist there;
2. ``POST /v4/keychains/{kind}`` creates the grant; its id is committed at once;
3. ``POST /v4/virtual_keys`` adds a key per named visitor (recipients' keys come with the keychain);
4. ``GET /v4/virtual_keys?q[keychain_id_eq]=`` reads every key's PIN and QR;
5. if any of 3-4 fails, the keychain is deleted at ButterflyMX and the local row removed; if even that
   delete fails, the pass stays ``failed`` with its keychain id, shown to its owner with "Retry" and
   "Remove", and :func:`failed_passes_cleanup` (Celery beat) keeps trying to delete the keychain.

Before step 1, the pass (and one message per recipient, whom ButterflyMX e-mails or texts) is claimed
against the hourly abuse limits (:mod:`tenants.limits`): a pass refused by a limit writes nothing and
calls nothing, and a pass that ButterflyMX refuses gives its claim back.

Views that call these run with ``transaction.non_atomic_requests`` so each step commits on its own.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.butterflymx import BmxClient, BmxError
from portal.butterflymx.client import parse_timestamp, utc_timestamp
from portal.live import bus
from tenants.limits import MESSAGES, PASSES, Claim, LimitReached, abuse_claim
from tenants.models import AccessPoint, BmxLink, Residency, TenantRecord, Unit
from tenants.scope import has_role
from tenants.services import client_for_link

from . import sharing
from .doors import default_doors
from .models import Pass, VisitorKey, hash_share_token
from .rules import Window

logger = logging.getLogger(__name__)

# ButterflyMX field names -> the fields a person typed into (forms and API alike).
BMX_FIELDS = {
    "name": "name",
    "starts_at": "starts_at",
    "ends_at": "ends_at",
    "start_date": "start_date",
    "end_date": "end_date",
    "time_from": "time_from",
    "time_to": "time_to",
    "weekdays": "weekdays",
    "recipients": "recipients",
    "access_point_ids": "doors",
    "device_ids": "doors",
    "code": "visitors",
    "pin_code": "visitors",
}
USAGE_STALE = timedelta(seconds=60)


class PassError(Exception):
    """A pass could not be created, replaced or revoked; ``errors`` by field (None = whole form)."""

    def __init__(self, message: str, errors: dict[str | None, list[str]] | None = None, pass_obj: Pass | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {None: [message]}
        self.pass_obj = pass_obj  # set when a failed pass was kept for the person to retry or remove


class PassLimited(PassError):
    """An hourly limit refused the pass or its messages: nothing was created, sent or counted."""

    def __init__(self, limited: LimitReached):
        super().__init__(limited.message)
        self.retry_after = limited.retry_after


class ShareFailed(Exception):
    """The message could not be sent (the claim was given back); ``message`` says so in words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class PassInput:
    """A validated request for a pass (see :mod:`passes.rules`)."""

    kind: str
    name: str
    window: Window
    doors: list[AccessPoint] = field(default_factory=list)  # empty: the resident's entrances (passes/doors.py)
    recipients: list[str] = field(default_factory=list)
    visitors: list[str] = field(default_factory=list)
    contact_names: dict[str, str] = field(default_factory=dict)  # recipient -> the person's name
    # "Tell me when a visitor uses this pass": by push, by e-mail (both False: not told).
    arrival_push: bool = False
    arrival_email: bool = False


def bmx_field_errors(exc: BmxError) -> dict[str | None, list[str]]:
    """ButterflyMX's 422 answer as field errors of our forms; unknown fields go to the whole form."""
    out: dict[str | None, list[str]] = {}
    for e in exc.errors:
        target = BMX_FIELDS.get(e.field)
        # ButterflyMX's own words (its data, in English), introduced in the reader's language.
        message = (e.message[:1].upper() + e.message[1:] if e.message else e.code).rstrip(".")
        if target or e.field == "base":
            text = _("ButterflyMX: %(message)s.") % {"message": message}
        else:
            text = _("ButterflyMX: %(field)s: %(message)s.") % {"field": e.field.replace("_", " "), "message": message}
        out.setdefault(target, []).append(text)
    return out or {None: [exc.human_message]}


# --- Which ButterflyMX account acts ---------------------------------------------------------------


def acting_link(*, actor, residency: Residency) -> BmxLink:
    """Staff and managers act with the building's admin link; a resident with their own tenant link."""
    building = residency.unit.building
    if actor is not None and actor.pk != residency.user_id and has_role(actor, building, "staff", "manager"):
        link = building.admin_link
        if link is None or not link.is_active:
            raise PassError(str(NOT_CONNECTED))
        return link
    link = residency.link
    if link is None or not link.is_active:
        raise PassError(_("Link your ButterflyMX account first (it needs re-linking or was never linked)."))
    return link


def _client_for_pass(pass_obj: Pass, actor=None) -> BmxClient:
    """The creator's link first; the building's admin link when that one is gone or a manager acts."""
    building = pass_obj.building
    candidates = []
    if actor is not None and has_role(actor, building, "staff", "manager"):
        candidates.append(building.admin_link)
    candidates += [pass_obj.link, building.admin_link]
    for link in candidates:
        if link is not None and link.is_active:
            return client_for_link(link)
    raise PassError(_("No linked ButterflyMX account can act on this pass: link the account again."))


# --- Create ---------------------------------------------------------------------------------------


NO_DOORS_KNOWN = gettext_lazy(
    "ButterflyMX has not told the portal which doors this home may use, and a pass must name its doors. "
    "Link the ButterflyMX account again (or ask the building's manager to sync it), then try again."
)
NO_ENTRANCE = gettext_lazy("None of the resident's doors is a building entrance: tick the doors this pass opens.")
NOT_CONNECTED = gettext_lazy("This building is not connected to ButterflyMX: a manager must link its admin account.")


def _pass_doors(data: PassInput, residency: Residency) -> list[AccessPoint]:
    """The doors the keychain grants, always named (``access_point_ids``): the chosen ones, else the
    entrances among the doors ButterflyMX lets the resident use (:mod:`passes.doors`: the resident's own
    door and amenities are opt-in). The document does not say what a keychain without doors
    opens, so the portal never relies on it. A delivery pass takes no doors (its schema allows only
    name, tenant_id and unit_id; ButterflyMX grants the tenant's doors and says which in its answer)."""
    if data.kind == Pass.Kind.DELIVERY:
        return []
    chosen = data.doors
    if not chosen and residency.doors.exists():
        chosen = default_doors(residency.doors.all())
        if not chosen:
            raise PassError(str(NO_ENTRANCE), {"doors": [str(NO_ENTRANCE)]})
    doors = _known_doors(chosen)
    if not doors:
        raise PassError(str(NO_DOORS_KNOWN), {"doors": [str(NO_DOORS_KNOWN)]})
    return doors


def _known_doors(chosen: Iterable[AccessPoint]) -> list[AccessPoint]:
    """The doors ButterflyMX knows (those with an id), in ButterflyMX id order."""
    known = [(d.bmx_id, d) for d in chosen if d.bmx_id is not None]
    return [d for _, d in sorted(known, key=lambda pair: pair[0])]


def _keychain_body(data: PassInput, tenant_id: int, doors: list[AccessPoint]) -> dict:
    """The ``keychain`` object of ``POST /v4/keychains/{kind}``, with only properties its schema has."""
    body: dict = {"name": data.name, "tenant_id": tenant_id}
    if data.kind == Pass.Kind.DELIVERY:
        return body  # a name only: ButterflyMX picks the window, the doors and the one key
    w = data.window
    if data.kind in (Pass.Kind.RECURRING, Pass.Kind.BUSINESS_HOURS):
        if w.start_date is None or w.end_date is None or w.time_from is None or w.time_to is None:
            raise ValueError("a recurring window has dates and daily times (passes.rules.window_for)")
        # Building-local dates and wall-clock times: they mean the same hours across DST changes.
        body.update(
            start_date=w.start_date.isoformat(),
            end_date=w.end_date.isoformat(),
            time_from=w.time_from.strftime("%H:%M"),
            time_to=w.time_to.strftime("%H:%M"),
            weekdays=list(w.weekdays),
        )
    else:
        body.update(starts_at=utc_timestamp(w.starts_at), ends_at=utc_timestamp(w.ends_at))
    body["recipients"] = list(data.recipients)
    body["access_point_ids"] = [d.bmx_id for d in doors]
    return body


def _tenant_target(*, actor, tenant: TenantRecord, data: PassInput) -> tuple[BmxLink, int, Unit, list[AccessPoint]]:
    """A pass for a ButterflyMX tenant without a portal account (no :class:`Residency`): only staff and
    managers of the building make one, with the building-admin link (the document lets a building-admin
    token name any tenant of its buildings in ``POST /v4/keychains/{kind}``). The portal does not know
    which doors such a tenant may use, so the default is the building's entrances; ButterflyMX refuses
    a door the tenant may not use, and that refusal is shown on the form."""
    building = tenant.building
    if actor is None or not has_role(actor, building, "staff", "manager"):
        raise PassError(_("Only the building's staff and managers can make a pass for this tenant."))
    if tenant.unit is None or not tenant.is_active:
        raise PassError(_("ButterflyMX does not place this tenant in a unit; sync the building and try again."))
    link = building.admin_link
    if link is None or not link.is_active:
        raise PassError(str(NOT_CONNECTED))
    doors: list[AccessPoint] = []
    if data.kind != Pass.Kind.DELIVERY:
        chosen = data.doors or default_doors(building.access_points.filter(is_active=True))
        doors = _known_doors(chosen)
        if not doors:
            raise PassError(str(NO_ENTRANCE), {"doors": [str(NO_ENTRANCE)]})
    return link, tenant.bmx_id, tenant.unit, doors


def pass_create(
    *,
    actor,
    residency: Residency | None = None,
    data: PassInput,
    tenant: TenantRecord | None = None,
    replaces: Pass | None = None,
    claims: list[Claim] | None = None,
) -> Pass:
    """Create a pass at ButterflyMX and locally, all or nothing (see the module docstring).

    For a portal resident's ``residency``, or (staff and managers) for a roster ``tenant`` who has no
    portal account: that pass has no residency, so it cannot be changed or retried, only revoked.
    ``claims``: the pass's claims on the limits when the caller made them already (a retry claims
    before it removes the failed pass); they are given back if the pass is not made.
    """
    try:
        if residency is None:
            if tenant is None:
                raise TypeError("pass_create needs a residency or a tenant")
            link, tenant_id, unit, doors = _tenant_target(actor=actor, tenant=tenant, data=data)
            claimant = actor  # _tenant_target refuses a pass without one
        else:
            claimant = actor or residency.user
            link = acting_link(actor=actor, residency=residency)
            if residency.bmx_tenant_id is None:
                raise PassError(_("This tenancy is not known to ButterflyMX yet; link or sync it first."))
            doors = _pass_doors(data, residency)
            tenant_id, unit = residency.bmx_tenant_id, residency.unit
    except PassError:
        for claim in claims or []:
            claim.refund()
        raise
    client = client_for_link(link)
    # Step 0: the abuse limits, claimed (and committed) before anything is written or sent.
    if claims is None:
        claims = _claim_pass(actor=claimant, building=unit.building, data=data)
    # Step 1: the local row, committed before any remote call.
    with transaction.atomic():
        pass_obj = Pass.objects.create(
            kind=data.kind,
            name=data.name,
            building=unit.building,
            unit=unit,
            residency=residency,
            tenant=tenant if residency is None else None,
            created_by=actor,
            link=link,
            starts_at=data.window.starts_at,
            ends_at=data.window.ends_at,
            start_date=data.window.start_date,
            end_date=data.window.end_date,
            time_from=data.window.time_from,
            time_to=data.window.time_to,
            weekdays=list(data.window.weekdays),
            recipients=list(data.recipients),
            status=Pass.Status.PENDING,
            replaces=replaces,
            arrival_push=data.arrival_push,
            arrival_email=data.arrival_email,
        )
        pass_obj.doors.set(doors or data.doors)
    # Step 2: the keychain. Nothing exists remotely when this fails with an answer; without an answer
    # (timeout) it may, so we look for it and delete what we find.
    try:
        keychain = client.create_keychain(Pass.BMX_KIND[data.kind], _keychain_body(data, tenant_id, doors))
    except BmxError as exc:
        if exc.status == 0 or exc.status >= 500:
            _delete_unacknowledged_keychains(client, pass_obj, tenant_id)
        pass_obj.delete()
        for claim in claims:  # no pass, and ButterflyMX sent nobody anything
            claim.refund()
        errors = bmx_field_errors(exc) if exc.status == 422 else {None: [exc.human_message]}
        raise PassError(exc.human_message, errors) from exc
    pass_obj.bmx_keychain_id = keychain["id"]
    pass_obj.starts_at = parse_timestamp(keychain.get("starts_at")) or pass_obj.starts_at
    pass_obj.ends_at = parse_timestamp(keychain.get("ends_at")) or pass_obj.ends_at
    pass_obj.save(update_fields=["bmx_keychain_id", "starts_at", "ends_at", "updated_at"])
    opened = AccessPoint.objects.filter(building=unit.building, bmx_id__in=keychain.get("access_point_ids") or [])
    pass_obj.doors.set(opened)
    # Steps 3-4: the keys. Any failure from here on undoes the keychain.
    try:
        visitors = list(data.visitors)
        if not visitors and not data.recipients and data.kind != Pass.Kind.DELIVERY:
            visitors = [data.name]  # a pass nobody can use is no pass: one key named after it
        contacts = {r: data.contact_names.get(r) or r for r in data.recipients}
        for name in visitors:
            client.create_virtual_key(keychain_id=keychain["id"], name=name)
        keys = client.virtual_keys(keychain_id_eq=keychain["id"])
        with transaction.atomic():
            for item in keys:
                key = VisitorKey(pass_obj=pass_obj)
                key.set_share_token()
                visitor_key_fill_from_bmx(key, item)
                contact = item.get("email") or item.get("sms_number") or ""
                if contact in contacts:  # ButterflyMX names a recipient's key after the pass
                    key.name = key.name if key.name != data.name else contacts[contact]
                key.save()
            pass_obj.status = Pass.Status.ACTIVE
            pass_obj.usage_refreshed_at = timezone.now()
            pass_obj.save(update_fields=["status", "usage_refreshed_at", "updated_at"])
    except BmxError as exc:
        errors = bmx_field_errors(exc) if exc.status == 422 else {None: [exc.human_message]}
        _undo_keychain(client, pass_obj, exc)
        if pass_obj.pk is None:
            claims[0].refund()  # no pass; the recipients' messages went out with the keychain
            raise PassError(exc.human_message, errors) from exc
        passes_changed_announce([(pass_obj.building_id, pass_obj.unit_id)])
        kept = _(
            "The pass could not be completed (%(cause)s) and ButterflyMX did not let us remove it yet. It may "
            "still open doors: choose Retry or Remove."
        ) % {"cause": exc.human_message}
        raise PassError(kept, errors, pass_obj=pass_obj) from exc
    passes_changed_announce([(pass_obj.building_id, pass_obj.unit_id)])
    return pass_obj


def passes_changed_announce(places: Iterable[tuple[int, int]]) -> None:
    """Passes of these (building id, unit id) changed: each unit's open pass lists and home refresh, and
    so do the building's staff pages. A unit hears only its own unit id; the desk only the building."""
    places = set(places)
    for _building_id, unit_id in sorted(places):
        bus.publish("passes.changed", {"unit": unit_id}, [bus.unit(unit_id)])
    for building_id in sorted({building_id for building_id, _unit_id in places}):
        bus.publish("passes.changed", {"building": building_id}, [bus.desk(building_id)])


def _claim_pass(*, actor, building, data: PassInput) -> list[Claim]:
    """One pass, and one message per recipient, against the hourly limits; raises :class:`PassLimited`."""
    try:
        with transaction.atomic():  # a refused message claim rolls the pass claim back too
            passes = abuse_claim(user=actor, building=building, kind=PASSES)
            messages = abuse_claim(user=actor, building=building, kind=MESSAGES, amount=len(data.recipients))
    except LimitReached as limited:
        raise PassLimited(limited) from None
    return [passes, messages]


def visitor_key_fill_from_bmx(key: VisitorKey, item: dict) -> None:
    """Copy a ButterflyMX virtual key's fields onto ``key`` (unsaved): creation and reconciliation alike."""
    key.bmx_virtual_key_id = item.get("id")
    key.name = (item.get("name") or key.name or "Visitor")[:120]
    key.email = item.get("email") or ""
    key.phone = item.get("sms_number") or ""
    key.pin = item.get("pin_code") or ""
    key.qr_code_url = item.get("qr_code_url") or ""
    key.instructions_url = item.get("instructions_url") or ""
    key.usage_count = item.get("usage_count") or 0
    key.first_used_at = parse_timestamp(item.get("first_used_at"))
    key.last_used_at = parse_timestamp(item.get("last_used_at"))
    key.sent_at = parse_timestamp(item.get("sent_at"))


def _undo_keychain(client: BmxClient, pass_obj: Pass, cause: BmxError) -> None:
    """Step 5: delete the keychain; if that fails too, keep the pass as ``failed`` for a retry."""
    try:
        if pass_obj.bmx_keychain_id is not None:  # set in step 2, before any step that can undo it
            client.delete_keychain(pass_obj.bmx_keychain_id)
    except BmxError as exc:
        if exc.status != 404:
            logger.warning(
                "pass %s: keychain %s could not be removed after a failed create (%s)",
                pass_obj.pk,
                pass_obj.bmx_keychain_id,
                exc.code or exc.status,
            )
            pass_obj.status = Pass.Status.FAILED
            # The record, in the portal's source language; pages say it in the reader's (failure_words).
            pass_obj.failure = (
                f"The pass could not be completed ({cause.human_message}) and ButterflyMX did not let us "
                "remove it yet. It may still open doors: choose Retry or Remove."
            )
            pass_obj.save(update_fields=["status", "failure", "updated_at"])
            return
    pass_obj.delete()


def _delete_unacknowledged_keychains(client: BmxClient, pass_obj: Pass, tenant_id: int) -> None:
    """After a create that got no answer: delete same-named keychains of the tenant we do not know."""
    try:
        found = client.keychains(name_eq=pass_obj.name, tenant_id_eq=tenant_id)
        known = set(Pass.objects.filter(bmx_keychain_id__isnull=False).values_list("bmx_keychain_id", flat=True))
        for item in found:
            if item["id"] not in known:
                client.delete_keychain(item["id"])
    except BmxError:
        logger.warning("pass %s: could not look for a keychain created without an answer", pass_obj.pk)


class Replacement(NamedTuple):
    """What "Extend or change" did: the new pass, a warning when the old one is still valid, and the
    visitors whose guest links could not follow (they are not on the new pass under the same name)."""

    new: Pass
    warning: str | None
    links_left: list[str]


def pass_replace(*, actor, old: Pass, data: PassInput) -> Replacement:
    """ "Extend" or "change": create the new pass, then revoke the old one, in one action.

    The new pass comes first so the visitor is never left without one. If the old one cannot be revoked,
    the new one stays and the returned warning says the old one is still valid.

    ButterflyMX cannot edit a keychain (no PUT or PATCH in v4), so the new pass has new keys, PINs and QR
    codes. The portal's guest links are its own, though: each visitor's link moves to their key on the new
    pass (:func:`_carry_guest_links`), so what was sent keeps working and shows the new PIN and QR code.
    """
    if old.residency is None:
        raise PassError(_("The resident of this pass no longer lives here."))
    new = pass_create(actor=actor, residency=old.residency, data=data, replaces=old)
    links_left = _carry_guest_links(old, new)
    try:
        pass_revoke(pass_obj=old, actor=actor)
    except PassError as exc:
        warning = _("The new pass is ready, but the old one could not be revoked yet: %(reason)s") % {
            "reason": exc.message
        }
        return Replacement(new, warning, links_left)
    return Replacement(new, None, links_left)


def _carry_guest_links(old: Pass, new: Pass) -> list[str]:
    """Move each visitor's guest link from their key on ``old`` to theirs on ``new`` (same name and
    contact, else same name); the old key gets a fresh token nobody holds. Returns the names of the
    visitors of ``old`` who have no key on ``new``: their links now show the revoked pass."""
    new_keys = list(new.keys.all())
    left = []
    with transaction.atomic():
        for old_key in old.keys.filter(removed_at__isnull=True):  # a removed visitor's link stays ended
            match = next((k for k in new_keys if (k.name, k.contact) == (old_key.name, old_key.contact)), None)
            match = match or next((k for k in new_keys if k.name == old_key.name), None)
            if match is None:
                left.append(old_key.name)
                continue
            new_keys.remove(match)
            token = old_key.share_token
            old_key.set_share_token()  # first: the token's hash is unique
            old_key.save(update_fields=["share_token", "share_token_hash"])
            match.share_token, match.share_token_hash = token, hash_share_token(token)
            match.save(update_fields=["share_token", "share_token_hash"])
    return left


# --- Share --------------------------------------------------------------------------------------

# What a person is told who tries a phone number while text messages are off (the share form says it
# before anyone types one; this is the same rule for any other caller).
SMS_OFF = gettext_lazy("Text messages are not available in this portal: enter an e-mail address.")


def key_share(*, actor, key: VisitorKey, to: str, url: str, language: str | None = None) -> None:
    """Send a visitor's guest link to ``to`` (an e-mail address, else a phone number), within limits.

    The message is claimed against the hourly limits first (:class:`PassLimited` when refused: nothing
    sent); if the e-mail or SMS backend then fails, the claim is given back and :class:`ShareFailed`
    raised, so only messages that went out are counted. The message is written in ``language`` (the
    one the resident picked when sharing; None: the portal's default).
    """
    by_email = "@" in to
    if not by_email and not settings.PASSES_SMS_ENABLED:
        raise ShareFailed(str(SMS_OFF))
    try:
        claim = abuse_claim(user=actor, building=key.pass_obj.building, kind=MESSAGES)
    except LimitReached as limited:
        raise PassLimited(limited) from None
    try:
        if by_email:
            sharing.send_by_email(key, to, url, language)
        else:
            sharing.send_by_sms(key, to, url, language)
    except Exception as exc:  # any backend (SMTP, an SMS provider's client) failing means: not sent
        claim.refund()
        logger.warning("share of key %s failed: %s", key.pk, type(exc).__name__)
        raise ShareFailed(_("The message could not be sent just now; nothing was sent. Try again.")) from exc


# --- Revoke, retry, remove ------------------------------------------------------------------------


def pass_revoke(*, pass_obj: Pass, actor) -> Pass:
    """Revoke at ButterflyMX (every key of the keychain stops working), then mark it revoked here."""
    if pass_obj.status == Pass.Status.REVOKED:
        return pass_obj
    if pass_obj.bmx_keychain_id is not None:
        client = _client_for_pass(pass_obj, actor)
        try:
            client.delete_keychain(pass_obj.bmx_keychain_id)
        except BmxError as exc:
            if exc.status != 404:  # 404: already gone there, which is what we want
                raise PassError(_("The pass could not be revoked: %(reason)s") % {"reason": exc.human_message}) from exc
    now = timezone.now()
    # Conditional update: two clicks or two people revoke once.
    Pass.objects.filter(pk=pass_obj.pk).exclude(status=Pass.Status.REVOKED).update(
        status=Pass.Status.REVOKED, revoked_at=now, revoked_by=actor, updated_at=now
    )
    pass_obj.refresh_from_db()
    passes_changed_announce([(pass_obj.building_id, pass_obj.unit_id)])
    return pass_obj


def passes_end_for_moved_out(*, record: TenantRecord, residency_ids: list[int], actor) -> int:
    """A tenant moved out (``portal.tenant_moves``): ButterflyMX deleted the tenant, and with it every
    keychain of theirs, so their passes here end as revoked by the manager who moved them out. Nothing is
    called at ButterflyMX (the keychains are gone). Passes made for the tenant by staff (``tenant``) and
    by or for their portal residencies count. Returns how many passes ended."""
    now = timezone.now()
    ending = Pass.objects.filter(
        Q(tenant=record) | Q(residency_id__in=residency_ids), building_id=record.building_id
    ).exclude(status=Pass.Status.REVOKED)
    places = set(ending.values_list("building_id", "unit_id"))
    ended = ending.update(status=Pass.Status.REVOKED, revoked_at=now, revoked_by=actor, updated_at=now)
    if ended:
        transaction.on_commit(lambda: passes_changed_announce(places))
    return ended


def pass_remove_failed(*, pass_obj: Pass, actor) -> None:
    """ "Remove" on a failed pass: delete the keychain (if still there), then the local row."""
    if pass_obj.status != Pass.Status.FAILED:
        raise PassError(_("Only a failed pass can be removed; revoke a working pass instead."))
    if pass_obj.bmx_keychain_id is not None:
        client = _client_for_pass(pass_obj, actor)
        try:
            client.delete_keychain(pass_obj.bmx_keychain_id)
        except BmxError as exc:
            if exc.status != 404:
                raise PassError(
                    _("ButterflyMX did not let us remove it yet: %(reason)s") % {"reason": exc.human_message}
                ) from exc
    place = (pass_obj.building_id, pass_obj.unit_id)
    pass_obj.delete()
    passes_changed_announce([place])


def pass_input_from(pass_obj: Pass) -> PassInput:
    """The details of an existing pass, as a request for a new one (retry, extend, change)."""
    return PassInput(
        kind=pass_obj.kind,
        name=pass_obj.name,
        window=Window(
            starts_at=pass_obj.starts_at,
            ends_at=pass_obj.ends_at,
            start_date=pass_obj.start_date,
            end_date=pass_obj.end_date,
            time_from=pass_obj.time_from,
            time_to=pass_obj.time_to,
            weekdays=list(pass_obj.weekdays or []),
        ),
        doors=list(pass_obj.doors.all()),
        recipients=list(pass_obj.recipients or []),
        # Visitors the host removed (passes/key_removal.py) stay off the new pass.
        visitors=[k.name for k in pass_obj.keys.all() if not k.contact and k.removed_at is None],
        contact_names={k.contact: k.name for k in pass_obj.keys.all() if k.contact and k.removed_at is None},
        arrival_push=pass_obj.arrival_push,
        arrival_email=pass_obj.arrival_email,
    )


def pass_arrivals_set(*, pass_obj: Pass, push: bool, email: bool) -> None:
    """Set how the pass's host is told when a visitor uses it (the pass page's switch)."""
    Pass.objects.filter(pk=pass_obj.pk).update(arrival_push=push, arrival_email=email, updated_at=timezone.now())
    pass_obj.arrival_push, pass_obj.arrival_email = push, email


def pass_retry_failed(*, pass_obj: Pass, actor) -> Pass:
    """ "Retry" on a failed pass: remove what is left of it, then create it again with the same details."""
    if pass_obj.residency is None:
        raise PassError(_("The resident of this pass no longer lives here."))
    data = pass_input_from(pass_obj)
    residency = pass_obj.residency
    # The limits first: a retry they refuse must not have removed the failed pass (nothing lost).
    claims = _claim_pass(actor=actor or residency.user, building=pass_obj.building, data=data)
    try:
        pass_remove_failed(pass_obj=pass_obj, actor=actor)
    except PassError:
        for claim in claims:
            claim.refund()
        raise
    return pass_create(actor=actor, residency=residency, data=data, claims=claims)


def failed_passes_cleanup() -> int:
    """Beat: delete the keychains of failed passes at ButterflyMX, so nothing half-made opens a door.

    The local row stays (status failed, no keychain) so its owner still sees it and can retry or remove.
    """
    cleaned = 0
    for pass_obj in Pass.objects.filter(status=Pass.Status.FAILED, bmx_keychain_id__isnull=False).select_related(
        "building__admin_link", "link"
    ):
        if pass_obj.bmx_keychain_id is None:  # excluded by the query; the check tells mypy so
            continue
        try:
            client = _client_for_pass(pass_obj)
            client.delete_keychain(pass_obj.bmx_keychain_id)
        except PassError:
            continue
        except BmxError as exc:
            if exc.status != 404:
                continue
        Pass.objects.filter(pk=pass_obj.pk).update(
            bmx_keychain_id=None,
            failure="The pass could not be completed; nothing is left at ButterflyMX. Retry or remove it.",
            updated_at=timezone.now(),
        )
        passes_changed_announce([(pass_obj.building_id, pass_obj.unit_id)])
        cleaned += 1
    return cleaned


# --- Use counters ---------------------------------------------------------------------------------


def pass_usage_totals(keys: list[VisitorKey]) -> dict:
    """A pass's use fields from its visitor keys: total uses, first and last use of any key."""
    firsts = [k.first_used_at for k in keys if k.first_used_at]
    lasts = [k.last_used_at for k in keys if k.last_used_at]
    return {
        "use_count": sum(k.usage_count for k in keys),
        "first_used_at": min(firsts) if firsts else None,
        "last_used_at": max(lasts) if lasts else None,
    }


def pass_usage_refresh(*, pass_ids: list[int]) -> int:
    """Read use counts of these passes' keys from ButterflyMX (one list call per account). Idempotent."""
    passes = list(
        Pass.objects.filter(pk__in=pass_ids, bmx_keychain_id__isnull=False)
        .exclude(status=Pass.Status.FAILED)
        .select_related("building__admin_link", "link")
    )
    by_link: dict[int, list[Pass]] = defaultdict(list)
    clients: dict[int, BmxClient] = {}
    for p in passes:
        link = p.link if p.link is not None and p.link.is_active else p.building.admin_link
        if link is None or not link.is_active:
            continue
        by_link[link.pk].append(p)
        clients.setdefault(link.pk, client_for_link(link))
    updated = 0
    now = timezone.now()
    for link_id, group in by_link.items():
        by_keychain = {p.bmx_keychain_id: p for p in group}
        try:
            items = clients[link_id].virtual_keys(keychain_id_in=sorted(by_keychain))
        except BmxError as exc:
            logger.info("usage refresh for link %s failed: %s", link_id, exc.code or exc.status)
            continue
        keys = {k.bmx_virtual_key_id: k for k in VisitorKey.objects.filter(pass_obj__in=group)}
        with transaction.atomic():
            for item in items:
                key = keys.get(item.get("id"))
                if key is None:
                    continue
                key.usage_count = item.get("usage_count") or 0
                key.first_used_at = parse_timestamp(item.get("first_used_at"))
                key.last_used_at = parse_timestamp(item.get("last_used_at"))
                key.sent_at = parse_timestamp(item.get("sent_at"))
                key.save(update_fields=["usage_count", "first_used_at", "last_used_at", "sent_at"])
            for p in group:
                mine = [k for k in keys.values() if k.pass_obj_id == p.pk]
                Pass.objects.filter(pk=p.pk).update(**pass_usage_totals(mine), usage_refreshed_at=now)
                updated += 1
    # Every pass asked about, read or not: a list showing "Updating use counts" shows the outcome.
    passes_changed_announce((p.building_id, p.unit_id) for p in passes)
    return updated
