"""Reads of the tenants app, scoped by ``restrict(grants)`` (:mod:`tenants.scope`)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import BmxLink, Building, Residency, Role, RosterSync, TenantRecord
from .scope import Grants, grants_of


def tenancies_of(user) -> QuerySet[Residency]:
    """The person's active tenancies, primary first."""
    return (
        Residency.objects.filter(user=user, is_active=True)
        .select_related("unit__building")
        .order_by("-is_primary", "unit__building__name", "unit__label")
    )


def managed_buildings(grants: Grants) -> QuerySet[Building]:
    return Building.objects.restrict(grants, Role.MANAGER).select_related("admin_link").order_by("name")


def latest_sync(building: Building) -> RosterSync | None:
    if building.admin_link_id is None:
        return None
    return RosterSync.objects.filter(link_id=building.admin_link_id).first()


def roster_counts(building: Building) -> dict[str, int]:
    return {
        "unit_count": building.units.filter(is_active=True).count(),
        "door_count": building.access_points.filter(is_active=True).count(),
        "device_count": building.devices.filter(is_active=True).count(),
        "tenant_count": building.tenant_records.filter(is_active=True).count(),
    }


def links_needing_relink(user) -> list[BmxLink]:
    if user is None or not user.is_authenticated:
        return []
    return list(BmxLink.objects.filter(user=user, status=BmxLink.Status.NEEDS_RELINK))


def own_building(user) -> Building | None:
    """The building whose zone shows times that belong to no building (a person's API tokens):
    the person's primary home, else the first building they work in (by name), else none."""
    home = tenancies_of(user).first()
    if home is not None:
        return home.unit.building
    return Building.objects.restrict(grants_of(user), Role.MANAGER, Role.STAFF).order_by("name").first()


def in_do_not_disturb(user_ids: Iterable[int]) -> set[int]:
    """Of ``user_ids``, the residents with ButterflyMX's "Do not disturb" on for one of their active
    tenancies (the roster keeps it on each tenant record)."""
    tenancies = list(
        Residency.objects.filter(user_id__in=list(user_ids), is_active=True, bmx_tenant_id__isnull=False).values_list(
            "user_id", "unit__building_id", "bmx_tenant_id"
        )
    )
    if not tenancies:
        return set()
    quiet = set(
        TenantRecord.objects.filter(
            do_not_disturb=True, is_active=True, bmx_id__in={tenant for _, _, tenant in tenancies}
        ).values_list("building_id", "bmx_id")
    )
    return {user for user, building, tenant in tenancies if (building, tenant) in quiet}
