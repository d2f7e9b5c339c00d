# A door release belongs to the unit of the tenant ButterflyMX logs it under (as its access-log entry
# does): residents of that unit may see it, neighbours may not. Existing rows get it from the roster.

import django.db.models.deletion
from django.db import migrations, models


def units_from_the_roster(apps, schema_editor):
    DoorRelease = apps.get_model("dashboard", "DoorRelease")
    TenantRecord = apps.get_model("tenants", "TenantRecord")
    units = {
        (building_id, bmx_id): unit_id
        for building_id, bmx_id, unit_id in TenantRecord.objects.exclude(unit=None).values_list(
            "building_id", "bmx_id", "unit_id"
        )
    }
    for release in DoorRelease.objects.exclude(bmx_tenant_id=None).only("id", "building_id", "bmx_tenant_id"):
        unit_id = units.get((release.building_id, release.bmx_tenant_id))
        if unit_id is not None:
            DoorRelease.objects.filter(pk=release.pk).update(unit_id=unit_id)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0002_rate_counter_moved_to_core"),
        ("tenants", "0006_unit_doors_on_board"),
    ]

    operations = [
        migrations.AddField(
            model_name="doorrelease",
            name="unit",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="door_releases",
                to="tenants.unit",
            ),
        ),
        migrations.RunPython(units_from_the_roster, migrations.RunPython.noop),
    ]
