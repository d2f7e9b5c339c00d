"""A BRIN index on ``logged_at`` of both log tables, on PostgreSQL only (issue 15's growth plan).

Rows arrive roughly in ``logged_at`` order, so a block-range index (a few hundred KB for tens of millions
of rows) lets date-range queries across buildings skip the rest of the table. SQLite has no BRIN; the
index is left out of the models' ``Meta.indexes`` (Django would emit ``USING brin`` there too), so this
migration creates it with plain SQL, ``CONCURRENTLY`` (writes go on while it builds), hence not atomic.
"""

from django.db import migrations

TABLES = ("logs_accesslogentry", "logs_callrecord")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {table}_logged_at_brin ON {table} "
            "USING brin (logged_at) WITH (autosummarize = on)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {table}_logged_at_brin")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("logs", "0003_webhook_refused_bindings")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
