"""The base of API views that call ButterflyMX and therefore run outside ATOMIC_REQUESTS."""

from __future__ import annotations

from django.db import connection
from rest_framework.views import APIView, exception_handler


def _handler_without_rollback(exc, context):
    # DRF's handler marks "the" open transaction for rollback. These views are non-atomic on purpose
    # (a token refresh must commit at once), so an open transaction here is never the request's own.
    needs_rollback = connection.needs_rollback
    response = exception_handler(exc, context)
    connection.needs_rollback = needs_rollback
    return response


class NonAtomicAPIView(APIView):
    def get_exception_handler(self):
        return _handler_without_rollback
