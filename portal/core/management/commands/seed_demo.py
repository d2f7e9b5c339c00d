"""Create the demo people and buildings that `make dev` prints. Safe to run again."""

from __future__ import annotations

import time

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.core.demo import DEMO_LINKS, demo_link_to_sandbox, sandbox_reachable
from portal.core.tasks import demo_link_task
from tenants.models import AccessPoint, Building, Membership, Residency, Role, Unit
from tenants.scope import roles_by_building

DEMO_PASSWORD = "demo-pass-2026"

# (email, first name, last name, building key, role, unit label or None)
DEMO_PEOPLE = [
    ("manager@demo.test", "Morgan", "Manager", "maple", Role.MANAGER, None),
    ("staff@demo.test", "Sam", "Frontdesk", "maple", Role.STAFF, None),
    ("alice@demo.test", "Alice", "Anders", "maple", Role.RESIDENT, "101"),
    ("bob@demo.test", "Bob", "Baker", "maple", Role.RESIDENT, "102"),
    ("charlie@demo.test", "Charlie", "Chen", "harbor", Role.RESIDENT, "5A"),
]

DEMO_BUILDINGS = {
    "maple": {
        "name": "Maple Court",
        "time_zone": "America/New_York",
        "address": "12 Maple St, Brooklyn, NY",
        "units": ["101", "102", "201", "202"],
        "doors": ["Front Door", "Garage Gate", "Package Room"],
    },
    "harbor": {
        "name": "Harbor View",
        "time_zone": "America/Los_Angeles",
        "address": "900 Bay Rd, Oakland, CA",
        "units": ["5A", "5B"],
        "doors": ["Lobby", "Side Gate"],
    },
}


class Command(BaseCommand):
    help = (
        "Create (or refresh) the demo people; link them to the sandbox and sync its buildings when it "
        "answers (else placeholder buildings now and a Celery task that links once it does)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-sandbox", action="store_true", help="Only the local placeholder demo.")
        parser.add_argument(
            "--wait-for-sandbox",
            type=float,
            default=0,
            metavar="SECONDS",
            help="Wait up to this long for the sandbox to answer before falling back to a worker task.",
        )

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            self.create_local_demo()
        if not options["no_sandbox"]:
            placeholders = [spec["name"] for spec in DEMO_BUILDINGS.values()]
            deadline = time.monotonic() + options["wait_for_sandbox"]
            while not sandbox_reachable() and time.monotonic() < deadline:
                time.sleep(0.25)
            if sandbox_reachable() and demo_link_to_sandbox(placeholders):
                self.stdout.write("Linked the demo to the sandbox at " + settings.BMX_API_BASE + ":")
                for email, bmx_email, kind in DEMO_LINKS:
                    self.stdout.write(f"  {email:<22} -> {bmx_email} ({kind.label})")
            else:
                demo_link_task.delay(placeholders)
                self.stdout.write("The sandbox is not up yet: a worker will link the demo to it when it answers.")
        self.print_logins()

    def print_logins(self) -> None:
        """Each demo login with the roles it holds now (after linking: the sandbox's buildings)."""
        User = get_user_model()
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, *_rest in DEMO_PEOPLE:
            user = User.objects.get(email=email)
            buildings = {b.pk: b for b in Building.objects.filter(pk__in=roles_by_building(user))}
            roles = ", ".join(
                f"{role.label} at {buildings[pk].name}" for pk, role in sorted(roles_by_building(user).items())
            )
            self.stdout.write(f"  {email:<22} {roles or 'no building yet'}")
        self.stdout.write(f"  {'admin@demo.test':<22} Operator: Django admin at /admin/")

    def create_local_demo(self) -> None:
        buildings = {}
        linked = Building.objects.filter(bmx_id__isnull=False, admin_link__isnull=False).exists()
        for key, spec in DEMO_BUILDINGS.items():
            if linked:  # the sandbox's buildings replaced the placeholders on an earlier run
                break
            building, _ = Building.objects.update_or_create(
                name=spec["name"], defaults={"time_zone": spec["time_zone"], "address": spec["address"]}
            )
            buildings[key] = building
            for label in spec["units"]:
                Unit.objects.get_or_create(building=building, label=label)
            for name in spec["doors"]:
                AccessPoint.objects.get_or_create(building=building, name=name)

        User = get_user_model()
        for email, first, last, building_key, role, unit_label in DEMO_PEOPLE:
            user, created = User.objects.get_or_create(email=email, defaults={"first_name": first, "last_name": last})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
            building = buildings.get(building_key)
            if building is None:
                continue
            if role == Role.RESIDENT:
                unit = Unit.objects.get(building=building, label=unit_label)
                residency, _ = Residency.objects.get_or_create(user=user, unit=unit)
                residency.doors.set(building.access_points.all()[:1])
            else:
                Membership.objects.update_or_create(user=user, building=building, defaults={"role": role})

        if not User.objects.filter(email="admin@demo.test").exists():
            User.objects.create_superuser(email="admin@demo.test", password=DEMO_PASSWORD)
            EmailAddress.objects.get_or_create(
                email="admin@demo.test",
                defaults={"user": User.objects.get(email="admin@demo.test"), "verified": True, "primary": True},
            )
