"""Sending a text message, behind a pluggable backend (``PASSES_SMS_BACKEND``), like Django's e-mail.

The default, :class:`ConsoleBackend`, writes the message to stdout; tests use :class:`LocmemBackend`
and read ``outbox``. A real provider (Twilio, SNS, ...) is a class with ``send(to, body)``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from django.conf import settings
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


def get_backend():
    path = getattr(settings, "PASSES_SMS_BACKEND", "passes.sms.ConsoleBackend")
    return import_string(path)()


def send_sms(to: str, body: str) -> None:
    get_backend().send(to, body)
