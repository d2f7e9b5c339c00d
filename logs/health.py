"""Which connected buildings' logs are stale, which are polled without webhooks, and whether their
webhooks are registered, verified and arriving (for /healthz and the sync health page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Max, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tenants.models import Building

from .models import AccessLogEntry, CallRecord, Stream, SyncCursor, WebhookDelivery, WebhookEndpoint
from .webhooks import base_url, polled_only


def stale_buildings() -> list[tuple[str, str]]:
    """(building name, reason) for every connected building with a stream not synced recently."""
    limit = timezone.now() - timedelta(seconds=settings.LOGS_STALE_AFTER_S)
    connected = Building.objects.filter(is_active=True, bmx_id__isnull=False, admin_link__isnull=False)
    out = []
    for building in connected.order_by("name"):
        cursors = {c.stream: c for c in SyncCursor.objects.filter(building=building, link__isnull=True)}
        for stream in ("access", "calls"):
            cursor = cursors.get(stream)
            if cursor is None or cursor.last_success_at is None:
                out.append((building.name, f"{stream}: never synced"))
            elif cursor.last_success_at < limit:
                minutes = int((timezone.now() - cursor.last_success_at).total_seconds() // 60)
                out.append((building.name, f"{stream}: last success {minutes} min ago"))
    return out


def poll_interval_s(stream: str) -> int:
    """How often the regular sync polls ``stream`` (beat schedule), in seconds."""
    if stream == Stream.ACCESS:
        return int(settings.LOGS_SYNC_ACCESS_INTERVAL_S)
    return int(settings.LOGS_SYNC_CALLS_INTERVAL_S)


def polled_without_webhooks() -> list[tuple[str, str]]:
    """(building name, reason) for every stream whose webhook ButterflyMX refused: polling carries it."""
    out = []
    endpoints = WebhookEndpoint.objects.filter(building__is_active=True).exclude(refused={}).select_related("building")
    for endpoint in endpoints.order_by("building__name"):
        for stream in polled_only(endpoint):
            label = Stream(stream).label.lower()
            out.append((endpoint.building.name, f"{label}: webhook refused, polled every {poll_interval_s(stream)} s"))
    return out


# --- A stream backing off (issue 16) -----------------------------------------------------------------


def sync_wait(cursor: SyncCursor | None, tz, now: datetime) -> str:
    """What a stream that :mod:`logs.sync` has put off is waiting for, in words, with the time of its next
    try in the building's zone ``tz``; "" when it is not waiting.

    ``logs.sync._failed`` sets ``next_attempt_at`` two ways: after errors it counts them in
    ``error_streak`` and doubles the wait; for a long ``Retry-After`` (a rate limit) it waits that long
    and leaves the streak alone. So a wait with no error counted is a rate limit being waited out.
    """
    if cursor is None or cursor.next_attempt_at is None or cursor.next_attempt_at <= now:
        return ""
    local = cursor.next_attempt_at.astimezone(tz)
    named = "TIME_FORMAT" if local.date() == now.astimezone(tz).date() else "SHORT_DATETIME_FORMAT"
    at = formats.date_format(local, named)
    words = cursor.last_error.strip() or _("no details")
    if cursor.error_streak:
        return ngettext(
            "Retrying at %(time)s (after %(count)s error: %(error)s)",
            "Retrying at %(time)s (after %(count)s errors: %(error)s)",
            cursor.error_streak,
        ) % {"time": at, "count": cursor.error_streak, "error": words}
    return _("Waiting out ButterflyMX's rate limit until %(time)s (%(error)s)") % {"time": at, "error": words}


# --- Webhooks: registered, verified, arriving (issue 16) ---------------------------------------------

# Found-by-polling entries are counted over this window at most: enough to tell "quiet" from "fine", and
# the count stays an index range scan however long the webhooks have been broken.
MISSED_LOOKBACK = timedelta(hours=24)


@dataclass
class WebhookHealth:
    """One building's webhooks as the sync health page and /healthz show them."""

    state: str  # a key of STATES
    detail: str = ""
    endpoint: WebhookEndpoint | None = None
    last_received: datetime | None = None
    last_hour: int = 0  # deliveries accepted in the last hour
    failures: int = 0  # deliveries refused (unreadable, too large) in the last 24 hours
    missed: int = 0  # entries logged after the last delivery, found by polling alone (last 24 hours)
    figures: dict = field(default_factory=dict, repr=False)  # the delivery aggregate's row

    @property
    def label(self) -> str:
        return str(STATES[self.state][0])

    @property
    def warning(self) -> bool:
        return STATES[self.state][1]


# state: (plain words, whether it warrants a warning). /healthz keeps the state's key.
STATES = {
    "not_registered": (gettext_lazy("Not registered"), True),
    "registering": (gettext_lazy("Registering"), False),
    "retrying": (gettext_lazy("Registration failed, retrying automatically"), True),
    "refused": (gettext_lazy("Refused by ButterflyMX"), True),
    "moving": (gettext_lazy("Registered for an old address, updating"), True),
    "awaiting": (gettext_lazy("Registered, awaiting first delivery"), False),
    "verified": (gettext_lazy("Verified"), False),
    "refusing": (gettext_lazy("Arriving, but refused"), True),
    "not_arriving": (gettext_lazy("Not arriving"), True),
    "quiet": (gettext_lazy("Gone quiet"), True),
}


def webhook_health(building_ids: list[int]) -> dict[int, WebhookHealth]:
    """Webhook state and delivery figures of each building, in three queries whatever their number:
    the endpoints, one aggregate over recent deliveries, one per stream over entries logged since."""
    now = timezone.now()
    endpoints = {e.building_id: e for e in WebhookEndpoint.objects.filter(building_id__in=building_ids)}
    figures = _delivery_figures(building_ids, now)
    missed = _missed_entries(endpoints, now)
    current = base_url()
    out = {}
    for building_id in building_ids:
        endpoint = endpoints.get(building_id)
        stats = figures.get(building_id, {})
        last = max(filter(None, [stats.get("last"), endpoint.last_delivery_at if endpoint else None]), default=None)
        health = WebhookHealth(
            state="not_registered",
            endpoint=endpoint,
            last_received=last,
            last_hour=stats.get("hour", 0),
            failures=stats.get("failures", 0),
            missed=missed.get(building_id, 0),
            figures=stats,
        )
        _judge(health, endpoint, current, now)
        out[building_id] = health
    return out


def _judge(health: WebhookHealth, endpoint: WebhookEndpoint | None, current: str, now: datetime) -> None:
    """Set ``state`` and ``detail`` from the endpoint and the figures."""
    if endpoint is None or not endpoint.integrations:
        pending = endpoint is not None and endpoint.pending_until is not None and endpoint.pending_until > now
        if endpoint is not None and endpoint.failure == WebhookEndpoint.Failure.PERMANENT:
            health.state, health.detail = "refused", endpoint.last_error
        elif endpoint is not None and endpoint.failure == WebhookEndpoint.Failure.TRANSIENT:
            health.state = "retrying"
            words = {"error": endpoint.last_error, "attempt": endpoint.attempts}
            if endpoint.retry_at:
                words["next"] = _ago(endpoint.retry_at, now)
                health.detail = _("%(error)s Attempt %(attempt)s; next %(next)s.") % words
            else:
                health.detail = _("%(error)s Attempt %(attempt)s.") % words
        elif pending:
            health.state = "registering"
        return
    if endpoint.base_url != current:
        health.state = "moving"
        if endpoint.base_url:
            health.detail = _("The integrations point at %(old)s; the portal is now at %(new)s.") % {
                "old": endpoint.base_url,
                "new": current,
            }
        else:
            health.detail = _("The integrations point at an unknown address; the portal is now at %(new)s.") % {
                "new": current
            }
        return
    received = health.last_received is not None and health.last_received >= endpoint.registered_at
    if health.missed and not received:
        health.state = "not_arriving"
        health.detail = ngettext(
            "%(count)s new entry since registration came by polling, but no webhook arrived: ButterflyMX "
            "cannot reach the webhook address (wrong port or address, firewall?). Live updates wait for the "
            "next poll.",
            "%(count)s new entries since registration came by polling, but no webhook arrived: ButterflyMX "
            "cannot reach the webhook address (wrong port or address, firewall?). Live updates wait for the "
            "next poll.",
            health.missed,
        ) % {"count": health.missed}
    elif health.missed:
        health.state = "quiet"
        health.detail = ngettext(
            "Webhooks have gone quiet: %(count)s new entry since the last webhook (%(ago)s) came by polling "
            "only. Live updates wait for the next poll.",
            "Webhooks have gone quiet: %(count)s new entries since the last webhook (%(ago)s) came by polling "
            "only. Live updates wait for the next poll.",
            health.missed,
        ) % {"count": health.missed, "ago": _ago(health.last_received, now)}
    elif received and _latest_refused(health):
        health.state = "refusing"
        health.detail = _(
            "The latest webhook was refused (%(count)s in 24 h: unreadable or too large), so it requested no "
            "sync; the kept bodies are under Webhook deliveries in the admin."
        ) % {"count": health.failures}
    elif received:
        health.state = "verified"
    else:
        health.state = "awaiting"


def _latest_refused(health: WebhookHealth) -> bool:
    """Whether the newest delivery of the last day was refused (the format changed? a proxy mangles?)."""
    stats = health.figures
    rejected, accepted = stats.get("last_rejected"), stats.get("last_accepted")
    return rejected is not None and (accepted is None or rejected > accepted)


def _ago(when: datetime, now: datetime) -> str:
    seconds = int((now - when).total_seconds())
    if seconds < 0:
        if -seconds < 120:
            return _("in %(seconds)s s") % {"seconds": -seconds}
        return _("in %(minutes)s min") % {"minutes": -seconds // 60}
    if seconds < 120:
        return _("%(seconds)s s ago") % {"seconds": seconds}
    return _("%(minutes)s min ago") % {"minutes": seconds // 60}


def _delivery_figures(building_ids: list[int], now: datetime) -> dict[int, dict]:
    """``{building_id: {"last", "hour", "failures"}}`` over the last day, one GROUP BY (index
    ``webhook_bldg_time``)."""
    accepted, rejected = WebhookDelivery.Outcome.ACCEPTED, WebhookDelivery.Outcome.REJECTED
    rows = (
        WebhookDelivery.objects.filter(building_id__in=building_ids, received_at__gte=now - timedelta(days=1))
        .values("building_id")
        .annotate(
            last=Max("received_at"),
            last_accepted=Max("received_at", filter=Q(outcome=accepted)),
            last_rejected=Max("received_at", filter=Q(outcome=rejected)),
            hour=Count("id", filter=Q(outcome=accepted, received_at__gte=now - timedelta(hours=1))),
            failures=Count("id", filter=Q(outcome=rejected)),
        )
    )
    return {row["building_id"]: row for row in rows}


def _missed_entries(endpoints: dict[int, WebhookEndpoint], now: datetime) -> dict[int, int]:
    """Per building, entries logged after its last delivery (or its registration) that polling found.

    With working webhooks every new entry is announced within seconds, so none is logged more than
    ``LOGS_WEBHOOK_QUIET_AFTER_S`` after the last delivery and that long ago. Only the streams whose
    webhook is registered count. One aggregate per stream, the anchor read through a join.
    """
    margin = timedelta(seconds=settings.LOGS_WEBHOOK_QUIET_AFTER_S)
    registered = F("building__log_webhook__registered_at")
    anchor = Greatest(registered, Coalesce(F("building__log_webhook__last_delivery_at"), registered))
    after = ExpressionWrapper(anchor + margin, output_field=DateTimeField())
    out: dict[int, int] = {}
    for model, kind in ((AccessLogEntry, "access_log"), (CallRecord, "call")):
        ids = [b for b, e in endpoints.items() if kind in (e.integrations or {}) and e.registered_at is not None]
        if not ids:
            continue
        rows = (
            model.objects.filter(
                building_id__in=ids,
                logged_at__gte=max(now - MISSED_LOOKBACK, min(endpoints[b].registered_at for b in ids)),
                logged_at__lte=now - margin,
            )
            .filter(logged_at__gt=after)
            .values("building_id")
            .annotate(n=Count("id"))
        )
        for row in rows:
            out[row["building_id"]] = out.get(row["building_id"], 0) + row["n"]
    return out
