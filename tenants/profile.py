"""A resident's profile and PIN: what the portal holds, what ButterflyMX holds, and changes to both.

PINs are read from and written to ButterflyMX only; the portal never stores one (not even encrypted)
and never logs one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from portal.butterflymx import BmxError

from .limits import pin_attempt_claim
from .models import BmxLink, Residency
from .pin_rules import REFUSED, generate_pin, is_legacy, new_pin_errors
from .services import client_for_link


class PinRefused(Exception):
    """The code was refused, here or by ButterflyMX. ``errors`` is always ``[REFUSED]``: one message for
    every reason, so nobody learns that a code is someone else's PIN. ``reasons`` (``low_entropy``,
    ``taken``, ...) are for tests and code, never shown."""

    def __init__(self, reasons: list[str]):
        super().__init__("PIN refused")
        self.reasons = reasons
        self.errors = [str(REFUSED)]  # in the language of the request that was refused


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


def profile_update(
    *, user, first_name: str, last_name: str, phone: str, push: bool, language: str | None = None
) -> ProfileUpdate:
    """Save the portal's copy, then (when asked and linked) push the name to ButterflyMX.

    The portal's save stands on its own: ButterflyMX refusing the push does not undo it; its answer
    is returned to be shown. ButterflyMX's v4 API takes names only: the e-mail is the ButterflyMX
    login and the phone is not readable there, so neither is pushed. ``language`` (``User.language``,
    empty for the browser's; None: unchanged) is the portal's alone.
    """
    with transaction.atomic():
        user.first_name, user.last_name, user.phone = first_name, last_name, phone
        if language is not None:
            user.language = language
        user.save(update_fields=["first_name", "last_name", "phone", "language"])
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
    result.bmx_message = _("ButterflyMX accepted the new name.")
    return result


@dataclass
class PinState:
    tool_id: int | None
    code: str | None

    @property
    def masked(self) -> str:
        return "•" * len(self.code) if self.code else ""

    @property
    def legacy(self) -> bool:
        """A grandfathered 4-digit PIN: it keeps working, but a new one would have 6 digits."""
        return is_legacy(self.code)


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


def pad_refusal(started: float, floor: float) -> None:
    """Sleep until ``floor`` seconds have passed since ``started`` (``time.monotonic()``).

    A code refused here takes microseconds; one ButterflyMX refuses as ``taken`` takes two round trips.
    Without padding, the answer's timing would tell which, and so whether a code is another resident's
    PIN. Every refusal therefore answers no sooner than ``PIN_REFUSAL_FLOOR_S`` (0.8 s by default: above
    the two round trips to ButterflyMX in normal operation), so both kinds look alike. The cost is
    bounded: each attempt, refused or not, counts against the per-person PIN-change limit.
    """
    left = floor - (time.monotonic() - started)
    if left > 0:
        time.sleep(left)


def _refuse(started: float, reasons: list[str]) -> PinRefused:
    pad_refusal(started, float(settings.PIN_REFUSAL_FLOOR_S))
    return PinRefused(reasons)


def pin_set(*, residency: Residency, code: str | None) -> PinState:
    """Set the tenancy's PIN to ``code`` (None: a strong random one). Sent once, never retried.

    1. The attempt is counted against the person's PIN-change limit (``tenants.limits.pin_attempt_claim``
       raises :class:`~tenants.limits.LimitReached`): refused attempts count too, which bounds guessing.
    2. The code is checked against the portal's rules (6 digits, strong; see :mod:`tenants.pin_rules`).
    3. ButterflyMX sets it, or refuses it with a 422 (e.g. ``taken``: another PIN of the building).

    A refusal of steps 2 or 3 raises :class:`PinRefused` with the same words and no sooner than
    ``PIN_REFUSAL_FLOOR_S`` after the attempt began, whichever step refused (:func:`pad_refusal`).
    """
    started = time.monotonic()
    pin_attempt_claim(user_id=residency.user_id)
    if code is None:
        code = generate_pin()
    code = code.strip()
    problems = new_pin_errors(code)
    if problems:
        raise _refuse(started, [reason for reason, _ in problems])
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
            raise _refuse(started, [e.code for e in exc.errors] or ["refused"]) from None
        raise
    return PinState(tool_id=tool.get("id"), code=str(tool.get("code") or code))
