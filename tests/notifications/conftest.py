"""A local push service and a browser's keys: Web Push tested end to end without any outside service.

``push_service`` is a tiny HTTP server standing in for a browser vendor's push service (FCM, Mozilla's
autopush): it records each request pywebpush makes and answers with the status a test chooses.
``browser_keys`` are what a browser makes when it subscribes (a P-256 key pair and a 16-byte auth
secret); the test keeps the private key, so it can decrypt what arrived exactly as the browser would.
"""

from __future__ import annotations

import base64
import os
import threading
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from portal.celery import send_task
from portal.core.vapid import new_key_pair


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class PushService:
    url: str
    received: list[Received] = field(default_factory=list)
    status: int = 201

    def endpoint(self, name: str = "device-1") -> str:
        return f"{self.url}/push/{name}"


@pytest.fixture
def push_service():
    service = PushService(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # http.server calls it by this name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            service.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(service.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service
    server.shutdown()
    server.server_close()


@dataclass
class BrowserKeys:
    private: ec.EllipticCurvePrivateKey
    p256dh: str
    auth: str
    auth_raw: bytes


@pytest.fixture
def browser_keys() -> BrowserKeys:
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = os.urandom(16)
    return BrowserKeys(private, b64url(public), b64url(auth), auth)


@pytest.fixture
def webpush_on(settings):
    """Web Push configured with a fresh VAPID pair, sending to the local push service (plain HTTP)."""
    pair = new_key_pair()
    settings.WEBPUSH_VAPID_PUBLIC_KEY = pair.public
    settings.WEBPUSH_VAPID_PRIVATE_KEY = pair.private
    settings.WEBPUSH_VAPID_SUBJECT = "mailto:ops@example.test"
    settings.WEBPUSH_ENDPOINT_HOSTS = ["127.0.0.1", "fcm.googleapis.com"]
    settings.WEBPUSH_ENDPOINT_ALLOW_HTTP = True
    return pair


def run_live_only(callbacks) -> list[tuple]:
    """Run the on-commit callbacks that write live events; return the tasks notify() would queue instead
    of queueing them (their delivery is tested against the local push service and with a real worker)."""
    queued = []
    for callback in callbacks:
        if isinstance(callback, partial) and callback.func is send_task:
            queued.append(callback.args)
        else:
            callback()
    return queued
