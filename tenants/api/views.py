"""``/api/me/...``: the signed-in person's own link status, profile and PIN (nobody else's).

The PIN is returned masked unless ``?reveal=1`` is asked, and every answer carrying one is
``Cache-Control: no-store``.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.cache import add_never_cache_headers
from rest_framework import status
from rest_framework.response import Response

from portal.butterflymx import BmxError

from .. import profile as profile_services
from ..models import BmxLink
from ..selectors import tenancies_of
from .base import NonAtomicAPIView
from .serializers import LinkSerializer, LinkStatusSerializer, PinSerializer, ProfileSerializer, TenancySerializer


def _bmx_error(exc: BmxError) -> Response:
    return Response(
        {"detail": exc.human_message, "bmx_status": exc.status, "bmx_code": exc.code},
        status=status.HTTP_502_BAD_GATEWAY if exc.status != 401 else status.HTTP_409_CONFLICT,
    )


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

    def patch(self, request):
        user = request.user
        serializer = ProfileSerializer(
            data={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "phone": user.phone,
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


class PinView(NonAtomicAPIView):
    serializer_class = PinSerializer

    def _residency(self, request):
        residency = profile_services.active_residency(request.user)
        if residency is None:
            raise Http404
        return residency

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    def get(self, request):
        residency = self._residency(request)
        try:
            state = profile_services.pin_current(residency=residency)
        except BmxError as exc:
            return _bmx_error(exc)
        reveal = request.query_params.get("reveal") == "1"
        return Response(
            {"has_pin": state.code is not None, "pin": state.code if reveal else state.masked, "revealed": reveal}
        )

    def post(self, request):
        residency = self._residency(request)
        serializer = PinSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        code = None if serializer.validated_data["generate"] else serializer.validated_data["code"]
        try:
            state = profile_services.pin_set(residency=residency, code=code)
        except profile_services.PinRefused as refused:
            return Response({"code": refused.errors}, status=status.HTTP_400_BAD_REQUEST)
        except BmxError as exc:
            return _bmx_error(exc)
        return Response({"has_pin": True, "pin": state.code, "revealed": True}, status=status.HTTP_200_OK)
