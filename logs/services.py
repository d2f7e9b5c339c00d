"""Writes of the logs app: sync requests (debounced), webhook registration and deliveries.

The sync itself lives in :mod:`logs.sync`, the bulk upsert in :mod:`logs.upsert`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tenants.models import Building

from .models import Stream, SyncCursor, WebhookDelivery, WebhookEndpoint
from .sync import cursor_for, stream_sync
from .webhooks import UnknownPayload, parse_delivery, redact, webhooks_register, webhooks_unregister

logger = logging.getLogger(__name__)

__all__ = [
    "delivery_receive",
    "stream_sync",
    "sync_request",
    "webhooks_register",
    "webhooks_unregister",
]


def sync_request(*, building_id: int, stream: str) -> bool:
    """Ask for a sync soon, debounced: many nudges within ``LOGS_WEBHOOK_DEBOUNCE_S`` enqueue one task.

    The claim is one conditional UPDATE (atomic across processes); the task is sent after commit and
    runs after the debounce window, so a burst of deliveries is read in one walk. The run clears the
    claim when it starts, so a nudge arriving during a run queues the next one. True when enqueued.
    """
    from .tasks import sync_stream_task

    cursor = cursor_for(building_id, stream)
    now = timezone.now()
    window = timedelta(seconds=settings.LOGS_WEBHOOK_DEBOUNCE_S)
    if cursor.sync_requested_at is not None and cursor.sync_requested_at >= now - 4 * window:
        return False  # already claimed (what the UPDATE below would find): spare the round trip
    claimed = SyncCursor.objects.filter(
        Q(sync_requested_at__isnull=True) | Q(sync_requested_at__lt=now - 4 * window), pk=cursor.pk
    ).update(sync_requested_at=now)
    if not claimed:
        return False

    def enqueue_sync() -> None:  # a named function: robust on_commit logs failures by __qualname__
        sync_stream_task.apply_async((building_id, stream), countdown=settings.LOGS_WEBHOOK_DEBOUNCE_S)

    # robust: a broker hiccup must not turn a webhook delivery into a 500; beat's regular run syncs anyway.
    transaction.on_commit(enqueue_sync, robust=True)
    return True


def _storable(text: str) -> str:
    """PostgreSQL text cannot hold NUL; a delivery carrying one (raw, or ``\u0000`` in a JSON string)
    is still stored, with U+FFFD in its place (found by tests/fuzz/test_webhook_fuzz.py)."""
    return text.replace("\x00", "\ufffd")


LAST_DELIVERY_RESOLUTION_S = 5  # the health page shows "last delivery" to this precision


def delivery_receive(*, building: Building, body: bytes, endpoint: WebhookEndpoint | None = None) -> tuple[int, str]:
    """Record one webhook delivery and nudge a sync. Returns (HTTP status, short reason).

    Cheap under a burst (load test: docs/performance.md): ``last_delivery_at`` is written at most every
    few seconds, since every delivery updating the one endpoint row serialised concurrent deliveries on
    its row lock; and the sync claim is skipped when the cursor already shows a pending request.
    """
    now = timezone.now()
    seen = endpoint.last_delivery_at if endpoint is not None else None
    if seen is None or seen < now - timedelta(seconds=LAST_DELIVERY_RESOLUTION_S):
        stale = Q(last_delivery_at__isnull=True) | Q(last_delivery_at__lt=now - timedelta(seconds=1))
        WebhookEndpoint.objects.filter(stale, building=building).update(last_delivery_at=now)
    text = _storable(body.decode("utf-8", errors="replace"))
    try:
        nudge = parse_delivery(body)
    except UnknownPayload as exc:
        return _rejected(building, text, 422, str(exc))
    except ValueError:  # includes JSON and UTF-8 decoding errors
        return _rejected(building, text, 400, "the body is not valid JSON")
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(
                building=building,
                outcome=WebhookDelivery.Outcome.ACCEPTED,
                status_code=200,
                style=_storable(nudge.style)[:32],
                dedupe_key=_storable(nudge.dedupe_key)[:128],
                body=redact(text),
            )
    except IntegrityError:  # the same delivery again: answered 200 so ButterflyMX stops retrying
        WebhookDelivery.objects.create(
            building=building,
            outcome=WebhookDelivery.Outcome.DUPLICATE,
            status_code=200,
            style=_storable(nudge.style)[:32],
            dedupe_key=None,
            body="",
        )
        return 200, "duplicate"
    sync_request(building_id=building.pk, stream=nudge.stream)
    return 200, "accepted"


def _rejected(building: Building | None, text: str, status: int, reason: str) -> tuple[int, str]:
    WebhookDelivery.objects.create(
        building=building,
        outcome=WebhookDelivery.Outcome.REJECTED,
        status_code=status,
        error=_storable(reason)[:300],
        body=redact(_storable(text)),
    )
    return status, reason


def webhook_rejected_store(*, building: Building | None, text: str, status: int, reason: str) -> None:
    """Keep an oversized or otherwise refused body (truncated) for inspection."""
    _rejected(building, text, status, reason)


def building_connected(*, building_id: int, queue: str | None = None) -> None:
    """A building just got a working building-admin link: register its webhooks and start its first
    sync, which backfills the history (the health page shows the progress).

    A refused registration is kept on the endpoint (the health page shows it, with a button to try
    again); the syncs start anyway, since the data comes from the API and webhooks only hurry it up.
    """
    from portal.butterflymx import BmxError

    from .tasks import sync_stream_task

    building = Building.objects.select_related("admin_link").get(pk=building_id)
    try:
        webhooks_register(building=building)
    except BmxError as exc:
        logger.warning("webhook registration for building %s failed: %s", building_id, exc.code or exc.status)
    for stream in Stream.values:
        sync_stream_task.apply_async((building_id, stream), queue=queue)


def building_disconnected(*, building: Building) -> None:
    """The building's admin link is going away: remove our integrations at ButterflyMX first."""
    from portal.butterflymx import BmxError

    try:
        webhooks_unregister(building=building)
    except BmxError as exc:  # ButterflyMX unreachable: the secret is forgotten with the endpoint anyway
        logger.warning("webhook removal for building %s failed: %s", building.pk, exc.code or exc.status)
        WebhookEndpoint.objects.filter(building=building).delete()
