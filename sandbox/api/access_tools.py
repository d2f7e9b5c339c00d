"""Access tools (§4.7): resident PINs, RFID tags, vehicle tags."""

import re

from django.db import transaction
from django.db.models import Q

from sandbox import clock
from sandbox.api import serializers as s
from sandbox.api.auth import Viewer, api_route
from sandbox.api.common import as_int, get_visible
from sandbox.api.errors import data, forbidden, invalid, json_body, no_content, not_found, unwrap
from sandbox.api.filters import apply_ransack, parse_int, parse_str
from sandbox.api.pagination import paginate
from sandbox.models import AccessTool, Tenant
from sandbox.rules import pins

ITEM_TYPES = {
    "pin": "pin",
    "rfidtag": "rfid_tag",
    "rfid_tag": "rfid_tag",
    "vehicle": "vehicle",
    "vehicletag": "vehicle",
}
FILTERS = {
    "tenant_id": ("tenant_id", parse_int),
    # ``q[item_type_eq]=Pin``: the Rails polymorphic class name; matched case-insensitively.
    "item_type": (lambda _p, v: Q(type=ITEM_TYPES.get(v.lower().replace("_", ""), v.lower())), parse_str),
    "building_id": ("building_id", parse_int),
    "id": ("id", parse_int),
}
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def tools_for(viewer: Viewer):
    return AccessTool.objects.filter(viewer.owned()).order_by("id")


def _tenant_for_write(viewer: Viewer, tenant_id) -> Tenant:
    tenant = Tenant.objects.filter(id=as_int(tenant_id)).first()
    if tenant is None or not viewer.can_see_tenant(tenant):
        raise not_found()
    return tenant


def list_tools(request, viewer: Viewer):
    return paginate(request, apply_ransack(request, tools_for(viewer), FILTERS), s.access_tool)


def show_tool(request, viewer: Viewer, id: int):
    return data(s.access_tool(get_visible(tools_for(viewer), id)))


def delete_tool(request, viewer: Viewer, id: int):
    tool = get_visible(tools_for(viewer), id)
    if tool.protected:
        raise invalid(("base", "is_protected", "is protected"))
    tool.delete()
    return no_content()


def create_pin(request, viewer: Viewer):
    params = unwrap(json_body(request), "pin")
    tenant = _tenant_for_write(viewer, params.get("tenant_id"))
    code = params.get("code")
    if code in (None, ""):
        code = pins.generate(tenant.building_id)
    else:
        errors = pins.resident_pin_errors(str(code), tenant.building_id)
        if errors:
            raise invalid(*errors)
    now = clock.now()
    with transaction.atomic():
        # "Only one PIN is allowed per tenant" (CONFIRMED-DOC), yet the OpenAPI examples create a PIN for a
        # tenant that already has one and get 201: the new PIN replaces the old, which stops working.
        AccessTool.objects.filter(tenant=tenant, type="pin").delete()
        tool = AccessTool.objects.create(
            tenant=tenant,
            building_id=tenant.building_id,
            type="pin",
            code=str(code),
            created_at=now,
            updated_at=now,
        )
    return data(s.access_tool(tool), status=201)


def update_pin(request, viewer: Viewer, id: int):
    tool = tools_for(viewer).filter(id=id, type="pin").first()
    if tool is None:
        raise not_found()
    params = unwrap(json_body(request), "pin")  # schema: {"code"}; examples: {"pin": {"code"}}
    code = str(params.get("code") or "")
    errors = pins.resident_pin_errors(code, tool.building_id, exclude_tool=tool.id)
    if errors:
        raise invalid(*errors)
    tool.code, tool.updated_at = code, clock.now()
    tool.save(update_fields=["code", "updated_at"])
    return data(s.access_tool(tool))


def create_rfid(request, viewer: Viewer):
    params = unwrap(json_body(request), "rfid_tag")
    tenant = _tenant_for_write(viewer, params.get("tenant_id"))
    if not viewer.is_admin_of(tenant.building_id):
        raise forbidden()
    identifier = str(params.get("identifier") or "")
    errors = []
    if not identifier:
        errors.append(("item.identifier", "blank", "can't be blank"))
    if not _HEX.match(identifier):
        errors.append(
            (
                "item.identifier",
                "invalid",
                "Unrecognized character. The fobs, cards, and tags do not "
                "accept special characters or letters outside of a-f",
            )
        )
    if errors:
        raise invalid(*errors)
    now = clock.now()
    tool = AccessTool.objects.create(
        tenant=tenant,
        building_id=tenant.building_id,
        type="rfid_tag",
        code=identifier,
        created_at=now,
        updated_at=now,
    )
    return data(s.access_tool(tool), status=201)


access_tools = api_route(GET=list_tools)
access_tool = api_route(GET=show_tool, DELETE=delete_tool)
access_tool_pins = api_route(POST=create_pin)
access_tool_pin = api_route(PUT=update_pin, PATCH=update_pin)
access_tool_rfid_tags = api_route(POST=create_rfid)
