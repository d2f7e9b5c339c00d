"""Pytest plugin: a real sandbox process for the session and a fresh seed per test.

    pytest_plugins = ["tests.plugins.sandbox"]

- ``sandbox_server`` (session): ``python -m sandbox serve`` on a free loopback port with a temporary state
  directory (SQLite); yields an object with ``.url``; stops it at the end (printing its stderr tail when the
  process failed).
- ``sandbox`` (function): ``POST /_sandbox/reset`` then a ``SandboxClient``. When pytest-django's
  ``settings`` fixture is usable, it also points ``BMX_API_BASE``/``BMX_ACCOUNTS_BASE`` at the sandbox and
  sets ``BMX_CLIENT_ID``/``BMX_CLIENT_SECRET`` to the demo client.

It talks HTTP only, so it needs no Django test database.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0
EXPECT_REFUSAL_HEADER = "X-Sandbox-Expect-Refusal"  # sandbox/contract/stats.py


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SandboxServer:
    url: str
    process: subprocess.Popen
    state_dir: str
    log_path: Path

    def stderr_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_sandbox(state_dir: str, env: dict[str, str] | None = None) -> SandboxServer:
    """Start ``python -m sandbox serve`` and wait until ``/_sandbox/health`` answers."""
    port = free_port()
    log_path = Path(state_dir) / "server.log"
    child_env = {**os.environ, **(env or {})}
    child_env.pop("DJANGO_SETTINGS_MODULE", None)  # the sandbox uses its own settings
    child_env.setdefault("SANDBOX_WEBHOOK_BACKOFF", "0.2,0.4,0.8")  # fast retries in tests
    log = open(log_path, "wb")  # noqa: SIM115 - kept open for the process's lifetime
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--state-dir",
            state_dir,
        ],
        cwd=ROOT,
        env=child_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = SandboxServer(url=f"http://127.0.0.1:{port}", process=process, state_dir=state_dir, log_path=log_path)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the sandbox exited with {process.returncode}:\n{server.stderr_tail()}")
        try:
            if requests.get(f"{server.url}/_sandbox/health", timeout=1).ok:
                return server
        except requests.RequestException:
            time.sleep(0.05)
    stop_sandbox(server)
    raise RuntimeError(f"the sandbox did not answer within {START_TIMEOUT} s:\n{server.stderr_tail()}")


def stop_sandbox(server: SandboxServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)


class SandboxClient:
    """Typed helpers over the control surface (``/_sandbox/...``) and the password grant."""

    def __init__(self, url: str):
        self.url = url
        self.http = requests.Session()
        # Not the portal's traffic: tests/plugins/contract.py does not record it.
        self.http.sandbox_control = True
        self.demo: dict[str, Any] = {}

    def _call(self, method: str, path: str, timeout: float = 120, **kwargs) -> Any:
        response = self.http.request(method, f"{self.url}/_sandbox/{path}", timeout=timeout, **kwargs)
        if response.status_code >= 400:
            raise AssertionError(f"{method} /_sandbox/{path} -> {response.status_code}: {response.text}")
        return response.json()

    def reset(self) -> dict[str, Any]:
        result = self._call("POST", "reset")
        self.demo = self._call("GET", "demo")
        return result

    def state(self) -> dict[str, Any]:
        return self._call("GET", "state")

    def contract_stats(self, details: bool = True) -> dict[str, Any]:
        """The /v4 requests this sandbox process found conformant and refused (``sandbox/contract/stats.py``)."""
        return self._call("GET", "contract/stats", params=None if details else {"details": "0"})

    def now(self) -> str:
        return self._call("GET", "clock")["now"]

    def clock_offset(self) -> float:
        """Seconds the sandbox's clock runs ahead of real time (moved by ``set_clock``/``advance``)."""
        return self._call("GET", "clock")["offset_seconds"]

    def set_clock(self, when: str) -> dict[str, Any]:
        return self._call("POST", "clock", json={"set": when})

    def advance(self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0) -> dict:
        total = seconds + minutes * 60 + hours * 3600 + days * 86400
        return self._call("POST", "clock", json={"advance": total})

    def configure(self, **values: Any) -> dict[str, Any]:
        return self._call("POST", "config", json=values)

    def fault(self, path: str = "*", method: str = "*", **spec: Any) -> int:
        """E.g. ``fault("/v4/tenants", status=429, retry_after=2, count=1)`` or ``fault(outage=True)``."""
        return self._call("POST", "faults", json={"path": path, "method": method, **spec})["ids"][0]

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def call(
        self,
        device_id: int,
        tenant_id: int | None = None,
        *,
        then: list[str] | None = None,
        notification_type: str = "visitor",
    ) -> dict[str, Any]:
        return self._call(
            "POST",
            "calls",
            json={
                "device_id": device_id,
                "tenant_id": tenant_id,
                "then": then or [],
                "notification_type": notification_type,
            },
        )

    def call_status(self, call_id: int, status: str) -> dict[str, Any]:
        return self._call("POST", f"calls/{call_id}/status", json={"status": status})

    def use_key(
        self,
        *,
        access_point_id: int | None = None,
        device_id: int | None = None,
        pin: str | None = None,
        qr: str | None = None,
        rfid: str | None = None,
        unit_label: str | None = None,
    ) -> dict[str, Any]:
        return self._call(
            "POST",
            "keys/use",
            json={
                "access_point_id": access_point_id,
                "device_id": device_id,
                "pin": pin,
                "qr": qr,
                "rfid": rfid,
                "unit_label": unit_label,
            },
        )

    def swipe(self, tenant_id: int, access_point_id: int) -> dict[str, Any]:
        return self._call("POST", "swipe", json={"tenant_id": tenant_id, "access_point_id": access_point_id})

    def open_hours(self, access_point_id: int, action: str) -> dict[str, Any]:
        return self._call("POST", "open_hours", json={"access_point_id": access_point_id, "action": action})

    def set_open_hours(self, access_point_id: int, items: list[dict[str, Any]]) -> dict[str, Any]:
        """A door's open hours (``open_hours`` of its access-point item), as schedule items."""
        return self._call("POST", "open_hours", json={"access_point_id": access_point_id, "open_hours": items})

    def access_group_schedules(self, access_group_id: int, items: list[dict[str, Any]]) -> dict[str, Any]:
        """When an access group's members may use its doors (what ``/schedules`` answers them); [] all day."""
        return self._call(
            "POST", "access_group_schedules", json={"access_group_id": access_group_id, "schedules": items}
        )

    def generate(
        self, building_id: int, access_logs: int = 0, calls: int = 0, days: int = 365, seed: int | None = None
    ) -> dict[str, Any]:
        return self._call(
            "POST",
            "generate",
            json={
                "building_id": building_id,
                "access_logs": access_logs,
                "calls": calls,
                "days": days,
                "seed": seed,
            },
        )

    def portfolio(self, **spec: Any) -> dict[str, Any]:
        """``POST /_sandbox/portfolio``: N buildings administered by one account (``sandbox/portfolio.py``).
        The benchmark's millions of rows take minutes to write on a busy machine: a long timeout."""
        return self._call("POST", "portfolio", json=spec, timeout=900)

    def late_entries(self, building_id: int | None, kind: str = "access", **spec: Any) -> dict[str, Any]:
        """``POST /_sandbox/logs/late``: entries arriving now with an older (``age_s`` > 0) or future
        (``age_s`` < 0) ``logged_at``, or an explicit ``logged_at``; ``building_ids=[...]`` instead of
        ``building_id`` for many buildings at once."""
        body = {"kind": kind, **spec} if building_id is None else {"building_id": building_id, "kind": kind, **spec}
        return self._call("POST", "logs/late", json=body)

    def traffic(self, **params: Any) -> dict[str, Any]:
        """``GET /_sandbox/traffic``: /v4 requests per second, their maximum, 429s (``sandbox/gateway.py``)."""
        return self._call("GET", "traffic", params=params)

    def clear_traffic(self) -> dict[str, Any]:
        return self._call("DELETE", "traffic")

    def rate_limit(self, rps: float | None, burst: float | None = None, per: str = "account") -> dict[str, Any]:
        """Switch the gateway's per-client rate limit on (``rps`` requests per second) or off (None)."""
        limit = None if rps is None else {"rps": rps, "burst": burst if burst is not None else rps, "per": per}
        return self.configure(rate_limit=limit)

    def webhook_faults(self, **spec: float) -> dict[str, Any]:
        return self._call("POST", "webhooks/faults", json=spec)

    def deliveries(self, **filters: Any) -> list[dict[str, Any]]:
        return self._call("GET", "webhooks/deliveries", params=filters)["deliveries"]

    def password_token(self, email: str, password: str = "sandbox-pass", scope: str | None = None) -> str:
        data = {
            "grant_type": "password",
            "username": email,
            "password": password,
            "client_id": self.demo.get("client_id", "portal-dev-client"),
            "client_secret": self.demo.get("client_secret", "portal-dev-secret"),
        }
        if scope:
            data["scope"] = scope
        response = self.http.post(f"{self.url}/oauth/token", data=data, timeout=10)
        if response.status_code != 200:
            raise AssertionError(f"password grant for {email} -> {response.status_code}: {response.text}")
        return response.json()["access_token"]

    def api(
        self, method: str, path: str, token: str | None = None, *, expect_refusal: bool = False, **kwargs
    ) -> requests.Response:
        """A v4 request (``path`` like ``/v4/tenants``) with an optional bearer token.

        ``expect_refusal=True`` marks a request the test sends knowing the document does not allow it (the
        sandbox then counts its refusal as expected; any other refusal fails the session)."""
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if expect_refusal:
            headers[EXPECT_REFUSAL_HEADER] = "1"
        return self.http.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)


CONTRACT_STATS = pytest.StashKey[dict[str, Any]]()
REFUSALS_BY_TEST = pytest.StashKey[list[tuple[str, dict[str, Any]]]]()


def contract_stats(url: str) -> dict[str, Any] | None:
    """``GET /_sandbox/contract/stats``: the /v4 requests the sandbox found conformant and refused."""
    try:
        response = requests.get(f"{url}/_sandbox/contract/stats", timeout=10)
    except requests.RequestException:
        return None
    return response.json() if response.ok else None


@pytest.fixture(scope="session")
def sandbox_server(pytestconfig):
    state_dir = tempfile.mkdtemp(prefix="sandbox-test-")
    server = start_sandbox(state_dir)
    yield server
    stats = contract_stats(server.url)
    if stats is not None:
        pytestconfig.stash[CONTRACT_STATS] = stats
    failed = server.process.poll() not in (None, 0)
    stop_sandbox(server)
    if failed:
        print(f"\n--- sandbox log tail ---\n{server.stderr_tail()}", file=sys.stderr)


@pytest.fixture
def sandbox(sandbox_server, request) -> SandboxClient:
    client = SandboxClient(sandbox_server.url)
    try:
        client.reset()
    except (requests.RequestException, AssertionError):
        print(f"\n--- sandbox log tail ---\n{sandbox_server.stderr_tail()}", file=sys.stderr)
        raise
    if _django_configured():
        try:
            settings = request.getfixturevalue("settings")
        except pytest.FixtureLookupError:
            settings = None
        if settings is not None:
            settings.BMX_API_BASE = client.url
            settings.BMX_ACCOUNTS_BASE = client.url
            settings.BMX_CLIENT_ID = client.demo["client_id"]
            settings.BMX_CLIENT_SECRET = client.demo["client_secret"]
            from portal.butterflymx.budget import shared_budget  # Django is configured here

            shared_budget().reset()  # a reset sandbox is a new ButterflyMX: no pause or slot of the last test
    before = client.contract_stats(details=False)["refused_unexpected"]
    yield client
    _attribute_refusals(request, client, before)
    client.http.close()


def _attribute_refusals(request, client: SandboxClient, before: int) -> None:
    """Name the test that sent each unexpected refusal (requests of this test's sandbox use)."""
    try:
        stats = client.contract_stats()
    except (requests.RequestException, AssertionError):
        return
    new = stats["refused_unexpected"] - before
    if new > 0:
        found = request.config.stash.setdefault(REFUSALS_BY_TEST, [])
        found += [(request.node.nodeid, item) for item in stats["unexpected"][-new:]]


def _django_configured() -> bool:
    try:
        from django.conf import settings  # optional dependency of this plugin
    except ImportError:
        return False
    try:
        return bool(settings.configured) and "pytest_django" in sys.modules
    except Exception:
        return False


def worker_env(sandbox: SandboxClient, **extra: str) -> dict[str, str]:
    """Environment for a worker subprocess that talks to ``sandbox`` (it does not see test settings)."""
    return {
        "BMX_API_BASE": sandbox.url,
        "BMX_ACCOUNTS_BASE": sandbox.url,
        "BMX_CLIENT_ID": sandbox.demo["client_id"],
        "BMX_CLIENT_SECRET": sandbox.demo["client_secret"],
        **extra,
    }


# The figure ``spec_conformant_requests``: every /v4 request of the session was checked by the sandbox
# against ButterflyMX's document (sandbox/contract/); a refusal no test marked as expected fails the run.


@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish(session):
    result = yield  # the session's fixtures (and with them the sandbox) are torn down by now
    stats = session.config.stash.get(CONTRACT_STATS, None)
    if stats and stats["refused_unexpected"] and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    return result


def pytest_terminal_summary(terminalreporter, config):
    stats = config.stash.get(CONTRACT_STATS, None)
    if stats is None:
        return
    write = terminalreporter.write_line
    write(f"spec_conformant_requests: {stats['conformant']}")
    write(
        f"spec_refused_requests: {stats['refused']} "
        f"(expected by their tests: {stats['refused_expected']}, unexpected: {stats['refused_unexpected']})"
    )
    if stats["refused_unexpected"]:
        write(
            f"FAILED: the sandbox refused {stats['refused_unexpected']} request(s) that ButterflyMX's document "
            "does not allow and no test expected (send X-Sandbox-Expect-Refusal: 1 only when deliberate):",
            red=True,
        )
        by_test = config.stash.get(REFUSALS_BY_TEST, [])
        seen = [item for _, item in by_test]
        others = [("(sent outside a test's sandbox fixture)", i) for i in stats["unexpected"] if i not in seen]
        for nodeid, item in by_test + others:
            query = f"?{item['query']}" if item.get("query") else ""
            errors = "; ".join(f"{e['field']} {e['code']}: {e['message']}" for e in item["errors"])
            write(f"  {nodeid}: {item['method']} {item['path']}{query} -> {item['status']} [{errors}]", red=True)
