"""``/api/me/...``: the signed-in person's own link status, profile and PIN (nobody else's).

The PIN is returned masked unless ``?reveal=1`` is asked, and every answer carrying one is
``Cache-Control: no-store``.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from portal.api.exceptions import ApiError
from portal.api.schema import error
from portal.butterflymx import BmxError
from portal.core.nostore import NoStoreMixin

from .. import profile as profile_services
from ..limits import LimitReached
from ..models import BmxLink
from ..selectors import tenancies_of
from .base import NonAtomicAPIView
from .serializers import (
    LinkSerializer,
    LinkStatusSerializer,
    PinSerializer,
    PinStateSerializer,
    ProfileAnswerSerializer,
    ProfileSerializer,
    ProfileUpdatedSerializer,
    TenancySerializer,
)


def _bmx_error(exc: BmxError) -> ApiError:
    """ButterflyMX refused: 409 when the link needs relinking (401 there), else 502."""
    if exc.status == 401:
        return ApiError(exc.human_message, status_code=status.HTTP_409_CONFLICT, code="needs_relink")
    return ApiError(
        exc.human_message, status_code=status.HTTP_502_BAD_GATEWAY, code="bmx_failed", errors=exc.field_errors()
    )


BMX_ERRORS = {
    409: error("The ButterflyMX link needs relinking (ButterflyMX answered 401)."),
    502: error("ButterflyMX refused or failed; ``detail`` says why."),
}


class LinkStatusView(NonAtomicAPIView):
    serializer_class = LinkStatusSerializer  # for the schema

    def get(self, request):
        return Response(
            {
                "links": LinkSerializer(BmxLink.objects.filter(user=request.user).order_by("kind"), many=True).data,
                "tenancies": TenancySerializer(tenancies_of(request.user), many=True).data,
            }
        )


class ProfileView(NonAtomicAPIView):
    serializer_class = ProfileSerializer

    @extend_schema(responses=ProfileAnswerSerializer)
    def get(self, request):
        user = request.user
        data = {"portal": ProfileSerializer(user).data, "butterflymx": None, "butterflymx_error": None}
        residency = profile_services.active_residency(user)
        if residency is not None:
            try:
                data["butterflymx"] = vars(profile_services.profile_from_bmx(residency=residency))
            except BmxError as exc:
                data["butterflymx_error"] = exc.human_message
        return Response(data)

    @extend_schema(request=ProfileSerializer, responses=ProfileUpdatedSerializer)
    def patch(self, request):
        user = request.user
        if not isinstance(request.data, Mapping):  # a list, a string, a number: nothing to merge
            raise ApiError(
                _('Send a JSON object of the fields to change, e.g. {"first_name": "Ada"}.'), code="not_an_object"
            )
        serializer = ProfileSerializer(
            data={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "phone": user.phone,
                "language": user.language,
                **request.data,
            }
        )
        serializer.is_valid(raise_exception=True)
        result = profile_services.profile_update(user=user, **serializer.validated_data)
        return Response(
            {
                "portal": ProfileSerializer(user).data,
                "butterflymx_updated": result.pushed,
                "butterflymx_message": result.bmx_message,
                "butterflymx_errors": result.bmx_errors,
            }
        )


class PinView(NoStoreMixin, NonAtomicAPIView):
    serializer_class = PinSerializer

    def _residency(self, request):
        residency = profile_services.active_residency(request.user)
        if residency is None:
            raise Http404
        return residency

    @extend_schema(
        parameters=[OpenApiParameter("reveal", enum=["1"], required=False, description="1: the PIN in clear")],
        responses={200: PinStateSerializer, **BMX_ERRORS},
    )
    def get(self, request):
        residency = self._residency(request)
        try:
            state = profile_services.pin_current(residency=residency)
        except BmxError as exc:
            raise _bmx_error(exc) from None
        reveal = request.query_params.get("reveal") == "1"
        return Response(
            {"has_pin": state.code is not None, "pin": state.code if reveal else state.masked, "revealed": reveal}
        )

    @extend_schema(
        request=PinSerializer,
        responses={
            200: PinStateSerializer,
            400: error("The PIN is not accepted (one message for every reason)."),
            429: error("Too many PIN changes; ``Retry-After`` says when to try again."),
            **BMX_ERRORS,
        },
    )
    def post(self, request):
        residency = self._residency(request)
        serializer = PinSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        code = None if serializer.validated_data["generate"] else serializer.validated_data["code"]
        try:
            state = profile_services.pin_set(residency=residency, code=code)
        except profile_services.PinRefused as refused:
            # The same words for every refusal (weak, wrong length, someone else's): see pin_set.
            raise ApiError(refused.errors[0], code="invalid", errors={"code": refused.errors}) from None
        except LimitReached as limited:
            raise ApiError(
                limited.message,
                status_code=status.HTTP_429_TOO_MANY_REQUESTS,
                code="rate_limited",
                headers={"Retry-After": str(limited.retry_after)},
            ) from None
        except BmxError as exc:
            raise _bmx_error(exc) from None
        return Response({"has_pin": True, "pin": state.code, "revealed": True}, status=status.HTTP_200_OK)
