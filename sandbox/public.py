"""Public pages a visitor or an S3 bucket would serve: the pass instructions page, QR images, snapshots."""

import struct
import zlib

import qrcode
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sandbox.models import VirtualKey


def png(rows: list[list[bool]], scale: int = 8, border: int = 4) -> bytes:
    """A black-and-white PNG from a boolean matrix (stdlib only: no Pillow needed)."""
    size = (len(rows) + 2 * border) * scale
    padded = [[False] * border + r + [False] * border for r in rows]
    blank = [False] * (len(rows) + 2 * border)
    padded = [blank] * border + padded + [blank] * border
    raw = bytearray()
    for row in padded:
        line = bytes([0] + [0 if dark else 255 for dark in row for _ in range(scale)])
        raw += line * scale

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b"")
    )


@require_GET
def qr_image(request: HttpRequest, token: str) -> HttpResponse:
    if not VirtualKey.objects.filter(token=token).exists():
        raise Http404
    code = qrcode.QRCode(border=0)
    code.add_data(token)
    code.make(fit=True)
    return HttpResponse(png(code.get_matrix()), content_type="image/png")


@require_GET
def instructions(request: HttpRequest, id: int, token: str) -> HttpResponse:
    key = VirtualKey.objects.select_related("keychain", "building").filter(id=id, token=token).first()
    if key is None:
        raise Http404
    return render(
        request,
        "sandbox/virtual_key.html",
        {"key": key, "keychain": key.keychain, "building": key.building, "qr_url": f"/qr/{key.token}.png"},
    )


# Every camera snapshot is the same stand-in: a visitor's head and shoulders, dark on light, so a page
# that shows a snapshot shows something a person recognises as one (a blank square looks broken).
VISITOR = [
    "............",
    "....####....",
    "...######...",
    "...######...",
    "...######...",
    "....####....",
    "............",
    "..########..",
    ".##########.",
    "############",
    "############",
    "############",
]


@require_GET
def snapshot(request: HttpRequest, name: str) -> HttpResponse:
    """A camera snapshot (always the stand-in figure); served without auth like public S3."""
    rows = [[cell == "#" for cell in row] for row in VISITOR]
    return HttpResponse(png(rows, scale=12, border=0), content_type="image/png")
