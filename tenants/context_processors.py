"""The banner on every page when one of the person's ButterflyMX links needs re-linking."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from .selectors import links_needing_relink


def bmx_links(request) -> dict:
    user = getattr(request, "user", None)
    # The authentication backend loads the user with this flag (portal/accounts/backends.py): most
    # pages then need no query at all. Without it (a user loaded some other way) the links are read.
    if getattr(user, "has_links_to_relink", True) is False:
        return {"bmx_relink_needed": []}
    return {"bmx_relink_needed": SimpleLazyObject(lambda: links_needing_relink(user))}
