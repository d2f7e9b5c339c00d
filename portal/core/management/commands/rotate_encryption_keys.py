"""Re-encrypt every encrypted column under the newest key of TOKEN_ENCRYPTION_KEYS, and the
two-factor secrets (TOTP secrets, recovery-code seeds) that allauth keeps in ``Authenticator.data``.

Rotation: put a new key first in TOKEN_ENCRYPTION_KEYS (keep the old ones after it), deploy, run this
command, then remove the old keys. Each row is re-written under a row lock, so a token refresh running
at the same moment is never overwritten with an older token.
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.accounts.mfa import authenticator_data_rotated
from portal.core.crypto import EncryptedTextField


def encrypted_fields():
    for model in apps.get_models():
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            yield model, fields


class Command(BaseCommand):
    help = "Re-encrypt every encrypted value (tokens, two-factor secrets) under the first key of TOKEN_ENCRYPTION_KEYS."

    def handle(self, *args, **options) -> None:
        total = 0
        for model, fields in encrypted_fields():
            count = 0
            for pk in model.objects.values_list("pk", flat=True).iterator():
                with transaction.atomic():
                    row = model.objects.select_for_update().filter(pk=pk).first()
                    if row is None:  # deleted meanwhile
                        continue
                    # Loading decrypted with any key; saving encrypts with the first one.
                    row.save(update_fields=fields)
                count += 1
            total += count
            self.stdout.write(f"{model._meta.label}: {count} row(s) re-encrypted ({', '.join(fields)})")
        total += self._rotate_authenticators()
        self.stdout.write(self.style.SUCCESS(f"Done: {total} row(s) under the newest key."))

    def _rotate_authenticators(self) -> int:
        """allauth's JSON ``data`` is not an EncryptedTextField: its secret members are rotated one by one."""
        count = 0
        secret_types = (Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES)
        for pk in Authenticator.objects.filter(type__in=secret_types).values_list("pk", flat=True).iterator():
            with transaction.atomic():
                row = Authenticator.objects.select_for_update().filter(pk=pk).first()
                if row is None:
                    continue
                row.data = authenticator_data_rotated(row.data)
                row.save(update_fields=["data"])
            count += 1
        self.stdout.write(f"mfa.Authenticator: {count} row(s) re-encrypted (data: secret, seed, migrated_codes)")
        return count
