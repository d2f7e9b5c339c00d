"""Reads: who wants which notice."""

from __future__ import annotations

from tenants.models import Membership, Role

from .categories import DEFAULT_ON
from .models import AlertChoice, ArrivalDefault


def arrival_default(user) -> tuple[bool, bool]:
    """(push, e-mail): the person's default for "tell me when a visitor uses this pass" on new passes."""
    found = ArrivalDefault.objects.filter(user_id=user.pk).values_list("push", "email").first()
    return found if found is not None else (False, False)


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
