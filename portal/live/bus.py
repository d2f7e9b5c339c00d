"""Publishing live events, and the names of the audiences they go to.

An audience is a string naming who may see an event:

- ``unit:<unit id>``: the signed-in residents of that unit (never a neighbour);
- ``desk:<building id>``: the building's staff and managers (the front desk and its door board);
- ``user:<user id>``: one person (their own notifications).

Publishing never decides who belongs to an audience; the stream's view does, from the person's grants.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from .models import LiveEvent


def unit(unit_id: int) -> str:
    return f"unit:{unit_id}"


def desk(building_id: int) -> str:
    return f"desk:{building_id}"


def person(user_id: int) -> str:
    return f"user:{user_id}"


def publish(kind: str, payload: dict, audiences: Iterable[str]) -> None:
    """Publish ``kind`` with its JSON ``payload`` to each audience, once the current transaction commits
    (a page that reloads on the event then reads the change; a rolled-back change publishes nothing).

    The payload is what a page may show to everyone in the audience: no secrets, nothing of another unit.
    """
    publish_all([(kind, payload, audiences)])


def publish_all(events: Iterable[tuple[str, dict, Iterable[str]]]) -> None:
    """Publish several ``(kind, payload, audiences)`` in one INSERT (as :func:`publish` does each): the log
    sync tells a building's desk and each of its units after every walk that stored rows."""
    rows = [
        LiveEvent(audience=audience, kind=kind, payload=payload)
        for kind, payload, audiences in events
        for audience in sorted(set(audiences))
    ]
    if rows:
        transaction.on_commit(lambda: LiveEvent.objects.bulk_create(rows))
