"""Require TOTP two-factor of staff, managers and operators when PORTAL_REQUIRE_MFA_FOR_STAFF is on.

Who must enrol is decided in one place (``portal.accounts.mfa.mfa_missing``), which the API's
authentication classes ask too: this middleware sees only the session user, so API tokens are
refused there (``portal.api.authentication``). Operators (``is_staff``/``is_superuser``) are covered,
and the admin is not exempt: ``/admin/login/`` only forwards to the portal's own login.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import reverse

from portal.accounts.mfa import mfa_missing
from tenants.scope import request_grants

# Paths a person without MFA may still reach: signing in and out, setting MFA up, static files, and
# the language menu and the scripts' strings (the set-up page is read in the person's language too).
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/pass/", "/p/", "/webhooks/", "/language/", "/jsi18n/")
# What a page's scripts send (fetch, EventSource, htmx) rather than the person navigating.
BACKGROUND_FETCH_MODES = {"cors", "same-origin", "no-cors"}


def is_background_request(request) -> bool:
    """A request a page's script made (the browser's Sec-Fetch-Mode, or htmx's header), not a navigation."""
    return request.headers.get("Sec-Fetch-Mode") in BACKGROUND_FETCH_MODES or "HX-Request" in request.headers


class RequireMfaForStaffMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_enrol(request):
            if is_background_request(request):
                # Never the redirect: a script following it would load the set-up page, whose every load
                # starts a new authenticator secret, and the code the person types from the open tab fails.
                return HttpResponseForbidden("Turn on two-factor authentication first.", content_type="text/plain")
            messages.warning(request, "Staff, managers and operators must turn on two-factor authentication first.")
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    @staticmethod
    def _must_enrol(request) -> bool:
        if not settings.PORTAL_REQUIRE_MFA_FOR_STAFF:
            return False
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if request.path.startswith(EXEMPT_PREFIXES):
            return False
        # The grants are read once per request (the page reuses them); mfa_missing covers operators too.
        return mfa_missing(user, memberships=request_grants(request).memberships)
