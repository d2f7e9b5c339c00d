"""Real Celery workers for tests: a subprocess on a real broker, sharing the test database.

Each worker listens on a queue of its own, so a `make dev` worker on the same Redis never steals a
test's task, and tests never see each other's messages.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from kombu import Connection

ROOT = Path(__file__).resolve().parents[2]


def redis_url_for_tests() -> str:
    """REDIS_URL when set, else the machine's Redis on a database of its own; fails under CI if down."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {url}; CI must have it")
        pytest.skip(f"Redis is not reachable at {url} (optional outside CI)")
    return url


def broker_url() -> str:
    """The broker a test worker uses: Redis when the run has one (CI's first pass), else the embedded one."""
    if os.environ.get("REDIS_URL"):
        return redis_url_for_tests()
    return "filesystem://"


def database_url_for_subprocess() -> str:
    """A DATABASE_URL naming the database this test run uses (the test database)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def broker_options(broker_url: str, var_dir: Path) -> dict:
    if broker_url.startswith("filesystem://"):
        from portal.settings.base import filesystem_broker_options

        return filesystem_broker_options(var_dir / "test-broker")  # as portal.settings.test lays it out
    return {}


@dataclass
class WorkerProcess:
    broker_url: str
    var_dir: Path
    queue: str
    process: subprocess.Popen
    output: list[str] = field(default_factory=list)

    def connection(self) -> Connection:
        """A broker connection for sending tasks to this worker's queue."""
        return Connection(self.broker_url, transport_options=broker_options(self.broker_url, self.var_dir))

    def send(self, task, *args, **kwargs):
        """Enqueue ``task`` for this worker (``task.apply_async`` on its queue and broker)."""
        with self.connection() as conn:
            return task.apply_async(args=args, kwargs=kwargs, queue=self.queue, connection=conn)

    def log(self) -> str:
        return "".join(self.output)


def pump_lines(stream, sink: list[str]) -> None:
    """Collect a subprocess's output lines into ``sink`` (run in a daemon thread) for the test's report."""
    for line in iter(stream.readline, ""):
        sink.append(line)


@contextmanager
def celery_worker(
    broker_url: str, var_dir: Path, *, extra_env: dict | None = None, concurrency: int = 1, pool: str = "prefork"
) -> Iterator[WorkerProcess]:
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "CELERY_BROKER_URL": broker_url,
        "PORTAL_VAR_DIR": str(var_dir),
        "CELERY_TASK_DEFAULT_QUEUE": queue,  # what the worker itself enqueues stays on its queue
        **(extra_env or {}),
    }
    if not settings.REDIS_URL:
        env.pop("REDIS_URL", None)
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "-Q",
        queue,
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        f"--pool={pool}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"{queue}@%h",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    worker = WorkerProcess(broker_url, var_dir, queue, proc)
    threading.Thread(target=pump_lines, args=(proc.stdout, worker.output), daemon=True).start()
    deadline = time.monotonic() + 60
    while "ready." not in worker.log():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"Celery worker did not start:\n{worker.log()[-4000:]}")
        time.sleep(0.1)
    try:
        yield worker
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        # The worker's log lines join the run's captured logs, which are searched for secrets at the end.
        from tests.plugins.log_secrets import RUN_LOG

        with RUN_LOG.open("a", encoding="utf-8") as captured:
            captured.write(worker.log())


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.1, message: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {message}")


def reset_producer_pools(app) -> None:
    """Forget the app's cached broker connections (what Celery itself does after a fork).

    The pools themselves stay open: kombu keeps them in a process-wide registry keyed by broker, and
    the app finds the right one again (closing one would break the next user of the same broker).
    """
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@contextmanager
def app_sends_to(worker: WorkerProcess) -> Iterator[None]:
    """Route every task this process enqueues (``.delay()`` from views, ``on_commit`` nudges) to ``worker``.

    Production code enqueues on the default queue of the configured broker; for the length of the block,
    that is the test worker's own queue on its broker, so the whole chain runs for real.
    """
    from portal.celery import app

    conf = app.conf
    saved = (conf.broker_url, conf.broker_transport_options, conf.task_default_queue)
    conf.broker_url = worker.broker_url
    conf.broker_transport_options = broker_options(worker.broker_url, worker.var_dir)
    conf.task_default_queue = worker.queue
    reset_producer_pools(app)
    try:
        yield
    finally:
        conf.broker_url, conf.broker_transport_options, conf.task_default_queue = saved
        reset_producer_pools(app)
