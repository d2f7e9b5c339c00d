"""Reads of the passes app, all scoped by ``Pass.objects.restrict(grants)`` (:mod:`tenants.scope`)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from tenants.models import Residency
from tenants.scope import Grants, grants_of

from .models import GRACE, Pass, VisitorKey, hash_share_token

STATES = ("active", "upcoming", "used", "expired", "revoked", "failed", "all")


def _used_q(now: dt.datetime) -> Q:
    return Q(kind=Pass.Kind.ONE_TIME, first_used_at__lt=now - GRACE["one_time"]) | Q(
        kind=Pass.Kind.DELIVERY, first_used_at__lt=now - GRACE["delivery"]
    )


def filter_state(qs: QuerySet[Pass], state: str, now: dt.datetime | None = None) -> QuerySet[Pass]:
    """The same states as :meth:`Pass.state`, as a database filter (so lists paginate and count)."""
    now = now or timezone.now()
    live = qs.filter(status=Pass.Status.ACTIVE)
    used = _used_q(now)
    in_grace = Q(kind__in=[Pass.Kind.ONE_TIME, Pass.Kind.DELIVERY], first_used_at__isnull=False) & ~used
    if state == "used":
        return live.filter(used)
    if state == "upcoming":
        return live.filter(starts_at__gt=now).exclude(used).exclude(in_grace)
    if state == "active":
        return live.filter((Q(starts_at__lte=now, ends_at__gt=now) & ~used) | in_grace)
    if state == "expired":
        return live.filter(ends_at__lte=now).exclude(used).exclude(in_grace)
    if state == "revoked":
        return qs.filter(status=Pass.Status.REVOKED)
    if state == "failed":
        return qs.filter(status__in=[Pass.Status.FAILED, Pass.Status.PENDING])
    return qs


def pass_list(grants: Grants, state: str = "active") -> QuerySet[Pass]:
    """Residents: their own units' passes; staff and managers: every pass of their buildings."""
    qs = filter_state(Pass.objects.restrict(grants), state).select_related(
        "building", "unit", "residency__user", "tenant"
    )
    order = ["starts_at", "id"] if state in ("upcoming", "active") else ["-ends_at", "-id"]
    return qs.prefetch_related("doors").order_by(*order)


def residencies_for_creation(user, grants: Grants | None = None) -> QuerySet[Residency]:
    """Tenancies ``user`` may create a pass for: their own, and every resident of the buildings they
    staff or manage. Pass the request's grants to spare their query."""
    staffed = sorted((grants if grants is not None else grants_of(user)).memberships)
    return (
        Residency.objects.filter(Q(user=user) | Q(unit__building_id__in=staffed), is_active=True)
        .select_related("user", "unit__building", "link")
        .order_by("unit__building__name", "unit__label", "user__email")
    )


def key_for_share_token(token: str) -> VisitorKey | None:
    """The visitor key of a guest link, or None. Looked up by hash: no timing hint, no plain token stored."""
    if not token or len(token) > 100:
        return None
    return (
        VisitorKey.objects.filter(share_token_hash=hash_share_token(token))
        .select_related("pass_obj__building", "pass_obj__unit")
        .first()
    )


def stale_pass_ids(qs: QuerySet[Pass], now: dt.datetime | None = None) -> list[int]:
    """Passes on a page whose use counts are older than a minute (and can still change)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=60)
    return [
        p.pk
        for p in qs
        if p.status == Pass.Status.ACTIVE
        and p.bmx_keychain_id
        and (p.usage_refreshed_at is None or p.usage_refreshed_at < cutoff)
        and p.ends_at > now - dt.timedelta(days=1)
    ]
