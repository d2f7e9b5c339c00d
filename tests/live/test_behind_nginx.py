"""Production's proxy part for /live/ (docs/operations.md, tests/plugins/nginx.py): an event arrives
through nginx as it happens, not when a buffer fills or the stream ends."""

from __future__ import annotations

import pytest

from portal.live import bus
from tests.plugins.nginx import free_port, require_nginx, start_nginx, stop, wait_for_port

from .sse import SseStream

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def test_an_event_comes_through_nginx_at_once(asgi, session_of, world, tmp_path):
    require_nginx()
    port = free_port()
    with (tmp_path / "nginx.log").open("w") as log:
        # Pages to a port nobody listens on: only /live/ may reach the ASGI server.
        nginx = start_nginx(tmp_path, port, free_port(), log, live_upstream=asgi.port)
        try:
            wait_for_port(port, nginx)
            stream = SseStream(port, session_of(world.alice))
            assert stream.status == 200
            bus.publish("door.released", {"door": world.door_a.pk}, [bus.unit(world.unit_a1.pk)])
            message = stream.next_message()  # a socket timeout (20 s) would fail it: buffered, not streamed
            assert (message.kind, message.payload) == ("door.released", {"door": world.door_a.pk})
            stream.close()
        finally:
            stop(nginx)
