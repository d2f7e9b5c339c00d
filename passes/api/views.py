"""DRF endpoints for passes: the same scope (404 outside) and the same rules as the pages.

Creating and revoking call ButterflyMX, so these views run outside the request transaction (each step
of the service commits on its own, see :mod:`passes.services`). Refusals are raised like anywhere else:
the portal's exception handler (:mod:`portal.api.exceptions`) only dooms the request's own transaction,
never a caller's.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from portal.api.exceptions import ApiError
from portal.api.schema import ErrorSerializer, error
from portal.core.nostore import no_store
from tenants.scope import request_grants

from .. import selectors, services
from ..models import Pass
from .serializers import PassCreateSerializer, PassListSerializer, PassSerializer

PAGE = OpenApiParameter("page", int, required=False, description="Page number (50 per page).")


def _errors(exc: services.PassError) -> dict:
    return {(name or "non_field_errors"): messages for name, messages in exc.errors.items()}


class PassPageSerializer(serializers.Serializer):
    """One page of passes (``PageNumberPagination``)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PassListSerializer(many=True)


class PassFailedSerializer(ErrorSerializer):
    """400 after ButterflyMX refused: the error shape, and the pass as recorded when one was kept."""

    pass_ = PassSerializer(required=False, help_text="The pass as recorded (status failed), when one was kept.")

    def get_fields(self):
        fields = super().get_fields()
        fields["pass"] = fields.pop("pass_")
        return fields


@extend_schema(
    methods=["GET"],
    operation_id="passes_list",
    responses=PassPageSerializer,
    parameters=[OpenApiParameter("state", enum=sorted(selectors.STATES), required=False), PAGE],
)
@extend_schema(
    methods=["POST"],
    operation_id="passes_create",
    request=PassCreateSerializer,
    responses={
        201: PassSerializer,
        400: PassFailedSerializer,
        429: error(
            "An hourly limit (passes or messages, per person or per building) refused the pass; "
            "nothing was created. ``Retry-After`` says when to try again."
        ),
    },
)
@no_store  # a created pass carries its visitors' PINs and guest links
@transaction.non_atomic_requests
@api_view(["GET", "POST"])
def pass_list(request):
    """GET: passes in scope (``?state=active|upcoming|used|expired|revoked|failed|all``); POST: create one."""
    if request.method == "POST":
        serializer = PassCreateSerializer(
            data=request.data,
            residencies=selectors.residencies_for_creation(request.user, request_grants(request)),
            actor=request.user,
        )
        serializer.is_valid(raise_exception=True)
        try:
            new = services.pass_create(
                actor=request.user,
                residency=serializer.validated_data["residency"],
                data=serializer.validated_data["pass_input"],
            )
        except services.PassLimited as exc:
            raise ApiError(
                exc.message,
                status_code=status.HTTP_429_TOO_MANY_REQUESTS,
                code="rate_limited",
                errors=_errors(exc),
                headers={"Retry-After": str(exc.retry_after)},
            ) from None
        except services.PassError as exc:
            extra = {}
            if exc.pass_obj is not None:
                extra["pass"] = PassSerializer(exc.pass_obj, context={"request": request}).data
            raise ApiError(
                _("ButterflyMX did not accept the pass; see errors."),
                code="bmx_refused",
                errors=_errors(exc),
                extra=extra,
            ) from None
        return Response(PassSerializer(new, context={"request": request}).data, status=status.HTTP_201_CREATED)
    state = request.query_params.get("state", "all")
    if state not in selectors.STATES:
        state = "all"
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(selectors.pass_list(request_grants(request), state), request)
    return paginator.get_paginated_response(PassListSerializer(page, many=True, context={"request": request}).data)


@extend_schema(responses=PassSerializer)
@no_store
@api_view(["GET"])
def pass_detail(request, pk: int):
    pass_obj = Pass.objects.restrict(request_grants(request)).filter(pk=pk).first()
    if pass_obj is None:
        raise NotFound
    return Response(PassSerializer(pass_obj, context={"request": request}).data)


@extend_schema(request=None, responses={200: PassSerializer, 502: error("ButterflyMX did not revoke the pass.")})
@no_store
@transaction.non_atomic_requests
@api_view(["POST"])
def pass_revoke(request, pk: int):
    pass_obj = Pass.objects.restrict(request_grants(request)).filter(pk=pk).first()
    if pass_obj is None:
        raise NotFound
    try:
        services.pass_revoke(pass_obj=pass_obj, actor=request.user)
    except services.PassError as exc:
        raise ApiError(
            _("ButterflyMX did not revoke the pass; try again."),
            status_code=status.HTTP_502_BAD_GATEWAY,
            code="bmx_failed",
            errors=_errors(exc),
        ) from None
    return Response(PassSerializer(pass_obj, context={"request": request}).data)
