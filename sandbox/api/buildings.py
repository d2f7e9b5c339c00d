"""Buildings, their capabilities, and units (§4.1, §4.2)."""

from django.db import transaction
from django.db.models import Q

from sandbox import clock
from sandbox.api import serializers as s
from sandbox.api.auth import Viewer, api_route
from sandbox.api.common import get_visible
from sandbox.api.errors import data, invalid, json_body, no_content, not_found, unwrap
from sandbox.api.filters import apply_ransack, parse_int, parse_str
from sandbox.api.pagination import paginate
from sandbox.models import Building, Unit

BUILDING_FILTERS = {"name": ("name", parse_str), "id": ("id", parse_int)}
UNIT_FILTERS = {
    "label": ("label", parse_str),
    "floor": ("floor", parse_str),
    "building_id": ("building_id", parse_int),
    "id": ("id", parse_int),
}


def buildings_for(viewer: Viewer):
    return Building.objects.filter(id__in=viewer.building_ids).order_by("id")


def units_for(viewer: Viewer):
    return Unit.objects.filter(Q(building_id__in=viewer.managed) | Q(id__in=viewer.unit_ids)).order_by("id")


def list_buildings(request, viewer: Viewer):
    return paginate(request, apply_ransack(request, buildings_for(viewer), BUILDING_FILTERS), s.building)


def show_building(request, viewer: Viewer, id: int):
    return data(s.building(get_visible(buildings_for(viewer), id)))


def capabilities(request, viewer: Viewer, id: int):
    b = get_visible(buildings_for(viewer), id)
    return data(
        {
            "delivery_pass_enabled": b.delivery_pass_enabled,
            "delivery_pickup_pins_enabled": False,
            "user_photo_required": False,
        }
    )


def list_units(request, viewer: Viewer):
    return paginate(request, apply_ransack(request, units_for(viewer), UNIT_FILTERS), s.unit)


def show_unit(request, viewer: Viewer, id: int):
    return data(s.unit(get_visible(units_for(viewer), id)))


def _label_taken(building_id: int, label: str, exclude: int | None = None) -> bool:
    qs = Unit.objects.filter(building_id=building_id, label__iexact=label)
    if exclude:
        qs = qs.exclude(id=exclude)
    return qs.exists()


TAKEN = ("label", "taken", "has already been taken")


def create_unit(request, viewer: Viewer, building_id: int):
    viewer.require_building(building_id, admin=True)
    params = unwrap(json_body(request), "unit")
    label = str(params.get("label") or "").strip()
    floor = params.get("floor")
    errors = []
    if not label:
        errors.append(("label", "blank", "can't be blank"))
    if floor in (None, ""):
        errors.append(("floor_id", "blank", "can't be blank"))
    if not errors and _label_taken(building_id, label):
        errors.append(TAKEN)
    if errors:
        raise invalid(*errors)  # nothing was written, so no orphan floor is left behind
    now = clock.now()
    with transaction.atomic():
        unit = Unit.objects.create(
            building_id=building_id, label=label, floor=str(floor), created_at=now, updated_at=now
        )
    return data(s.unit(unit), status=201)


def _unit_in(building_id: int, id: int) -> Unit:
    unit = Unit.objects.filter(id=id, building_id=building_id).first()
    if unit is None:
        raise not_found()  # "cannot update a unit that does not belong to the building"
    return unit


def update_unit(request, viewer: Viewer, building_id: int, id: int):
    viewer.require_building(building_id, admin=True)
    unit = _unit_in(building_id, id)
    params = unwrap(json_body(request), "unit")
    if "label" in params and params["label"] is not None:  # explicit nulls are ignored
        label = str(params["label"]).strip()
        if not label:
            raise invalid(("label", "blank", "can't be blank"))
        if _label_taken(building_id, label, exclude=unit.id):
            raise invalid(TAKEN)
        unit.label = label
    if params.get("floor") not in (None, ""):
        unit.floor = str(params["floor"])
    unit.updated_at = clock.now()
    unit.save()
    return data(s.unit(unit))


def delete_unit(request, viewer: Viewer, building_id: int, id: int):
    viewer.require_building(building_id, admin=True)
    _unit_in(building_id, id).delete()
    return no_content()


buildings = api_route(GET=list_buildings)
building = api_route(GET=show_building)
building_capabilities = api_route(GET=capabilities)
units = api_route(GET=list_units)
unit = api_route(GET=show_unit)
building_units = api_route(POST=create_unit)
building_unit = api_route(PUT=update_unit, PATCH=update_unit, DELETE=delete_unit)
