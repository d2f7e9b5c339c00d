"""A Redis server of one's own, to break on purpose: shared by the outage tests and bench/portfolio/redis_outage.py.

The machine's Redis (6379) is shared by every test run and developer; an outage test kills, freezes and
restarts a separate ``redis-server`` on a free port instead, with nothing persisted (``--save ""``).

- :meth:`RedisServer.kill`: SIGKILL, as a crash or an OOM kill: connections are refused.
- :meth:`RedisServer.freeze` / :meth:`RedisServer.thaw`: SIGSTOP / SIGCONT, as a stalled VM or a
  half-open link: the kernel still accepts connections, nothing ever answers.
- :meth:`RedisServer.start`: (again) on the same port: Redis is back, empty.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path

from tests.plugins.nginx import free_port, wait_for_port


def redis_server_binary() -> str | None:
    return shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin:/usr/sbin:/usr/local/bin")


def require_redis_server() -> str:
    """For tests: redis-server's path; a skip when it is missing outside CI, a failure under CI."""
    import pytest

    found = redis_server_binary()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed; CI must have it (apt-get install redis-server)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    return found


class RedisServer:
    def __init__(self, folder: Path, port: int | None = None):
        self.folder, self.port = folder, port or free_port()
        self.process: subprocess.Popen | None = None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = redis_server_binary()
        if binary is None:
            raise FileNotFoundError("redis-server is not installed: apt-get install redis-server")
        log = (self.folder / "redis.log").open("a")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.folder)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, self.process)
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        self.kill()


class FrozenRedis:
    """A TCP listener that accepts and never answers, as a SIGSTOPped Redis; it counts what it is sent."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.received = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            self.received += len(data)

    def close(self) -> None:
        self.listener.close()
        for conn in self.connections:
            conn.close()


def cache_settings(port: int, timeout_s: float = 0.2) -> dict:
    """CACHES as production has them (portal/settings/base.py), on a Redis at 127.0.0.1:``port``."""
    return {
        "default": {
            "BACKEND": "portal.core.rediscache.PortalRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": timeout_s,
                "SOCKET_TIMEOUT": timeout_s,
                "CONNECTION_POOL_CLASS": "portal.core.rediscache.BreakerConnectionPool",
            },
        }
    }
