"""What a notification says, whichever way it reaches the person."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class NoticeAction:
    """A button on the notice: ``action`` names it (``open-door``), ``title`` is its label, ``url`` the
    portal path the button POSTs to (with the person's session or a one-use token, never a secret)."""

    action: str
    title: str
    url: str


@dataclass(frozen=True)
class Notice:
    """One notification.

    ``category`` decides preferences and quiet hours: ``call``, ``arrival``, ``alert.release``,
    ``alert.refused``, ``alert.webhooks``, ``alert.relink``. ``tag`` groups notices about one thing (a
    call's later notices replace its earlier one). ``url`` and ``image_url`` are portal addresses the
    recipient may open (a snapshot through the portal, never a public link). ``withdraw`` marks the
    notice that ends an earlier one with the same tag (a call answered, declined or over): the service
    worker closes that notification instead of alerting (:func:`portal.notifications.services.withdraw`).
    """

    category: str
    title: str
    body: str
    url: str = ""
    image_url: str = ""
    tag: str = ""
    actions: tuple[NoticeAction, ...] = field(default_factory=tuple)
    withdraw: bool = False

    def as_payload(self) -> dict:
        """JSON for the live event and the tasks: texts as plain strings (a lazy translation is read now,
        in the language active while the notice is made)."""
        payload = asdict(self)
        payload["title"], payload["body"] = str(self.title), str(self.body)
        payload["actions"] = [{**action, "title": str(action["title"])} for action in payload["actions"]]
        return payload
