"""Encryption at rest for ButterflyMX tokens and PINs: Fernet keys from TOKEN_ENCRYPTION_KEYS.

MultiFernet encrypts with the first key and decrypts with any, so a new key is put first, the
``rotate_encryption_keys`` command re-encrypts every row, and the old key is then removed.

Bulk values (a snapshot URL per access-log row, a million rows in a backfill) use :func:`fast_encryptor`
instead: AES-256-GCM under a key derived (HKDF-SHA256) from each Fernet key, about a tenth of Fernet's
cost per value. Such values carry the ``g1:`` prefix (a Fernet token always starts with ``gAAAA``);
:func:`decrypt` reads both formats with any configured key, so rotation works unchanged.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("TOKEN_ENCRYPTION_KEYS is empty: set at least one Fernet key")
    try:
        return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"TOKEN_ENCRYPTION_KEYS holds an invalid Fernet key: {exc}") from None


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.TOKEN_ENCRYPTION_KEYS))


GCM_PREFIX = "g1:"
_GCM_INFO = b"portal.core.crypto aes-256-gcm v1"  # a distinct key per purpose: never the Fernet keys themselves


@lru_cache(maxsize=4)
def _aeads(keys: tuple[str, ...]) -> tuple[AESGCM, ...]:
    _fernet(keys)  # validates the keys with the same clear error
    derived = []
    for key in keys:
        material = base64.urlsafe_b64decode(key.encode() if isinstance(key, str) else key)
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_GCM_INFO)
        derived.append(AESGCM(hkdf.derive(material)))
    return tuple(derived)


def aeads() -> tuple[AESGCM, ...]:
    return _aeads(tuple(settings.TOKEN_ENCRYPTION_KEYS))


def fast_encryptor() -> Callable[[str], str]:
    """``encrypt(text) -> "g1:" + base64(nonce + ciphertext + tag)`` under the newest key, for bulk use.

    A random 96-bit nonce per value: safe far beyond the number of values one key will ever protect.
    """
    aead = aeads()[0]
    urandom, b64 = os.urandom, base64.urlsafe_b64encode

    def encrypt_one(value: str) -> str:
        nonce = urandom(12)
        return GCM_PREFIX + b64(nonce + aead.encrypt(nonce, value.encode(), None)).decode()

    return encrypt_one


def _gcm_decrypt(value: str) -> str:
    blob = base64.urlsafe_b64decode(value[len(GCM_PREFIX) :].encode())
    for aead in aeads():  # newest first; an older key after a rotation
        try:
            return aead.decrypt(blob[:12], blob[12:], None).decode()
        except InvalidTag:
            continue
    raise InvalidToken


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    try:
        if value.startswith(GCM_PREFIX):
            return _gcm_decrypt(value)
        return fernet().decrypt(value.encode()).decode()
    except (InvalidToken, ValueError):
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with TOKEN_ENCRYPTION_KEYS (was a key removed too early?)"
        ) from None


def rotate(value: str) -> str:
    """Re-encrypt ``value`` under the newest key, keeping its format."""
    if value.startswith(GCM_PREFIX):
        return fast_encryptor()(decrypt(value))
    return fernet().rotate(value.encode()).decode()


class EncryptedTextField(models.TextField):
    """A text column holding Fernet ciphertext; Python code sees plain text. Empty stays empty."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
