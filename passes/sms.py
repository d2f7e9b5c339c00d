"""Sending a text message, behind a pluggable backend (``PASSES_SMS_BACKEND``), like Django's e-mail.

- :class:`TwilioBackend` delivers through Twilio's official library (``twilio``), configured from the
  environment (``TWILIO_*`` settings, docs/operations.md "Text messages (SMS)").
- :class:`ConsoleBackend`, the development default, writes the message to stdout; production refuses it
  while SMS sharing is on (portal/core/checks.py).
- :class:`LocmemBackend` (tests) keeps messages in ``outbox``.

Any backend is a class with ``send(to, body)`` that raises when the message did not go out.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


@dataclass
class Sms:
    to: str
    body: str


outbox: list[Sms] = []


class ConsoleBackend:
    def send(self, to: str, body: str) -> None:
        sys.stdout.write(f"SMS to {to}:\n{body}\n{'-' * 40}\n")
        sys.stdout.flush()


class LocmemBackend:
    def send(self, to: str, body: str) -> None:
        outbox.append(Sms(to, body))


def twilio_missing() -> list[str]:
    """The TWILIO_* settings the Twilio backend still needs (empty when it can send)."""
    missing = []
    if not settings.TWILIO_ACCOUNT_SID:
        missing.append("TWILIO_ACCOUNT_SID")
    has_key = settings.TWILIO_API_KEY_SID and settings.TWILIO_API_KEY_SECRET
    if not (settings.TWILIO_AUTH_TOKEN or has_key):
        missing.append("TWILIO_AUTH_TOKEN (or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET)")
    if not (settings.TWILIO_FROM_NUMBER or settings.TWILIO_MESSAGING_SERVICE_SID):
        missing.append("TWILIO_FROM_NUMBER (or TWILIO_MESSAGING_SERVICE_SID)")
    return missing


def _twilio_http_client():
    """Twilio's own HTTP client, with our timeout; with ``TWILIO_API_BASE`` set, aimed at that origin.

    The library documents a custom ``http_client`` as the way to change how requests are made. The base
    override serves a regional proxy or a local stand-in of Twilio's API (the tests use one); unset, the
    library's own https://api.twilio.com addresses are used as they are.
    """
    from twilio.http.http_client import TwilioHttpClient

    base = settings.TWILIO_API_BASE.rstrip("/")

    class Client(TwilioHttpClient):
        def request(self, method, url, *args, **kwargs):
            if base:
                parts, target = urlsplit(url), urlsplit(base)
                url = urlunsplit((target.scheme, target.netloc, target.path + parts.path, parts.query, ""))
            return super().request(method, url, *args, **kwargs)

    return Client(timeout=settings.TWILIO_TIMEOUT_S)


class TwilioBackend:
    """Sends with Twilio's Messages API (``client.messages.create``), from a number or a messaging service.

    Authenticates with an API key (preferred: revocable on its own) or the account's auth token. A refusal
    by Twilio raises ``twilio.base.exceptions.TwilioRestException``; the caller treats it as "not sent".
    """

    def __init__(self) -> None:
        from twilio.rest import Client

        missing = twilio_missing()
        if missing:
            raise ImproperlyConfigured(f"The Twilio SMS backend needs {', '.join(missing)}.")
        sid = settings.TWILIO_ACCOUNT_SID
        if settings.TWILIO_API_KEY_SID and settings.TWILIO_API_KEY_SECRET:
            username, password = settings.TWILIO_API_KEY_SID, settings.TWILIO_API_KEY_SECRET
        else:
            username, password = sid, settings.TWILIO_AUTH_TOKEN
        self.client = Client(username, password, account_sid=sid, http_client=_twilio_http_client())

    def send(self, to: str, body: str) -> None:
        sender = (
            {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
            if settings.TWILIO_MESSAGING_SERVICE_SID
            else {"from_": settings.TWILIO_FROM_NUMBER}
        )
        self.client.messages.create(to=to, body=body, **sender)


def get_backend():
    path = getattr(settings, "PASSES_SMS_BACKEND", "passes.sms.ConsoleBackend")
    return import_string(path)()


def send_sms(to: str, body: str) -> None:
    get_backend().send(to, body)
