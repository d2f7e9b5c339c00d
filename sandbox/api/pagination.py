"""The one pagination helper: ``page``/``per`` in, ``data`` + ``page_info`` out (§2.1)."""

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse

DEFAULT_PER = 50
MAX_PER = 100


def _int_param(request: HttpRequest, name: str) -> int | None:
    try:
        return int(request.GET.get(name, ""))
    except ValueError:
        return None


def page_params(request: HttpRequest) -> tuple[int, int]:
    """Kaminari-like: page 0 or junk is page 1; per is clamped to 1..100, junk is the default 50."""
    page = max(_int_param(request, "page") or 1, 1)
    per = _int_param(request, "per")
    per = DEFAULT_PER if per is None or per < 1 else min(per, MAX_PER)
    return page, per


def paginate(
    request: HttpRequest,
    items: QuerySet | Sequence,
    render: Callable[[Any], dict],
    count: int | None = None,
) -> JsonResponse:
    page, per = page_params(request)
    total = count if count is not None else (items.count() if isinstance(items, QuerySet) else len(items))
    offset = (page - 1) * per
    rows = list(items[offset : offset + per]) if offset < total else []
    total_pages = max((total + per - 1) // per, 1) if total else 0
    # Kaminari reports one page for an empty result in some versions and zero in others; examples only
    # ever show non-empty lists, so we follow ``total_pages = ceil(total / per)`` with at least one page.
    total_pages = max(total_pages, 1)
    last = page >= total_pages
    page_info = {
        "current_page": page,
        "total_pages": total_pages,
        "total_item_count": total,
        "page_item_count": len(rows),
        "page_size": per,
        "next_page": None if last else page + 1,
        "prev_page": page - 1 if 1 < page <= total_pages else None,
        "first_page": page == 1,
        "last_page": last,
    }
    return JsonResponse({"data": [render(row) for row in rows], "page_info": page_info})
