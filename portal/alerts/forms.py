"""A manager's alert choices per building: the check boxes of the Notifications page's "Alerts for your
buildings" section (a name per building and category), read back from a POST."""

from __future__ import annotations

from .categories import MANAGER_ALERTS


def choice_field_name(building_id: int, category: str) -> str:
    return f"alert-{building_id}-{category}"


def alert_choices_from(data, buildings) -> dict[tuple[int, str], bool]:
    """``{(building id, category): on}`` from the posted check boxes, for the given buildings only (a
    box for another building is ignored, never stored)."""
    return {
        (b.pk, category): data.get(choice_field_name(b.pk, category)) == "on"
        for b in buildings
        for category, *_rest in MANAGER_ALERTS
    }
