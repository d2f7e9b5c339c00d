"""Require TOTP two-factor for staff and managers when PORTAL_REQUIRE_MFA_FOR_STAFF is on."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from tenants.scope import request_grants

# Paths a person without MFA may still reach: signing in and out, setting MFA up, static files.
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/admin/login", "/pass/", "/p/", "/webhooks/")


class RequireMfaForStaffMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.PORTAL_REQUIRE_MFA_FOR_STAFF and self._must_enrol(request):
            messages.warning(request, "Staff and managers must turn on two-factor authentication first.")
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    @staticmethod
    def _must_enrol(request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if request.path.startswith(EXEMPT_PREFIXES):
            return False
        if not request_grants(request).memberships:  # read once per request; the page reuses it
            return False
        from allauth.mfa.models import Authenticator

        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
