"""Access groups (§4.9): list, show, and bulk membership of tenants and units."""

from django.db.models import Q

from sandbox import clock
from sandbox.api import serializers as s
from sandbox.api.auth import Viewer, api_route
from sandbox.api.common import as_int, get_visible
from sandbox.api.errors import data, forbidden, invalid, json_body, message, unwrap
from sandbox.api.filters import apply_ransack, parse_int, parse_str
from sandbox.api.pagination import paginate
from sandbox.models import AccessGroup, Tenant, Unit

FILTERS = {"name": ("name", parse_str), "building_id": ("building_id", parse_int), "id": ("id", parse_int)}


def groups_for(viewer: Viewer):
    return (
        AccessGroup.objects.filter(Q(building_id__in=viewer.managed) | Q(tenants__in=viewer.tenant_ids))
        .distinct()
        .prefetch_related("tenants", "units")
        .order_by("id")
    )


def list_groups(request, viewer: Viewer):
    return paginate(request, apply_ransack(request, groups_for(viewer), FILTERS), s.access_group)


def show_group(request, viewer: Viewer, id: str):
    return data(s.access_group(get_visible(groups_for(viewer), id)))


def membership(kind: str, add: bool):
    """``POST .../{kind}`` adds, ``DELETE .../{kind}/bulk_destroy`` removes; only valid ids count."""
    model = Tenant if kind == "tenants" else Unit
    field = "tenant_ids" if kind == "tenants" else "unit_ids"
    label = "Tenants" if kind == "tenants" else "Units"

    def handler(request, viewer: Viewer, id: str):
        group = get_visible(groups_for(viewer), id)
        if not viewer.is_admin_of(group.building_id):
            raise forbidden()
        raw = unwrap(json_body(request), "access_group").get(field) or []
        ids = [i for i in (as_int(v) for v in (raw if isinstance(raw, list) else [])) if i is not None]
        found = list(model.objects.filter(id__in=ids, building_id=group.building_id))
        if not found:
            raise invalid((field, "not_found", f"No valid {kind} found"))
        relation = getattr(group, kind)
        (relation.add if add else relation.remove)(*found)
        group.updated_at = clock.now()
        group.save(update_fields=["updated_at"])
        return message(f"{label} {'added' if add else 'removed'} successfully")

    return handler


access_groups = api_route(GET=list_groups)
access_group = api_route(GET=show_group)
group_tenants = api_route(POST=membership("tenants", add=True))
group_tenants_bulk_destroy = api_route(DELETE=membership("tenants", add=False))
group_units = api_route(POST=membership("units", add=True))
group_units_bulk_destroy = api_route(DELETE=membership("units", add=False))
