"""A resident's profile and PIN: what the portal holds, what ButterflyMX holds, and changes to both.

PINs are read from and written to ButterflyMX only; the portal never stores one (not even encrypted)
and never logs one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from portal.butterflymx import BmxError

from .models import BmxLink, Residency
from .pin_rules import generate_pin, pin_errors
from .services import client_for_link


class PinRefused(Exception):
    """The PIN breaks a rule (checked here or by ButterflyMX): ``errors`` are field messages."""

    def __init__(self, errors: list[str]):
        super().__init__("PIN refused")
        self.errors = errors


@dataclass
class BmxProfile:
    """What ButterflyMX holds for the person's active tenancy (None when it could not be read)."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    unit: str = ""
    building: str = ""


@dataclass
class ProfileUpdate:
    saved: bool = True
    pushed: bool = False
    bmx_message: str = ""
    bmx_errors: dict[str, list[str]] = field(default_factory=dict)


def active_residency(user) -> Residency | None:
    """The tenancy the person acts as: their primary one, linked and active."""
    return (
        Residency.objects.filter(user=user, is_active=True, link__isnull=False, bmx_tenant_id__isnull=False)
        .select_related("unit__building", "link")
        .order_by("-is_primary", "pk")
        .first()
    )


def _usable_link(residency: Residency | None) -> BmxLink | None:
    if residency is None or residency.link is None or not residency.link.is_active:
        return None
    return residency.link


def profile_from_bmx(*, residency: Residency) -> BmxProfile:
    """``GET /v4/tenants/{id}`` for the active tenancy. Raises :class:`BmxError`."""
    link = _usable_link(residency)
    if link is None:
        raise BmxError(status=401, code="needs_relink")
    tenant = client_for_link(link).tenant(residency.bmx_tenant_id)
    return BmxProfile(
        first_name=tenant.get("first_name") or "",
        last_name=tenant.get("last_name") or "",
        email=tenant.get("email") or "",
        unit=(tenant.get("unit") or {}).get("label") or "",
        building=tenant.get("building_name") or "",
    )


def profile_update(*, user, first_name: str, last_name: str, phone: str, push: bool) -> ProfileUpdate:
    """Save the portal's copy, then (when asked and linked) push the name to ButterflyMX.

    The portal's save stands on its own: ButterflyMX refusing the push does not undo it; its answer
    is returned to be shown. ButterflyMX's v4 API takes names only: the e-mail is the ButterflyMX
    login and the phone is not readable there, so neither is pushed.
    """
    with transaction.atomic():
        user.first_name, user.last_name, user.phone = first_name, last_name, phone
        user.save(update_fields=["first_name", "last_name", "phone"])
    result = ProfileUpdate()
    residency = active_residency(user)
    link = _usable_link(residency)
    if not push or link is None:
        return result
    try:
        client_for_link(link).update_tenant(
            residency.bmx_tenant_id, {"user_attributes": {"first_name": first_name, "last_name": last_name}}
        )
    except BmxError as exc:
        result.bmx_message = exc.human_message
        result.bmx_errors = exc.field_errors()
        return result
    result.pushed = True
    result.bmx_message = "ButterflyMX accepted the new name."
    return result


@dataclass
class PinState:
    tool_id: int | None
    code: str | None

    @property
    def masked(self) -> str:
        return "•" * len(self.code) if self.code else ""


def pin_current(*, residency: Residency) -> PinState:
    """The tenancy's PIN as ButterflyMX holds it (one per tenant). Raises :class:`BmxError`."""
    link = _usable_link(residency)
    if link is None:
        raise BmxError(status=401, code="needs_relink")
    tools = client_for_link(link).access_tools(tenant_id=residency.bmx_tenant_id, item_type="Pin")
    pins = [t for t in tools if t.get("type") == "pin" and t.get("tenant_id") == residency.bmx_tenant_id]
    if not pins:
        return PinState(tool_id=None, code=None)
    return PinState(tool_id=pins[-1]["id"], code=str(pins[-1].get("code") or ""))


def pin_set(*, residency: Residency, code: str | None) -> PinState:
    """Set the tenancy's PIN to ``code`` (None: a strong random one). Sent once, never retried.

    Checked against ButterflyMX's rules first; ButterflyMX's own 422 (e.g. ``taken``) comes back as
    :class:`PinRefused` too, so the form shows both the same way.
    """
    if code is None:
        code = generate_pin()
    code = code.strip()
    problems = pin_errors(code)
    if problems:
        raise PinRefused([message for _, message in problems])
    link = _usable_link(residency)
    if link is None:
        raise BmxError(status=401, code="needs_relink")
    client = client_for_link(link)
    current = pin_current(residency=residency)
    try:
        if current.tool_id is None:
            tool = client.create_pin(residency.bmx_tenant_id, code)
        else:
            tool = client.update_pin(current.tool_id, code)
    except BmxError as exc:
        if exc.status == 422:
            raise PinRefused([m for msgs in exc.field_errors().values() for m in msgs]) from None
        raise
    return PinState(tool_id=tool.get("id"), code=str(tool.get("code") or code))
