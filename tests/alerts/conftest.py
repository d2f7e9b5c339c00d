import pytest

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
