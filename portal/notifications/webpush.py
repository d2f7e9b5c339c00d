"""Web Push (RFC 8030, encrypted per RFC 8291, signed per RFC 8292) through pywebpush.

Runs in a Celery worker only (``portal.notifications.tasks.push_notice_task``), never in a request: a
push service may take seconds to answer. Each of the person's browsers gets the notice encrypted to its
own keys, with action tokens minted for that person (portal/notifications/action_tokens.py). A push
service answering 404 or 410 says the browser dropped the subscription: the row is deleted. Other
failures are noted on the row and not retried: a notice is about now, and the open page had it anyway.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from portal.core.language import for_recipient

from .action_tokens import action_token_mint
from .models import PushSubscription

logger = logging.getLogger(__name__)

# A push message's encrypted body may be 4096 bytes (RFC 8291 with aes128gcm leaves ~3990 for the JSON).
MAX_TITLE, MAX_BODY = 120, 600
TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # RFC 8030's Topic: at most 32 URL-safe base64 characters


def webpush_enabled() -> bool:
    """Web Push is on when both VAPID keys are configured (production's check says whether they work)."""
    return bool(settings.WEBPUSH_VAPID_PUBLIC_KEY and settings.WEBPUSH_VAPID_PRIVATE_KEY)


def endpoint_allowed(url: str) -> bool:
    """Only the browsers' push services (``WEBPUSH_ENDPOINT_HOSTS``): the worker POSTs to this URL, and a
    URL from a browser must not make it reach an internal address."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if parts.scheme != "https" and not (parts.scheme == "http" and settings.WEBPUSH_ENDPOINT_ALLOW_HTTP):
        return False
    return any(host == allowed or host.endswith("." + allowed) for allowed in settings.WEBPUSH_ENDPOINT_HOSTS)


@lru_cache(maxsize=2)
def _vapid(private_key: str) -> Vapid:
    return Vapid.from_string(private_key=private_key)


@lru_cache(maxsize=1)
def _session() -> requests.Session:
    """One keep-alive session per worker process; a push service that redirects is a failure, not followed."""
    session = requests.Session()
    session.max_redirects = 0
    session.trust_env = False
    return session


def push_payload(notice: dict, *, user_id: int) -> dict:
    """What the service worker shows (templates/notifications/sw.js), with this person's action tokens.

    Every text the worker shows is here, already in the person's language (the notice was made in it,
    portal.notifications.services.notify; the fallback title is read inside ``for_recipient``)."""
    return {
        "title": str(notice.get("title") or gettext("Building Portal"))[:MAX_TITLE],
        "body": str(notice.get("body", ""))[:MAX_BODY],
        "url": notice.get("url") or "/",
        "image": notice.get("image_url") or "",
        "tag": notice.get("tag") or "",
        "category": notice.get("category") or "",
        "withdraw": bool(notice.get("withdraw")),
        "actions": [
            {
                "action": action["action"],
                "title": action["title"],
                "url": action["url"],
                "token": action_token_mint(user_id=user_id, url=action["url"]),
            }
            for action in notice.get("actions") or ()
        ],
    }


def push_deliver(*, user_ids: Iterable[int], notice: dict) -> Counter:
    """Send ``notice`` (a :meth:`Notice.as_payload`) to every opted-in browser of these people.

    Returns counts by outcome (``sent``, ``expired``, ``failed``, ``refused``), for the task's log and tests.
    """
    outcomes: Counter = Counter()
    if not webpush_enabled():
        return outcomes
    ttl = settings.WEBPUSH_CALL_TTL_S if notice.get("category") == "call" else settings.WEBPUSH_TTL_S
    headers = {"Urgency": "high" if notice.get("category") == "call" else "normal"}
    if TOPIC.match(notice.get("tag") or ""):
        # A newer notice of one call replaces one still waiting at the service: a phone that was offline
        # during the ring gets only the withdrawal, never a ring for a call that is over.
        headers["Topic"] = notice["tag"]
    payloads: dict[int, bytes] = {}
    subscriptions = PushSubscription.objects.filter(user_id__in=list(user_ids)).select_related("user")
    for subscription in subscriptions.order_by("pk"):
        if subscription.user_id not in payloads:
            with for_recipient(subscription.user):
                payload = push_payload(notice, user_id=subscription.user_id)
            payloads[subscription.user_id] = json.dumps(payload).encode()
        outcomes[_send(subscription, payloads[subscription.user_id], ttl=ttl, headers=headers)] += 1
    return outcomes


def _send(subscription: PushSubscription, data: bytes, *, ttl: int, headers: dict) -> str:
    if not endpoint_allowed(subscription.endpoint):
        _failed(subscription, "push service not allowed (WEBPUSH_ENDPOINT_HOSTS)")
        return "refused"
    try:
        webpush(
            subscription.subscription_info(),
            data=data.decode(),
            vapid_private_key=_vapid(settings.WEBPUSH_VAPID_PRIVATE_KEY),
            vapid_claims={"sub": settings.WEBPUSH_VAPID_SUBJECT},  # a fresh dict: pywebpush adds aud and exp
            ttl=ttl,
            timeout=settings.WEBPUSH_TIMEOUT_S,
            headers=dict(headers),
            requests_session=_session(),
        )
    except WebPushException as exc:
        status = exc.status_code
        if status in (404, 410):
            # The browser unsubscribed or the subscription expired: it will never be valid again (RFC 8030).
            PushSubscription.objects.filter(pk=subscription.pk).delete()
            logger.info("push subscription %s expired (HTTP %s): deleted", subscription.pk, status)
            return "expired"
        _failed(subscription, f"HTTP {status}" if status else "not sent")
        return "failed"
    except requests.RequestException as exc:
        _failed(subscription, f"no answer ({type(exc).__name__})")
        return "failed"
    PushSubscription.objects.filter(pk=subscription.pk).update(last_success_at=timezone.now())
    return "sent"


def _failed(subscription: PushSubscription, reason: str) -> None:
    # The endpoint is a capability URL: it is never logged, only the row's id.
    logger.warning("push to subscription %s failed: %s", subscription.pk, reason)
    PushSubscription.objects.filter(pk=subscription.pk).update(
        last_failure_at=timezone.now(), last_failure=reason[:200]
    )
