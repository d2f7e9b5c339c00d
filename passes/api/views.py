"""DRF endpoints for passes: the same scope (404 outside) and the same rules as the pages.

Creating and revoking call ButterflyMX, so these views run outside the request transaction (each step
of the service commits on its own, see :mod:`passes.services`). DRF marks the *current* transaction for
rollback whenever it handles an exception, so here refusals are returned, not raised: authentication,
validation and scope answers never touch a surrounding transaction.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from .. import selectors, services
from .serializers import PassCreateSerializer, PassListSerializer, PassSerializer


def _errors(exc: services.PassError) -> dict:
    return {(name or "non_field_errors"): messages for name, messages in exc.errors.items()}


def _denied():
    return Response({"detail": "Authentication credentials were not provided."}, status=status.HTTP_403_FORBIDDEN)


def _not_found():
    return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)


@extend_schema(request=PassCreateSerializer, responses=PassListSerializer(many=True))
@transaction.non_atomic_requests
@api_view(["GET", "POST"])
@permission_classes([AllowAny])  # checked below, without raising
def pass_list(request):
    """GET: passes in scope (``?state=active|upcoming|used|expired|revoked|failed|all``); POST: create one."""
    if not request.user.is_authenticated:
        return _denied()
    if request.method == "POST":
        serializer = PassCreateSerializer(
            data=request.data, residencies=selectors.residencies_for_creation(request.user), actor=request.user
        )
        if not serializer.is_valid():
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        try:
            new = services.pass_create(
                actor=request.user,
                residency=serializer.validated_data["residency"],
                data=serializer.validated_data["pass_input"],
            )
        except services.PassError as exc:
            body = _errors(exc)
            if exc.pass_obj is not None:
                body["pass"] = PassSerializer(exc.pass_obj, context={"request": request}).data
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(PassSerializer(new, context={"request": request}).data, status=status.HTTP_201_CREATED)
    state = request.query_params.get("state", "all")
    if state not in selectors.STATES:
        state = "all"
    paginator = PageNumberPagination()
    try:
        page = paginator.paginate_queryset(selectors.pass_list(request.user, state), request)
    except NotFound:
        return _not_found()
    return paginator.get_paginated_response(PassListSerializer(page, many=True, context={"request": request}).data)


@extend_schema(responses=PassSerializer)
@api_view(["GET"])
def pass_detail(request, pk: int):
    pass_obj = selectors.passes_visible_to(request.user).filter(pk=pk).first()
    if pass_obj is None:
        return _not_found()
    return Response(PassSerializer(pass_obj, context={"request": request}).data)


@extend_schema(request=None, responses=PassSerializer)
@transaction.non_atomic_requests
@api_view(["GET", "POST"])
@permission_classes([AllowAny])  # checked below, without raising
def pass_revoke(request, pk: int):
    if not request.user.is_authenticated:
        return _denied()
    if request.method != "POST":
        return Response({"detail": 'Method "GET" not allowed.'}, status=status.HTTP_405_METHOD_NOT_ALLOWED)
    pass_obj = selectors.passes_visible_to(request.user).filter(pk=pk).first()
    if pass_obj is None:
        return _not_found()
    try:
        services.pass_revoke(pass_obj=pass_obj, actor=request.user)
    except services.PassError as exc:
        return Response(_errors(exc), status=status.HTTP_502_BAD_GATEWAY)
    return Response(PassSerializer(pass_obj, context={"request": request}).data)
