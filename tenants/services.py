"""Writes of the tenants app. Tokens: one function hands out a working access token for a link."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from portal.butterflymx import BmxClient, BmxError, oauth

from .models import BmxLink

logger = logging.getLogger(__name__)

# Refresh this long before expiry, so a token never dies in the middle of a sync or a release.
REFRESH_MARGIN = timedelta(minutes=5)


class LinkNeedsRelink(BmxError):
    """The link's refresh was refused: its owner must link the account again."""


def _needs_relink_error(link: BmxLink) -> LinkNeedsRelink:
    return LinkNeedsRelink(status=401, code="needs_relink", message=link.last_error or "re-link required")


def link_access_token(*, link_id: int, rejected_token: str | None = None) -> str:
    """A working access token for ``link_id``, refreshed ahead of expiry. Every caller uses this.

    Many web and worker processes may call this at once with an expiring token: the row lock makes
    exactly one of them refresh; the others wait, then read the new token. ``rejected_token`` is the
    token ButterflyMX just answered 401 to: it forces a refresh, unless another caller already
    replaced that token. A refused refresh marks the link for re-linking and is never retried with the
    same refresh token.
    """
    link = BmxLink.objects.get(pk=link_id)
    if not link.is_active:
        raise _needs_relink_error(link)
    if _usable(link, rejected_token):
        return link.access_token

    failure: BmxError | None = None
    with transaction.atomic():
        link = BmxLink.objects.select_for_update().get(pk=link_id)
        if not link.is_active:
            raise _needs_relink_error(link)
        if _usable(link, rejected_token):
            return link.access_token  # another process refreshed while we waited for the lock
        try:
            tokens = oauth.refresh(link.refresh_token)
        except BmxError as exc:
            if exc.transient:
                raise  # ButterflyMX down or slow: the refresh token is still good, try later
            failure = exc
            link.status = BmxLink.Status.NEEDS_RELINK
            link.last_error = "ButterflyMX refused to renew this link. Link the account again."
            link.save(update_fields=["status", "last_error", "updated_at"])
        else:
            link.access_token = tokens.access_token
            # Rotation: the old refresh token is dead now; keep the new one (or the old if none came).
            link.refresh_token = tokens.refresh_token or link.refresh_token
            link.expires_at = tokens.expires_at
            link.scope = tokens.scope or link.scope
            link.refreshed_at = timezone.now()
            link.last_error = ""
            link.save()
    if failure is not None:
        logger.warning("ButterflyMX refused the refresh of link %s (%s); it needs re-linking", link_id, failure.code)
        from .notifications import notify_link_needs_relink

        notify_link_needs_relink(link=link)
        raise _needs_relink_error(link)
    return link.access_token


def _usable(link: BmxLink, rejected_token: str | None) -> bool:
    if rejected_token is not None:
        return link.access_token != rejected_token
    return link.expires_at - timezone.now() > REFRESH_MARGIN


def client_for_link(link: BmxLink | int, **client_options) -> BmxClient:
    """A :class:`BmxClient` whose every call gets its token from :func:`link_access_token`."""
    link_id = link if isinstance(link, int) else link.pk
    last: dict[str, str] = {}

    def provider(force_refresh: bool) -> str:
        rejected = last.get("token") if force_refresh else None
        token = link_access_token(link_id=link_id, rejected_token=rejected)
        last["token"] = token
        return token

    return BmxClient(provider, **client_options)
