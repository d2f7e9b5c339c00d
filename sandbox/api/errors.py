"""The one error-envelope helper, JSON in/out helpers and the ``x-request-id`` header (§1, §2.3)."""

import json
import uuid
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse


class ApiError(Exception):
    """Raised anywhere in a v4 view; turned into the error envelope by ``api_view``."""

    def __init__(self, status: int, errors: Iterable[tuple[str, str, str]], key: str = "message"):
        super().__init__(status)
        self.status = status
        self.errors = list(errors)
        self.key = key

    def response(self) -> JsonResponse:
        return error_response(self.status, self.errors, key=self.key)


def error_response(status: int, errors: Iterable[tuple[str, str, str]], key: str = "message") -> JsonResponse:
    """``{"errors":[{"field","code","message"}]}``; ``key="messages"`` reproduces the 401 quirk."""
    body = [{"field": field, "code": code, key: message} for field, code, message in errors]
    return JsonResponse({"errors": body}, status=status)


def unauthorized() -> ApiError:
    return ApiError(401, [("base", "unauthorized", "Unauthorized")], key="messages")


def not_found() -> ApiError:
    return ApiError(404, [("base", "not_found", "Resource not found")])


def forbidden() -> ApiError:
    return ApiError(403, [("base", "forbidden", "Forbidden")])


def invalid(*errors: tuple[str, str, str]) -> ApiError:
    return ApiError(422, errors)


def data(payload: Any, status: int = 200) -> JsonResponse:
    return JsonResponse({"data": payload}, status=status, safe=False)


def message(text: str, status: int = 200) -> JsonResponse:
    """The bare ``{"message": ...}`` body of the access-group membership operations (no ``data``)."""
    return JsonResponse({"message": text}, status=status)


def no_content() -> HttpResponse:
    return HttpResponse(status=204)


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The JSON body as a dict; an empty or unparsable body is ``{}`` (Rails would see no params)."""
    if not request.body:
        return {}
    try:
        value = json.loads(request.body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def unwrap(body: dict[str, Any], wrapper: str) -> dict[str, Any]:
    """Rails ``wrap_parameters``: accept ``{"<wrapper>": {...}}`` and the bare top-level form alike."""
    inner = body.get(wrapper)
    if isinstance(inner, dict):
        return inner
    return body


class RequestIdMiddleware:
    """Every response carries ``x-request-id``, as live ButterflyMX does (undocumented)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["X-Request-Id"] = request.headers.get("X-Request-Id") or str(uuid.uuid4())
        return response
