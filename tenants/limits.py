"""Per-person and per-building limits: what a resident may do in an hour, and PIN-change attempts.

Every limit is a fixed-window counter of :mod:`portal.core.limits` (one atomic SQL statement per claim,
race-safe across processes). The hourly abuse limits exist because one resident sent 60 text messages
to arbitrary numbers in 1.4 s and created 121 passes in three minutes: each message and each pass is
now claimed, per person *at a building* and per building, before anything is sent or ButterflyMX is
called. Defaults come from settings (``PORTAL_LIMIT_*``); a building's managers override them with a
:class:`~tenants.models.BuildingLimits` row (the building page's "Usage limits").

Counter keys (``portal.core.models.RateCounter.key``, 64 characters at most):
``msg:b:<building>`` and ``msg:b:<building>:u:<person>`` for messages, ``pass:...`` the same way for
passes, ``pin:u:<person>`` for PIN-change attempts, ``doors-refresh:user:<person>`` for door refreshes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal.core.limits import rate_count, rate_count_max, rate_hit, rate_refund, retry_after

from .models import Building, BuildingLimits

HOUR = 3600
MESSAGES, PASSES = "messages", "passes"
KEY_PREFIX = {MESSAGES: "msg", PASSES: "pass"}


@dataclass(frozen=True)
class LimitDef:
    field: str  # the BuildingLimits field, and the name used in forms
    kind: str  # MESSAGES or PASSES
    per: str  # "person" or "building"
    setting: str
    label: str  # lazy: translated where shown
    form_label: str  # the same, for the form that sets it


LIMITS = (
    LimitDef(
        "messages_per_person",
        MESSAGES,
        "person",
        "PORTAL_LIMIT_MESSAGES_PER_PERSON",
        gettext_lazy("Messages per person"),
        gettext_lazy("Messages per person per hour"),
    ),
    LimitDef(
        "messages_per_building",
        MESSAGES,
        "building",
        "PORTAL_LIMIT_MESSAGES_PER_BUILDING",
        gettext_lazy("Messages, building"),
        gettext_lazy("Messages, building per hour"),
    ),
    LimitDef(
        "passes_per_person",
        PASSES,
        "person",
        "PORTAL_LIMIT_PASSES_PER_PERSON",
        gettext_lazy("Passes per person"),
        gettext_lazy("Passes per person per hour"),
    ),
    LimitDef(
        "passes_per_building",
        PASSES,
        "building",
        "PORTAL_LIMIT_PASSES_PER_BUILDING",
        gettext_lazy("Passes, building"),
        gettext_lazy("Passes, building per hour"),
    ),
)
BY_FIELD = {limit.field: limit for limit in LIMITS}


class LimitReached(Exception):
    """A limit refused the action; nothing was counted. ``retry_after`` is in whole seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclass
class Claim:
    """What a successful claim counted, so it can be given back if the action did not happen."""

    keys: tuple[str, ...]
    amount: int
    at: datetime

    def refund(self) -> None:
        """The action did not happen (nothing sent, no pass made): give the counts back."""
        if self.amount <= 0:
            return
        with transaction.atomic():
            for key in self.keys:
                rate_refund(key=key, window_s=HOUR, now=self.at, amount=self.amount)


def default(limit: LimitDef) -> int:
    return int(getattr(settings, limit.setting))


def effective_limits(building: Building) -> dict[str, int]:
    """Each limit of ``building``: the managers' value where they set one, else the default."""
    row = BuildingLimits.objects.filter(building=building).first()
    values = {}
    for limit in LIMITS:
        mine = getattr(row, limit.field, None) if row is not None else None
        values[limit.field] = default(limit) if mine is None else mine
    return values


def _key(kind: str, building_id: int, user_id: int | None = None) -> str:
    key = f"{KEY_PREFIX[kind]}:b:{building_id}"
    return key if user_id is None else f"{key}:u:{user_id}"


def _amount(n: int, kind: str) -> str:
    """``"1 message"``, ``"20 messages"``, ``"1 pass"``, ``"0 passes"`` (a count, inside a sentence)."""
    if kind == MESSAGES:
        return ngettext("%(count)s message", "%(count)s messages", n) % {"count": n}
    return ngettext("%(count)s pass", "%(count)s passes", n) % {"count": n}


def in_words(seconds: int) -> str:
    """``"in 12 minutes"`` / ``"in 40 seconds"``: when a refused person may try again (inside a sentence)."""
    if seconds >= 90:
        minutes = round(seconds / 60)
        return ngettext("in %(count)s minute", "in %(count)s minutes", minutes) % {"count": minutes}
    return ngettext("in %(count)s second", "in %(count)s seconds", seconds) % {"count": seconds}


def abuse_claim(*, user, building: Building, kind: str, amount: int = 1, now: datetime | None = None) -> Claim:
    """Count ``amount`` messages or passes for ``user`` at ``building``, per person and per building.

    Both counters are claimed in one transaction, committed before the caller sends anything: if the
    building's counter refuses, the exception leaving the block rolls the person's increment back, so a
    refusal counts nothing.
    Raises :class:`LimitReached`.
    """
    now = now or timezone.now()
    if amount <= 0:
        return Claim(keys=(), amount=0, at=now)
    limits = effective_limits(building)
    person_key, building_key = _key(kind, building.pk, user.pk), _key(kind, building.pk)
    wait = retry_after(window_s=HOUR, now=now)
    with transaction.atomic():
        if not rate_hit(key=person_key, limit=limits[f"{kind}_per_person"], window_s=HOUR, now=now, amount=amount):
            raise LimitReached(
                _(
                    "You have reached your limit of %(amount)s an hour at %(building)s. Try again %(when)s, or "
                    "ask the building's manager."
                )
                % {
                    "amount": _amount(limits[f"{kind}_per_person"], kind),
                    "building": building.name,
                    "when": in_words(wait),
                },
                wait,
            )
        if not rate_hit(key=building_key, limit=limits[f"{kind}_per_building"], window_s=HOUR, now=now, amount=amount):
            raise LimitReached(
                _(
                    "%(building)s has reached its limit of %(amount)s an hour. Try again %(when)s, or ask the "
                    "building's manager."
                )
                % {
                    "amount": _amount(limits[f"{kind}_per_building"], kind),
                    "building": building.name,
                    "when": in_words(wait),
                },
                wait,
            )
    return Claim(keys=(person_key, building_key), amount=amount, at=now)


@dataclass
class LimitUsage:
    limit: LimitDef
    value: int
    default: int
    used: int  # this hour: the building's count, or the busiest person's

    @property
    def is_default(self) -> bool:
        return self.value == self.default


def limits_usage(building: Building, now: datetime | None = None) -> list[LimitUsage]:
    """Each limit of ``building`` with this hour's usage (for per-person limits, the busiest person's)."""
    now = now or timezone.now()
    values = effective_limits(building)
    out = []
    for limit in LIMITS:
        if limit.per == "building":
            used = rate_count(key=_key(limit.kind, building.pk), window_s=HOUR, now=now)
        else:
            used = rate_count_max(prefix=_key(limit.kind, building.pk) + ":u:", window_s=HOUR, now=now)
        out.append(LimitUsage(limit=limit, value=values[limit.field], default=default(limit), used=used))
    return out


def building_limits_set(*, building: Building, values: dict[str, int | None], user) -> BuildingLimits:
    """A manager's new limits for ``building`` (None: back to the default)."""
    row, _ = BuildingLimits.objects.update_or_create(
        building=building, defaults={**{limit.field: values.get(limit.field) for limit in LIMITS}, "updated_by": user}
    )
    return row


# --- Per-person attempts: PIN changes, door refreshes -------------------------------------------


def _attempt_claim(*, key: str, limit: int, window_s: int, refusal: Callable[[int], str], now: datetime | None) -> None:
    """Count one attempt under ``key``; past ``limit`` per ``window_s`` raise :class:`LimitReached` with
    ``refusal(seconds to wait)`` as its message."""
    now = now or timezone.now()
    with transaction.atomic():
        allowed = rate_hit(key=key, limit=limit, window_s=window_s, now=now)
    if not allowed:
        wait = retry_after(window_s=window_s, now=now)
        raise LimitReached(refusal(wait), wait)


def pin_attempt_claim(*, user_id: int, now: datetime | None = None) -> None:
    """Count one PIN-change attempt of the person ``user_id`` (set, generate, refused or not); raises
    :class:`LimitReached` past ``PIN_CHANGE_LIMIT`` attempts per ``PIN_CHANGE_WINDOW_S``.

    Every attempt counts, refused ones included: the limit is what bounds guessing other people's PINs.
    """
    _attempt_claim(
        key=f"pin:u:{user_id}",
        limit=int(settings.PIN_CHANGE_LIMIT),
        window_s=int(settings.PIN_CHANGE_WINDOW_S),
        refusal=lambda wait: (
            _("Too many PIN changes: you can try again %(when)s. Your current PIN still works.")
            % {"when": in_words(wait)}
        ),
        now=now,
    )


def doors_refresh_claim(*, user_id: int, now: datetime | None = None) -> None:
    """Count one "Refresh from ButterflyMX" of the person ``user_id``; raises :class:`LimitReached` past
    ``DOORS_REFRESH_LIMIT`` per ``DOORS_REFRESH_WINDOW_S``."""
    _attempt_claim(
        key=f"doors-refresh:user:{user_id}",
        limit=int(settings.DOORS_REFRESH_LIMIT),
        window_s=int(settings.DOORS_REFRESH_WINDOW_S),
        refusal=lambda wait: (
            _("Your doors were refreshed a moment ago; try again in %(minutes)s min.") % {"minutes": max(1, wait // 60)}
        ),
        now=now,
    )
