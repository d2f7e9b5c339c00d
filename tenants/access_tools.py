"""Tenants' permanent credentials at ButterflyMX (access tools: PINs, fobs and cards, vehicle tags).

Managers see each tenant's tools, add a fob, and revoke a lost fob or a compromised PIN; a resident sees
and revokes their own. The tools live at ButterflyMX only (the portal keeps no copy): every page reads
them with ``GET /v4/access_tools`` and the document's filters, with the building's admin link for a
manager and the resident's own tenant link for a resident.

Privacy: a PIN's code never leaves this module for a manager, not even its length; a resident's own PIN
is revealed only on their PIN card (:mod:`tenants.profile`). A fob's or vehicle tag's identifier is
shown as its last characters only (:func:`mask`), enough to tell fobs apart, not enough to copy one.

Every change is audited (:class:`~tenants.models.AccessToolChange`: who, when, which tool, which tenant,
what ButterflyMX answered), rate-limited per person (``ACCESS_TOOL_CHANGE_LIMIT`` per
``ACCESS_TOOL_CHANGE_WINDOW_S``, on :mod:`portal.core.limits`), sent once and never retried. Nothing is
half done: the audit row is committed ``pending`` before ButterflyMX is called and completed with its
answer, and ButterflyMX holds the only state that opens doors.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.butterflymx import BmxClient, BmxError
from portal.butterflymx.client import parse_timestamp
from portal.core.limits import rate_hit, retry_after

from .limits import LimitReached, in_words
from .models import AccessToolChange, BmxLink, Building, Residency, TenantRecord, Unit
from .services import client_for_link

logger = logging.getLogger(__name__)

# ButterflyMX's ``type`` of an access tool -> what people call it.
TYPES = ("pin", "rfid_tag", "vehicle")
PIN_MASK = "••••••"  # the same for every PIN: neither its digits nor its length
HINT_CHARS = 4
# What the form accepts: the document's 422 says fobs "do not accept special characters or letters outside
# of a-f", so hexadecimal digits; spaces and colons people copy from a label are taken out first.
FOB_IDENTIFIER = re.compile(r"^[0-9a-fA-F]{1,64}$")
FOB_SEPARATORS = re.compile(r"[\s:\-]")


def type_label(tool_type: str) -> str:
    """What a list calls the tool ("Fob or card")."""
    return {"pin": _("PIN"), "rfid_tag": _("Fob or card"), "vehicle": _("Vehicle tag")}.get(tool_type, tool_type)


def type_noun(tool_type: str) -> str:
    """The same inside a sentence ("this fob or card")."""
    return {"pin": _("PIN"), "rfid_tag": _("fob or card"), "vehicle": _("vehicle tag")}.get(tool_type, tool_type)


class AccessToolError(Exception):
    """A change the portal or ButterflyMX refused; ``message`` is for people, ``field`` the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ToolNotFound(Exception):
    """The tool is not one the person may act on (another building's, another tenant's, or gone): a 404."""


def hint(tool_type: str, code: str) -> str:
    """The last characters of a fob's or vehicle tag's identifier; nothing of a PIN, ever."""
    if tool_type == "pin" or len(code) <= HINT_CHARS:
        return ""
    return code[-HINT_CHARS:]


def mask(tool_type: str, code: str) -> str:
    """What a page shows of a code: ``••••••`` for any PIN, ``••••A1B2`` for a fob or tag."""
    if tool_type == "pin":
        return PIN_MASK
    return "••••" + hint(tool_type, code)


@dataclass(frozen=True)
class Tool:
    """An access tool as the portal shows it: never with its code, only :func:`mask`'s form of it."""

    id: int
    type: str
    masked: str
    tenant_id: int | None
    tenant_name: str
    unit_label: str
    created_at: datetime | None

    @property
    def label(self) -> str:
        return type_label(self.type)


def _tool(item: dict, tenants: dict[int, TenantRecord]) -> Tool:
    tenant = tenants.get(item.get("tenant_id"))  # type: ignore[arg-type]
    tool_type = str(item.get("type") or "")
    return Tool(
        id=int(item["id"]),
        type=tool_type,
        masked=mask(tool_type, str(item.get("code") or "")),
        tenant_id=item.get("tenant_id"),
        tenant_name=str(tenant) if tenant is not None else "",
        unit_label=tenant.unit.label if tenant is not None and tenant.unit is not None else "",
        created_at=parse_timestamp(item.get("created_at")),
    )


def _tenants_of(building: Building) -> dict[int, TenantRecord]:
    return {t.bmx_id: t for t in TenantRecord.objects.filter(building=building).select_related("unit")}


NOT_CONNECTED = gettext_noop("This building is not connected to ButterflyMX: connect its building-admin account first.")
NOT_LINKED = gettext_noop("Link your ButterflyMX account again: your PINs and fobs are read from it.")


def _admin_client(building: Building) -> BmxClient:
    link = building.admin_link
    if link is None or not link.is_active or building.bmx_id is None:
        raise AccessToolError(_(NOT_CONNECTED))
    return client_for_link(link)


def _resident_client(residency: Residency) -> BmxClient:
    link: BmxLink | None = residency.link
    if link is None or not link.is_active or residency.bmx_tenant_id is None:
        raise AccessToolError(_(NOT_LINKED))
    return client_for_link(link)


# --- Reads ----------------------------------------------------------------------------------------


def building_tools(*, building: Building, tenant_id: int | None = None, item_type: str | None = None) -> list[Tool]:
    """The building's access tools at ButterflyMX, optionally of one tenant (ButterflyMX id) or one type.

    Raises :class:`AccessToolError` (not connected) or :class:`BmxError`.
    """
    client = _admin_client(building)
    assert building.bmx_id is not None  # _admin_client refuses a building ButterflyMX does not know
    items = client.building_access_tools(building_id=building.bmx_id, tenant_id=tenant_id, item_type=item_type)
    tenants = _tenants_of(building)
    # The filter is ButterflyMX's; the portal checks the building again so nothing of another one shows.
    return [_tool(item, tenants) for item in items if item.get("building_id") in (None, building.bmx_id)]


def resident_tools(*, residency: Residency) -> list[Tool]:
    """The resident's own access tools (``q[tenant_id_eq]`` with their own link). Raises as above."""
    client = _resident_client(residency)
    items = client.tenant_access_tools(tenant_id=residency.bmx_tenant_id)  # type: ignore[arg-type]
    tenants = _tenants_of(residency.unit.building)
    return [_tool(item, tenants) for item in items if item.get("tenant_id") == residency.bmx_tenant_id]


def changes_of(building: Building, limit: int = 50) -> list[AccessToolChange]:
    """The building's latest access-tool changes, newest first: the managers' audit list."""
    return list(AccessToolChange.objects.filter(building=building).select_related("actor", "unit")[:limit])


# --- The per-person limit -------------------------------------------------------------------------


def change_claim(*, user_id: int, now: datetime | None = None) -> None:
    """Count one add or revoke of the person ``user_id``; past ``ACCESS_TOOL_CHANGE_LIMIT`` per
    ``ACCESS_TOOL_CHANGE_WINDOW_S`` raise :class:`~tenants.limits.LimitReached` (nothing counted)."""
    now = now or timezone.now()
    window = int(settings.ACCESS_TOOL_CHANGE_WINDOW_S)
    with transaction.atomic():
        allowed = rate_hit(
            key=f"access-tools:u:{user_id}", limit=int(settings.ACCESS_TOOL_CHANGE_LIMIT), window_s=window, now=now
        )
    if not allowed:
        wait = retry_after(window_s=window, now=now)
        raise LimitReached(
            _("Too many changes to PINs and fobs: you can try again %(when)s. Nothing was changed.")
            % {"when": in_words(wait)},
            wait,
        )


# --- Writes ---------------------------------------------------------------------------------------


def _tenant_label(building: Building, tenant_id: int, fallback: str = "") -> tuple[str, Unit | None]:
    tenant = TenantRecord.objects.filter(building=building, bmx_id=tenant_id).select_related("unit").first()
    if tenant is None:
        return fallback or f"tenant {tenant_id}", None
    unit = tenant.unit
    return (f"{tenant} ({unit.label})" if unit is not None else str(tenant)), unit


def _begin(**fields) -> AccessToolChange:
    """The audit row, committed before ButterflyMX is called."""
    with transaction.atomic():
        return AccessToolChange.objects.create(status=AccessToolChange.Status.PENDING, **fields)


def _finish(change: AccessToolChange, status: str, message: str = "", **fields) -> AccessToolChange:
    for name, value in {"status": status, "message": message, "completed_at": timezone.now(), **fields}.items():
        setattr(change, name, value)
    change.save(update_fields=["status", "message", "completed_at", *fields])
    logger.info(
        # The audit row's id, not ButterflyMX's id of the fob or PIN: in the sandbox a fob's id can share its
        # digits with the fob's number, a secret kept encrypted (the log-secrets check found one in CI).
        "access tool %s %s by user=%s building=%s tenant=%s change=%s type=%s",
        change.action,
        status,
        change.actor_id,
        change.building_id,
        change.bmx_tenant_id,
        change.pk,
        change.tool_type,
    )
    return change


def _revoke(
    client: BmxClient, item: dict, *, actor, role: str, building: Building, tenant_fallback: str = ""
) -> AccessToolChange:
    """``DELETE /v4/access_tools/{id}`` once, between a pending audit row and its outcome."""
    tool_type = str(item.get("type") or "")
    label, unit = _tenant_label(building, int(item["tenant_id"]), tenant_fallback)
    change = _begin(
        building=building,
        unit=unit,
        actor=actor,
        actor_role=role,
        action=AccessToolChange.Action.REVOKED,
        tool_type=tool_type,
        bmx_tool_id=item["id"],
        bmx_tenant_id=item["tenant_id"],
        tenant_label=label[:200],
        code_hint=hint(tool_type, str(item.get("code") or "")),
    )
    try:
        client.delete_access_tool(int(item["id"]))
    except BmxError as exc:
        if exc.status == 404:  # gone already, which is what was asked
            return _finish(change, AccessToolChange.Status.DONE)
        if _unanswered(exc) and not _still_there(client, item):  # the delete went through unanswered
            return _finish(change, AccessToolChange.Status.DONE)
        if exc.status == 422:
            text = _("ButterflyMX refused to revoke this %(tool)s (%(reason)s): it still works.") % {
                "tool": type_noun(tool_type),
                "reason": "; ".join(e.message for e in exc.errors) or exc.code,
            }
            _finish(change, AccessToolChange.Status.REFUSED, text)
        else:
            why = exc.human_message
            text = _("The %(tool)s was not revoked: %(why)s") % {"tool": type_noun(tool_type), "why": why}
            _finish(change, AccessToolChange.Status.FAILED, text)
        raise AccessToolError(text) from exc
    return _finish(change, AccessToolChange.Status.DONE)


def _unanswered(exc: BmxError) -> bool:
    """No answer, or a server error: ButterflyMX may have done it anyway."""
    return exc.status == 0 or exc.status >= 500


def _still_there(client: BmxClient, item: dict) -> bool:
    """After an unanswered delete: is the tool still listed? (A failed read says yes: never claim more.)"""
    try:
        found = client.tenant_access_tools(tenant_id=int(item["tenant_id"]), ids=[int(item["id"])])
    except BmxError:
        return True
    return any(t.get("id") == item["id"] for t in found)


def _made_unanswered(client: BmxClient, building: Building, tenant: TenantRecord, identifier: str) -> dict | None:
    """After an unanswered create: the tenant's fob with this identifier, if ButterflyMX made it."""
    try:
        fobs = client.building_access_tools(
            building_id=building.bmx_id,  # type: ignore[arg-type]
            tenant_id=tenant.bmx_id,
            item_type="rfid_tag",
        )
    except BmxError:
        return None
    return next((t for t in fobs if str(t.get("code") or "").lower() == identifier.lower()), None)


def tool_revoke_by_manager(*, actor, building: Building, tool_id: int) -> AccessToolChange:
    """A manager revokes one of the building's tools (a lost fob, a compromised PIN).

    Raises :class:`~tenants.limits.LimitReached`, :class:`ToolNotFound` (not a tool of this building at
    ButterflyMX), :class:`AccessToolError` (refused or failed: nothing changed) or :class:`BmxError`
    (the look-up failed: nothing sent).
    """
    client = _admin_client(building)
    change_claim(user_id=actor.pk)
    found = client.building_access_tools(building_id=building.bmx_id, ids=[tool_id])  # type: ignore[arg-type]
    item = next((t for t in found if t.get("id") == tool_id and t.get("building_id") == building.bmx_id), None)
    if item is None or item.get("tenant_id") is None:
        raise ToolNotFound(tool_id)
    return _revoke(client, item, actor=actor, role="manager", building=building)


def tool_revoke_own(*, residency: Residency, tool_id: int) -> AccessToolChange:
    """A resident revokes one of their own tools, with their own link. Raises as above; another
    tenant's tool (even a neighbour's) is :class:`ToolNotFound`."""
    client = _resident_client(residency)
    change_claim(user_id=residency.user_id)
    found = client.tenant_access_tools(tenant_id=residency.bmx_tenant_id, ids=[tool_id])  # type: ignore[arg-type]
    item = next((t for t in found if t.get("id") == tool_id and t.get("tenant_id") == residency.bmx_tenant_id), None)
    if item is None:
        raise ToolNotFound(tool_id)
    building = residency.unit.building
    return _revoke(
        client,
        item,
        actor=residency.user,
        role="resident",
        building=building,
        tenant_fallback=f"{residency.user.display_name} ({residency.unit.label})",
    )


def fob_identifier_clean(raw: str) -> str:
    """The identifier as ButterflyMX takes it: separators people copy from a label removed, hex only.
    Raises :class:`AccessToolError` on the ``identifier`` field before anything is sent."""
    identifier = FOB_SEPARATORS.sub("", raw or "")
    if not identifier:
        raise AccessToolError(_("Enter the fob's identifier (printed on it, or read by the reader)."), "identifier")
    if not FOB_IDENTIFIER.match(identifier):
        raise AccessToolError(
            _("A fob's identifier has only the digits 0-9 and the letters a-f (at most 64 of them)."), "identifier"
        )
    return identifier


def fob_add(*, actor, building: Building, tenant: TenantRecord, identifier: str) -> AccessToolChange:
    """A manager gives ``tenant`` a fob or card (``POST /v4/access_tools/rfid_tags``), audited.

    Raises :class:`AccessToolError` (bad identifier: nothing sent; ButterflyMX refused: nothing made),
    :class:`~tenants.limits.LimitReached` or, from the connection check, :class:`AccessToolError`.
    """
    client = _admin_client(building)
    if tenant.building_id != building.pk or not tenant.is_active:
        raise ToolNotFound(tenant.pk)
    identifier = fob_identifier_clean(identifier)
    change_claim(user_id=actor.pk)
    label, unit = _tenant_label(building, tenant.bmx_id)
    change = _begin(
        building=building,
        unit=unit,
        actor=actor,
        actor_role="manager",
        action=AccessToolChange.Action.ADDED,
        tool_type="rfid_tag",
        bmx_tenant_id=tenant.bmx_id,
        tenant_label=label[:200],
        code_hint=hint("rfid_tag", identifier),
    )
    try:
        created = client.create_rfid_tag(tenant_id=tenant.bmx_id, identifier=identifier)
    except BmxError as exc:
        made = _made_unanswered(client, building, tenant, identifier) if _unanswered(exc) else None
        if made is not None:  # created, though the answer was lost: say so, with its id
            return _finish(change, AccessToolChange.Status.DONE, bmx_tool_id=made.get("id"))
        if exc.status == 422:
            reasons = "; ".join(e.message for e in exc.errors) or exc.human_message
            text = _("ButterflyMX refused the fob: %(reasons)s") % {"reasons": reasons}
            _finish(change, AccessToolChange.Status.REFUSED, text)
            raise AccessToolError(text, "identifier") from exc
        text = _("The fob was not added: %(why)s") % {"why": exc.human_message}
        _finish(change, AccessToolChange.Status.FAILED, text)
        raise AccessToolError(text) from exc
    return _finish(change, AccessToolChange.Status.DONE, bmx_tool_id=(created or {}).get("id"))
