"""Delivering notices to people."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from portal.live import bus

from .notices import Notice


def notify(user_ids: Iterable[int], notice: Notice, *, channels: Mapping[int, Iterable[str]] | None = None) -> None:
    """Tell each person: on their open pages now (a ``notice`` live event to ``user:<id>``).

    ``channels`` (``{user_id: ("push", "email")}``) replaces a person's choice of ways beyond the open
    page for this one notice (a pass's own "tell me when a visitor uses it"); Web Push and e-mail behind
    this call are the push18 part's, which honours it (same signature there).
    """
    bus.publish("notice", notice.as_payload(), [bus.person(user_id) for user_id in user_ids])
