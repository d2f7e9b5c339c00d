"""Writes: what people chose, and the alert a staff release sends (the front desk calls it)."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_noop

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
    facts = {
        "door": door_name,
        "who": releaser.display_name,
        "building": building.name,
        "at": at,
        "zone": building.tz,
        "whom": for_label,
        "reason": reason,
    }
    notify(users, partial(release_notice, release_id, facts, reverse("dashboard:audit") + f"?building={building.pk}"))
    return users


# Whole sentences for each case (for whom, and why, may be missing): keys (whom given, reason given).
_RELEASE_BODY = {
    (True, True): gettext_noop("%(building)s, %(time)s, for %(whom)s (%(reason)s)."),
    (True, False): gettext_noop("%(building)s, %(time)s, for %(whom)s."),
    (False, True): gettext_noop("%(building)s, %(time)s, for nobody in particular (%(reason)s)."),
    (False, False): gettext_noop("%(building)s, %(time)s, for nobody in particular."),
}


def release_notice(release_id: int, facts: dict, url: str) -> Notice:
    """A staff release told to a manager, in the active language (notify() makes it per language)."""
    time = formats.time_format(timezone.localtime(facts["at"], facts["zone"]), "TIME_FORMAT")
    body = gettext(_RELEASE_BODY[(bool(facts["whom"]), bool(facts["reason"]))])
    return Notice(
        category=RELEASE,
        title=gettext("%(door)s released by %(who)s") % facts,
        body=body % {**facts, "time": time},
        url=url,
        tag=f"release-{release_id}",
    )
