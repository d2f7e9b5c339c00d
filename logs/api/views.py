"""Read-only API over the same scope and FilterSets as the pages, with cursor pagination."""

from django.db.models import BooleanField, Case, Value, When
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.pagination import CursorPagination

from .. import selectors
from ..filters import AccessLogFilter, CallFilter
from .serializers import AccessLogEntrySerializer, CallRecordSerializer


class NewestFirst(CursorPagination):
    """Opaque cursors on (logged_at, id): stable while new entries arrive, deep pages stay cheap."""

    ordering = ("-logged_at", "-id")
    page_size = 50
    page_size_query_param = "per"
    max_page_size = 500


class AccessLogEntryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AccessLogEntrySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = AccessLogFilter
    pagination_class = NewestFirst

    def get_queryset(self):
        has_snapshot = Case(When(snapshot_url="", then=Value(False)), default=Value(True), output_field=BooleanField())
        return (
            selectors.entries_visible_to(self.request.user)
            .select_related("building", "door")
            .defer(*selectors.LIST_DEFERRED)
            .annotate(has_snapshot=has_snapshot)
        )


class CallRecordViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CallRecordSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CallFilter
    pagination_class = NewestFirst

    def get_queryset(self):
        return selectors.calls_visible_to(self.request.user).select_related("building").defer(*selectors.LIST_DEFERRED)
