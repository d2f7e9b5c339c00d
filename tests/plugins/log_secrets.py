"""A whole test run's logs must carry no secret: every token, PIN, snapshot URL and webhook secret.

How it works (and why it is honest):

- At the start of the session a file handler is added to the root logger with the SAME filters and
  formatter as the configured ``console`` handler (settings.LOGGING): what it writes is what production
  would print. Worker subprocesses' output is appended by ``tests.plugins.workers.celery_worker``.
- Every value the portal encrypts at rest (``portal.core.crypto.encrypt``: OAuth tokens, pass PINs, QR
  and instruction links, share tokens, snapshot URLs) and every webhook secret (``logs.webhooks.secret_hash``)
  seen in this process is registered as a secret, as are the PINs the sandbox seeds (asked of the sandbox
  itself: ``python -m sandbox demo-json``).
- Snapshot URLs are found by their shape instead: the bulk encryptor of a log sync
  (``crypto.fast_encryptor``) is bound inside ``logs.sync`` before this plugin runs, and a webhook or an
  error message may carry a snapshot URL that was never encrypted at all. ButterflyMX's snapshot URLs
  (and the sandbox's) are ``.../uploads/store/<name>.png``: no log line may hold one.
- When the session ends, the captured log is searched for every registered secret and snapshot URL; any
  hit fails the run (exit status 1) and names the secret's kind and the line.

``tests/portal/test_log_secrets.py`` proves the capture sees log lines and that the search finds a leak.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / "var" / "test-logs"
RUN_LOG = LOG_DIR / f"run-{os.getpid()}.log"
# A snapshot URL of ButterflyMX's (OpenAPI examples: http://user.butterflymx.localhost/uploads/store/<hex>.png)
# or of the sandbox's: its path is the secret part, so the path alone is searched for.
SNAPSHOT_URL = re.compile(r"/uploads/store/[^\s\"'<>]+\.png")
MIN_LENGTH = 6  # shorter values (4-digit PINs) collide with ports and counts; they are covered by the filter

SECRETS: dict[str, str] = {}  # value -> kind


def register_secret(value: str, kind: str) -> None:
    if isinstance(value, str) and len(value) >= MIN_LENGTH:
        SECRETS.setdefault(value, kind)


def sandbox_pins() -> list[str]:
    """The PINs the sandbox seeds, as the sandbox itself lists them (its demo JSON)."""
    out = subprocess.run(
        [sys.executable, "-m", "sandbox", "demo-json"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)["seeded_pins"]


def find_leaks(text: str, secrets: dict[str, str]) -> list[str]:
    """Each secret that occurs in ``text``, and each snapshot URL, with the first line that holds it."""
    leaks = [f"snapshot URL in: {line[:300]}" for line in text.splitlines() if SNAPSHOT_URL.search(line)][:5]
    for value, kind in secrets.items():
        if value.isdigit():
            # A PIN is a secret only as a number of its own: "853830" inside a Celery timing such as
            # "succeeded in 0.0204853830s" is a coincidence, and failed a run once.
            found = re.compile(rf"(?<!\d){value}(?!\d)")
            line = next((line for line in text.splitlines() if found.search(line)), None)
        else:
            line = next((line for line in text.splitlines() if value in line), None) if value in text else None
        if line is not None:
            leaks.append(f"{kind} {value[:4]}… in: {line[:300]}")
    return leaks


def _install_capture() -> logging.Handler:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    # Truncate once, then append: dictConfig (Celery's setup_logging hook, for one) closes every handler,
    # and a closed FileHandler in "w" mode silently drops records instead of reopening its file.
    RUN_LOG.write_text("")
    handler = logging.FileHandler(RUN_LOG, mode="a", encoding="utf-8")
    console = next((h for h in logging.getLogger().handlers if h.get_name() == "console"), None)
    if console is None:
        pytest.exit("settings.LOGGING has no 'console' handler on the root logger to mirror", returncode=3)
    handler.setFormatter(console.formatter)
    for flt in console.filters:
        handler.addFilter(flt)
    handler.set_name("test-run-capture")
    logging.getLogger().addHandler(handler)
    return handler


def _register_on_encrypt() -> None:
    from portal.core import crypto

    original = crypto.encrypt
    if getattr(original, "_registers_secrets", False):
        return

    def encrypt(value: str) -> str:
        register_secret(value, "encrypted-at-rest value")
        return original(value)

    encrypt._registers_secrets = True
    crypto.encrypt = encrypt

    from logs import webhooks

    original_hash = webhooks.secret_hash

    def secret_hash(secret: str) -> str:
        register_secret(secret, "webhook secret") if len(secret) >= 20 else None
        return original_hash(secret)

    webhooks.secret_hash = secret_hash


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session):
    import django

    django.setup()
    session.config._log_capture = _install_capture()
    _register_on_encrypt()
    for pin in sandbox_pins():
        register_secret(pin, "sandbox PIN")


def pytest_sessionfinish(session, exitstatus):
    handler = getattr(session.config, "_log_capture", None)
    if handler is None:
        return
    handler.flush()
    logging.getLogger().removeHandler(handler)
    handler.close()
    text = RUN_LOG.read_text(encoding="utf-8", errors="replace")
    leaks = find_leaks(text, SECRETS)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    summary = f"log secrets check: {len(SECRETS)} secrets searched in {len(text.splitlines())} log lines ({RUN_LOG})"
    if reporter:
        reporter.write_line(summary)
    if leaks:
        if reporter:
            reporter.write_line("SECRETS FOUND IN THE LOGS:\n" + "\n".join(leaks), red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _run_capture_stays_attached(request):
    """Logging may be configured again during the run (Celery's setup_logging hook applies settings.LOGGING
    with dictConfig, which replaces the root logger's handlers): put the capture back before each test."""
    handler = getattr(request.config, "_log_capture", None)
    if handler is not None and handler not in logging.getLogger().handlers:
        logging.getLogger().addHandler(handler)
    return handler
