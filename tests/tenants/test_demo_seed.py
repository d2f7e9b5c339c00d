"""`make dev`'s seed links the demo people to the sandbox, so the demo buildings are the sandbox's."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from portal.core.demo import demo_link_to_sandbox
from tenants.models import BmxLink, Building, Membership, Residency

pytestmark = pytest.mark.django_db


def test_the_seed_links_the_demo_to_the_sandbox_and_replaces_the_placeholders(sandbox):
    call_command("seed_demo", stdout=io.StringIO())

    assert not Building.objects.filter(name__in=["Maple Court", "Harbor View"]).exists()
    crimson = Building.objects.get(bmx_id=11743)
    assert Membership.objects.get(user__email="manager@demo.test", building=crimson).role == "manager"
    assert Membership.objects.get(user__email="staff@demo.test", building=crimson).role == "staff"
    alice = Residency.objects.get(user__email="alice@demo.test", is_active=True)
    assert (alice.unit.building, alice.unit.label) == (crimson, "4B")
    assert Residency.objects.filter(user__email="charlie@demo.test", is_active=True).count() == 2
    assert crimson.units.count() == 11


def test_the_seed_runs_again_without_changing_anything(sandbox):
    call_command("seed_demo", stdout=io.StringIO())
    links = list(BmxLink.objects.order_by("pk").values_list("pk", "access_token"))

    call_command("seed_demo", stdout=io.StringIO())

    assert list(BmxLink.objects.order_by("pk").values_list("pk", "access_token")) == links
    assert not Building.objects.filter(name="Maple Court").exists()


def test_without_the_sandbox_the_demo_keeps_its_placeholders_until_it_answers(sandbox, settings):
    call_command("seed_demo", "--no-sandbox", stdout=io.StringIO())
    settings.BMX_ACCOUNTS_BASE = settings.BMX_API_BASE = "http://127.0.0.1:9"

    assert demo_link_to_sandbox(["Maple Court", "Harbor View"]) is False
    assert Building.objects.filter(name="Maple Court").exists()
    assert not BmxLink.objects.exists()
