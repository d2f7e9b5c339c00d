"""Who gets a notice by which channel: the person's choices, quiet hours, a snooze, ButterflyMX's DND.

The open page always gets the live notice (it is what the person is looking at); this decides only the
channels that reach a person away from it, Web Push and e-mail. Read in one pass for all recipients
(a handful of queries whatever their number), inside :func:`portal.notifications.services.notify`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth import get_user_model
from django.utils import timezone

from tenants.selectors import in_do_not_disturb, own_building

from .categories import EMAIL, PUSH
from .models import NotificationPreference, PushSubscription
from .notices import Notice

QUIET_HOURS, SNOOZED, DO_NOT_DISTURB, NO_DEVICE, NO_EMAIL = (
    "quiet hours",
    "snoozed",
    "ButterflyMX do not disturb",
    "no device opted in",
    "no e-mail address",
)


@dataclass
class Plan:
    """Per channel, the people to reach; ``held`` says, per person, why a chosen channel was held back."""

    push: list[int] = field(default_factory=list)
    email: list[int] = field(default_factory=list)
    held: dict[int, str] = field(default_factory=dict)


def preference_of(user) -> NotificationPreference:
    """The person's saved preferences, or the defaults (unsaved) when they never chose."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)


def zone_of(user) -> ZoneInfo:
    """Quiet hours are read in the person's building's zone (their home, else where they work)."""
    building = own_building(user)
    try:
        return ZoneInfo(building.time_zone) if building and building.time_zone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):  # a zone ButterflyMX named that this machine lacks
        return ZoneInfo("UTC")


def in_quiet_hours(start: time, end: time, local: time) -> bool:
    """Whether ``local`` falls in [start, end), a window that may wrap midnight; start == end is no window."""
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def channels_chosen(user, category: str) -> set[str]:
    """The channels ``user`` chose for ``category`` (or its default): e.g. a pass's "tell me when a visitor
    uses it" starts from the person's choice for ``arrival``."""
    return preference_of(user).channels_for(category)


def delivery_plan(
    user_ids: Iterable[int],
    notice: Notice,
    *,
    now: datetime | None = None,
    channels: Mapping[int, Iterable[str]] | None = None,
) -> Plan:
    """``channels``, when given, replaces a person's choice for this one notice (a pass's own setting);
    quiet hours, a mute and "do not disturb" still apply."""
    now = now or timezone.now()
    ids = sorted(set(user_ids))
    plan = Plan()
    if not ids:
        return plan
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=ids, is_active=True)}
    prefs = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=ids)}
    devices = set(PushSubscription.objects.filter(user_id__in=ids).values_list("user_id", flat=True))
    quiet_dnd = in_do_not_disturb(ids) if notice.category == "call" else set()
    for user_id in ids:
        user = users.get(user_id)
        if user is None:
            continue
        pref = prefs.get(user_id) or NotificationPreference(user_id=user_id)
        chosen = set(channels[user_id]) if channels is not None and user_id in channels else None
        wanted = chosen if chosen is not None else pref.channels_for(notice.category)
        if not wanted:
            continue
        reason = _held_reason(user, pref, notice.category, now, quiet_dnd)
        if reason:
            plan.held[user_id] = reason
            continue
        if PUSH in wanted:
            if user_id in devices:
                plan.push.append(user_id)
            elif wanted == {PUSH}:
                plan.held[user_id] = NO_DEVICE
        if EMAIL in wanted:
            if user.email:
                plan.email.append(user_id)
            else:
                plan.held[user_id] = NO_EMAIL
    return plan


def _held_reason(user, pref: NotificationPreference, category: str, now: datetime, dnd: set[int]) -> str:
    if user.pk in dnd:
        # ButterflyMX's own switch: the resident asked the intercom for quiet; the portal does not ring
        # them behind its back (the open page still shows the call, which they are looking at).
        return DO_NOT_DISTURB
    if pref.snoozed_until and pref.snoozed_until > now:
        return SNOOZED
    if pref.quiet_enabled and category not in (pref.quiet_allowed or []):
        local = now.astimezone(zone_of(user)).time()
        if in_quiet_hours(pref.quiet_start, pref.quiet_end, local):
            return QUIET_HOURS
    return ""
