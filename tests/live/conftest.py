"""One uvicorn for the module's tests, with two-factor required of staff (as production has it)."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.test import Client

from tests.plugins.asgi_server import uvicorn_server

from .sse import SseStream


@pytest.fixture(scope="module")
def asgi(django_db_setup, tmp_path_factory):
    env = {"PORTAL_REQUIRE_MFA_FOR_STAFF": "true", "LIVE_HEARTBEAT_S": "1", "LIVE_FALLBACK_POLL_S": "0"}
    with uvicorn_server(tmp_path_factory.mktemp("asgi"), extra_env=env) as server:
        yield server


@pytest.fixture
def session_of():
    """``session_of(user)``: a new session signed in as ``user``, stored in the database the server reads
    (a client of its own each: signing one person in never signs another out)."""

    def sign_in(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    return sign_in


@pytest.fixture
def open_stream(asgi, session_of):
    """``open_stream(user, last_event_id=None)``: an SseStream for ``user`` (None: signed out)."""
    streams: list[SseStream] = []

    def open_for(user, last_event_id: int | None = None, query: str = "") -> SseStream:
        session = session_of(user) if user is not None else None
        stream = SseStream(asgi.port, session, last_event_id=last_event_id, query=query)
        streams.append(stream)
        return stream

    yield open_for
    for stream in streams:
        stream.close()


def with_totp(user):
    """Staff as the portal lets them in: two-factor set up."""
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "unused"})
    return user
