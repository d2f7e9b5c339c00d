"""How the API knows who is calling: a session or a personal token, each under the two-factor rule.

``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`` names these two and nothing else, so every API
view, including ones added later, refuses a caller whose role requires two-factor (staff, managers,
operators, when ``PORTAL_REQUIRE_MFA_FOR_STAFF`` is on) until they have enrolled TOTP: 403 with the
API's error shape and code ``mfa_required``. The page middleware cannot do this for tokens: it runs
before DRF has authenticated the token, and sees an anonymous request. ``tests/api/test_tokens_mfa.py``
walks the URLconf and checks both that every API view uses only these classes and that each refuses.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication

from portal.accounts import services
from portal.accounts.mfa import MFA_REQUIRED_MESSAGE, mfa_missing

from .exceptions import ApiError


class MfaRequired(ApiError):
    def __init__(self):
        super().__init__(MFA_REQUIRED_MESSAGE, status_code=status.HTTP_403_FORBIDDEN, code="mfa_required")


def refuse_without_mfa(user) -> None:
    if mfa_missing(user):
        raise MfaRequired()


class PortalSessionAuthentication(SessionAuthentication):
    """DRF's session authentication (with its CSRF check), under the two-factor rule."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            refuse_without_mfa(result[0])
        return result


class PortalTokenAuthentication(TokenAuthentication):
    """knox's token authentication (digest lookup, expiry), plus: the token dies with its password,
    its last use is recorded, and the two-factor rule applies."""

    def authenticate_credentials(self, token):
        user, auth_token = super().authenticate_credentials(token)
        if not services.password_fingerprint_matches(auth_token):
            # Issued under a password that has since changed (by any path): the token is dead. It is
            # not deleted here (the refusal rolls the request back), but pruned with the next token made.
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        refuse_without_mfa(user)
        services.api_token_record_use(token=auth_token)
        return user, auth_token
