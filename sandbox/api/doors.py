"""Access points, their schedules, devices, and door release requests (§4.4-§4.6)."""

import uuid

from django.db import transaction
from django.db.models import Q

from sandbox import clock
from sandbox.api import serializers as s
from sandbox.api.auth import Viewer, api_route
from sandbox.api.common import as_int, get_visible
from sandbox.api.errors import data, forbidden, invalid, json_body, not_found, unwrap
from sandbox.api.filters import apply_ransack, parse_int, parse_str
from sandbox.api.pagination import paginate
from sandbox.models import AccessPoint, Device, DoorReleaseRequest, Tenant
from sandbox.rules import access

AP_FILTERS = {"name": ("name", parse_str), "building_id": ("building_id", parse_int), "id": ("id", parse_int)}
DEVICE_FILTERS = {
    "type": ("type", parse_str),
    "name": ("name", parse_str),
    "serial_number": ("serial_number", parse_str),
    "building_id": ("building_id", parse_int),
    "id": ("id", parse_int),
}


def permitted_ids(viewer: Viewer) -> set[int]:
    ids: set[int] = set()
    for tenancy in viewer.tenancies:
        ids |= access.permitted_access_point_ids(tenancy)
    return ids


def access_points_for(viewer: Viewer):
    return (
        AccessPoint.objects.filter(Q(building_id__in=viewer.managed) | Q(id__in=permitted_ids(viewer)))
        .prefetch_related("devices")
        .order_by("id")
    )


def devices_for(viewer: Viewer):
    mine = AccessPoint.devices.through.objects.filter(accesspoint_id__in=permitted_ids(viewer)).values("device_id")
    return Device.objects.filter(Q(building_id__in=viewer.managed) | Q(id__in=mine)).order_by("id")


def list_access_points(request, viewer: Viewer):
    return paginate(request, apply_ransack(request, access_points_for(viewer), AP_FILTERS), s.access_point)


def show_access_point(request, viewer: Viewer, id: int):
    return data(s.access_point(get_visible(access_points_for(viewer), id)))


def schedules(request, viewer: Viewer, id: int):
    """Times during which this access point can be used by the current user (the document's words): a
    building admin any time; a tenant the times of the access groups that grant it the door (a group
    with no times: all day, the document's example). Each item keeps a stable id."""
    ap = get_visible(access_points_for(viewer), id)
    items = [access.ALL_DAY] if viewer.is_admin_of(ap.building_id) else access.usable_hours(viewer.tenancies, ap)
    rows = [{"id": ap.id * 100 + n, **item} for n, item in enumerate(items, start=1)]
    return paginate(request, rows, lambda row: row)


def list_devices(request, viewer: Viewer):
    return paginate(request, apply_ransack(request, devices_for(viewer), DEVICE_FILTERS), s.device)


def show_device(request, viewer: Viewer, id: int):
    return data(s.device(get_visible(devices_for(viewer), id)))


def create_release(request, viewer: Viewer):
    params = unwrap(json_body(request), "door_release_request")
    ap_id, device_id = as_int(params.get("access_point_id")), as_int(params.get("device_id"))
    if (ap_id is None) == (device_id is None):
        raise invalid(("base", "invalid", "must specify exactly one of access_point_id or device_id"))
    tenant = Tenant.objects.select_related("user", "unit").filter(id=as_int(params.get("tenant_id"))).first()
    if tenant is None or not (tenant.building_id in viewer.managed or tenant.id in viewer.tenant_ids):
        raise not_found()
    targets = access.doors(ap_id, device_id)
    if not targets or any(t.building_id != tenant.building_id for t in targets):
        raise not_found()
    if not viewer.is_admin_of(tenant.building_id):
        # A tenant may release only the doors its access groups grant (admins: any door they manage).
        allowed = access.permitted_access_point_ids(tenant)
        targets = [t for t in targets if t.id in allowed]
        if not targets:
            raise forbidden()
    now = clock.now()
    with transaction.atomic():
        release = DoorReleaseRequest.objects.create(
            guid=str(uuid.uuid4()),
            tenant=tenant,
            access_point_id=ap_id,
            device_id=device_id,
            created_at=now,
            updated_at=now,
        )
        access.release(tenant, targets)
    return data(s.door_release(release), status=201)


access_points = api_route(GET=list_access_points)
access_point = api_route(GET=show_access_point)
access_point_schedules = api_route(GET=schedules)
devices = api_route(GET=list_devices)
device = api_route(GET=show_device)
door_release_requests = api_route(POST=create_release)
