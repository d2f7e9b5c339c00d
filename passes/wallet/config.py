"""The wallets' settings (``WALLET_*``, portal/settings/base.py) and the keys they name, loaded once.

A certificate or key setting holds either the PEM text itself (it starts with ``-----BEGIN``, as a
secret store hands it to the environment) or the path of a PEM file. A wallet is on only when every one
of its settings is set and its files load; anything less is off (no button, the downloads 404), and
``manage.py check`` says what is missing or unreadable (passes/checks.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings

APPLE_SETTINGS = (
    "WALLET_APPLE_PASS_TYPE_ID",
    "WALLET_APPLE_TEAM_ID",
    "WALLET_APPLE_CERT",
    "WALLET_APPLE_KEY",
    "WALLET_APPLE_WWDR_CERT",
)
GOOGLE_SETTINGS = (
    "WALLET_GOOGLE_ISSUER_ID",
    "WALLET_GOOGLE_SERVICE_ACCOUNT_EMAIL",
    "WALLET_GOOGLE_SERVICE_ACCOUNT_KEY",
)


class WalletConfigError(Exception):
    """A wallet's certificate or key cannot be read; the message names the setting, never its value."""


@dataclass(frozen=True)
class AppleCredentials:
    pass_type_id: str
    team_id: str
    organization: str
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    wwdr: x509.Certificate


@dataclass(frozen=True)
class GoogleCredentials:
    issuer_id: str
    service_account_email: str
    key: rsa.RSAPrivateKey
    class_suffix: str
    organization: str


def _text(name: str, value: str) -> bytes:
    """The PEM itself, or the contents of the file the setting names."""
    if value.lstrip().startswith(("-----BEGIN", "{")):
        return value.encode()
    try:
        return Path(value).expanduser().read_bytes()
    except OSError as exc:
        raise WalletConfigError(f"{name} names a file that cannot be read ({exc.strerror or exc})") from exc


def _certificate(name: str, value: str) -> x509.Certificate:
    data = _text(name, value)
    try:
        return x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise WalletConfigError(f"{name} is not a PEM or DER certificate") from exc


def _private_key(name: str, data: bytes, password: str):
    try:
        return serialization.load_pem_private_key(data, password=password.encode() or None)
    except (ValueError, TypeError) as exc:  # TypeError: encrypted without a password, or the reverse
        raise WalletConfigError(f"{name} is not a PEM private key that {name}_PASSWORD opens") from exc


def missing(names: tuple[str, ...]) -> list[str]:
    return [name for name in names if not str(getattr(settings, name, "") or "").strip()]


def apple_missing() -> list[str]:
    return missing(APPLE_SETTINGS)


def google_missing() -> list[str]:
    return missing(GOOGLE_SETTINGS)


@lru_cache(maxsize=4)
def _apple_load(pass_type_id, team_id, organization, cert, key, key_password, wwdr) -> AppleCredentials:
    certificate = _certificate("WALLET_APPLE_CERT", cert)
    private_key = _private_key("WALLET_APPLE_KEY", _text("WALLET_APPLE_KEY", key), key_password)
    if not isinstance(private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise WalletConfigError("WALLET_APPLE_KEY is neither an RSA nor an EC key")
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if private_key.public_key().public_bytes(*spki) != certificate.public_key().public_bytes(*spki):
        raise WalletConfigError("WALLET_APPLE_KEY is not the key of WALLET_APPLE_CERT")
    return AppleCredentials(
        pass_type_id=pass_type_id,
        team_id=team_id,
        organization=organization,
        certificate=certificate,
        key=private_key,
        wwdr=_certificate("WALLET_APPLE_WWDR_CERT", wwdr),
    )


@lru_cache(maxsize=4)
def _google_load(issuer_id, email, key, class_suffix, organization) -> GoogleCredentials:
    data = _text("WALLET_GOOGLE_SERVICE_ACCOUNT_KEY", key)
    if data.lstrip().startswith(b"{"):  # the service account's JSON key file, as Google hands it out
        try:
            data = json.loads(data, strict=False)["private_key"].encode()  # strict=False: line breaks
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise WalletConfigError("WALLET_GOOGLE_SERVICE_ACCOUNT_KEY is JSON without a private_key") from exc
    private_key = _private_key("WALLET_GOOGLE_SERVICE_ACCOUNT_KEY", data, "")
    if not isinstance(private_key, rsa.RSAPrivateKey):  # RS256 is what Google Wallet verifies
        raise WalletConfigError("WALLET_GOOGLE_SERVICE_ACCOUNT_KEY is not an RSA key")
    return GoogleCredentials(
        issuer_id=issuer_id,
        service_account_email=email,
        key=private_key,
        class_suffix=class_suffix,
        organization=organization,
    )


def apple_credentials() -> AppleCredentials:
    """The Apple pass certificate, key and WWDR intermediate; raises WalletConfigError when off."""
    if apple_missing():
        raise WalletConfigError(f"not set: {', '.join(apple_missing())}")
    return _apple_load(
        settings.WALLET_APPLE_PASS_TYPE_ID.strip(),
        settings.WALLET_APPLE_TEAM_ID.strip(),
        settings.WALLET_ORGANIZATION_NAME,
        settings.WALLET_APPLE_CERT,
        settings.WALLET_APPLE_KEY,
        settings.WALLET_APPLE_KEY_PASSWORD,
        settings.WALLET_APPLE_WWDR_CERT,
    )


def google_credentials() -> GoogleCredentials:
    """The Google Wallet issuer and service-account key; raises WalletConfigError when off."""
    if google_missing():
        raise WalletConfigError(f"not set: {', '.join(google_missing())}")
    return _google_load(
        settings.WALLET_GOOGLE_ISSUER_ID.strip(),
        settings.WALLET_GOOGLE_SERVICE_ACCOUNT_EMAIL.strip(),
        settings.WALLET_GOOGLE_SERVICE_ACCOUNT_KEY,
        settings.WALLET_GOOGLE_CLASS_SUFFIX,
        settings.WALLET_ORGANIZATION_NAME,
    )


def apple_enabled() -> bool:
    try:
        apple_credentials()
    except WalletConfigError:
        return False
    return True


def google_enabled() -> bool:
    try:
        google_credentials()
    except WalletConfigError:
        return False
    return True
