"""Check and count every ``/v4`` request; the verdict rides on the request to ``api_route``.

It is the outermost middleware, so a request answered by an injected fault is still checked and counted.
It never answers by itself: ``sandbox.api.auth.api_route`` (and the catch-all 404 of ``sandbox.urls``)
answer refusals in Rails' order (routing, then authentication, then parameters).
"""

from django.http import HttpRequest, HttpResponse

from sandbox.contract import stats
from sandbox.contract.validation import Verdict, check

API_PREFIX = "/v4/"


def verdict_for(request: HttpRequest) -> Verdict:
    """The verdict the middleware left on the request (checked now when it did not run, e.g. in a unit test)."""
    verdict = request.META.get("sandbox.contract.verdict")
    return verdict if isinstance(verdict, Verdict) else check(request)


class ContractMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/"):
            verdict = check(request)
            stats.record(verdict, request)
            request.META["sandbox.contract.verdict"] = verdict
        return self.get_response(request)
