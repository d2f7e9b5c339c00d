"""Tenants (§4.3): list (with ``scope=self``), show, create (invite), update, delete, resend invitation."""

import secrets

from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat

from sandbox import clock
from sandbox.api import serializers as s
from sandbox.api.auth import Viewer, api_route
from sandbox.api.common import as_bool, as_int, get_visible, origin
from sandbox.api.errors import data, forbidden, invalid, json_body, message, no_content, not_found, unwrap
from sandbox.api.filters import apply_ransack, parse_int, parse_str, parse_time
from sandbox.api.pagination import paginate
from sandbox.models import AccessGroup, Tenant, Unit, User

FILTERS = {
    "full_name": ("full_name", parse_str),
    "first_name": ("user__first_name", parse_str),
    "last_name": ("user__last_name", parse_str),
    "building_id": ("building_id", parse_int),
    "unit_id": ("unit_id", parse_int),
    "id": ("id", parse_int),
}
FLAG_FIELDS = (
    "qr_key_enabled",
    "delivery_pass_enabled",
    "swipe_to_open_enabled",
    "virtual_fob_entry_enabled",
    "sync",
)
DEFAULT_NOTIFICATIONS = {
    "email": False,
    "sms": False,
    "do_not_disturb": False,
    "preferences": {
        "door_opens": {"push": False, "email": False, "sms": None},
        "messages": {"push": True, "email": True, "sms": False},
    },
}


def tenants_for(viewer: Viewer):
    return (
        Tenant.objects.select_related("user", "unit", "building")
        .filter(Q(building_id__in=viewer.managed) | Q(id__in=viewer.tenant_ids))
        .order_by("id")
    )


def list_tenants(request, viewer: Viewer):
    qs = tenants_for(viewer)
    if request.GET.get("scope") == "self":
        qs = qs.filter(id__in=viewer.tenant_ids)
    qs = qs.annotate(full_name=Concat("user__first_name", Value(" "), "user__last_name"))
    o = origin(request)
    return paginate(request, apply_ransack(request, qs, FILTERS), lambda t: s.tenant(t, o))


def show_tenant(request, viewer: Viewer, id: int):
    return data(s.tenant(get_visible(tenants_for(viewer), id), origin(request)))


def _time_or_error(params: dict, field: str):
    value = params.get(field)
    if value in (None, ""):
        return None
    try:
        return parse_time(str(value))
    except ValueError:
        raise invalid((field, "invalid", "is invalid")) from None


def _apply_user_attrs(user: User, attrs: dict) -> None:
    for name in ("first_name", "last_name"):
        if attrs.get(name) not in (None, ""):
            setattr(user, name, str(attrs[name]))


def _apply_notifications(tenant: Tenant, attrs: dict) -> None:
    prefs = dict(tenant.notification_preference or DEFAULT_NOTIFICATIONS)
    aliases = {"email_notifications": "email", "sms_notifications": "sms"}  # schema vs example names
    for key, value in attrs.items():
        key = aliases.get(key, key)
        if key == "preferences" and isinstance(value, dict):
            merged = dict(prefs.get("preferences") or {})
            for group, channels in value.items():
                if isinstance(channels, dict):
                    merged[group] = dict(channels)  # a group sent is replaced whole (the PUT example)
            prefs["preferences"] = merged
        elif key in ("email", "sms", "do_not_disturb"):
            prefs[key] = as_bool(value)
    tenant.notification_preference = prefs


def create_tenant(request, viewer: Viewer):
    params = unwrap(json_body(request), "tenant")
    attrs = params.get("user_attributes")
    attrs = attrs if isinstance(attrs, dict) else {}  # the contract refuses a non-object before this
    unit = Unit.objects.select_related("building").filter(id=as_int(params.get("unit_id"))).first()
    if unit is not None:
        viewer.require_building(unit.building_id, admin=True)
    elif not viewer.managed:
        raise forbidden()
    email = str(attrs.get("email") or params.get("email") or "").strip().lower()
    if not email:
        raise invalid(("user", "blank", "can't be blank"))
    if unit is None:
        raise invalid(("unit", "blank", "must exist"))
    active_at = _time_or_error(params, "active_at") or clock.now()
    inactive_at = _time_or_error(params, "inactive_at")
    now = clock.now()
    with transaction.atomic():
        user, _ = User.objects.get_or_create(
            email=email,
            defaults={
                "first_name": str(attrs.get("first_name") or ""),
                "last_name": str(attrs.get("last_name") or ""),
            },
        )
        tenant = Tenant.objects.create(
            user=user,
            unit=unit,
            building_id=unit.building_id,
            contact_preference=attrs.get("contact_preference") or "phone_call",
            registration_status="registered" if user.password else "invited",
            invited_at=now,
            confirmation_token=secrets.token_hex(10),
            active_at=active_at,
            inactive_at=inactive_at,
            notification_preference=dict(DEFAULT_NOTIFICATIONS),
            flags={k: as_bool(params[k]) for k in FLAG_FIELDS if k in params}
            | ({"external_id": params["external_id"]} if "external_id" in params else {}),
            created_at=now,
            updated_at=now,
        )
        # Every new tenant joins the building's default access group (help-center fact).
        default = AccessGroup.objects.filter(building_id=unit.building_id, name="Default").first()
        if default:
            default.tenants.add(tenant)
    tenant = tenants_for_all().get(id=tenant.id)
    return data(s.tenant(tenant, origin(request)), status=201)


def tenants_for_all():
    return Tenant.objects.select_related("user", "unit", "building")


def _editable(viewer: Viewer, id: int) -> Tenant:
    tenant = get_visible(tenants_for(viewer), id)
    if not viewer.is_admin_of(tenant.building_id) and tenant.id not in viewer.tenant_ids:
        raise forbidden()
    return tenant


def update_tenant(request, viewer: Viewer, id: int):
    tenant = _editable(viewer, id)
    params = unwrap(json_body(request), "tenant")
    if "active_at" in params and params["active_at"] in (None, ""):
        raise invalid(("active_at", "blank", "can't be blank"))
    if "active_at" in params:
        tenant.active_at = _time_or_error(params, "active_at")
    if "inactive_at" in params:
        tenant.inactive_at = _time_or_error(params, "inactive_at")
    if "unit_id" in params and viewer.is_admin_of(tenant.building_id):
        unit = Unit.objects.filter(id=as_int(params["unit_id"]), building_id=tenant.building_id).first()
        if unit is None:
            raise invalid(("unit", "blank", "must exist"))
        tenant.unit = unit
    attrs = params.get("user_attributes")
    attrs = attrs if isinstance(attrs, dict) else {}
    _apply_user_attrs(tenant.user, attrs)
    if attrs.get("contact_preference") in ("mobile_app", "phone_call"):
        tenant.contact_preference = attrs["contact_preference"]
    if isinstance(params.get("notification_preference_attributes"), dict):
        _apply_notifications(tenant, params["notification_preference_attributes"])
    tenant.flags = dict(tenant.flags) | {k: as_bool(params[k]) for k in FLAG_FIELDS if k in params}
    if "external_id" in params:
        tenant.flags["external_id"] = params["external_id"]
    if "delivery_pass_instructions" in params:
        tenant.flags["delivery_pass_instructions"] = params["delivery_pass_instructions"]
    tenant.updated_at = clock.now()
    with transaction.atomic():
        tenant.user.save()
        tenant.save()
    return data(s.tenant(tenants_for_all().get(id=tenant.id), origin(request)))


def delete_tenant(request, viewer: Viewer, id: int):
    tenant = get_visible(tenants_for(viewer), id)
    if not viewer.is_admin_of(tenant.building_id):
        raise forbidden()
    tenant.delete()
    return no_content()


def resend_confirmation(request, viewer: Viewer, tenant_id: int):
    tenant = Tenant.objects.filter(id=tenant_id, building_id__in=viewer.managed).first()
    if tenant is None:
        raise not_found()
    if tenant.registration_status != "invited":
        raise invalid(("base", "already_registered", "is already registered"))
    tenant.invited_at = clock.now()
    tenant.save(update_fields=["invited_at"])
    return message("Confirmation email sent")  # PROPOSED body; the contract documents none


tenants = api_route(GET=list_tenants, POST=create_tenant)
tenant = api_route(GET=show_tenant, PUT=update_tenant, PATCH=update_tenant, DELETE=delete_tenant)
tenant_resend = api_route(POST=resend_confirmation)
