"""Writes: what people chose, and the alert a staff release sends (the front desk calls it)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.notifications.notices import Notice
from portal.notifications.services import notify
from tenants.models import Building

from .categories import MANAGER_CATEGORIES, RELEASE
from .models import AlertChoice
from .selectors import managers_wanting


def alert_choices_set(*, user, choices: dict[tuple[int, str], bool]) -> None:
    """Store a manager's choices, ``{(building id, category): on}``, for buildings they manage (the caller
    restricted them) and known categories only."""
    with transaction.atomic():
        for (building_id, category), enabled in choices.items():
            if category in MANAGER_CATEGORIES:
                AlertChoice.objects.update_or_create(
                    user=user, building_id=building_id, category=category, defaults={"enabled": enabled}
                )


def staff_release_tell(
    *, release_id: int, building: Building, door_name: str, releaser, for_label: str, reason: str, at: dt.datetime
) -> list[int]:
    """A door released from the portal by staff or a manager: tell the building's other managers who
    want it. Called once per release (one audit row), so it is told once. Returns whom it told."""
    users = managers_wanting(building.pk, RELEASE, exclude_user_id=releaser.pk)
    if not users:
        return []
    local = timezone.localtime(at, building.tz)
    why = f" ({reason})" if reason else ""
    notify(
        users,
        Notice(
            category=RELEASE,
            title=f"{door_name} released by {releaser.display_name}",
            body=f"{building.name}, {local:%H:%M}, for {for_label or 'nobody in particular'}{why}.",
            url=reverse("dashboard:audit") + f"?building={building.pk}",
            tag=f"release-{release_id}",
        ),
    )
    return users
