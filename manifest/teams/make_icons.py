"""Draw the Teams app icons (color.png 192x192, outline.png 32x32) with zlib and struct only.

Run `python manifest/teams/make_icons.py` after changing the drawing; the PNGs are committed.
Teams wants the outline icon white on a transparent background, the color icon full-bleed.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ACCENT = (0x2B, 0x6C, 0xB0)  # calm blue; manifest.json accentColor is the same
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4  # supersampling per axis, for smooth edges


def shield(u: float, v: float) -> bool:
    """Return True inside a shield with an exclamation mark cut out (u, v in 0..1)."""
    x, y = (u - 0.5) / 0.34, (v - 0.14) / 0.74  # shield box: 68% wide, 74% high
    if not (-1 <= x <= 1 and 0 <= y <= 1):
        return False
    half_width = 1.0 if y < 0.45 else max(0.0, 1 - ((y - 0.45) / 0.55) ** 1.6)
    if abs(x) > half_width:
        return False
    bar = abs(x) < 0.13 and 0.16 <= y <= 0.56
    dot = x * x + ((y - 0.71) / 1.0) ** 2 * 4.2 < 0.13 ** 2 * 1.2
    return not (bar or dot)


def coverage(size: int, px: int, py: int) -> float:
    hits = sum(shield((px + (i + 0.5) / SAMPLES) / size, (py + (j + 0.5) / SAMPLES) / size)
               for i in range(SAMPLES) for j in range(SAMPLES))
    return hits / SAMPLES ** 2


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    """Encode RGBA rows as a PNG (colour type 6, 8 bits, no interlace)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def color_icon(size: int = 192) -> bytes:
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            a = coverage(size, px, py)
            row += bytes(round(c * (1 - a) + w * a) for c, w in zip(ACCENT, WHITE)) + b"\xff"
        rows.append(bytes(row))
    return png(size, size, rows)


def outline_icon(size: int = 32) -> bytes:
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            row += bytes(WHITE) + bytes([round(255 * coverage(size, px, py))])
        rows.append(bytes(row))
    return png(size, size, rows)


if __name__ == "__main__":
    (HERE / "color.png").write_bytes(color_icon())
    (HERE / "outline.png").write_bytes(outline_icon())
    print(f"wrote {HERE / 'color.png'} and {HERE / 'outline.png'}")
