"""A logging filter that keeps secrets out of every log line.

Belt and braces: the code never logs tokens, PINs, snapshot URLs or webhook secrets on purpose, and
this filter masks them if a library or an exception message carries one anyway.
"""

from __future__ import annotations

import json
import logging
import re
import time

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
    # The portal's own API tokens (knox, REST_KNOX["TOKEN_PREFIX"]), bare or in an Authorization header.
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?token\s+)[^\s\"',}]+"), r"\1[redacted]"),
    (re.compile(r"bpt_[0-9a-f]{8,}"), "bpt_[redacted]"),
    # Pre-signed S3 links (snapshot URLs) are bearer secrets too.
    (re.compile(r"https?://[^\s\"']*amazonaws\.com[^\s\"']*"), "[snapshot-url]"),
    (re.compile(r"https?://[^\s\"']*/snapshots?/[^\s\"']*"), "[snapshot-url]"),
    # Per-building webhook paths hold an unguessable secret.
    (re.compile(r"(/webhooks/(?:[^/\s\"']+/)*?)[A-Za-z0-9_-]{20,}"), r"\1[redacted]"),
    # Guest pass links (/p/<token>/) are bearer secrets: Django's request log prints the path of a 4xx.
    (re.compile(r"(/p/)[A-Za-z0-9_-]{16,}"), r"\1[redacted]"),
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


# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged too.
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line (production): time, level, logger, message, extras, exception.

    Pair it with :class:`RedactSecretsFilter` on the handler; the extras are redacted here as well,
    because the filter only rewrites the message.
    """

    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                if isinstance(value, bool | int | float) or value is None:
                    entry[key] = value
                else:
                    entry[key] = redact(value if isinstance(value, str) else repr(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(self.formatException(record.exc_info))
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str)
