"""The schema, its docs page, and personal API tokens."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .serializers import TokenSerializer


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


class TokenView(APIView):
    """The caller's own API token. Session only: a token cannot mint or rotate tokens."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_token_create",
        request=None,
        responses={201: TokenSerializer},
        description=(
            "Issue a new personal token for the signed-in person (session and CSRF token required). "
            "Any previous token stops working at once."
        ),
    )
    def post(self, request):
        with transaction.atomic():
            Token.objects.filter(user=request.user).delete()
            token = Token.objects.create(user=request.user)
        return Response(
            TokenSerializer({"token": token.key, "created": token.created}).data,
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )

    @extend_schema(
        operation_id="me_token_destroy",
        request=None,
        responses={204: None},
        description="Revoke the signed-in person's token (if any).",
    )
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
