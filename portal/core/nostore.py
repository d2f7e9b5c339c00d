"""Answers that carry a door secret (a PIN, a QR payload, a guest link) are never stored.

A browser's back/forward and disk cache, a shared computer, or a proxy must not keep a PIN or a link that
opens a door. Every page and API answer that shows one uses :func:`no_store` (function views, DRF
``@api_view`` functions, ``as_view()`` results) or :class:`NoStoreMixin` (DRF class views).
Both set Django's never-cache headers: ``Cache-Control: max-age=0, no-cache, no-store, must-revalidate,
private`` and an ``Expires`` in the past. ``tests/portal/test_no_store.py`` lists each such URL.
"""

from __future__ import annotations

from functools import wraps

from django.utils.cache import add_never_cache_headers


def no_store(view):
    """Decorate a view whose answers may carry a PIN, a QR payload or a guest link."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapped


class NoStoreMixin:
    """The same for a DRF class-based view: every answer, errors included."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response
