"""One exception handler for every API of the portal, and the one error shape it answers with.

Every error body is ``{"detail": str, "code": str, "errors": {field: [messages]}}``: ``detail`` is a
sentence a person can act on, ``code`` a stable machine word, ``errors`` the per-field messages (empty
unless the input was refused). Nested field errors are flattened to dotted names (``weekdays.0``).

DRF's own handler marks *the* open transaction for rollback on every error. That is right for views that
run inside ``ATOMIC_REQUESTS`` (a refused request must not leave half its writes), and wrong for views
that opted out with ``transaction.non_atomic_requests`` because they call ButterflyMX: there the only
open transaction is a caller's (a test's, a management command's), never the request's. So we roll back
only when the view runs inside the request transaction.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.http import Http404
from django.utils.translation import gettext
from rest_framework import exceptions, status
from rest_framework.response import Response


class ApiError(exceptions.APIException):
    """A refusal with any status, a code, field errors and (rarely) extra members of the body."""

    def __init__(
        self,
        detail: str,
        *,
        status_code: int = status.HTTP_400_BAD_REQUEST,
        code: str = "error",
        errors: dict | None = None,
        extra: dict | None = None,
        headers: dict | None = None,
    ):
        super().__init__(detail=detail, code=code)
        self.status_code = status_code
        self.code = code
        self.errors = flatten_errors(errors or {})
        self.extra = extra or {}
        self.headers = headers or {}


def flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """``{"a": {"0": ["x"]}}`` -> ``{"a.0": ["x"]}``; a bare list belongs to ``non_field_errors``."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_errors(value, name))
    elif isinstance(errors, list | tuple):
        messages = [str(item) for item in errors if not isinstance(item, dict | list | tuple)]
        if messages:
            flat[prefix or "non_field_errors"] = messages
        for index, item in enumerate(errors):
            if isinstance(item, dict | list | tuple) and item:
                flat.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
    elif errors not in (None, ""):
        flat[prefix or "non_field_errors"] = [str(errors)]
    return flat


def _first_code(codes: Any) -> str:
    while isinstance(codes, dict | list):
        if not codes:
            return "invalid"
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return str(codes or "invalid")


def error_body(detail: str, code: str, errors: dict | None = None) -> dict:
    return {"detail": str(detail), "code": str(code), "errors": flatten_errors(errors or {})}


def runs_in_request_transaction(request, alias: str) -> bool:
    """True when Django wrapped this request's view in ``atomic`` for ``alias`` (ATOMIC_REQUESTS)."""
    if not settings.DATABASES[alias].get("ATOMIC_REQUESTS"):
        return False
    match = getattr(request, "resolver_match", None)
    view = match.func if match is not None else None
    return alias not in getattr(view, "_non_atomic_requests", set())


def _roll_back_if_ours(request) -> None:
    for alias in settings.DATABASES:
        connection = connections[alias]
        if connection.in_atomic_block and runs_in_request_transaction(request, alias):
            connection.set_rollback(True)


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: the portal's error shape for every API view."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: let Django answer 500 and log it

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = f"{exc.wait:.0f}"

    if isinstance(exc, ApiError):
        body = {"detail": str(exc.detail), "code": exc.code, "errors": exc.errors, **exc.extra}
        headers.update(exc.headers)
    elif isinstance(exc, exceptions.ValidationError):
        body = error_body(
            gettext("Some of the input was not accepted; see errors."), _first_code(exc.get_codes()), exc.detail
        )
    else:
        detail = exc.detail if isinstance(exc.detail, str) else exceptions.APIException.default_detail
        body = error_body(detail, _first_code(exc.get_codes()))

    request = context.get("request")
    if request is not None:
        _roll_back_if_ours(request)
    return Response(body, status=exc.status_code, headers=headers)
