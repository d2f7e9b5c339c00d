"""The session gate of ``spec_conformant_requests``: an unexpected refusal fails a run whose tests all pass.

Runs pytest in a subprocess on a two-test file with the sandbox plugin: one test sends a request the
document refuses without saying it expects that, one sends the same request marked as expected.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

TESTS = """
pytest_plugins = ["tests.plugins.sandbox"]


def test_sends_the_wrapper(sandbox):
    token = sandbox.password_token("admin@sandbox.test")
    body = {"virtual_key": {"keychain_id": 254302}}
    assert sandbox.api("POST", "/v4/virtual_keys", token, json=body, expect_refusal=EXPECTED).status_code == 422


def test_sends_a_documented_request(sandbox):
    token = sandbox.password_token("admin@sandbox.test")
    assert sandbox.api("GET", "/v4/tenants", token).status_code == 200
"""


def run(tmp_path: Path, expected: bool) -> subprocess.CompletedProcess:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_gate.py").write_text(TESTS.replace("EXPECTED", str(expected)))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:django", "-c", "pytest.ini"]
        + ["test_gate.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_an_unexpected_refusal_fails_the_session_and_names_the_test(tmp_path):
    result = run(tmp_path, expected=False)
    assert "2 passed" in result.stdout
    assert result.returncode == 1, result.stdout
    assert "spec_conformant_requests: 1" in result.stdout
    assert "spec_refused_requests: 1 (expected by their tests: 0, unexpected: 1)" in result.stdout
    assert "test_gate.py::test_sends_the_wrapper: POST /v4/virtual_keys -> 422" in result.stdout


@pytest.mark.slow
def test_an_expected_refusal_passes_and_is_counted(tmp_path):
    result = run(tmp_path, expected=True)
    assert result.returncode == 0, result.stdout
    assert "spec_refused_requests: 1 (expected by their tests: 1, unexpected: 0)" in result.stdout
