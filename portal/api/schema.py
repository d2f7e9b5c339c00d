"""The OpenAPI side of the portal API: the error shape, and every operation's error answers.

``PortalAutoSchema`` (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``) adds the error responses an operation
can give, so no view has to list them by hand: 403 (not signed in) everywhere, 429 (throttled)
everywhere, 404 (out of scope, or a page past the end), 400 where a body or a
filter is read. Views declare the rarer ones (409, 502, 504) themselves with ``extend_schema``.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every error answer of the API."""

    detail = serializers.CharField(help_text="What went wrong, in a sentence a person can act on.")
    code = serializers.CharField(help_text="A stable machine word: invalid, not_found, not_authenticated, ...")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field (nested fields dotted, e.g. weekdays.0); empty unless input was refused.",
    )


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


DESCRIPTIONS = {
    "400": "The input was refused; ``errors`` says why, per field.",
    "403": (
        "Not signed in (no session, no valid token), not allowed, or two-factor required first "
        "(code ``mfa_required``: staff, managers and operators must set up TOTP in the portal)."
    ),
    "404": "No such object within the caller's scope (out of scope answers 404, never 403).",
    "429": "Too many requests; retry after the ``Retry-After`` header's seconds.",
}


class PortalAutoSchema(AutoSchema):
    def _error_codes(self) -> list[str]:
        # 404 everywhere: an object outside scope, or a page/cursor past the end of a list.
        codes = ["403", "404", "429"]
        if self.method in ("POST", "PUT", "PATCH") or self._get_filter_parameters():
            codes.append("400")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(error(DESCRIPTIONS[code]), code, direction=direction)
        return responses


class PortalSessionScheme(OpenApiAuthenticationExtension):
    """The portal's session authentication (a cookie), as drf-spectacular describes Django's."""

    target_class = "portal.api.authentication.PortalSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}


class PortalTokenScheme(OpenApiAuthenticationExtension):
    """A personal token: ``Authorization: Token <token>``."""

    target_class = "portal.api.authentication.PortalTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
