"""Releasing a door: the one service behind the staff board, the residents' page and the API.

The order matters and each step commits on its own (callers run outside ATOMIC_REQUESTS):

1. scope: the door must be visible to the person (404 otherwise); residents only their assigned doors;
   staff not a resident's unit door their building keeps off the board; and staff say why they open a
   resident's unit door (400 without a reason);
2. rate limits per person and per door, then the per-door cooldown, all atomic on the server;
3. the audit row, committed *before* ButterflyMX is called;
4. exactly one ``POST /v4/door_release_requests``: never retried, because a release is not idempotent.
   A timeout is recorded as "unknown: check the log", never re-sent. A unit's smart lock goes by its
   ``device_id``, every other door by its ``access_point_id`` (``tenants.door_kinds.release_device``);
   a device release opens every access point of the device, so it is used only when the person may
   release each of them, and the audit row names them;
5. the audit row completed with the answer, in words a person can act on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.alerts.services import staff_release_tell
from portal.butterflymx import BmxError
from portal.core.limits import rate_hit
from portal.live import bus
from tenants.door_kinds import release_device, unit_door_q
from tenants.models import AccessPoint, Building, Device, Residency, Role, TenantRecord
from tenants.scope import RELEASE, Grants, grants_of
from tenants.services import client_for_link

from .confirmation import UNKNOWN_ERROR
from .limits import cooldown_claim
from .models import DoorRelease, FrontDesk


@dataclass
class ReleaseRefused(Exception):
    """The release was not sent. ``status`` is the HTTP status a view should answer with."""

    message: str
    status: int = 409
    retry_after: float | None = None

    def __str__(self) -> str:
        return self.message


@dataclass
class ReleaseTarget:
    """A door as one person may release it: looked up once, with their role and the front desk."""

    door: AccessPoint
    role: str | None
    front_desk: FrontDesk | None
    # The unit lock to release by device_id (None: by access_point_id), and every door it opens.
    device: Device | None = None
    device_doors: tuple[AccessPoint, ...] = ()

    @property
    def staff(self) -> bool:
        return self.role in (Role.STAFF, Role.MANAGER)

    @property
    def reason_required(self) -> bool:
        """Staff opening a resident's own apartment door say why (it is in the audit trail); the
        resident opening their own door does not."""
        return self.staff and bool(getattr(self.door, "is_unit_door", False))


UNIT_DOOR_REASON_REQUIRED = gettext_lazy(
    "Say why you are opening this resident's own door: a reason is required for unit doors, and it is "
    "kept in the release audit."
)


def release_target(*, user, door_id: int, grants: Grants | None = None) -> ReleaseTarget:
    """The door ``door_id`` if ``user`` may act on it (``AccessPoint.DoesNotExist`` otherwise). Pass
    the request's grants (``tenants.scope.request_grants``) to spare their query."""
    grants = grants if grants is not None else grants_of(user)
    door = (
        AccessPoint.objects.restrict(grants, action=RELEASE)
        .select_related("building__front_desk", "building__admin_link")
        .annotate(is_unit_door=ExpressionWrapper(unit_door_q(), output_field=BooleanField()))
        .order_by()
        .get(pk=door_id, is_active=True)
    )
    try:
        desk = door.building.front_desk
    except FrontDesk.DoesNotExist:
        desk = None
    device, device_doors = _release_device(door, grants)
    return ReleaseTarget(
        door=door, role=grants.roles.get(door.building_id), front_desk=desk, device=device, device_doors=device_doors
    )


def _release_device(door: AccessPoint, grants: Grants) -> tuple[Device | None, tuple[AccessPoint, ...]]:
    """The device to release ``door`` by, and the doors that release opens: only when the person may
    release every one of them (a device release cannot open fewer); else (None, ()) and the door goes
    by its access point."""
    device = release_device(door.devices.all())
    if device is None:
        return None, ()
    opened = tuple(device.access_points.filter(is_active=True).order_by("name"))
    allowed = set(
        AccessPoint.objects.restrict(grants, action=RELEASE)
        .filter(pk__in=[d.pk for d in opened])
        .values_list("pk", flat=True)
    )
    if door.pk not in {d.pk for d in opened} or any(d.pk not in allowed for d in opened):
        return None, ()
    return device, opened


def door_release(
    *,
    user,
    door_id: int,
    reason: str = "",
    for_tenant_id: int | None = None,
    target: ReleaseTarget | None = None,
) -> DoorRelease:
    """Release ``door_id`` once for ``user``. Raises ``AccessPoint.DoesNotExist`` outside scope and
    :class:`ReleaseRefused` when a limit or the building's setup stops it; otherwise returns the
    completed audit row (status succeeded, failed or unknown). ``target`` is the result of
    :func:`release_target` for the same person and door, when the caller already has it."""
    if target is None or target.door.pk != door_id:
        target = release_target(user=user, door_id=door_id)
    door, role = target.door, target.role
    building = door.building
    if target.reason_required and not reason.strip():
        raise ReleaseRefused(str(UNIT_DOOR_REASON_REQUIRED), 400)
    link, tenant_id, for_label, unit_id = _who_and_how(user, target, for_tenant_id)

    # Limits, cooldown and the audit row in ONE transaction, committed before ButterflyMX is called: the
    # conditional UPDATEs serialise concurrent clicks (a second transaction waits for the first's row lock
    # and then finds the cooldown taken), and a refused click rolls back its counter increments, so a
    # double click does not use up anyone's quota. One commit instead of four also keeps the release fast.
    with transaction.atomic():
        if not rate_hit(key=f"user:{user.pk}", limit=settings.DOOR_RELEASE_USER_LIMIT, window_s=60):
            raise ReleaseRefused(_("You have released doors too often in the last minute. Wait a moment."), 429, 60)
        if not rate_hit(key=f"door:{door.pk}", limit=settings.DOOR_RELEASE_DOOR_LIMIT, window_s=60):
            text = _("%(door)s has been released too often in the last minute.") % {"door": door.name}
            raise ReleaseRefused(text, 429, 60)
        wait = cooldown_claim(door_id=door.pk, seconds=settings.DOOR_RELEASE_COOLDOWN_S)
        if wait:
            text = _("%(door)s was just released. It can be released again in %(seconds)s s.") % {
                "door": door.name,
                "seconds": f"{wait:.0f}",
            }
            raise ReleaseRefused(text, 409, wait)
        release = DoorRelease.objects.create(
            building=building,
            door=door,
            requested_by=user,
            requested_by_role=role or "",
            reason=reason.strip()[:200],
            for_label=for_label,
            bmx_tenant_id=tenant_id,
            unit_id=unit_id,
            device=target.device,
            device_doors=", ".join(d.name for d in target.device_doors)[:300],
            requested_at=timezone.now(),
        )
    client = client_for_link(link, timeout=settings.DOOR_RELEASE_TIMEOUT_S)
    started = time.perf_counter()
    # By device or by access point: exactly one of the two, as the document's oneOf says.
    by = {"device_id": target.device.bmx_id} if target.device is not None else {"access_point_id": door.bmx_id}
    try:
        answer = client.release_door(tenant_id=tenant_id, **by)
    except BmxError as exc:
        release.status = DoorRelease.Status.UNKNOWN if exc.status == 0 else DoorRelease.Status.FAILED
        # Kept in English, the audit's language; shown in each reader's (confirmation.error_words).
        with translation.override("en"):
            release.error = (UNKNOWN_ERROR if exc.status == 0 else str(exc.human_message))[:500]
    else:
        release.status = DoorRelease.Status.SUCCEEDED
        release.bmx_release_id = (answer or {}).get("id")
    release.bmx_ms = (time.perf_counter() - started) * 1000
    release.completed_at = timezone.now()
    release.save(update_fields=["status", "error", "bmx_release_id", "bmx_ms", "completed_at"])
    release_announce(release)
    if target.staff and release.status == DoorRelease.Status.SUCCEEDED:
        staff_release_tell(
            release_id=release.pk,
            building=building,
            door_name=door.name,
            releaser=user,
            for_label=for_label,
            reason=release.reason,
            at=release.completed_at,
        )
    return release


def release_announce(release: DoorRelease) -> None:
    """Tell the open door boards of the building, and the unit the release was for (its "My doors" and
    home), that a release finished. Ids only: each page reads what it may show itself."""
    audiences = [bus.desk(release.building_id)]
    if release.unit_id is not None:
        audiences.append(bus.unit(release.unit_id))
    payload = {"building": release.building_id, "door": release.door_id, "release": release.pk}
    bus.publish("door.released", {**payload, "status": release.status}, audiences)


def _who_and_how(user, target: ReleaseTarget, for_tenant_id: int | None):
    """The ButterflyMX link to call with, the tenant the release is logged under, who it is for (as
    shown) and that tenant's unit (whose residents may see the release)."""
    door, role, desk = target.door, target.role, target.front_desk
    building = door.building
    if door.bmx_id is None:
        raise ReleaseRefused(_("%(door)s is not connected to ButterflyMX.") % {"door": door.name}, 409)
    if role in (Role.STAFF, Role.MANAGER):
        link = building.admin_link
        if link is None or not link.is_active:
            raise ReleaseRefused(
                _(
                    "%(building)s is not connected to ButterflyMX (or its link needs re-linking). "
                    "A manager can connect it from the building page."
                )
                % {"building": building.name},
                409,
            )
        if for_tenant_id:
            tenant = (
                TenantRecord.objects.select_related("unit")
                .filter(pk=for_tenant_id, building=building, is_active=True)
                .first()
            )
            if tenant is None:
                raise ReleaseRefused(_("That resident is not a ButterflyMX tenant of this building."), 400)
            return link, tenant.bmx_id, f"{tenant} ({tenant.unit.label if tenant.unit else 'no unit'})", tenant.unit_id
        if desk is None:
            raise ReleaseRefused(
                _(
                    "Choose who the release is for: ButterflyMX records every release against a resident, "
                    "and this building has no front-desk account set."
                ),
                400,
            )
        desk_unit = (
            TenantRecord.objects.filter(building=building, bmx_id=desk.bmx_tenant_id).values_list("unit_id", flat=True)
        ).first()
        return link, desk.bmx_tenant_id, desk.label, desk_unit
    # A resident: only doors they are assigned, through their own ButterflyMX link.
    residency = (
        Residency.objects.select_related("link", "unit")
        .filter(user=user, is_active=True, unit__building=building, doors=door)
        .filter(~Q(bmx_tenant_id=None))
        .order_by("-is_primary")
        .first()
    )
    if residency is None:
        raise AccessPoint.DoesNotExist
    if residency.link is None or not residency.link.is_active:
        raise ReleaseRefused(_("Link your ButterflyMX account (from your profile) to open doors from here."), 409)
    return residency.link, residency.bmx_tenant_id, f"{user.display_name} ({residency.unit.label})", residency.unit_id


def front_desk_set(*, building, tenant: TenantRecord | None) -> FrontDesk | None:
    """Set (or clear) the tenant that releases for nobody in particular are logged under."""
    if tenant is None:
        FrontDesk.objects.filter(building=building).delete()
        return None
    desk, _created = FrontDesk.objects.update_or_create(
        building=building, defaults={"bmx_tenant_id": tenant.bmx_id, "label": str(tenant)[:100] or "Front desk"}
    )
    return desk


def board_unit_doors_set(*, building: Building, shown: bool) -> None:
    """Show (or hide) the building's residents' unit doors on the staff board; hidden, staff cannot
    release them either."""
    Building.objects.filter(pk=building.pk).update(unit_doors_on_board=shown)
    building.unit_doors_on_board = shown
