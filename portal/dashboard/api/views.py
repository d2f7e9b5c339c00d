"""DRF endpoints: the board's doors and their state, and release (the same service, the same limits)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.exceptions import ApiError
from portal.api.schema import error
from tenants.models import AccessPoint
from tenants.scope import RELEASE, request_grants

from ..confirmation import error_words
from ..selectors import door_states
from ..services import ReleaseRefused, door_release, release_target
from .serializers import DoorReleaseSerializer, DoorStateSerializer, ReleaseFailedSerializer, ReleaseRequestSerializer


class DoorList(generics.GenericAPIView):
    """Doors the caller may see (all doors of staff/manager buildings but the residents' unit doors a
    manager keeps off the board; residents' assigned doors), each with the last entry and release the
    caller may see (residents: their own units' only)."""

    serializer_class = DoorStateSerializer
    pagination_class = None

    def get_queryset(self):
        doors = AccessPoint.objects.restrict(request_grants(self.request), action=RELEASE)
        queryset = doors.filter(is_active=True).select_related("building")
        building = self.request.query_params.get("building")
        if building:
            try:  # a form field, not int(): "²" is a digit to isdigit(), and ids have a range
                building_id = forms.IntegerField(min_value=1, max_value=2**63 - 1).clean(building)
            except ValidationError:
                return queryset.none()
            queryset = queryset.filter(building_id=building_id)
        return queryset

    @extend_schema(operation_id="doors_list", responses=DoorStateSerializer(many=True))
    def get(self, request):
        states = door_states(self.get_queryset(), viewer=request.user, grants=request_grants(request))
        return Response(self.get_serializer(states, many=True).data)


class DoorDetail(generics.GenericAPIView):
    serializer_class = DoorStateSerializer

    @extend_schema(operation_id="doors_retrieve")
    def get(self, request, pk: int):
        grants = request_grants(request)
        doors = AccessPoint.objects.restrict(grants, action=RELEASE).filter(pk=pk, is_active=True)
        states = door_states(doors, viewer=request.user, grants=grants)
        if not states:
            raise Http404
        return Response(self.get_serializer(states[0]).data)


class DoorRelease(APIView):
    """Release a door once. 201 released; 409 cooldown; 429 rate limit; 502/504 ButterflyMX failed/silent."""

    @extend_schema(
        request=ReleaseRequestSerializer,
        responses={
            201: DoorReleaseSerializer,
            400: error("The body was refused (e.g. no reason for a resident's unit door, which staff must give)."),
            409: error("The door was released moments ago (cooldown); see Retry-After."),
            429: error("A release limit was reached; see Retry-After."),
            502: ReleaseFailedSerializer,
            504: ReleaseFailedSerializer,
        },
    )
    def post(self, request, pk: int):
        try:
            target = release_target(user=request.user, door_id=pk, grants=request_grants(request))
        except AccessPoint.DoesNotExist:
            raise Http404 from None
        body = ReleaseRequestSerializer(data=request.data, context={"reason_required": target.reason_required})
        body.is_valid(raise_exception=True)
        try:
            release = door_release(
                user=request.user,
                door_id=pk,
                reason=body.validated_data["reason"],
                for_tenant_id=body.validated_data["for_tenant"],
                target=target,
            )
        except AccessPoint.DoesNotExist:
            raise Http404 from None
        except ReleaseRefused as refused:
            headers = {"Retry-After": f"{refused.retry_after:.0f}"} if refused.retry_after else {}
            code = {409: "cooldown", 429: "throttled"}.get(refused.status, "refused")
            raise ApiError(str(refused), status_code=refused.status, code=code, headers=headers) from None
        if release.status == "succeeded":
            return Response(DoorReleaseSerializer(release).data, status=status.HTTP_201_CREATED)
        silent = release.status == "unknown"
        raise ApiError(
            error_words(release)
            or (_("ButterflyMX did not answer in time.") if silent else _("ButterflyMX refused the release.")),
            status_code=status.HTTP_504_GATEWAY_TIMEOUT if silent else status.HTTP_502_BAD_GATEWAY,
            code="bmx_timeout" if silent else "bmx_failed",
            extra={"release": DoorReleaseSerializer(release).data},
        )
