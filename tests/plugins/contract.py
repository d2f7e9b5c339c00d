"""Pytest plugin: the requests the portal sends to ButterflyMX's v4 API, recorded for tests to read.

    pytest_plugins = ["tests.plugins.contract"]

Conformance itself is the strict sandbox's job (``sandbox/contract/validation.py``): it refuses every
request ButterflyMX's published document does not allow, and the session fails on any refusal no test
expected (``tests/plugins/sandbox.py``, the ``spec_conformant_requests`` line). This plugin only lets a
test assert the exact shape of what the portal sent (``bmx_requests.find("POST", "/v4/virtual_keys")``), so
a change of shape that the document would still allow is caught too.

How it records: a pass-through wrapper of ``requests.Session.send`` (requests' public API). Nothing of ours
is replaced and nothing is faked: each request still travels over HTTP to the real sandbox, which answers
it. Requests of the sandbox's own test client (:class:`tests.plugins.sandbox.SandboxClient`, whose
session carries ``sandbox_control = True``) are not recorded: they are not the portal's. Requests sent by
Celery worker subprocesses are not seen here either.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests


@dataclass
class Sent:
    method: str
    path: str
    query: list[tuple[str, str]]
    body: Any
    has_body: bool

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query)
        body = json.dumps(self.body) if self.has_body else ""
        return f"{self.method} {self.path}{'?' + query if query else ''} {body}".strip()


class Recorder:
    def __init__(self):
        self.sent: list[Sent] = []

    def record(self, prepared: requests.PreparedRequest) -> None:
        url = urlsplit(prepared.url or "")
        if not url.path.startswith("/v4/") and url.path != "/v4":
            return
        raw = prepared.body
        has_body = bool(raw)
        try:
            body = json.loads(raw) if raw else None
        except (TypeError, ValueError):
            body = raw if isinstance(raw, str) else repr(raw)
        sent = Sent(prepared.method or "", url.path, parse_qsl(url.query, keep_blank_values=True), body, has_body)
        self.sent.append(sent)

    def find(self, method: str, path: str) -> list[Sent]:
        """The recorded requests of ``method`` whose path is ``path`` or matches its ``{...}`` template."""
        pattern = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$")
        return [s for s in self.sent if s.method == method.upper() and pattern.match(s.path)]


_active: list[Recorder] = []
_original_send = requests.Session.send


def _recording_send(self, request, **kwargs):
    if _active and not getattr(self, "sandbox_control", False):
        for recorder in _active:
            recorder.record(request)
    return _original_send(self, request, **kwargs)


def pytest_configure(config):
    requests.Session.send = _recording_send


def pytest_unconfigure(config):
    requests.Session.send = _original_send


@pytest.fixture(autouse=True)
def bmx_requests() -> Recorder:
    recorder = Recorder()
    _active.append(recorder)
    try:
        yield recorder
    finally:
        _active.remove(recorder)
