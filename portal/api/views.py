"""The schema, its docs page, and personal API tokens (django-rest-knox, see portal/accounts/)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts import selectors, services

from .exceptions import ApiError
from .serializers import ApiTokenCreateSerializer, ApiTokenIssuedSerializer, ApiTokenSerializer


class SchemaView(SpectacularAPIView):
    """The OpenAPI document, for signed-in people and tokens (403 otherwise, like every API)."""

    permission_classes = [IsAuthenticated]


class DocsView(LoginRequiredMixin, SpectacularSwaggerView):
    """Swagger UI from our own static files (the sidecar's), with no inline script or style.

    A page for people, so anonymous visitors are sent to the login page (302) like every other page.
    The template passes the schema URL and CSRF header name as data-* attributes to ``api/docs.js``.
    """

    permission_classes = [IsAuthenticated]
    template_name = "api/docs.html"


class TokensView(APIView):
    """The caller's own personal tokens: list (session or token), create (session only), revoke all."""

    @extend_schema(
        operation_id="me_tokens_list",
        responses={200: ApiTokenSerializer(many=True)},
        description="The caller's live tokens, newest first: name, first characters, dates. Never a token itself.",
    )
    def get(self, request):
        tokens = selectors.api_tokens_of(request.user)
        return Response(ApiTokenSerializer(tokens, many=True).data)

    @extend_schema(
        operation_id="me_tokens_create",
        request=ApiTokenCreateSerializer,
        responses={201: ApiTokenIssuedSerializer},
        description=(
            "Issue a new personal token (session and CSRF token required: a token cannot mint tokens). "
            "The answer holds the token once, with ``Cache-Control: no-store``; the portal keeps only its "
            "SHA-512 digest. Tokens expire (7, 30 or 90 days), and all of them end when the password changes."
        ),
    )
    def post(self, request):
        if not isinstance(request.successful_authenticator, SessionAuthentication):
            raise ApiError(
                gettext("Tokens are issued to a signed-in session only: sign in to the portal and create one there."),
                status_code=status.HTTP_403_FORBIDDEN,
                code="session_required",
            )
        data = ApiTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            instance, token = services.api_token_create(user=request.user, **data.validated_data)
        except services.TokenRefused as exc:
            raise ApiError(str(exc), code="token_refused") from None
        body = ApiTokenIssuedSerializer(instance, context={"token": token}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    @extend_schema(
        operation_id="me_tokens_revoke_all",
        request=None,
        responses={204: None},
        description="Revoke every token of the caller, including the one making this call.",
    )
    def delete(self, request):
        services.api_tokens_revoke_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenView(APIView):
    """One of the caller's tokens, by its ``id``: revoke it. Another person's token is a 404."""

    @extend_schema(
        operation_id="me_tokens_revoke",
        request=None,
        responses={204: None},
        description="Revoke one of the caller's tokens (it stops working at once).",
    )
    def delete(self, request, public_id):
        if not services.api_token_revoke(user=request.user, public_id=public_id):
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)
