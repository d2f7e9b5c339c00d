"""The end-of-run log search (tests/plugins/log_secrets.py) really captures log lines and finds leaks."""

from __future__ import annotations

import logging
import uuid

import pytest

from portal.core import crypto
from tests.plugins import log_secrets


def test_the_run_capture_writes_what_the_production_handler_would_print():
    marker = f"opaque-{uuid.uuid4().hex}"

    # A logger of its own: a library that reconfigures logging mid-run may disable loggers that existed.
    logging.getLogger(f"portal.test.{marker}").warning(
        "an unremarkable value %s and access_token=%s", marker, "tok-XYZ-123"
    )

    captured = log_secrets.RUN_LOG.read_text()
    assert marker in captured  # the capture sees log lines at all
    assert "tok-XYZ-123" not in captured and "access_token=[redacted]" in captured  # through the same filter


def test_the_search_finds_a_registered_secret_in_the_captured_log():
    leaked = f"leaked-{uuid.uuid4().hex}"
    logging.getLogger(f"portal.test.{leaked}").warning("oops %s", leaked)  # not registered: the run stays green

    leaks = log_secrets.find_leaks(log_secrets.RUN_LOG.read_text(), {leaked: "refresh token"})

    assert len(leaks) == 1 and leaks[0].startswith("refresh token ") and "oops" in leaks[0]


@pytest.mark.django_db
def test_every_value_encrypted_at_rest_is_registered_as_a_secret():
    value = f"rt-{uuid.uuid4().hex}"

    crypto.encrypt(value)

    assert log_secrets.SECRETS[value] == "encrypted-at-rest value"


def test_a_pin_is_found_as_a_number_of_its_own_not_inside_a_longer_one():
    secrets = {"853830": "sandbox PIN"}

    assert log_secrets.find_leaks("task succeeded in 0.0204853830s", secrets) == []
    assert log_secrets.find_leaks("pin set to 853830 for unit 4", secrets) != []
    assert log_secrets.find_leaks("PIN=853830", secrets) != []


def test_a_snapshot_url_is_found_by_its_shape_whether_or_not_it_was_ever_encrypted():
    logged = "webhook stored: image_url=http://127.0.0.1:8001/uploads/store/5f3a9c0e11b2.png for unit 4B"

    leaks = log_secrets.find_leaks(logged, {})

    assert len(leaks) == 1 and leaks[0].startswith("snapshot URL in: ") and "unit 4B" in leaks[0]
    assert log_secrets.find_leaks("GET /logs/calls/812/snapshot 200", {}) == []  # the portal's own proxy path


def test_the_sandbox_pins_come_from_the_sandbox_itself():
    pins = log_secrets.sandbox_pins()

    assert "483920" in pins and "286417" in pins  # a resident's access-tool PIN and a visitor key's PIN
    assert all(log_secrets.SECRETS.get(pin) == "sandbox PIN" for pin in pins if len(pin) >= log_secrets.MIN_LENGTH)
