"""Read-only API over the same scope and FilterSets as the pages, paged by the pages' own keyset."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.exceptions import ParseError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from tenants.scope import request_grants

from .. import selectors
from ..filters import AccessLogFilter, CallFilter
from ..models import AccessLogEntry, CallRecord
from .serializers import AccessLogEntrySerializer, CallRecordSerializer


class NewestFirst(BasePagination):
    """The log pages' keyset (:func:`logs.selectors.keyset_page`) and cursor format: opaque cursors on
    (logged_at, id), stable while new entries arrive, deep pages as cheap as the first. ``next`` follows
    with ``?cursor=``, ``previous`` with ``?before=``; a cursor that is not one of ours (the API's
    cursors before issue 17 included) is a 400 that says to start again."""

    page_size = 50
    page_size_query_param = "per"
    max_page_size = 500

    def _size(self, request) -> int:
        try:
            size = int(request.query_params.get(self.page_size_query_param, self.page_size))
        except ValueError:
            return self.page_size
        return min(max(size, 1), self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        try:
            self.page = selectors.keyset_page(
                queryset,
                request.query_params.get("cursor"),
                self._size(request),
                before=request.query_params.get("before"),
            )
        except selectors.InvalidCursor as exc:
            raise ParseError(str(exc), code="invalid_cursor") from None
        return self.page.rows

    def _link(self, name: str, token: str | None) -> str | None:
        if token is None:
            return None
        params = self.request.query_params.copy()
        for old in ("cursor", "before"):
            params.pop(old, None)
        params[name] = token
        return self.request.build_absolute_uri(f"{self.request.path}?{params.urlencode()}")

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link("cursor", self.page.next_cursor),
                "previous": self._link("before", self.page.prev_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view):
        def query(name: str, description: str, kind: str = "string") -> dict:
            return {
                "name": name,
                "required": False,
                "in": "query",
                "description": description,
                "schema": {"type": kind},
            }

        return [
            query("cursor", "The page after this position (a `next` link's cursor)."),
            query("before", "The page before this position (a `previous` link's cursor)."),
            query(self.page_size_query_param, f"Rows per page (at most {self.max_page_size}).", "integer"),
        ]


class AccessLogEntryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AccessLogEntrySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = AccessLogFilter
    pagination_class = NewestFirst

    def get_queryset(self):
        return (
            AccessLogEntry.objects.restrict(request_grants(self.request))
            .select_related("building", "door")
            .defer(*selectors.LIST_DEFERRED)
            .with_has_snapshot()
        )


class CallRecordViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CallRecordSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CallFilter
    pagination_class = NewestFirst

    def get_queryset(self):
        grants = request_grants(self.request)
        return CallRecord.objects.restrict(grants).select_related("building").defer(*selectors.LIST_DEFERRED)
