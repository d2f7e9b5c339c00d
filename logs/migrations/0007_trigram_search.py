"""Trigram indexes for the logs' "contains" search (issue 16), on PostgreSQL only.

The search filter (``logs.filters``) is Django's ``icontains``, which PostgreSQL runs as
``UPPER(col::text) LIKE UPPER('%…%')``: a B-tree cannot serve a leading wildcard, a GIN index of the
trigrams of ``UPPER(col)`` can. The indexes are django.contrib.postgres's GinIndex with the
``gin_trgm_ops`` OpClass, built ``CONCURRENTLY`` (AddIndexConcurrently: a big log table keeps taking
writes meanwhile). SQLite has no GIN, so there the operations do nothing (its LIKE scans the rows), and
the models' ``Meta.indexes`` leave them out: they exist in the PostgreSQL database only, and nothing
in Django's migration state has to be built on SQLite.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import AddIndexConcurrently, TrigramExtension
from django.db import migrations
from django.db.models.functions import Upper


def _trigram(field: str, name: str) -> GinIndex:
    return GinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=name)


class AddTrigramIndex(AddIndexConcurrently):
    """AddIndexConcurrently on PostgreSQL; nothing elsewhere, and nothing in the migration state."""

    def state_forwards(self, app_label, state):
        pass  # a database-only index (see the module docstring)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            # AddIndex's backwards removes the index named here; the states do not know it, so do it by name.
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.index.name)}")


class PostgresTrigramExtension(TrigramExtension):
    """TrigramExtension, whose backwards also does nothing off PostgreSQL (Django's asks SQLite for
    ``pg_extension`` when the migration is unapplied there)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


TRIGRAM_INDEXES = [
    ("accesslogentry", _trigram("person_name", "log_person_trgm")),
    ("accesslogentry", _trigram("unit_label", "log_unit_label_trgm")),
    ("callrecord", _trigram("unit_label", "call_unit_label_trgm")),
]


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("logs", "0006_time_building_indexes")]

    operations = [
        PostgresTrigramExtension(),
        *(AddTrigramIndex(model_name=model, index=index) for model, index in TRIGRAM_INDEXES),
    ]
