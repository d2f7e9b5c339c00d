"""Two-factor: who must have it, and its secrets encrypted at rest.

One rule decides who must enrol TOTP before acting (``PORTAL_REQUIRE_MFA_FOR_STAFF``, on in
production): staff and managers of any building, and operators (anyone who can enter Django's admin:
``is_staff`` or ``is_superuser``). The page middleware (``portal.core.middleware``) and the API's
authentication classes (``portal.api.authentication``) both ask :func:`mfa_missing`, so a session and a
token meet the same rule.

allauth stores a TOTP secret and a recovery-code seed in ``Authenticator.data`` and passes them through
its MFA adapter's ``encrypt``/``decrypt`` hooks. :class:`PortalMFAAdapter` encrypts them with the same
rotatable Fernet keys as the ButterflyMX tokens (``TOKEN_ENCRYPTION_KEYS``, ``portal.core.crypto``);
``manage.py rotate_encryption_keys`` re-encrypts them with :func:`authenticator_data_rotated`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.core import crypto
from tenants.scope import grants_of

MFA_REQUIRED_MESSAGE = _(
    "Two-factor authentication is required for staff, managers and operators. Set it up in the portal "
    "(your name > Two-factor authentication) and then use your API token again."
)


def role_requires_mfa(user, *, memberships: dict | None = None) -> bool:
    """Whether ``user``'s role obliges them to use two-factor (regardless of the setting).

    ``memberships`` (building id -> staff/manager role, as in ``tenants.scope.Grants``) spares a query
    when the caller already read them.
    """
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    if memberships is not None:
        return bool(memberships)
    return bool(grants_of(user).memberships)


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def mfa_missing(user, *, memberships: dict | None = None) -> bool:
    """True when two-factor is required (setting on, role requires it) and ``user`` has no TOTP yet."""
    if not settings.PORTAL_REQUIRE_MFA_FOR_STAFF:
        return False
    return role_requires_mfa(user, memberships=memberships) and not has_totp(user)


class PortalMFAAdapter(DefaultMFAAdapter):
    """``MFA_ADAPTER``: TOTP secrets and recovery-code seeds are stored as Fernet ciphertext.

    ``decrypt`` is strict: a value that is not ciphertext under one of the configured keys stops with
    the same clear error as any other secret (``portal.core.crypto.decrypt``). Values stored before
    this adapter existed are encrypted by the migration ``accounts.0003_encrypt_mfa_secrets``.
    """

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)


# What allauth's own code writes in the clear (before encryption existed), per secret member of data:
# a TOTP secret is base32, a recovery-code seed is hex, migrated codes are digits. A Fernet token
# starts with "gAAAA", which none of these can, so a value is plaintext exactly when it matches.
PLAINTEXT = {
    "secret": re.compile(r"[A-Z2-7]+=*"),
    "seed": re.compile(r"[0-9a-f]+"),
    "migrated_codes": re.compile(r"[0-9]+"),
}


def _map_secrets(data: dict, change: Callable[[str, str], str]) -> dict:
    """A copy of ``data`` with ``change(member, value)`` applied to each secret value (``migrated_codes``
    is a list of them)."""
    data = dict(data)
    for member in PLAINTEXT:
        value = data.get(member)
        if isinstance(value, str):
            data[member] = change(member, value)
        elif isinstance(value, list):
            data[member] = [change(member, item) if isinstance(item, str) else item for item in value]
    return data


def _encrypt_if_plain(member: str, value: str) -> str:
    return crypto.encrypt(value) if PLAINTEXT[member].fullmatch(value) else value


def authenticator_data_encrypted(data: dict) -> dict:
    """``data`` with every plaintext secret encrypted; values already encrypted are left as they are."""
    return _map_secrets(data, _encrypt_if_plain)


def authenticator_data_decrypted(data: dict) -> dict:
    """The reverse of :func:`authenticator_data_encrypted` (for migrating backwards)."""
    return _map_secrets(data, lambda member, value: crypto.decrypt(value))


def authenticator_data_rotated(data: dict) -> dict:
    """``data`` with every secret re-encrypted under the newest key of ``TOKEN_ENCRYPTION_KEYS``."""
    return _map_secrets(data, lambda member, value: crypto.rotate(value))
