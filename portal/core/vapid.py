"""VAPID key pairs (RFC 8292): how the portal identifies itself to browsers' push services.

The formats are the ones browsers and the Web Push libraries exchange: the public key is the URL-safe
base64 (unpadded) of the uncompressed P-256 point, 65 bytes, which the page hands to
``pushManager.subscribe({applicationServerKey})``; the private key is the URL-safe base64 of its 32-byte
scalar, which py_vapid reads. Plain ``cryptography``, no Django: development settings make a pair with
it before Django is set up, and production's check (portal/core/checks.py) validates one with it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


@dataclass(frozen=True)
class KeyPair:
    public: str
    private: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _public_raw(private: ec.EllipticCurvePrivateKey) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def new_key_pair() -> KeyPair:
    private = ec.generate_private_key(ec.SECP256R1())
    scalar = private.private_numbers().private_value.to_bytes(32, "big")
    return KeyPair(public=_b64(_public_raw(private)), private=_b64(scalar))


def key_problems(public: str, private: str, subject: str) -> list[str]:
    """What is wrong with a configured pair, in words that never quote a key (they may reach a log)."""
    problems = []
    try:
        raw_private = _unb64(private.strip())
        if len(raw_private) != 32:
            raise ValueError
        key = ec.derive_private_key(int.from_bytes(raw_private, "big"), ec.SECP256R1())
    except (ValueError, binascii.Error):
        problems.append("WEBPUSH_VAPID_PRIVATE_KEY is not a P-256 private key (URL-safe base64 of 32 bytes)")
        key = None
    try:
        raw_public = _unb64(public.strip())
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw_public)
        if len(raw_public) != 65:
            raise ValueError
    except (ValueError, binascii.Error):
        problems.append(
            "WEBPUSH_VAPID_PUBLIC_KEY is not a P-256 public key (URL-safe base64 of the 65-byte uncompressed point)"
        )
    else:
        if key is not None and _public_raw(key) != raw_public:
            problems.append("WEBPUSH_VAPID_PUBLIC_KEY is not the public half of WEBPUSH_VAPID_PRIVATE_KEY")
    parts = urlsplit(subject)
    if not ((parts.scheme == "mailto" and "@" in parts.path) or (parts.scheme == "https" and parts.hostname)):
        problems.append("WEBPUSH_VAPID_SUBJECT must be a mailto: address or an https: URL (push services use it)")
    elif "localhost" in subject:  # the development default: Apple's push service refuses such a contact
        problems.append("WEBPUSH_VAPID_SUBJECT names localhost: give a contact the push services can reach")
    return problems
