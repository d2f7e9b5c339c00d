"""What both wallets show of one visitor's pass, taken from the same places as the guest page."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from ..models import VisitorKey
from ..sharing import qr_payload, validity_words


@dataclass(frozen=True)
class WalletPass:
    serial: str  # stable per visitor key, and says nothing about other keys (no row ids)
    visitor: str
    pass_name: str
    building: str
    address: str
    time_zone: str
    starts_at: dt.datetime  # in the building's zone
    ends_at: dt.datetime
    validity: str  # "Valid from ... to ... New York time.", as the guest page and the e-mail say it
    qr: str  # the QR code's payload: what the guest page's QR code holds
    pin: str
    doors: tuple[str, ...]
    one_visit: bool
    url: str  # the guest page


def serial_of(key: VisitorKey) -> str:
    """Derived from the key's link hash (unique per key): neither guessable nor a counter."""
    return hashlib.sha256(f"wallet-serial:{key.share_token_hash}".encode()).hexdigest()[:32]


def wallet_pass(key: VisitorKey, url: str) -> WalletPass:
    p = key.pass_obj
    tz = p.building.tz
    return WalletPass(
        serial=serial_of(key),
        visitor=key.name,
        pass_name=p.name,
        building=p.building.name,
        address=p.building.address,
        time_zone=p.building.time_zone,
        starts_at=p.starts_at.astimezone(tz),
        ends_at=p.ends_at.astimezone(tz),
        validity=validity_words(p),
        qr=qr_payload(key),
        pin=key.pin,
        doors=tuple(d.name for d in p.doors.all()),
        one_visit=p.kind in (p.Kind.ONE_TIME, p.Kind.DELIVERY),
        url=url,
    )
