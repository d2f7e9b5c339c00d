"""Sending notices away from the page: Web Push and e-mail, queued by ``notify()`` after commit."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .emails import notice_email_send
from .models import SpentActionToken
from .webpush import push_deliver


@shared_task(ignore_result=True)
def push_notice_task(user_ids: list[int], notice: dict) -> dict:
    """Push ``notice`` to every opted-in browser of these people (not retried: a notice is about now)."""
    return dict(push_deliver(user_ids=user_ids, notice=notice))


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def email_notice_task(user_id: int, notice: dict) -> int:
    """E-mail ``notice`` to one person (one task each: a retry never sends anyone a second copy); an
    unreachable mail server is retried a few times (an e-mail may come late)."""
    return notice_email_send(user_ids=[user_id], notice=notice)


@shared_task(ignore_result=True)
def spent_action_tokens_prune_task() -> int:
    """Beat, hourly: a spent token older than the tokens' lifetime would be refused as expired anyway."""
    cutoff = timezone.now() - timedelta(seconds=settings.NOTIFICATIONS_ACTION_TOKEN_MAX_AGE_S + 60)
    deleted, _ = SpentActionToken.objects.filter(spent_at__lt=cutoff).delete()
    return deleted
