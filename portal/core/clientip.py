"""The client's real address behind the trusted proxies: the one key of every per-address limit.

Production runs behind nginx, so REMOTE_ADDR is the proxy's address and keying a limit on it makes
one client's failures everyone's. The address is instead read from ``X-Forwarded-For``, counting
``PORTAL_TRUSTED_PROXY_COUNT`` entries from the right (each trusted proxy appends the address it saw,
so those entries cannot be forged; anything further left came from the client and is ignored).

There is one implementation, allauth's (``ALLAUTH_TRUSTED_PROXY_COUNT``, set from the same variable),
reached through the account adapter's public ``get_client_ip``: allauth's own login, sign-up and
password-reset limits and the portal's limits therefore always agree on who a client is.
:meth:`portal.accounts.adapter.PortalAccountAdapter.get_client_ip` adds the fallback for a header
too short or malformed to hold the configured number of hops (see there).
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address every per-address limit of the portal keys on (never raises for bad headers)."""
    return get_adapter(request).get_client_ip(request)
