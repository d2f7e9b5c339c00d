"""Per-process counts of ``/v4`` requests that conformed to the document and of those it refused.

A test that deliberately sends a request the document does not allow says so with the header
``X-Sandbox-Expect-Refusal: 1``; its refusal is counted as expected. The test session fails on any other
refusal (``tests/plugins/sandbox.py``). ``POST /_sandbox/reset`` keeps the counts (they span a test
session); ``DELETE /_sandbox/contract/stats`` clears them.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from django.http import HttpRequest

from sandbox.contract.validation import Verdict

EXPECT_HEADER = "X-Sandbox-Expect-Refusal"
KEEP = 200  # refusals kept with their details (the counts are exact)

_lock = threading.Lock()
_counts = {"conformant": 0, "refused_expected": 0, "refused_unexpected": 0}
_unexpected: deque[dict[str, Any]] = deque(maxlen=KEEP)
_expected: deque[dict[str, Any]] = deque(maxlen=KEEP)


def expects_refusal(request: HttpRequest) -> bool:
    return request.headers.get(EXPECT_HEADER, "").strip().lower() in ("1", "true", "yes")


def record(verdict: Verdict, request: HttpRequest) -> None:
    with _lock:
        if verdict.conformant:
            _counts["conformant"] += 1
            return
        detail = verdict.as_dict() | {"query": request.META.get("QUERY_STRING", "")}
        if expects_refusal(request):
            _counts["refused_expected"] += 1
            _expected.append(detail)
        else:
            _counts["refused_unexpected"] += 1
            _unexpected.append(detail)


def snapshot(details: bool = True) -> dict[str, Any]:
    """The counts, and (unless ``details`` is false) the last refusals of each kind, oldest first."""
    with _lock:
        out: dict[str, Any] = {
            "conformant": _counts["conformant"],
            "refused": _counts["refused_expected"] + _counts["refused_unexpected"],
            "refused_expected": _counts["refused_expected"],
            "refused_unexpected": _counts["refused_unexpected"],
        }
        if details:
            out |= {"unexpected": list(_unexpected), "expected": list(_expected)}
        return out


def clear() -> None:
    with _lock:
        for key in _counts:
            _counts[key] = 0
        _unexpected.clear()
        _expected.clear()
