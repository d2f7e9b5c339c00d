"""Webhook registration that cannot silently break: retried with backoff until it succeeds.

One transient failure (a 503, a timeout, a 429) when a building connects must not leave it without
webhooks until a manager presses a button. Each building has at most ONE pending attempt: claiming it
is one conditional UPDATE of its endpoint (``pending_until`` free or passed) that writes a random
``pending_token``; the task carries that token, and a task whose token is no longer the endpoint's
does nothing. A transient failure schedules the same token again with exponential backoff and jitter
(``LOGS_WEBHOOK_RETRY_BASE_S`` doubling up to ``LOGS_WEBHOOK_RETRY_MAX_S``), so retries never pile up
into a growing queue. A refusal (a 4xx from ButterflyMX, a dead link) is kept and shown, not retried.

Beat (:func:`registrations_due`, every ``LOGS_WEBHOOK_CHECK_INTERVAL_S``) claims an attempt for every
connected building whose registration is missing, failed transiently with no attempt pending (a lost
task), or points at another address than the portal's current one (another ``PORT`` in development,
a new ``PORTAL_SITE_URL``): the integrations are then updated in place.
"""

from __future__ import annotations

import logging
import random
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.butterflymx import BmxError
from portal.celery import send_task
from tenants.models import Building

from .models import WebhookEndpoint
from .webhooks import base_url, is_transient, webhooks_register

logger = logging.getLogger(__name__)

# A queued attempt not started this long after it was due is presumed lost (a broker wiped, a worker
# killed without acks_late redelivery): beat may then claim another.
PENDING_MARGIN_S = 600
# The task that runs one attempt (logs.tasks imports this module, so it is named, not imported).
WEBHOOKS_REGISTER_TASK = "logs.tasks.webhooks_register_task"


def backoff_s(attempts: int, retry_after: float | None = None) -> float:
    """Delay before attempt ``attempts + 1``: exponential, capped, with "equal jitter" (half fixed, half
    random), so that many buildings failing together (ButterflyMX down) do not retry in lockstep, and
    never sooner than a ``Retry-After`` asked."""
    ceiling = min(settings.LOGS_WEBHOOK_RETRY_MAX_S, settings.LOGS_WEBHOOK_RETRY_BASE_S * 2 ** max(0, attempts - 1))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    return max(delay, retry_after or 0.0)


def registration_claim(*, building_id: int, countdown: float = 0.0) -> str | None:
    """Claim the building's one pending attempt; its token, or None when one is already pending."""
    now = timezone.now()
    endpoint, _ = WebhookEndpoint.objects.get_or_create(building_id=building_id, defaults={"secret_hash": ""})
    token = secrets.token_hex(16)
    free = Q(pending_until__isnull=True) | Q(pending_until__lt=now)
    claimed = WebhookEndpoint.objects.filter(free, pk=endpoint.pk).update(
        pending_token=token, pending_until=_pending_until(now, countdown)
    )
    return token if claimed else None


def registration_request(*, building_id: int, countdown: float = 0.0, queue: str | None = None) -> bool:
    """Claim the building's attempt and queue it (after commit); False when one is already pending."""
    token = registration_claim(building_id=building_id, countdown=countdown)
    if token is None:
        return False
    _enqueue(building_id, token, countdown, queue)
    return True


def registration_attempt(*, building_id: int, token: str, queue: str | None = None) -> str:
    """Run the pending attempt ``token`` (a stale token does nothing): "registered", "retry" (a transient
    failure: the same token is queued again after a backoff), "refused", "superseded" or "gone"."""
    endpoint = WebhookEndpoint.objects.filter(building_id=building_id, pending_token=token).first()
    if endpoint is None:
        return "superseded"
    building = Building.objects.select_related("admin_link").filter(pk=building_id, is_active=True).first()
    if building is None:
        _release(building_id, token)
        return "gone"
    try:
        webhooks_register(building=building, background=True)
    except BmxError as exc:
        if not is_transient(exc):
            _release(building_id, token)
            logger.warning("webhook registration for building %s refused: %s", building_id, exc.code or exc.status)
            return "refused"
        attempts = endpoint.attempts + 1
        delay = backoff_s(attempts, exc.retry_after)
        now = timezone.now()
        kept = WebhookEndpoint.objects.filter(building_id=building_id, pending_token=token).update(
            attempts=attempts, retry_at=now + timedelta(seconds=delay), pending_until=_pending_until(now, delay)
        )
        logger.warning(
            "webhook registration for building %s failed (%s), attempt %s; next in %.0f s",
            building_id,
            exc.code or exc.status,
            attempts,
            delay,
        )
        if kept:
            _enqueue(building_id, token, delay, queue)
        return "retry"
    return "registered"


def registrations_due(now: datetime | None = None) -> list[int]:
    """Connected buildings whose webhooks need an attempt now (see the module's docstring). One query."""
    now = now or timezone.now()
    current = base_url()
    rows = Building.objects.filter(is_active=True, bmx_id__isnull=False, admin_link__isnull=False).values_list(
        "id",
        "log_webhook__id",
        "log_webhook__integrations",
        "log_webhook__failure",
        "log_webhook__base_url",
        "log_webhook__pending_until",
    )
    due = []
    for building_id, endpoint_id, integrations, failure, address, pending_until in rows:
        if endpoint_id is None:
            due.append(building_id)  # never registered (connected before this existed, or a lost task)
        elif pending_until is not None and pending_until > now:
            continue  # an attempt is queued or running
        elif address != current and (integrations or failure):
            due.append(building_id)  # the portal moved: point the integrations at its new address
        elif failure == WebhookEndpoint.Failure.TRANSIENT or (not integrations and not failure):
            due.append(building_id)
    return due


def registrations_maintain(*, queue: str | None = None) -> int:
    """Beat's entry: request an attempt for every building :func:`registrations_due` names."""
    requested = 0
    for building_id in registrations_due():
        requested += registration_request(building_id=building_id, queue=queue)
    return requested


def _pending_until(now: datetime, countdown: float) -> datetime:
    return now + timedelta(seconds=countdown + PENDING_MARGIN_S)


def _release(building_id: int, token: str) -> None:
    WebhookEndpoint.objects.filter(building_id=building_id, pending_token=token).update(
        pending_token="", pending_until=None
    )


def _enqueue(building_id: int, token: str, countdown: float, queue: str | None) -> None:
    def enqueue_registration() -> None:  # named: robust on_commit logs failures by __qualname__
        send_task(WEBHOOKS_REGISTER_TASK, building_id, token, countdown=countdown, queue=queue)

    # robust: a broker hiccup leaves the claim to expire, and beat claims again after PENDING_MARGIN_S.
    transaction.on_commit(enqueue_registration, robust=True)
