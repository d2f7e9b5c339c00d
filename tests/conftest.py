"""Shared fixtures: the personas of every scope test.

- building A: alice (resident, unit A-101), bob (resident, unit A-102), staff and manager;
- building B: charlie (resident, unit B-5A).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests import factories as f

pytest_plugins = [
    "tests.plugins.workers",
    "tests.plugins.sandbox",
    "tests.plugins.log_secrets",
    "tests.plugins.contract",
]


@dataclass
class World:
    building_a: object
    building_b: object
    unit_a1: object
    unit_a2: object
    unit_b1: object
    door_a: object
    door_a2: object
    door_b: object
    alice: object
    bob: object
    charlie: object
    staff: object
    manager: object

    def persona(self, name: str):
        return None if name == "anonymous" else getattr(self, name)


PERSONAS = ["anonymous", "alice", "bob", "charlie", "staff", "manager"]


@pytest.fixture
def world(db) -> World:
    building_a = f.BuildingFactory(name="Building A", time_zone="America/New_York")
    building_b = f.BuildingFactory(name="Building B", time_zone="America/Los_Angeles")
    unit_a1 = f.UnitFactory(building=building_a, label="101")
    unit_a2 = f.UnitFactory(building=building_a, label="102")
    unit_b1 = f.UnitFactory(building=building_b, label="5A")
    door_a = f.AccessPointFactory(building=building_a, name="A Front Door")
    door_a2 = f.AccessPointFactory(building=building_a, name="A Garage")
    door_b = f.AccessPointFactory(building=building_b, name="B Lobby")
    alice = f.UserFactory(email="alice@example.test", first_name="Alice")
    bob = f.UserFactory(email="bob@example.test", first_name="Bob")
    charlie = f.UserFactory(email="charlie@example.test", first_name="Charlie")
    staff = f.UserFactory(email="staff@example.test", first_name="Sam")
    manager = f.UserFactory(email="manager@example.test", first_name="Morgan")
    f.ResidencyFactory(user=alice, unit=unit_a1).doors.set([door_a])
    f.ResidencyFactory(user=bob, unit=unit_a2).doors.set([door_a2])
    f.ResidencyFactory(user=charlie, unit=unit_b1).doors.set([door_b])
    f.MembershipFactory(user=staff, building=building_a, role="staff")
    f.MembershipFactory(user=manager, building=building_a, role="manager")
    return World(
        building_a, building_b, unit_a1, unit_a2, unit_b1, door_a, door_a2, door_b, alice, bob, charlie, staff, manager
    )


@pytest.fixture
def client_for(client):
    """``client_for(user)``: the test client signed in as ``user`` (anonymous for None)."""

    def sign_in(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return sign_in


@pytest.fixture(autouse=True)
def _forget_sync_requests():
    """Each test starts with no remembered sync request: ids come back after a rollback on SQLite."""
    from logs.services import forget_sync_requests

    forget_sync_requests()
    yield
    forget_sync_requests()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache: rate-limit counters (failed logins, guest pages), refresh
    locks and cached sessions of one test must not decide another's (with Redis the cache outlives a test)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True, scope="session")
def _compiled_catalogs():
    """The translations the tests read are the .po files as they are now: a catalog edited since the
    Makefile compiled it (or never compiled, under a bare ``pytest``) is compiled again, as ``make
    messages`` does, so a test never reads yesterday's Spanish."""
    import subprocess
    from pathlib import Path

    from django.conf import settings

    for po in sorted(Path(settings.LOCALE_PATHS[0]).glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)


@pytest.fixture(autouse=True)
def _no_language_left_active():
    """A request activates its language in the thread (LocaleMiddleware, PersonLanguageMiddleware) and
    nothing deactivates it after the response: without this, a test that asked for a French page would
    leave the next test reading French."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
