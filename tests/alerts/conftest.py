import pytest

from portal.alerts.categories import REFUSED
from portal.alerts.incidents import incident_open
from portal.live.models import LiveEvent
from tests.bmx_fixtures import make_bmx_world


@pytest.fixture
def bmx(sandbox, db):
    """The sandbox's Crimson Tower mirrored locally: Rosa (4B), Nina (4C), Ada (manager), Leo (Lakeshore)."""
    return make_bmx_world()


def notices(category: str | None = None) -> list[tuple[str, dict]]:
    """(audience, payload) of every ``notice`` live event written, oldest first."""
    rows = LiveEvent.objects.filter(kind="notice").order_by("id")
    return [(e.audience, e.payload) for e in rows if category is None or e.payload["category"] == category]


def open_refusal_incident(building) -> None:
    """Five refused credentials at "A Front Door" of ``building``, the last at 19:00 UTC on 15 January 2026
    (14:00 in New York): an incident opened as the log sync opens one, with its facts."""
    facts = {"door": "A Front Door", "door_bmx_id": 1, "count": 5, "minutes": 2, "at": "2026-01-15T19:00:00+00:00"}
    incident_open(
        building=building, category=REFUSED, subject="door:1", facts={**facts, "zone": building.time_zone}, url="/logs/"
    )
