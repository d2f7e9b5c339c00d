"""The base of API views that call ButterflyMX and therefore run outside ATOMIC_REQUESTS.

Errors go through the portal's one exception handler (:mod:`portal.api.exceptions`), which leaves a
caller's transaction alone for views like these (wrapped in ``transaction.non_atomic_requests``).
"""

from __future__ import annotations

from rest_framework.views import APIView


class NonAtomicAPIView(APIView):
    pass
