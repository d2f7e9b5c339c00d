"""Destroy the tokens of ``rest_framework.authtoken``, which stored each token in the clear.

The portal's tokens are now django-rest-knox's (``accounts.ApiToken``, a SHA-512 digest only). The old
app is no longer installed, so nothing would ever read or delete its table again: a database dump
would keep working tokens forever. Their owners create new tokens (docs/api.md). Not reversible: the
tokens are gone, by design.
"""

from django.db import migrations


def drop_plaintext_tokens(apps, schema_editor):
    if "authtoken_token" in schema_editor.connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name('authtoken_token')}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_encrypt_mfa_secrets")]

    operations = [migrations.RunPython(drop_plaintext_tokens, migrations.RunPython.noop)]
