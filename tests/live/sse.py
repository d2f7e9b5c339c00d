"""A plain HTTP client reading a Server-Sent Events stream, as a browser's EventSource does."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass


@dataclass
class Message:
    id: int | None
    kind: str
    payload: dict


class SseStream:
    """``GET /live/events/`` with a session cookie (and ``Last-Event-ID`` when reconnecting)."""

    def __init__(
        self,
        port: int,
        session_key: str | None,
        *,
        last_event_id: int | None = None,
        query: str = "",
        timeout: float = 20,
    ):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        headers = {"Accept": "text/event-stream"}
        if session_key is not None:
            headers["Cookie"] = f"sessionid={session_key}"
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.connection.request("GET", f"/live/events/{query}", headers=headers)
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.content_type = self.response.getheader("Content-Type", "")
        self.retry_ms: int | None = None
        self.comments = 0
        self.last_id: int | None = None
        if self.status == 200:
            self._read_retry()

    def _read_retry(self) -> None:
        """The stream's first block is ``retry:``, written once the stream has subscribed: after it, an
        event published is one this stream hears."""
        while self.retry_ms is None:
            line = self.response.readline().decode().rstrip("\r\n")
            if line.startswith("retry:"):
                self.retry_ms = int(line.partition(":")[2])

    def next_message(self, *, max_heartbeats: int = 30) -> Message:
        """The next event (heartbeats and ``retry:`` are noted, not returned). Fails after
        ``max_heartbeats`` heartbeats without one (the test server beats every second), or on a socket
        timeout (a stream that says nothing at all)."""
        fields: dict[str, str] = {}
        beats = 0
        while True:
            line = self.response.readline()
            if not line:
                raise EOFError("the stream ended")
            text = line.decode().rstrip("\r\n")
            if text == "":
                if "data" in fields:
                    data = json.loads(fields["data"])
                    event_id = int(fields["id"]) if "id" in fields else None
                    self.last_id = event_id if event_id is not None else self.last_id
                    return Message(event_id, data["kind"], data["payload"])
                fields = {}
                continue
            if text.startswith(":"):
                self.comments += 1
                beats += 1
                if beats > max_heartbeats:
                    raise AssertionError(f"no event after {max_heartbeats} heartbeats")
                continue
            name, _, value = text.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "retry":
                self.retry_ms = int(value)
            else:
                fields[name] = value

    def heartbeat(self) -> None:
        """Read until a heartbeat comment line arrives (events before it are dropped)."""
        while True:
            line = self.response.readline()
            if not line:
                raise EOFError("the stream ended")
            if line.startswith(b":"):
                self.comments += 1
                return

    def until(self, kind: str) -> list[Message]:
        """Every message up to and including the first of ``kind`` (a marker the test published last:
        the pump delivers in id order, so anything meant for this stream before it came before it)."""
        seen = []
        while True:
            message = self.next_message()
            seen.append(message)
            if message.kind == kind:
                return seen

    def close(self) -> None:
        self.connection.close()
