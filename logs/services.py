"""Writes of the logs app: sync requests (debounced), webhook registration and deliveries.

The sync itself lives in :mod:`logs.sync`, the bulk upsert in :mod:`logs.upsert`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from portal.butterflymx import BmxError
from portal.core.jsonbody import JsonTooDeep
from tenants.models import BmxLink, Building

from .calls import forget_watches, ring_request
from .dispatch import enqueue
from .models import Stream, SyncCursor, TenantWebhook, WebhookDelivery, WebhookEndpoint
from .registration import registration_attempt, registration_claim
from .sync import WALK, backoff_remaining_s, claim, cursor_for, stream_sync
from .tenant_streams import tenant_stream_pairs, tenant_webhooks_register, tenant_webhooks_unregister
from .webhooks import (
    UnknownPayload,
    parse_delivery,
    redact,
    secret_hash,
    secret_matches,
    webhooks_register,
    webhooks_unregister,
)

logger = logging.getLogger(__name__)

__all__ = [
    "delivery_receive",
    "webhook_deliveries_prune",
    "stream_sync",
    "sync_request",
    "webhooks_register",
    "webhooks_unregister",
]


# Per process: until when a sync already requested (here or by another process) will read whatever
# happens now. The requested run starts no earlier than its claim + the debounce window, so a delivery
# before that instant is covered by it and needs no claim: a burst costs one cursor read per window,
# not one per delivery. Exact, not a guess: it only ever holds claim + window.
_covered_until: dict[tuple[int, str, int | None], datetime] = {}


def forget_sync_requests() -> None:
    """Drop this process's memory of pending sync requests and recent deliveries (tests: ids are
    reused after a rollback)."""
    _covered_until.clear()
    _last_delivery_written.clear()
    forget_watches()


def _debounce_s(cursor: SyncCursor, now: datetime, *, nudged_at: datetime | None = None) -> float:
    """How long a requested walk waits: at most one walk per ``LOGS_WEBHOOK_DEBOUNCE_S`` window.

    The first nudge of a burst walks at once: a webhook after a quiet spell (no earlier delivery to the
    building within the window before it, ``nudged_at`` being its arrival), or a request ("Sync now") when
    no walk started within the window. A visitor's arrival then reaches its person in about a second, not
    after the window (issue 18); a walk beat happened to start just before does not hold it back. A nudge
    within a burst waits until the window of the last walk ends, so a burst still costs one walk per window
    (its leading and trailing edge), never more than before, only the first sooner.
    """
    window = settings.LOGS_WEBHOOK_DEBOUNCE_S
    if nudged_at is not None:
        burst = WebhookDelivery.objects.filter(
            building_id=cursor.building_id,
            outcome=WebhookDelivery.Outcome.ACCEPTED,
            received_at__gte=nudged_at - timedelta(seconds=window),
            received_at__lt=nudged_at,
        )
        if not burst.exists():
            return 0.0
    if cursor.last_attempt_at is None:
        return 0.0
    return max(0.0, min(window, (cursor.last_attempt_at + timedelta(seconds=window) - now).total_seconds()))


def sync_request(
    *, building_id: int, stream: str, nudged_at: datetime | None = None, link_id: int | None = None
) -> bool:
    """Ask for a walk soon, debounced: many nudges within ``LOGS_WEBHOOK_DEBOUNCE_S`` enqueue one task.

    The walk's claim (:func:`logs.dispatch.enqueue`) is one conditional UPDATE (atomic across processes);
    the task is sent after commit and runs at once after a quiet spell, else when the window of the last
    walk ends (:func:`_debounce_s`; or when the building's error backoff ends, if later), so a burst of
    deliveries is read in one walk per window. The walk clears the claim
    when it starts, so a nudge arriving during a walk queues the next one, and a walk task that finds
    the walk running asks the holder to walk again: a nudge is never dropped. True when enqueued.
    ``link_id``: the walk of a resident's own view of the stream (logs.tenant_streams).
    """
    now = timezone.now()
    key = (building_id, stream, link_id)
    covered = _covered_until.get(key)
    if covered is not None and now < covered:
        return False
    found = SyncCursor.objects.filter(building_id=building_id, stream=stream, link_id=link_id).first()
    cursor = found or cursor_for(building_id, stream, link_id)
    stale = now - timedelta(seconds=settings.LOGS_SYNC_CLAIM_STALE_S)
    if cursor.sync_requested_at is not None and cursor.sync_requested_at >= stale:
        # Already claimed (what the UPDATE would find): spare the round trip. The pending walk starts no
        # earlier than its due time, so it reads whatever happens before then.
        _covered_until[key] = cursor.sync_requested_at
        return False
    countdown = max(_debounce_s(cursor, now, nudged_at=nudged_at), backoff_remaining_s(cursor))
    if not claim(cursor_id=cursor.pk, kind=WALK, countdown=countdown):
        return False
    _covered_until[key] = now + timedelta(seconds=countdown)

    def enqueue_sync() -> None:  # a named function: robust on_commit logs failures by __qualname__
        enqueue(building_id, stream, WALK, countdown=countdown, cursor_id=cursor.pk, claimed=True, link_id=link_id)

    # robust: a broker hiccup must not turn a webhook delivery into a 500; beat's regular run syncs anyway
    # (enqueue gives the claim back when sending fails).
    transaction.on_commit(enqueue_sync, robust=True)
    return True


def _storable(text: str) -> str:
    """PostgreSQL text cannot hold NUL; a delivery carrying one (raw, or ``\u0000`` in a JSON string)
    is still stored, with U+FFFD in its place (found by tests/fuzz/test_webhook_fuzz.py)."""
    return text.replace("\x00", "\ufffd")


LAST_DELIVERY_RESOLUTION_S = 5  # the health page shows "last delivery" to this precision
# Per process: when this process last wrote an endpoint's ``last_delivery_at`` (by building id).
_last_delivery_written: dict[int, datetime] = {}


def delivery_receive(*, building_id: int, secret: str, body: bytes) -> tuple[int, str]:
    """Check the URL's secret, record one webhook delivery and nudge a sync: (HTTP status, reason).
    A new call delivery also queues a ring pass (:func:`logs.calls.ring_request`).

    A new delivery to a valid URL, the common case, costs one SQL statement (load test:
    docs/performance.md): :func:`_insert_accepted` checks the secret, de-duplicates and stores in
    one INSERT. Only when it inserts nothing (a repeat, or a wrong secret) or the body is refused is
    the endpoint read to tell those apart. ``last_delivery_at`` is written at most every few seconds
    per process (every delivery updating the one row would serialise them on its row lock), and the
    sync claim is skipped while a pending request covers the delivery (:func:`sync_request`). One
    exception: while a walk claimed at a burst's leading edge waits for a worker (usually well under a
    second), each delivery also reads the cursor (one primary-key SELECT), because that walk may start
    at any moment and a delivery after its start needs the trailing walk.
    """
    text = _storable(body.decode("utf-8", errors="replace"))
    try:
        nudge = parse_delivery(body)
    except UnknownPayload as exc:
        return webhook_refused(building_id=building_id, secret=secret, text=text, status=422, reason=str(exc))
    except JsonTooDeep as exc:
        return webhook_refused(building_id=building_id, secret=secret, text=text, status=400, reason=str(exc))
    except ValueError:  # includes JSON and UTF-8 decoding errors
        return webhook_refused(
            building_id=building_id, secret=secret, text=text, status=400, reason="the body is not valid JSON"
        )
    now = timezone.now()
    style = _storable(nudge.style)[:32]
    if _insert_accepted(building_id, secret_hash(secret), style, _storable(nudge.dedupe_key)[:128], redact(text), now):
        _note_delivery(building_id, now)
        sync_request(building_id=building_id, stream=nudge.stream, nudged_at=now)
        if nudge.stream == Stream.CALLS:
            # A visitor may be at the panel now: the call's record is read at once (a ring pass), not
            # after the sync's debounce. Whatever the delivery says, the pass rings from the API's record.
            ring_request(building_id=building_id)
        return 200, "accepted"
    if not endpoint_matches(building_id, secret):
        return 404, "not found"
    # The same delivery again: answered 200 so ButterflyMX stops retrying; stored once already.
    return 200, "duplicate"


def tenant_delivery_receive(*, hook_id: int, secret: str, body: bytes) -> tuple[int, str]:
    """A delivery to a resident's own integration (logs.tenant_streams): check the URL's secret, record
    it once (per integration: two flatmates' integrations each nudge their own walk) and nudge that
    resident's walk of the stream: (HTTP status, reason). Like :func:`delivery_receive`, nothing in the
    body is trusted; the walk reads the resident's own rows from the API.

    No ring pass: the incoming-call panel reads the building's calls with its admin link, which such a
    building lacks; the resident's call appears with the walk.
    """
    hook = _tenant_hook(hook_id, secret)
    if hook is None:
        return 404, "not found"
    text = _storable(body.decode("utf-8", errors="replace"))
    try:
        nudge = parse_delivery(body)
    except UnknownPayload as exc:
        return _rejected(hook.building_id, text, 422, str(exc))
    except JsonTooDeep as exc:
        return _rejected(hook.building_id, text, 400, str(exc))
    except ValueError:
        return _rejected(hook.building_id, text, 400, "the body is not valid JSON")
    now = timezone.now()
    key = _storable(f"tenant:{hook.pk}:{nudge.dedupe_key}")[:128]
    style = _storable(f"tenant.{nudge.style}")[:32]
    if not _insert_tenant_accepted(hook.building_id, style, key, redact(text), now):
        return 200, "duplicate"  # the same delivery again: answered 200 so ButterflyMX stops retrying
    TenantWebhook.objects.filter(pk=hook.pk).update(last_delivery_at=now)
    sync_request(building_id=hook.building_id, stream=nudge.stream, nudged_at=now, link_id=hook.link_id)
    return 200, "accepted"


def _insert_tenant_accepted(building_id: int, style: str, dedupe_key: str, body: str, now: datetime) -> bool:
    """Store an accepted tenant delivery unless its key is known (``ON CONFLICT DO NOTHING``, as
    :func:`_insert_accepted`). True when a row was inserted."""
    delivery = WebhookDelivery._meta.db_table
    sql = (
        f"INSERT INTO {delivery} (building_id, received_at, outcome, status_code, style, dedupe_key, error, body) "
        "VALUES (%s, %s, %s, 200, %s, %s, '', %s) ON CONFLICT (building_id, dedupe_key) DO NOTHING"
    )
    accepted, stamp = WebhookDelivery.Outcome.ACCEPTED.value, connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [building_id, stamp, accepted, style, dedupe_key, body])
        return cursor.rowcount == 1


def _tenant_hook(hook_id: int, secret: str) -> TenantWebhook | None:
    """The tenant webhook whose URL this is (the secret compared in constant time), or None."""
    hook = TenantWebhook.objects.filter(pk=hook_id).only("id", "secret_hash", "building_id", "link_id").first()
    expected = hook.secret_hash if hook is not None and hook.secret_hash else "0" * 64
    if not hmac.compare_digest(secret_hash(secret), expected) or hook is None or not hook.secret_hash:
        return None
    return hook


def tenant_hook_matches(hook_id: int, secret: str) -> bool:
    return _tenant_hook(hook_id, secret) is not None


def endpoint_matches(building_id: int, secret: str) -> bool:
    """Whether ``secret`` is the building's current webhook secret (compared in constant time)."""
    endpoint = WebhookEndpoint.objects.filter(building_id=building_id).only("id", "secret_hash").first()
    return secret_matches(endpoint, secret)


def _insert_accepted(building_id: int, hashed: str, style: str, dedupe_key: str, body: str, now: datetime) -> bool:
    """Store an accepted delivery if the secret's hash is the endpoint's and the key is new.

    One ``INSERT .. SELECT .. ON CONFLICT DO NOTHING`` (PostgreSQL and SQLite alike), against the
    unique constraint ``webhook_delivery_once``. The hash is compared by the database: the hash of
    a 256-bit random secret leaks nothing useful through timing. True when a row was inserted.
    """
    delivery, endpoint = WebhookDelivery._meta.db_table, WebhookEndpoint._meta.db_table
    sql = (
        f"INSERT INTO {delivery} (building_id, received_at, outcome, status_code, style, dedupe_key, error, body) "
        f"SELECT building_id, %s, %s, 200, %s, %s, '', %s FROM {endpoint} WHERE building_id = %s AND secret_hash = %s "
        "ON CONFLICT (building_id, dedupe_key) DO NOTHING"
    )
    accepted, stamp = WebhookDelivery.Outcome.ACCEPTED.value, connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [stamp, accepted, style, dedupe_key, body, building_id, hashed])
        return cursor.rowcount == 1


def _note_delivery(building_id: int, now: datetime) -> None:
    """Keep the endpoint's ``last_delivery_at`` current to :data:`LAST_DELIVERY_RESOLUTION_S`."""
    written = _last_delivery_written.get(building_id)
    if written is not None and written > now - timedelta(seconds=LAST_DELIVERY_RESOLUTION_S):
        return
    _last_delivery_written[building_id] = now
    stale = Q(last_delivery_at__isnull=True) | Q(last_delivery_at__lt=now - timedelta(seconds=1))
    WebhookEndpoint.objects.filter(stale, building_id=building_id).update(last_delivery_at=now)


def webhook_refused(*, building_id: int, secret: str, text: str, status: int, reason: str) -> tuple[int, str]:
    """A body we cannot use (unparseable, oversized): kept, truncated, for inspection if the URL is a
    real one; (HTTP status, reason), 404 for a wrong URL."""
    if not endpoint_matches(building_id, secret):
        return 404, "not found"
    _note_delivery(building_id, timezone.now())
    return _rejected(building_id, text, status, reason)


def _rejected(building_id: int | None, text: str, status: int, reason: str) -> tuple[int, str]:
    """Keep a refused body once: a sender retrying the same bytes (ButterflyMX retries non-2xx answers)
    adds no row. The key is the status and a hash of the body as received."""
    key = f"rejected:{status}:{hashlib.sha256(text.encode()).hexdigest()}"
    delivery = WebhookDelivery(
        building_id=building_id,
        outcome=WebhookDelivery.Outcome.REJECTED,
        status_code=status,
        dedupe_key=key[:128],
        error=_storable(reason)[:300],
        body=redact(_storable(text)),
    )
    WebhookDelivery.objects.bulk_create([delivery], ignore_conflicts=True)  # ON CONFLICT DO NOTHING
    return status, reason


def webhook_deliveries_prune(*, older_than: timedelta) -> int:
    """Delete deliveries received more than ``older_than`` ago; the number deleted.

    Deliveries are nudges kept for inspection only (the data comes from the API), so old ones go.
    """
    deleted, _ = WebhookDelivery.objects.filter(received_at__lt=timezone.now() - older_than).delete()
    return deleted


def building_connected(*, building_id: int, queue: str | None = None) -> None:
    """A building just got a working building-admin link: register its webhooks and start its first
    sync, which backfills the history (the health page shows the progress).

    The registration's first attempt runs here; a transient failure is retried with backoff by
    :mod:`logs.registration` (one pending attempt per building), a refusal is kept on the endpoint (the
    health page shows it, with a button to try again). The syncs start anyway, since the data comes
    from the API and webhooks only hurry it up.
    """
    token = registration_claim(building_id=building_id)
    if token is not None:  # else an attempt is already pending (beat's, or a retry)
        registration_attempt(building_id=building_id, token=token, queue=queue)
    for stream in Stream.values:
        enqueue(building_id, stream, queue=queue)  # one pending walk; the walk queues the backfill
    _tenant_webhooks_retire(building_id)


def _tenant_webhooks_retire(building_id: int) -> None:
    """The building's own sync has taken over: its residents' integrations are removed (each with the
    resident's own link). Their streams stop by themselves (logs.tenant_streams); a failure here is left
    to beat's maintenance, which retries it."""
    for link in BmxLink.objects.filter(log_tenant_webhooks__building_id=building_id).distinct():
        try:
            tenant_webhooks_register(link=link, background=True)  # registers what is wanted, removes the rest
        except BmxError as exc:
            logger.info("retiring tenant webhooks of link %s failed: %s", link.pk, exc.code or exc.status)


def tenant_linked(*, link_id: int, queue: str | None = None) -> int:
    """A resident linked (or re-linked) their tenant account: register their own integrations and queue a
    walk of each of their tenant streams (buildings without a building-admin link), which plans their
    backfill. How many walks were queued. Webhooks only hurry the walks: a failed registration is left to
    beat's maintenance and the walks start anyway."""
    link = BmxLink.objects.filter(pk=link_id).first()
    if link is None:
        return 0
    try:
        tenant_webhooks_register(link=link, background=True)
    except BmxError as exc:
        logger.info("tenant webhook registration of link %s failed: %s", link_id, exc.code or exc.status)
    queued = 0
    for building_id, pair_link in sorted(tenant_stream_pairs()):
        if pair_link != link_id:
            continue
        for stream in Stream.values:
            queued += enqueue(building_id, stream, queue=queue, link_id=link_id)
    return queued


def tenant_disconnected(*, link: BmxLink) -> None:
    """A resident is unlinking: remove their own integrations at ButterflyMX while the link still works.
    Their tenant cursors go with the link (cascade); the rows their walks stored stay, as the building's
    rows (the resident's history, like a building's after it disconnects)."""
    tenant_webhooks_unregister(link=link)


def building_disconnected(*, building: Building) -> None:
    """The building's admin link is going away: remove our integrations at ButterflyMX first."""
    try:
        webhooks_unregister(building=building)
    except BmxError as exc:  # ButterflyMX unreachable: the secret is forgotten with the endpoint anyway
        logger.warning("webhook removal for building %s failed: %s", building.pk, exc.code or exc.status)
        WebhookEndpoint.objects.filter(building=building).delete()
