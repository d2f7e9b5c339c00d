"""Access logs and calls of a building (§4.10, §4.11): newest first, Ransack-filtered, paginated.

The list path reads plain ``.values()`` rows over the ``(building_id, [release_method,] logged_at)``
indexes, so one page of a building with a million entries stays cheap.
"""

from django.db.models import Q

from sandbox.api import serializers as s
from sandbox.api.auth import Viewer, api_route
from sandbox.api.common import origin
from sandbox.api.errors import data, not_found
from sandbox.api.filters import apply_ransack, parse_int, parse_str, parse_time
from sandbox.api.pagination import paginate
from sandbox.models import AccessLog, Call

LOG_FIELDS = (
    "id",
    "logged_at",
    "access_point_id",
    "release_status",
    "name",
    "release_type",
    "unit_id",
    "tenant_id",
    "entry_method",
    "image_path",
)
CALL_FIELDS = (
    "id",
    "building_id",
    "logged_at",
    "notification_type",
    "recipient_id",
    "recipient_type",
    "unit_id",
    "device_id",
    "device_name",
    "status",
    "image_path",
)


def _prefix(*fields: str):
    return lambda _predicate, value: (
        Q(**{f"{fields[0]}__istartswith": value}) | Q(**{f"{f}__istartswith": value for f in fields[1:2]})
    )


LOG_FILTERS = {
    "unit_label_or_user_full_name_or_delivery_authorization_description": (
        _prefix("unit_label", "name"),
        parse_str,
    ),
    "logged_at": ("logged_at", parse_time),
    "release_method": ("release_method", parse_str),
}
LOG_BARE = {"release_status": ("release_status", parse_str)}
CALL_FILTERS = {
    "logged_at": ("logged_at", parse_time),
    "notification_type": ("notification_type", parse_str),
    "origin": ("device_id", parse_int),
    "unit_label_or_user_full_name": (_prefix("unit_label", "recipient_name"), parse_str),
}


def _scoped(viewer: Viewer, building_id: int, model, tenant_q: Q):
    viewer.require_building(building_id)
    qs = model.objects.filter(building_id=building_id)
    if not viewer.is_admin_of(building_id):
        qs = qs.filter(tenant_q)  # tenants see only their own activity
    return qs


def logs_for(viewer: Viewer, building_id: int):
    return _scoped(viewer, building_id, AccessLog, Q(tenant_id__in=viewer.tenant_ids) | Q(unit_id__in=viewer.unit_ids))


def calls_for(viewer: Viewer, building_id: int):
    return _scoped(viewer, building_id, Call, Q(recipient_id__in=viewer.tenant_ids))


def list_logs(request, viewer: Viewer, building_id: int):
    qs = apply_ransack(request, logs_for(viewer, building_id), LOG_FILTERS, bare=LOG_BARE)
    o = origin(request)
    rows = qs.order_by("-logged_at", "-id").values(*LOG_FIELDS)
    return paginate(request, rows, lambda row: s.access_log_row(row, o), count=qs.count())


def show_log(request, viewer: Viewer, building_id: int, id: int):
    row = logs_for(viewer, building_id).filter(id=id).values(*LOG_FIELDS).first()
    if row is None:
        raise not_found()
    return data(s.access_log_row(row, origin(request)))


def list_calls(request, viewer: Viewer, building_id: int):
    qs = apply_ransack(request, calls_for(viewer, building_id), CALL_FILTERS)
    o = origin(request)
    rows = qs.order_by("-logged_at", "-id").values(*CALL_FIELDS)
    return paginate(request, rows, lambda row: s.call_row(row, o), count=qs.count())


def show_call(request, viewer: Viewer, building_id: int, id: int):
    row = calls_for(viewer, building_id).filter(id=id).values(*CALL_FIELDS).first()
    if row is None:
        raise not_found()
    return data(s.call_row(row, origin(request)))


access_logs = api_route(GET=list_logs)
access_log = api_route(GET=show_log)
calls = api_route(GET=list_calls)
call = api_route(GET=show_call)
