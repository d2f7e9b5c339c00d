"""One pooled keep-alive HTTP transport per process for everything that speaks to ButterflyMX.

The API client and the OAuth calls share one ``requests.Session`` whose ``HTTPAdapter`` keeps up to
``BMX_HTTP_POOL_SIZE`` connections per host alive, so a sync does not pay a TCP (and, in production, a
TLS) handshake per page. It is created lazily and dropped in a child after ``fork`` (a Celery prefork
worker must not share its parent's sockets). Nothing per account lives in it: tokens travel per call in
the ``Authorization`` header, and cookies are refused, so one account's answer can never leak a cookie
into another account's request. The adapter does no retries of its own: the client decides (GETs only).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import DefaultCookiePolicy

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from .errors import BmxError

_session: requests.Session | None = None
_adapter: HTTPAdapter | None = None
_lock = threading.Lock()


def adapter() -> HTTPAdapter:
    """The process's connection pool (mountable on another session, e.g. requests-oauthlib's)."""
    session()
    assert _adapter is not None
    return _adapter


def session() -> requests.Session:
    """The process's shared session (thread-safe to use from many threads: the pool is)."""
    global _session, _adapter
    if _session is None:
        with _lock:
            if _session is None:
                size = settings.BMX_HTTP_POOL_SIZE
                pool = HTTPAdapter(pool_connections=4, pool_maxsize=size, max_retries=0)
                new = requests.Session()
                new.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # no cookie is ever kept
                new.mount("http://", pool)
                new.mount("https://", pool)
                _adapter, _session = pool, new
    return _session


def reset() -> None:
    """Forget the session (after a fork; the parent's sockets are not closed from the child)."""
    global _session, _adapter, _lock
    _session = _adapter = None
    _lock = threading.Lock()  # a lock held by another thread at the fork would stay held in the child


os.register_at_fork(after_in_child=reset)


@contextmanager
def transport_errors() -> Iterator[None]:
    """Turn a request that got no HTTP answer into a :class:`BmxError` with status 0.

    The one place for it: every call to ButterflyMX (the API client and each OAuth call) sends inside
    this block, so a timeout is always ``code="timeout"`` (``timed_out``, "did not answer in time") and
    any other transport failure (refused, reset, DNS) ``code="unreachable"``. Both are transient.
    """
    try:
        yield
    except requests.Timeout as exc:
        raise BmxError(status=0, code="timeout", message="timed out", timed_out=True) from exc
    except requests.RequestException as exc:
        raise BmxError(status=0, code="unreachable", message=type(exc).__name__) from exc
