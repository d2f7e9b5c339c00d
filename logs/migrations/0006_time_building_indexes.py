"""(logged_at, id, building) indexes for managers who browse many buildings at once (issue 15).

On PostgreSQL the index is built ``CONCURRENTLY`` (a big log table keeps taking writes meanwhile), so
the migration is not atomic; elsewhere (SQLite) Django's schema editor adds it as usual. The models'
``Meta.indexes`` declare the same indexes, so Django's state knows them.
"""

from django.db import migrations, models

INDEXES = {
    "accesslogentry": models.Index(fields=["-logged_at", "-id", "building"], name="log_time_bldg"),
    "callrecord": models.Index(fields=["-logged_at", "-id", "building"], name="call_time_bldg"),
}


def create(apps, schema_editor):
    for model_name, index in INDEXES.items():
        model = apps.get_model("logs", model_name)
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index.name} ON {model._meta.db_table} "
                "(logged_at DESC, id DESC, building_id)"
            )
        else:
            schema_editor.add_index(model, index)


def drop(apps, schema_editor):
    for model_name, index in INDEXES.items():
        model = apps.get_model("logs", model_name)
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index.name}")
        else:
            schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("logs", "0005_sync_leases_claims_rescan")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name=name, index=index) for name, index in INDEXES.items()],
            database_operations=[migrations.RunPython(create, drop, elidable=False)],
        )
    ]
