"""Throwaway wallet credentials for tests: a CA standing in for Apple's WWDR intermediate, a pass type
certificate it signed (with its key), and an RSA key standing in for a Google service account's.
Made once per test session (RSA key generation is the slow part), never written outside tmp dirs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

PASS_TYPE_ID = "pass.test.portal.visitor"
TEAM_ID = "TEAM123456"
ISSUER_ID = "3388000000012345678"
SERVICE_ACCOUNT = "wallet@portal-test.iam.gserviceaccount.com"


@dataclass(frozen=True)
class WalletKeys:
    ca_cert: x509.Certificate
    pass_cert: x509.Certificate
    pass_key: rsa.RSAPrivateKey
    google_key: rsa.RSAPrivateKey

    @staticmethod
    def pem_cert(cert: x509.Certificate) -> str:
        return cert.public_bytes(serialization.Encoding.PEM).decode()

    @staticmethod
    def pem_key(key: rsa.RSAPrivateKey) -> str:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def apple_settings(self) -> dict[str, str]:
        """The Apple settings with the PEM text itself in each variable."""
        return {
            "WALLET_APPLE_PASS_TYPE_ID": PASS_TYPE_ID,
            "WALLET_APPLE_TEAM_ID": TEAM_ID,
            "WALLET_APPLE_CERT": self.pem_cert(self.pass_cert),
            "WALLET_APPLE_KEY": self.pem_key(self.pass_key),
            "WALLET_APPLE_KEY_PASSWORD": "",
            "WALLET_APPLE_WWDR_CERT": self.pem_cert(self.ca_cert),
        }

    def google_settings(self) -> dict[str, str]:
        return {
            "WALLET_GOOGLE_ISSUER_ID": ISSUER_ID,
            "WALLET_GOOGLE_SERVICE_ACCOUNT_EMAIL": SERVICE_ACCOUNT,
            "WALLET_GOOGLE_SERVICE_ACCOUNT_KEY": self.pem_key(self.google_key),
        }


def _name(common: str, **extra) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test")]
        + [x509.NameAttribute(oid, value) for oid, value in extra.items()]
    )


@cache
def wallet_keys() -> WalletKeys:
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name("Test WWDR stand-in CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # keyCertSign, cRLSign
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pass_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pass_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"Pass Type ID: {PASS_TYPE_ID}"))
        .issuer_name(ca_name)
        .public_key(pass_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    google_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return WalletKeys(ca_cert=ca_cert, pass_cert=pass_cert, pass_key=pass_key, google_key=google_key)
