"""A real nginx in front of the portal, as production runs it: shared by bench/bench_load.py and the tests.

nginx is a Debian package (``make test`` and ``make bench`` install it when missing). The configuration
is the proxy part docs/operations.md gives (TLS left out: loopback): it buffers each request, sets
``X-Forwarded-Proto: https`` as the TLS terminator would, and appends the client's address to
``X-Forwarded-For`` (``$proxy_add_x_forwarded_for``), which is what PORTAL_TRUSTED_PROXY_COUNT=1 reads.
``/live/`` (the live updates' streams) goes to the ASGI server, unbuffered, with a long read timeout.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {var}/nginx.pid;
error_log {var}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {var}/nginx-body;
  proxy_temp_path {var}/nginx-proxy;
  fastcgi_temp_path {var}/nginx-fastcgi;
  uwsgi_temp_path {var}/nginx-uwsgi;
  scgi_temp_path {var}/nginx-scgi;
  upstream portal {{ server 127.0.0.1:{upstream}; }}
  upstream portal_live {{ server 127.0.0.1:{live_upstream}; }}
  server {{
    listen 127.0.0.1:{port};
    location /live/ {{
      proxy_pass http://portal_live;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 1h;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
    location / {{
      proxy_pass http://portal;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_binary() -> str | None:
    """nginx's path (Debian puts it in /usr/sbin, often not on a normal user's PATH), or None."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def require_nginx() -> str:
    """For tests: nginx's path; a skip when it is missing outside CI, a failure under CI."""
    import pytest

    found = nginx_binary()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed; CI must have it (make test installs it with apt-get)")
        pytest.skip("nginx is not installed (apt-get install nginx; make test installs it)")
    return found


def start_nginx(var_dir: Path, port: int, upstream: int, log, *, live_upstream: int | None = None) -> subprocess.Popen:
    """nginx on 127.0.0.1:``port`` passing every request to 127.0.0.1:``upstream`` (``/live/`` to
    ``live_upstream``, the ASGI server, when given), in the foreground."""
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx is not installed: apt-get install nginx")
    conf = var_dir / "nginx.conf"
    live = live_upstream if live_upstream is not None else upstream
    conf.write_text(NGINX_CONF.format(var=var_dir, port=port, upstream=upstream, live_upstream=live))
    return subprocess.Popen([binary, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT)


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 30.0) -> None:
    """Until something accepts connections on 127.0.0.1:``port`` (or ``process`` has died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process for port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """Terminate ``process`` (if still running), and kill it if it has not ended within ``timeout`` s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
