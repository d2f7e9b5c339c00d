"""Encrypt the TOTP secrets and recovery-code seeds that allauth stored in the clear before
``MFA_ADAPTER`` (portal.accounts.mfa.PortalMFAAdapter) encrypted them. Values that are already
ciphertext are left alone, so running it twice is harmless; backwards, they are decrypted again."""

from django.db import migrations

from portal.accounts.mfa import authenticator_data_decrypted, authenticator_data_encrypted


def _rewrite(apps, change):
    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.filter(type__in=("totp", "recovery_codes")).iterator():
        data = change(authenticator.data)
        if data != authenticator.data:
            Authenticator.objects.filter(pk=authenticator.pk).update(data=data)


def encrypt_secrets(apps, schema_editor):
    _rewrite(apps, authenticator_data_encrypted)


def decrypt_secrets(apps, schema_editor):
    _rewrite(apps, authenticator_data_decrypted)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_api_tokens"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_secrets, decrypt_secrets)]
