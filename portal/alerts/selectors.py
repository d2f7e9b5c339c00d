"""Reads: who wants which notice."""

from __future__ import annotations

from tenants.models import Building, Membership, Role
from tenants.scope import Grants

from .categories import DEFAULT_ON, MANAGER_ALERTS
from .forms import choice_field_name
from .models import AlertChoice, AlertIncident

RECENT = 20


def managers_wanting(building_id: int, category: str, *, exclude_user_id: int | None = None) -> list[int]:
    """Ids of the building's managers who want ``category`` (their choice there, else the default)."""
    managers = [
        user_id
        for user_id in Membership.objects.filter(building_id=building_id, role=Role.MANAGER, user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        if user_id != exclude_user_id
    ]
    chosen = dict(
        AlertChoice.objects.filter(building_id=building_id, category=category, user_id__in=managers).values_list(
            "user_id", "enabled"
        )
    )
    return [user_id for user_id in managers if chosen.get(user_id, DEFAULT_ON[category])]


def alert_choices(user, buildings) -> dict[tuple[int, str], bool]:
    """``{(building id, category): on}`` for every building given and manager category (defaults filled)."""
    chosen = {
        (b, c): on
        for b, c, on in AlertChoice.objects.filter(user_id=user.pk, building__in=buildings).values_list(
            "building_id", "category", "enabled"
        )
    }
    return {(b.pk, c): chosen.get((b.pk, c), on) for b in buildings for c, on in DEFAULT_ON.items()}


def managed_buildings(grants: Grants) -> list[Building]:
    """The buildings whose alerts the person may choose: those they manage."""
    return list(Building.objects.restrict(grants, Role.MANAGER).order_by("name"))


def alert_choice_rows(chosen: dict[tuple[int, str], bool], buildings) -> list[tuple[Building, list[tuple]]]:
    """Per building, its categories as (category, label, help, field name, on): the form's check boxes."""
    return [
        (b, [(c, label, why, choice_field_name(b.pk, c), chosen[(b.pk, c)]) for c, label, why, _on in MANAGER_ALERTS])
        for b in buildings
    ]


def recent_incidents(buildings) -> list[AlertIncident]:
    """The latest alert incidents of these buildings (a manager's own), newest first."""
    return list(AlertIncident.objects.filter(building__in=buildings).select_related("building")[:RECENT])
