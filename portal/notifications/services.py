"""Delivering notices to people."""

from __future__ import annotations

from collections.abc import Iterable

from portal.live import bus

from .notices import Notice


def notify(user_ids: Iterable[int], notice: Notice) -> None:
    """Tell each person: on their open pages now (a ``notice`` live event to ``user:<id>``)."""
    bus.publish("notice", notice.as_payload(), [bus.person(user_id) for user_id in user_ids])
