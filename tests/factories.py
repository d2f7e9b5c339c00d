"""factory_boy factories for the portal's models."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from tenants.models import AccessPoint, Building, Device, Membership, Residency, Unit

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    name = factory.Sequence(lambda n: f"Building {n}")
    time_zone = "America/New_York"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    building = factory.SubFactory(BuildingFactory)
    label = factory.Sequence(lambda n: f"{100 + n}")


class AccessPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessPoint

    building = factory.SubFactory(BuildingFactory)
    name = factory.Sequence(lambda n: f"Door {n}")


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    building = factory.SubFactory(BuildingFactory)
    name = factory.Sequence(lambda n: f"Panel {n}")
    kind = "panel"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    building = factory.SubFactory(BuildingFactory)
    role = "staff"


class ResidencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Residency

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
