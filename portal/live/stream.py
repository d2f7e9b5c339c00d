"""One open page's Server-Sent Events stream: what it writes, in the order it writes it.

The format is the HTML standard's ``text/event-stream``: ``retry:`` first (how soon the browser
reconnects after a drop), then one ``id:``/``data:`` block per event, and a comment line as a heartbeat
when nothing was sent for ``LIVE_HEARTBEAT_S`` (a proxy closes a connection that stays silent).

``id:`` is the highest outbox id this stream has sent, not the event's own: an event whose id was
jumped over and filled in later (the outbox gap, :mod:`portal.live.hub`) must not move the browser's
``Last-Event-ID`` backwards, or a reconnect would replay events the page already has.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from django.conf import settings

from .hub import Event, Hub


def frame(event: Event, mark: int) -> str:
    return f"id: {mark}\ndata: {event.data}\n\n"


def parse_last_event_id(value: str | None) -> int | None:
    """The ``Last-Event-ID`` header a reconnecting EventSource sends (or live.js's ``last`` parameter
    when it opens a new one); anything but a small non-negative integer is ignored (the page then
    starts afresh, as on its first connection)."""
    if value is None or not value.strip().isdigit() or len(value.strip()) > 18:
        return None
    return int(value.strip())


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """When the page was rendered (``since``: seconds since the epoch), less a little for clocks and
    whole seconds: its first connection replays what was published from then. Ignored when missing,
    malformed, in the future or older than the outbox keeps."""
    try:
        rendered = datetime.fromtimestamp(float(value or ""), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    if not now - timedelta(seconds=settings.LIVE_RETENTION_S) <= rendered <= now + timedelta(seconds=5):
        return None
    return rendered - timedelta(seconds=2)


async def event_stream(
    hub: Hub, audiences: frozenset[str], last_event_id: int | None, since: datetime | None = None
) -> AsyncIterator[str]:
    """Everything one page is told until it leaves (Django cancels this when the client goes away) or
    the stream reaches ``LIVE_STREAM_MAX_S``: then the browser reconnects, and the view works out the
    person's audiences again (a resident who moved out stops hearing their old unit)."""
    subscription = hub.subscribe(audiences)  # before the replay: nothing committed in between is lost
    try:
        await hub.ready()  # the first stream of a process waits for the pump's first read
        yield f"retry: {settings.LIVE_RETRY_MS}\n\n"
        mark = last_event_id or 0
        replayed: set[int] = set()
        # A reconnect replays by id; a first connection what was published since its page was rendered.
        for missed in await hub.replay(audiences, after=last_event_id, since=since):
            replayed.add(missed.id)
            mark = max(mark, missed.id)
            yield frame(missed, mark)
        # Spread over a tenth of the lifetime, so streams opened together do not all reconnect together.
        lifetime = settings.LIVE_STREAM_MAX_S * (1 - random.random() / 10)  # not a secret: jitter
        ends_at = time.monotonic() + lifetime
        while True:
            wait = min(settings.LIVE_HEARTBEAT_S, ends_at - time.monotonic())
            if wait <= 0:
                return
            try:
                event = await asyncio.wait_for(subscription.queue.get(), wait)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if event is None:
                return  # fell behind: the browser reconnects and replays what it missed
            # The pump sends each id once; only the replay and the page's own past can repeat one.
            if event.id in replayed or (last_event_id is not None and event.id <= last_event_id):
                continue
            mark = max(mark, event.id)
            yield frame(event, mark)
    finally:
        hub.unsubscribe(subscription)
