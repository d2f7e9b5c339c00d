import pytest

from tests.bmx_fixtures import make_bmx_world


@pytest.fixture
def bmx(sandbox, db):
    """The sandbox's Crimson Tower mirrored locally: Rosa (4B), Nina (4C), Ada (manager), Leo (elsewhere)."""
    return make_bmx_world()
