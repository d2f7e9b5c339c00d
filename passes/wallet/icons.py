"""The icons a ``.pkpass`` must carry (Apple Wallet refuses a pass without ``icon.png``), drawn here.

The portal has no raster images and no imaging library, and an icon is a few hundred bytes: a PNG
(RGB, 8 bits, one zlib stream) of a door on the portal's blue, at the three sizes Wallet asks for.
"""

from __future__ import annotations

import struct
import zlib
from functools import cache

BLUE = (13, 110, 253)  # Bootstrap's primary, the portal's buttons
WHITE = (255, 255, 255)
SIZES = {"icon.png": 29, "icon@2x.png": 58, "icon@3x.png": 87}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _pixel(x: int, y: int, n: int) -> tuple[int, int, int]:
    """A door: a white frame over the lower three quarters, with a knob."""
    left, right, top, bottom = n * 0.3, n * 0.7, n * 0.18, n * 0.86
    inside = left <= x < right and top <= y < bottom
    frame = max(1.0, n / 14)
    panel = left + frame <= x < right - frame and top + frame <= y
    knob = abs(x - (right - frame * 2.2)) < frame * 0.8 and abs(y - n * 0.56) < frame * 0.8
    return WHITE if inside and (not panel or knob) else BLUE


@cache
def png(size: int) -> bytes:
    rows = b"".join(
        b"\x00" + b"".join(bytes(_pixel(x, y, size)) for x in range(size)) for y in range(size)
    )  # filter type 0 (none) before each row
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 9)) + _chunk(b"IEND", b"")
    )


def icon_files() -> dict[str, bytes]:
    return {name: png(size) for name, size in SIZES.items()}
