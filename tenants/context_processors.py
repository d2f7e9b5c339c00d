"""The banner on every page when one of the person's ButterflyMX links needs re-linking."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from .selectors import links_needing_relink


def bmx_links(request) -> dict:
    user = getattr(request, "user", None)
    return {"bmx_relink_needed": SimpleLazyObject(lambda: links_needing_relink(user))}
