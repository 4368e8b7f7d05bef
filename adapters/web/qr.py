"""QR codes of report links for the back-office poster (PNG and SVG), with segno.

Error correction level M (15 %) survives a creased or partly covered poster; a 4-module quiet
zone is what phone cameras need to find the code.
"""
from __future__ import annotations

from pathlib import Path

import segno


def write_qr(url: str, stem: Path) -> tuple[Path, Path]:
    """Write `<stem>.png` and `<stem>.svg` encoding `url`; return both paths."""
    code = segno.make(url, error="m", micro=False)
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    stem.parent.mkdir(parents=True, exist_ok=True)
    code.save(str(png), scale=10, border=4)
    code.save(str(svg), scale=10, border=4, title="kasuhara report link", xmldecl=True, svgns=True)
    return png, svg
