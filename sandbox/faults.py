"""Injected faults (§2.4 PROPOSED): 429 with Retry-After, 5xx, latency, timeouts and outages.

Rules live in memory of the one sandbox process (reset clears them). Each rule matches a path pattern
(a glob like ``/v4/buildings/*/access_logs`` or a regex starting with ``^``) and a method, fires with a
``rate`` (0..1) and at most ``count`` times. The control surface itself is never faulted.
"""

import fnmatch
import itertools
import random
import re
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

CONTROL_PREFIX = "/_sandbox/"
MESSAGES = {
    429: ("too_many_requests", "Too many requests"),
    500: ("internal_server_error", "Internal server error"),
    502: ("bad_gateway", "Bad gateway"),
    503: ("service_unavailable", "Service unavailable"),
    504: ("gateway_timeout", "Gateway timeout"),
}


@dataclass
class Fault:
    id: int
    path: str = "*"
    method: str = "*"
    status: int | None = None  # e.g. 429, 500, 503
    retry_after: int | None = None  # seconds, sent with 429/503
    latency_ms: int = 0  # delay before answering (then the normal answer, or ``status``)
    timeout: bool = False  # hold the request ``timeout_s`` seconds, then 504
    timeout_s: float = 30.0
    outage: bool = False  # 503 on everything the rule matches
    rate: float = 1.0
    count: int | None = None  # fire at most this many times
    fired: int = 0

    def matches(self, request: HttpRequest) -> bool:
        if self.method not in ("*", request.method):
            return False
        if self.path.startswith("^"):
            return re.search(self.path, request.path) is not None
        return fnmatch.fnmatchcase(request.path, self.path)


_lock = threading.Lock()
_ids = itertools.count(1)
_faults: list[Fault] = []


def add(spec: dict[str, Any]) -> Fault:
    allowed = set(Fault.__dataclass_fields__) - {"id", "fired"}
    unknown = set(spec) - allowed
    if unknown:
        raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
    fault = Fault(id=next(_ids), **spec)
    fault.method = fault.method.upper() if fault.method != "*" else "*"
    if fault.status is None and not (fault.timeout or fault.outage or fault.latency_ms):
        raise ValueError("a fault needs status, latency_ms, timeout or outage")
    with _lock:
        _faults.append(fault)
    return fault


def clear() -> None:
    with _lock:
        _faults.clear()


def listing() -> list[dict[str, Any]]:
    with _lock:
        return [asdict(f) for f in _faults]


def _pick(request: HttpRequest) -> Fault | None:
    with _lock:
        for fault in _faults:
            if not fault.matches(request) or random.random() >= fault.rate:
                continue
            fault.fired += 1
            if fault.count is not None and fault.fired >= fault.count:
                _faults.remove(fault)
            return fault
    return None


def error_response(status: int, retry_after: int | None) -> HttpResponse:
    """ButterflyMX's error body (§2.3 PROPOSED) with ``Retry-After`` on 429 (and when given); shared with
    the gateway's rate limit."""
    code, text = MESSAGES.get(status, ("error", "Error"))
    response = JsonResponse({"errors": [{"field": "base", "code": code, "message": text}]}, status=status)
    if retry_after is not None or status == 429:
        response["Retry-After"] = str(retry_after if retry_after is not None else 1)
    return response


class FaultMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(CONTROL_PREFIX) or not _faults:
            return self.get_response(request)
        fault = _pick(request)
        if fault is None:
            return self.get_response(request)
        if fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        if fault.timeout:
            time.sleep(fault.timeout_s)
            return error_response(504, None)
        if fault.outage:
            return error_response(503, fault.retry_after)
        if fault.status:
            return error_response(fault.status, fault.retry_after)
        return self.get_response(request)
