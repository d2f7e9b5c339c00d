"""Small shared pieces of the v4 views: visibility lookups and body-field parsing."""

from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from sandbox.api.errors import not_found

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def get_visible(queryset: QuerySet, pk: Any) -> Model:
    """The row with this id among those the viewer may see, else the 404 envelope (never a 403 hint)."""
    key = as_int(pk)
    obj = queryset.filter(pk=key).first() if key is not None else None
    if obj is None:
        raise not_found()
    return obj


def origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def as_bool(value: Any) -> bool:
    """Rails casts ``"true"``/``"1"`` to true; the OpenAPI examples send booleans as strings."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "t", "yes", "on")
    return bool(value)


def as_int(value: Any) -> int | None:
    """An id as an int, or None when it is not one or lies beyond 64 bits (no row has it: the database
    column is a 64-bit integer, and Rails' ``find`` finds nothing rather than failing)."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if INT64_MIN <= number <= INT64_MAX else None
