"""JSON from outside, with a bound on nesting: no request body can exhaust the parser's recursion.

Python's ``json`` recurses once per nested array or object; a body of ten thousand ``[`` raises
``RecursionError``, which nothing treats as bad input, so it became a 500. :func:`loads_bounded` turns
that, and any nesting deeper than :data:`MAX_DEPTH` (far more than any body the portal or ButterflyMX
sends), into :class:`JsonTooDeep`, a ``ValueError`` like every other malformed body. Used by the API's
parser (``portal.api.parsers``) and the webhook intake (``logs.webhooks``).
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32


class JsonTooDeep(ValueError):
    def __init__(self, limit: int = MAX_DEPTH):
        super().__init__(f"JSON nested deeper than {limit} levels is not accepted")


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays/objects in ``value`` nest deeper than ``limit`` (iterative: no recursion)."""
    if not isinstance(value, dict | list):
        return False
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def check_depth(value: Any, limit: int = MAX_DEPTH) -> Any:
    """``value`` itself, or :class:`JsonTooDeep`."""
    if depth_exceeds(value, limit):
        raise JsonTooDeep(limit)
    return value


def loads_bounded(text: str | bytes, limit: int = MAX_DEPTH, **kwargs) -> Any:
    """``json.loads`` that raises :class:`JsonTooDeep` (a ``ValueError``) instead of recursing too deep."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise JsonTooDeep(limit) from None
    return check_depth(value, limit)
