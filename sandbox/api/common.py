"""Small shared pieces of the v4 views: visibility lookups and body-field parsing."""

from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from sandbox.api.errors import not_found


def get_visible(queryset: QuerySet, pk: Any) -> Model:
    """The row with this id among those the viewer may see, else the 404 envelope (never a 403 hint)."""
    try:
        obj = queryset.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        obj = None
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
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
