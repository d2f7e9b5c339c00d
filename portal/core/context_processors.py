"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from tenants.scope import request_roles

from .navigation import items_for


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": set()}

    def roles():
        return set(request_roles(request).values())

    lazy_roles = SimpleLazyObject(roles)
    return {
        "nav_items": SimpleLazyObject(lambda: items_for(user, set(lazy_roles))),
        "user_roles": lazy_roles,
        # static/portal/live.js: how often a page refreshes its live parts while its stream is down.
        "live_fallback_s": settings.LIVE_FALLBACK_POLL_S,
    }
