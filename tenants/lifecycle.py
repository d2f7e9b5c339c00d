"""The tenant lifecycle at ButterflyMX: a manager moves a tenant in, re-sends their invitation, moves
them out (issue 19). The rent-roll import (``tenants.rent_roll``) moves many in through the same steps.

Every call is made with the building's building-admin link (``POST /v4/tenants`` and ``DELETE
/v4/tenants/{id}`` are admin operations). The portal's own rows follow ButterflyMX, never lead it:

- **Move in** = ``POST /v4/tenants`` (ButterflyMX e-mails the invitation), then one ``POST
  /v4/access_groups/{id}/tenants`` per access group chosen. A refusal of any group undoes the tenant
  (``DELETE``), so a move-in is whole or not at all; only a finished one is mirrored as a
  :class:`TenantRecord` (what the next roster sync would write anyway).
- **Move out** here is the ButterflyMX half: ``DELETE /v4/tenants/{id}``. The contract's data model has
  every access tool (PIN, fob) and keychain (visitor pass) belong to exactly one tenant, so they end with
  it (the sandbox deletes them with the tenant, and ``tests/tenants/test_tenant_lifecycle.py`` checks it
  through the sandbox). The portal's half (its passes revoked, the residency ended) needs the passes app,
  a layer above: ``portal.tenant_moves`` runs both.
- **Resend** = ``POST /v4/tenants/{id}/resend_confirmation``, only while ButterflyMX says ``invited``,
  a few times an hour per tenant at most (each one e-mails a person).

Each act writes one :class:`TenantMove` row (who, whom, which unit, when) and one log line.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.butterflymx import BmxClient, BmxError
from portal.butterflymx.client import utc_timestamp
from portal.core.limits import rate_hit, retry_after

from .models import Building, Residency, TenantMove, TenantRecord, Unit
from .services import client_for_link

logger = logging.getLogger(__name__)

RESEND_PER_HOUR = 3  # per tenant: each resend e-mails a person
RESEND_WINDOW_S = 3600
# Per building, form and rent rolls together: each move-in is a ButterflyMX write and an e-mail to a
# person. A whole rent roll (tenants.rent_roll.MAX_ROWS) fits in one hour, a runaway script does not.
MOVE_INS_PER_HOUR = 300
_PHONE_CHARS = re.compile(r"[\s().\-]")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


class MoveError(Exception):
    """A move the rules or ButterflyMX refused; the message is for the manager. ``field`` names the form
    field it is about (None: the whole request)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class Newcomer:
    """One tenant to move in: what the form or one rent-roll row gives."""

    unit: Unit
    first_name: str
    last_name: str
    email: str
    phone: str = ""  # E.164 or empty
    move_in: dt.date | None = None  # None: from now
    group_ids: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


# --- Checks shared by the form and the rent roll ------------------------------------------------------


def normalise_email(value: str) -> str:
    value = (value or "").strip()
    try:
        validate_email(value)
    except ValidationError:
        raise MoveError(_("“%(value)s” is not a valid e-mail address.") % {"value": value}, "email") from None
    return value.lower()


def normalise_phone(value: str) -> str:
    """A phone number as E.164 (what ButterflyMX's examples send); 10 digits are taken as North American,
    as ButterflyMX's buildings are. Empty stays empty: the phone is optional."""
    value = (value or "").strip()
    if not value:
        return ""
    digits = _PHONE_CHARS.sub("", value)
    if re.fullmatch(r"\d{10}", digits):
        digits = "+1" + digits
    elif re.fullmatch(r"1\d{10}", digits):
        digits = "+" + digits
    if not _E164.match(digits):
        raise MoveError(_("“%(value)s” is not a phone number like +12125550123.") % {"value": value}, "phone")
    return digits


def tenant_living_in(building: Building, email: str) -> TenantRecord | None:
    """The building's active tenant with this e-mail, if any (case does not matter)."""
    return (
        TenantRecord.objects.filter(building=building, is_active=True, email__iexact=email)
        .select_related("unit")
        .first()
    )


def newcomer_check(building: Building, newcomer: Newcomer) -> None:
    """Refuse what ButterflyMX would take but the manager surely did not mean: a unit of another building
    or one no longer there, or a person already a tenant of this building (a move between units is a
    move-out and a move-in, so that the old unit's doors and passes end)."""
    if newcomer.unit.building_id != building.pk or not newcomer.unit.is_active or newcomer.unit.bmx_id is None:
        raise MoveError(_("Choose a unit of this building."), "unit")
    if not newcomer.first_name.strip() or not newcomer.last_name.strip():
        raise MoveError(_("Give the tenant's first and last name: ButterflyMX requires both."), "first_name")
    there = tenant_living_in(building, newcomer.email)
    if there is not None:
        if there.unit:
            text = _("%(email)s already lives in unit %(unit)s.") % {"email": newcomer.email, "unit": there.unit.label}
        else:
            text = _("%(email)s already lives in this building.") % {"email": newcomer.email}
        raise MoveError(text, "email")


def move_ins_claim(building: Building, count: int = 1) -> None:
    """Count ``count`` move-ins against the building's hourly limit; :class:`MoveError` when over it."""
    with transaction.atomic():
        if not rate_hit(
            key=f"tenant-move-in:{building.pk}", limit=MOVE_INS_PER_HOUR, window_s=RESEND_WINDOW_S, amount=count
        ):
            minutes = max(1, retry_after(window_s=RESEND_WINDOW_S) // 60)
            raise MoveError(
                _("%(building)s reached its limit of %(limit)s move-ins an hour; try again in %(minutes)s min.")
                % {"building": building.name, "limit": MOVE_INS_PER_HOUR, "minutes": minutes}
            )


def admin_client(building: Building) -> BmxClient:
    link = building.admin_link
    if link is None or not link.is_active:
        raise MoveError(
            _(
                "This building is not connected to ButterflyMX (or its admin link needs re-linking): a manager "
                "must connect its building-admin account first."
            )
        )
    return client_for_link(link)


def access_groups(building: Building) -> list[dict]:
    """The building's access groups as ButterflyMX lists them (``id``, ``name``), for the move-in form."""
    if building.bmx_id is None:
        return []
    groups = admin_client(building).access_groups(building.bmx_id)
    return sorted(
        ({"id": g["id"], "name": g.get("name") or _("Group %(id)s") % {"id": g["id"]}} for g in groups), key=_by_name
    )


def _by_name(group: dict) -> str:
    return group["name"].lower()


# --- Move in ---------------------------------------------------------------------------------------


def _tenant_body(building: Building, newcomer: Newcomer) -> dict:
    """The ``tenant`` object of ``POST /v4/tenants``: the document requires ``unit_id``, ``active_at``
    and ``user_attributes`` with e-mail, first and last name (sandbox/contract/exceptions.py)."""
    if newcomer.move_in is None or newcomer.move_in <= timezone.localdate(timezone=building.tz):
        active_at = timezone.now()
    else:  # a future move-in: their access starts at midnight of that day, in the building's zone
        active_at = dt.datetime.combine(newcomer.move_in, dt.time(0, 0), tzinfo=building.tz)
    user: dict[str, object] = {
        "email": newcomer.email,
        "first_name": newcomer.first_name.strip(),
        "last_name": newcomer.last_name.strip(),
    }
    if newcomer.phone:
        user["sms_contact_attributes"] = {"phone_number": newcomer.phone}
    return {"unit_id": newcomer.unit.bmx_id, "active_at": utc_timestamp(active_at), "user_attributes": user}


def _created_without_answer(client: BmxClient, newcomer: Newcomer) -> dict | None:
    """After a create that got no answer (timeout, 5xx), the tenant ButterflyMX may have made anyway: the
    unit's tenant with that e-mail. Writes are never retried, so this is how a lost answer is settled."""
    building_id = newcomer.unit.building.bmx_id
    if building_id is None:
        return None
    for item in client.tenants(building_id):
        if (item.get("unit") or {}).get("id") == newcomer.unit.bmx_id and (item.get("email") or "").lower() == (
            newcomer.email
        ):
            return item
    return None


def bmx_tenant_create(client: BmxClient, building: Building, newcomer: Newcomer) -> dict:
    """Create the tenant and put them in the chosen groups, whole or not at all. Returns ButterflyMX's
    tenant. Raises :class:`MoveError` (nothing left at ButterflyMX) or :class:`HalfDone` (the undo
    itself failed: the tenant exists there and the caller must mirror it)."""
    item: dict | None
    try:
        item = client.create_tenant(_tenant_body(building, newcomer))
    except BmxError as exc:
        if not (exc.status == 0 or exc.status >= 500):
            raise MoveError(_refusal(exc)) from exc
        try:  # no answer: did it happen?
            item = _created_without_answer(client, newcomer)
        except BmxError as lookup:
            raise MoveError(
                _(
                    "ButterflyMX did not confirm the move-in (%(why)s) and could not be asked whether it "
                    "happened (%(lookup)s). Run a roster sync before trying again: it shows whether "
                    "%(email)s became a tenant."
                )
                % {"why": exc.human_message, "lookup": lookup.human_message, "email": newcomer.email}
            ) from exc
        if item is None:
            raise MoveError(_("ButterflyMX did not confirm the move-in: %(why)s") % {"why": exc.human_message}) from exc
    for group_id in newcomer.group_ids:
        try:
            client.access_group_members(group_id, kind="tenants", ids=[item["id"]], add=True)
        except BmxError as exc:
            undo_error = bmx_tenant_delete(client, item["id"])
            if undo_error is not None:
                raise HalfDone(
                    item,
                    _("%(refusal)s Undoing the move-in failed too: %(why)s")
                    % {"refusal": _refusal(exc), "why": undo_error},
                ) from exc
            raise MoveError(
                _("ButterflyMX refused an access group, so the move-in was undone: %(refusal)s")
                % {"refusal": _refusal(exc)}
            ) from exc
    return item


class HalfDone(Exception):
    """ButterflyMX holds a tenant the portal meant to undo and could not: ``item`` is that tenant."""

    def __init__(self, item: dict, message: str):
        super().__init__(message)
        self.item = item


def _refusal(exc: BmxError) -> str:
    if exc.status == 422 and exc.errors:
        # ButterflyMX's own words (its field names and messages), after the portal's
        details = "; ".join(e.message if e.field == "base" else f"{e.field} {e.message}" for e in exc.errors)
        return _("ButterflyMX refused it: %(details)s") % {"details": details}
    return exc.human_message


def mirror_tenant(building: Building, unit: Unit, item: dict) -> TenantRecord:
    """The :class:`TenantRecord` of a tenant ButterflyMX answered with (the roster sync's fields)."""
    record, _ = TenantRecord.objects.update_or_create(
        building=building,
        bmx_id=item["id"],
        defaults={
            "unit": unit,
            "first_name": item.get("first_name") or "",
            "last_name": item.get("last_name") or "",
            "email": item.get("email") or "",
            "registration_status": item.get("registration_status") or "",
            "do_not_disturb": bool((item.get("notification_preference") or {}).get("do_not_disturb")),
            "is_active": True,
        },
    )
    return record


def audit(action: str, *, building: Building, actor, record: TenantRecord | None = None, **fields) -> TenantMove:
    """One :class:`TenantMove` row and one log line (ids only in the log: names stay in the database)."""
    if record is not None:
        fields = {
            "tenant": record,
            "bmx_tenant_id": record.bmx_id,
            "name": str(record),
            "email": record.email,
            "unit_label": record.unit.label if record.unit else "",
        } | fields
    move = TenantMove.objects.create(building=building, action=action, actor=actor, **fields)
    logger.info(
        "tenant %s by user=%s building=%s tenant=%s source=%s",
        action,
        getattr(actor, "pk", None),
        building.pk,
        move.bmx_tenant_id,
        move.source,
    )
    return move


def tenant_move_in(*, building: Building, newcomer: Newcomer, actor) -> TenantRecord:
    """The move-in form: checks, ButterflyMX, then the mirror row and the audit."""
    newcomer_check(building, newcomer)
    client = admin_client(building)
    move_ins_claim(building)
    try:
        item = bmx_tenant_create(client, building, newcomer)
    except HalfDone as half:
        # Honest about what is there: mirror it, say so; the manager can move them out from the list.
        with transaction.atomic():
            record = mirror_tenant(building, newcomer.unit, half.item)
            audit(TenantMove.Action.MOVED_IN, building=building, actor=actor, record=record, detail=str(half)[:500])
        raise MoveError(
            _("%(name)s is now a tenant at ButterflyMX, but not in every access group you chose: %(why)s")
            % {"name": newcomer.name, "why": half}
        ) from half
    with transaction.atomic():
        record = mirror_tenant(building, newcomer.unit, item)
        audit(TenantMove.Action.MOVED_IN, building=building, actor=actor, record=record, detail=_groups(newcomer))
    return record


def _groups(newcomer: Newcomer) -> str:
    return f"access groups {', '.join(map(str, newcomer.group_ids))}" if newcomer.group_ids else ""


# --- Resend ------------------------------------------------------------------------------------------


def tenant_resend_invitation(*, record: TenantRecord, actor) -> None:
    if record.registration_status != "invited":
        raise MoveError(
            _("%(name)s has already registered with ButterflyMX: there is no invitation to re-send.") % {"name": record}
        )
    with transaction.atomic():
        if not rate_hit(key=f"tenant-resend:{record.pk}", limit=RESEND_PER_HOUR, window_s=RESEND_WINDOW_S):
            minutes = max(1, retry_after(window_s=RESEND_WINDOW_S) // 60)
            raise MoveError(
                _("The invitation of %(name)s was re-sent %(count)s times this hour; try again in %(minutes)s min.")
                % {"name": record, "count": RESEND_PER_HOUR, "minutes": minutes}
            )
    client = admin_client(record.building)
    try:
        client.resend_tenant_confirmation(record.bmx_id)
    except BmxError as exc:
        if exc.status == 422 and any(e.code == "already_registered" for e in exc.errors):
            TenantRecord.objects.filter(pk=record.pk).update(registration_status="registered")
            raise MoveError(
                _("%(name)s has registered with ButterflyMX meanwhile: no invitation was sent.") % {"name": record}
            ) from exc
        if exc.status == 404:
            raise MoveError(
                _("ButterflyMX no longer has %(name)s as a tenant; run a roster sync.") % {"name": record}
            ) from exc
        raise MoveError(_("The invitation was not re-sent: %(why)s") % {"why": exc.human_message}) from exc
    audit(TenantMove.Action.INVITATION_RESENT, building=record.building, actor=actor, record=record)


# --- Move out (the tenants' half; portal.tenant_moves runs the whole) --------------------------------------


def bmx_tenant_delete(client: BmxClient, tenant_id: int) -> str | None:
    """``DELETE /v4/tenants/{id}``; None when the tenant is gone (a 404 is gone too), else why not."""
    try:
        client.delete_tenant(tenant_id)
    except BmxError as exc:
        if exc.status != 404:
            return exc.human_message
    return None


def tenant_bmx_remove(*, record: TenantRecord) -> None:
    """The ButterflyMX half of a move-out; :class:`MoveError` (and nothing changed) when it was refused."""
    error = bmx_tenant_delete(admin_client(record.building), record.bmx_id)
    if error is not None:
        raise MoveError(_("%(name)s was not moved out: %(why)s") % {"name": record, "why": error})


def tenant_moved_out(*, record: TenantRecord, actor, source: str = TenantMove.Source.FORM) -> int:
    """The portal's tenants half, after ButterflyMX deleted the tenant: the record kept but inactive (the
    logs keep naming them), the portal residencies of that tenancy ended, one audit row. Returns how many
    residencies ended. Call it inside the caller's transaction."""
    ended = Residency.objects.filter(
        unit__building=record.building, bmx_tenant_id=record.bmx_id, is_active=True
    ).update(is_active=False, is_primary=False)
    TenantRecord.objects.filter(pk=record.pk).update(is_active=False)
    audit(TenantMove.Action.MOVED_OUT, building=record.building, actor=actor, record=record, source=source)
    return ended


def residencies_of(record: TenantRecord) -> list[int]:
    """The ids of the portal residencies of this tenancy (active or not): their passes are its passes."""
    return list(
        Residency.objects.filter(unit__building=record.building, bmx_tenant_id=record.bmx_id).values_list(
            "pk", flat=True
        )
    )
