"""DRF's throttles keyed on the client's address behind the proxy, like every per-address limit.

DRF's own ``get_ident`` (with ``NUM_PROXIES`` unset) keys anonymous callers on the whole
``X-Forwarded-For`` text, which a client chooses: a new header, a new bucket. Here it is the address
:func:`portal.core.clientip.client_ip` reads, the one allauth's limits use.
"""

from __future__ import annotations

from rest_framework import throttling

from portal.core.clientip import client_ip


class AnonRateThrottle(throttling.AnonRateThrottle):
    def get_ident(self, request) -> str:
        return client_ip(request)


class UserRateThrottle(throttling.UserRateThrottle):
    def get_ident(self, request) -> str:  # used for anonymous callers only
        return client_ip(request)
