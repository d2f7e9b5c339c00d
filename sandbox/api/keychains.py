"""Keychains (visitor passes) and virtual keys (§4.8)."""

from django.db.models import Q

from sandbox.api import serializers as s
from sandbox.api.auth import Viewer, api_route
from sandbox.api.common import as_int, get_visible, origin
from sandbox.api.errors import data, invalid, json_body, no_content, unwrap
from sandbox.api.filters import apply_ransack, parse_int, parse_str, parse_time
from sandbox.api.pagination import paginate
from sandbox.models import Keychain, VirtualKey
from sandbox.rules import keychains as rules

KEYCHAIN_FILTERS = {
    "name": ("name", parse_str),
    "tenant_id": ("tenant_id", parse_int),
    "unit_id": ("unit_id", parse_int),
    "starts_at": ("starts_at", parse_time),
    "ends_at": ("ends_at", parse_time),
    "building_id": ("building_id", parse_int),
    "id": ("id", parse_int),
}
KEY_FILTERS = {
    "name": ("name", parse_str),
    "email": ("email", parse_str),
    "sms_number": ("sms_number", parse_str),
    "keychain_id": ("keychain_id", parse_int),
    "building_id": ("building_id", parse_int),
    "id": ("id", parse_int),
}


def keychains_for(viewer: Viewer):
    return Keychain.objects.filter(viewer.owned()).prefetch_related("virtual_keys").order_by("id")


def keys_for(viewer: Viewer):
    return VirtualKey.objects.filter(
        Q(building_id__in=viewer.managed) | Q(keychain__tenant_id__in=viewer.tenant_ids)
    ).order_by("id")


def list_keychains(request, viewer: Viewer):
    return paginate(request, apply_ransack(request, keychains_for(viewer), KEYCHAIN_FILTERS), s.keychain)


def show_keychain(request, viewer: Viewer, id: int):
    return data(s.keychain(get_visible(keychains_for(viewer), id)))


def delete_keychain(request, viewer: Viewer, id: int):
    keychain = get_visible(keychains_for(viewer), id)
    if keychain.protected:
        raise invalid(("base", "failed_to_destroy", "failed to destroy"))
    keychain.delete()  # and with it every virtual key it issued
    return no_content()


def creator(kind: str):
    def create(request, viewer: Viewer):
        params = unwrap(json_body(request), "keychain")
        keychain = rules.create(kind, params, viewer.can_see_tenant, viewer.is_admin_of)
        return data(s.keychain(Keychain.objects.prefetch_related("virtual_keys").get(id=keychain.id)), status=201)

    return create


def list_keys(request, viewer: Viewer):
    o = origin(request)
    return paginate(request, apply_ransack(request, keys_for(viewer), KEY_FILTERS), lambda v: s.virtual_key(v, o))


def show_key(request, viewer: Viewer, id: int):
    return data(s.virtual_key(get_visible(keys_for(viewer), id), origin(request)))


def create_key(request, viewer: Viewer):
    params = json_body(request)  # the documented top-level body; a {"virtual_key": ...} wrapper is refused
    keychain = keychains_for(viewer).filter(id=as_int(params.get("keychain_id"))).first()
    if keychain is None:
        raise invalid(("keychain", "blank", "must exist"))
    if keychain.type == "delivery_pass":
        raise invalid(("keychain_id", "invalid", "delivery passes hold exactly one key"))
    key = rules.add_key(
        keychain,
        name=params.get("name") or None,
        email=params.get("email") or None,
        sms_number=params.get("sms_number") or None,
        pin_code=params.get("pin_code"),
    )
    return data(s.virtual_key(key, origin(request)), status=201)


def delete_key(request, viewer: Viewer, id: int):
    key = get_visible(keys_for(viewer), id)
    if key.protected:
        raise invalid(("base", "failed_to_delete_resource", "Failed to delete resource"))
    key.delete()
    return no_content()


keychains = api_route(GET=list_keychains)
keychain = api_route(GET=show_keychain, DELETE=delete_keychain)
keychain_create = {kind: api_route(POST=creator(kind)) for kind in rules.TYPES}
virtual_keys = api_route(GET=list_keys, POST=create_key)
virtual_key = api_route(GET=show_key, DELETE=delete_key)
