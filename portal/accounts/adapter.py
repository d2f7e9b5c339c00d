"""The portal's allauth account adapter: the client's address behind the proxy, lock-out per pair, and
a sign-out that ends the browser's notifications.

Failed logins are limited three ways (``ACCOUNT_RATE_LIMITS`` in settings):

- ``login_failed`` (allauth's own): per client address, and a high per-account *ceiling* that only a
  distributed guessing attack reaches;
- ``login_failed_pair`` (ours): per account *and* address, low. Someone guessing the front desk's
  password from one address locks out only that address for that account, never the desk itself.

The pair limit is consumed *before* allauth's (a locked pair spends nothing of the account's ceiling),
and a successful login from the pair clears it, as allauth rolls back its own usage on success.

While Redis is unreachable allauth's limits fail open (they live in the cache): sign-in attempts are
then counted per address in PostgreSQL instead, ``PORTAL_LOGIN_LIMIT_CACHE_DOWN`` a minute.
"""

from __future__ import annotations

import ipaddress
import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import ratelimit
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest

from portal.core.limits import rate_hit
from portal.core.rediscache import cache_unreachable
from portal.notifications.services import this_device_sign_out

logger = logging.getLogger(__name__)

PAIR_ACTION = "login_failed_pair"


def _peer_address(request: HttpRequest) -> str:
    """The address of whoever opened the connection, or a fixed key when the server gave none."""
    try:
        return str(ipaddress.ip_address(request.META.get("REMOTE_ADDR", "").strip()))
    except ValueError:
        return "unknown"


class PortalAccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        """allauth's trusted-proxy reading of ``X-Forwarded-For``, falling back to the connection's peer.

        allauth raises ImproperlyConfigured (a 500) when the header holds fewer entries than the trusted
        hop count, and PermissionDenied (a 403) when the entry it picks is not an address. Either means
        the request did not come through every configured proxy (it reached the server directly, or the
        count is set higher than the proxies in front): the only address nobody could forge is then the
        connection's peer. Falling back to it never loosens a limit (a client cannot shorten the header
        the trusted proxies append to, so it cannot choose this path to pick its own key), and a person
        is never shown an error for the operator's setting; the warning names the setting to fix.
        """
        try:
            return super().get_client_ip(request)
        except (ImproperlyConfigured, PermissionDenied):
            logger.warning(
                "X-Forwarded-For %r does not hold the %s trusted proxy hop(s) PORTAL_TRUSTED_PROXY_COUNT names; "
                "keying rate limits on the connection's address instead",
                request.headers.get("x-forwarded-for", "")[:200],
                settings.PORTAL_TRUSTED_PROXY_COUNT,
            )
            return _peer_address(request)

    def _pair_key(self, request: HttpRequest, credentials: dict) -> str:
        login = str(credentials.get("email", credentials.get("username", ""))).lower()
        return f"{login}|{self.get_client_ip(request)}"

    def pre_authenticate(self, request: HttpRequest, **credentials) -> None:
        if cache_unreachable() and not rate_hit(
            key=f"login-cache-down:{self.get_client_ip(request)}",
            limit=settings.PORTAL_LOGIN_LIMIT_CACHE_DOWN,
            window_s=60,
        ):
            # allauth's limits live in the cache, and fail open while Redis is unreachable
            # (portal/core/rediscache.py): sign-in attempts are counted per address in the database then.
            raise self.validation_error("too_many_login_attempts")
        if not ratelimit.consume(request, action=PAIR_ACTION, key=self._pair_key(request, credentials)):
            raise self.validation_error("too_many_login_attempts")
        super().pre_authenticate(request, **credentials)

    def authenticate(self, request: HttpRequest, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None:
            # allauth's public API hands back no usage to roll back; clearing the pair is the same for
            # this address (its earlier failures were the owner's own typos: they have the password),
            # and leaves every other address's pair and the account's ceiling untouched.
            ratelimit.clear(request, action=PAIR_ACTION, key=self._pair_key(request, credentials))
        return user

    def logout(self, request: HttpRequest) -> None:
        """Signing out also ends this browser's notifications (its Web Push subscriptions), before the
        session that remembers them is flushed: a signed-out device shows nobody's notices. The sign-out
        form's script sends the browser's endpoint as ``push_endpoint`` after unsubscribing it there
        (static/notifications/signout.js)."""
        if request.user.is_authenticated:
            endpoint = request.POST.get("push_endpoint", "") if request.method == "POST" else ""
            this_device_sign_out(user=request.user, session=request.session, endpoint=endpoint)
        super().logout(request)
