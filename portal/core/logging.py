"""A logging filter that keeps secrets out of every log line.

Belt and braces: the code never logs tokens, PINs, snapshot URLs or webhook secrets on purpose, and
this filter masks them if a library or an exception message carries one anyway.
"""

from __future__ import annotations

import logging
import re

PATTERNS = [
    # OAuth material in query strings, form bodies and JSON.
    (
        re.compile(
            r"(?i)((?:access|refresh)_token|code|client_secret|password|pin|secret|code_verifier)"
            r"([\"']?\s*[:=]\s*[\"']?)([^\s\"'&,}]+)"
        ),
        r"\1\2[redacted]",
    ),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1[redacted]"),
    # Pre-signed S3 links (snapshot URLs) are bearer secrets too.
    (re.compile(r"https?://[^\s\"']*amazonaws\.com[^\s\"']*"), "[snapshot-url]"),
    (re.compile(r"https?://[^\s\"']*/snapshots?/[^\s\"']*"), "[snapshot-url]"),
    # Per-building webhook paths hold an unguessable secret.
    (re.compile(r"(/webhooks/(?:[^/\s\"']+/)*?)[A-Za-z0-9_-]{20,}"), r"\1[redacted]"),
]


def redact(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Tracebacks quote request data too; format them now so the mask applies.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True
