import pytest

from tests.bmx_fixtures import make_bmx_world


@pytest.fixture
def bmx(sandbox, db):
    """The sandbox's Crimson Tower mirrored locally: Rosa (4B), Nina (4C), Ada (manager), Leo (elsewhere)."""
    return make_bmx_world()


@pytest.fixture
def alices_pass(world):
    return make_pass(world.alice.residencies.get(), name="Alice's guest")


def make_pass(residency, *, kind="custom", name="Guest", status="active", starts=None, ends=None, **fields):
    """A pass row made directly in the database (no ButterflyMX): for pages, scope and the guest page."""
    import datetime as dt

    from django.utils import timezone

    from passes.models import Pass, VisitorKey

    now = timezone.now()
    p = Pass.objects.create(
        kind=kind,
        name=name,
        building=residency.unit.building,
        unit=residency.unit,
        residency=residency,
        created_by=residency.user,
        starts_at=starts or now - dt.timedelta(hours=1),
        ends_at=ends or now + dt.timedelta(hours=5),
        status=status,
        bmx_keychain_id=fields.pop("bmx_keychain_id", None),
        **{"usage_refreshed_at": now, **fields},
    )
    p.doors.set(residency.doors.all())
    key = VisitorKey(pass_obj=p, name=f"{name} visitor", pin="402758")
    key.instructions_url = "http://bmx.test/public/virtual_keys/1/abc123token"
    key.set_share_token()
    key.save()
    return p
