"""URLs without arguments, reversed once per process.

``reverse()`` walks the URL resolver each time (~25 us here): every page's header, tabs and
navigation asked for a dozen fixed URLs, ~3% of a log page. The result depends only on the URL name,
the URLconf in use and the script prefix, so those are the cache key (a URLconf swapped by name, as
``override_settings(ROOT_URLCONF=...)`` does, is a new key; one edited in place is not seen).
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


@lru_cache(maxsize=512)
def _reverse(name: str, urlconf: str, prefix: str) -> str:
    return reverse(name, urlconf=urlconf)


def fixed_url(name: str) -> str:
    """``reverse(name)`` for a URL that takes no arguments."""
    return _reverse(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
