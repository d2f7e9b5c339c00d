"""DRF endpoints: the board's doors and their state, and release (the same service, the same limits)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.models import AccessPoint
from tenants.scope import doors_visible_to

from ..selectors import door_states
from ..services import ReleaseRefused, door_release
from .serializers import DoorReleaseSerializer, DoorStateSerializer, ReleaseRequestSerializer


class DoorList(generics.GenericAPIView):
    """Doors the caller may see (all doors of staff/manager buildings; residents' assigned doors)."""

    serializer_class = DoorStateSerializer
    pagination_class = None

    def get_queryset(self):
        queryset = doors_visible_to(self.request.user).filter(is_active=True).select_related("building")
        building = self.request.query_params.get("building")
        if building:
            if not building.isdigit():
                return queryset.none()
            queryset = queryset.filter(building_id=int(building))
        return queryset

    @extend_schema(operation_id="doors_list", responses=DoorStateSerializer(many=True))
    def get(self, request):
        return Response(self.get_serializer(door_states(self.get_queryset()), many=True).data)


class DoorDetail(generics.GenericAPIView):
    serializer_class = DoorStateSerializer

    @extend_schema(operation_id="doors_retrieve")
    def get(self, request, pk: int):
        states = door_states(doors_visible_to(request.user).filter(pk=pk, is_active=True))
        if not states:
            raise Http404
        return Response(self.get_serializer(states[0]).data)


def _error_response_without_rollback(exc, context):
    """DRF's exception handler, minus ``set_rollback()``.

    DRF marks the surrounding transaction for rollback on every error. The release view runs outside the
    request transaction (its audit row must be committed before ButterflyMX is called), so the only
    transaction around it is a caller's, e.g. a test's, and it is not ours to doom.
    """
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = f"{exc.wait:.0f}"
    data = exc.detail if isinstance(exc.detail, list | dict) else {"detail": exc.detail}
    return Response(data, status=exc.status_code, headers=headers)


class DoorRelease(APIView):
    """Release a door once. 201 released; 409 cooldown; 429 rate limit; 502/504 ButterflyMX failed/silent."""

    def get_exception_handler(self):
        return _error_response_without_rollback

    @extend_schema(request=ReleaseRequestSerializer, responses={201: DoorReleaseSerializer})
    def post(self, request, pk: int):
        body = ReleaseRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            release = door_release(
                user=request.user,
                door_id=pk,
                reason=body.validated_data["reason"],
                for_tenant_id=body.validated_data["for_tenant"],
            )
        except AccessPoint.DoesNotExist:
            raise Http404 from None
        except ReleaseRefused as refused:
            headers = {"Retry-After": f"{refused.retry_after:.0f}"} if refused.retry_after else {}
            return Response({"detail": str(refused)}, status=refused.status, headers=headers)
        code = {
            "succeeded": status.HTTP_201_CREATED,
            "unknown": status.HTTP_504_GATEWAY_TIMEOUT,
        }.get(release.status, status.HTTP_502_BAD_GATEWAY)
        return Response(DoorReleaseSerializer(release).data, status=code)
