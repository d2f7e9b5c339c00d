"""The portal under a real ASGI server for tests: uvicorn in a subprocess, sharing the test database.

As ``tests/plugins/workers.py`` runs Celery: the subprocess gets the test database's URL, so the tests
that use it need ``django_db(transaction=True)`` (rows committed, visible to another process).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from tests.plugins.log_secrets import RUN_LOG
from tests.plugins.nginx import free_port, stop, wait_for_port
from tests.plugins.workers import database_url_for_subprocess, pump_lines

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class AsgiServer:
    port: int
    process: subprocess.Popen
    output: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return "".join(self.output)


@contextmanager
def uvicorn_server(var_dir: Path, *, extra_env: dict | None = None) -> Iterator[AsgiServer]:
    """``uvicorn portal.asgi:application`` on a free loopback port, as production runs /live/."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "PORTAL_VAR_DIR": str(var_dir),
        **(extra_env or {}),
    }
    if not settings.REDIS_URL:
        env.pop("REDIS_URL", None)
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "portal.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--lifespan",
        "off",
        "--timeout-graceful-shutdown",
        "1",
    ]
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = AsgiServer(port, process)
    threading.Thread(target=pump_lines, args=(process.stdout, server.output), daemon=True).start()
    try:
        wait_for_port(port, process, timeout=60)
    except RuntimeError as exc:
        stop(process)
        raise RuntimeError(f"uvicorn did not start: {exc}\n{server.log()[-4000:]}") from exc
    try:
        yield server
    finally:
        stop(process)
        # Its log lines join the run's captured logs, which are searched for secrets at the end.
        with RUN_LOG.open("a", encoding="utf-8") as captured:
            captured.write(server.log())
