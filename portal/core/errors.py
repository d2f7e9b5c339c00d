"""The portal's error answers: branded pages for people, the API's JSON shape for programs.

- 404 and 500: Django's documented handlers (``handler404``/``handler500`` in portal/urls.py) render
  templates/404.html and templates/500.html; under /api/ they answer the API's error body instead.
  500.html is rendered by Django's ``server_error`` with an empty context (no request, no context
  processors), so it extends nothing that needs them.
- 429: one page, templates/429.html, for every rate limit that refuses a whole page: allauth's limits
  (allauth calls ``handler429`` of the ROOT_URLCONF when it exists) and the guest pages'
  (passes/views.py). DRF throttles answer JSON with ``Retry-After`` through the API's exception handler;
  limits counted by portal.core.limits refuse one action inside a form or dialog and say so there.
"""

from __future__ import annotations

import math

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views import defaults

API_PREFIX = "/api/"


def wants_json(request: HttpRequest) -> bool:
    """A program, not a person: a client that asks for JSON, or anything under /api/ that does not ask
    for HTML (a browser opening /api/docs/ does: it gets the page)."""
    accepts = request.headers.get("Accept", "")
    if "text/html" in accepts:
        return False
    return request.path.startswith(API_PREFIX) or "application/json" in accepts


def _json(detail: str, code: str, status: int) -> JsonResponse:
    # The API's error shape (portal/api/exceptions.py error_body), without importing DRF here.
    return JsonResponse({"detail": detail, "code": code, "errors": {}}, status=status)


def too_many_requests(
    request: HttpRequest, exception: Exception | None = None, *, retry_after: float | None = None
) -> HttpResponse:
    """429: the branded page (or the API's JSON), with ``Retry-After`` when the limit knows it."""
    wait = max(1, math.ceil(retry_after)) if retry_after else None
    if wants_json(request):
        response = _json(gettext("Too many requests; retry after the Retry-After header's seconds."), "throttled", 429)
    else:
        response = render(request, "429.html", {"retry_after": wait}, status=429)
    if wait:
        response["Retry-After"] = str(wait)
    return response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if wants_json(request):
        return _json(gettext("Not found."), "not_found", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return _json(gettext("Something went wrong on our side. Try again in a moment."), "server_error", 500)
    return defaults.server_error(request)
