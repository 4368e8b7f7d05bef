"""Find a font with Japanese glyphs for charts and PDFs (else Japanese labels render as boxes)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

# TrueType first: matplotlib embeds TrueType outlines cleanly in PDFs (CID TrueType, text
# selectable); Noto Sans CJK is CFF-flavoured OpenType, used only when nothing else is there.
PREFERRED = ("IPAexGothic", "IPAGothic", "IPAPGothic", "TakaoGothic", "VL Gothic", "Noto Sans JP",
             "Noto Sans CJK JP", "Source Han Sans JP")
DEBIAN_PACKAGE = "fonts-ipaexfont-gothic"


class FontMissing(RuntimeError):
    """No Japanese font: the message says how to install one or where to point KASUHARA_REPORT_FONT."""


def japanese_font(override: str | None = None) -> str:
    """Return the path of a font file with Japanese glyphs; `override` (a file path) wins."""
    if override:
        path = Path(override)
        if not path.is_file():
            raise FontMissing(f"environment: KASUHARA_REPORT_FONT={override!r} is not a font file. Fix: point it at "
                              "a .ttf/.otf/.ttc file with Japanese glyphs, or unset it to use an installed font.")
        return str(path)
    found = _installed()
    if found is None:
        raise FontMissing("no Japanese font is installed, so charts and PDFs would show boxes instead of Japanese. "
                          f"Fix: install one (Debian/Ubuntu: apt-get install {DEBIAN_PACKAGE}) or set "
                          "KASUHARA_REPORT_FONT to a .ttf/.otf file with Japanese glyphs.")
    return found


@lru_cache(maxsize=1)
def _installed() -> str | None:
    """The best installed font: a preferred TrueType family first, regular weight."""
    from matplotlib import font_manager

    by_name: dict[str, list[str]] = {}
    for entry in font_manager.fontManager.ttflist:
        if entry.style == "normal" and entry.weight in (400, "normal", "regular", "book"):
            by_name.setdefault(entry.name, []).append(entry.fname)
    # Fonts installed after matplotlib cached its list are missing from it: read the names of
    # the system's single-font files (.ttf/.otf, quick to open) that it does not know.
    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        if path not in known and path.lower().endswith((".ttf", ".otf")):
            try:
                by_name.setdefault(font_manager.get_font(path).family_name, []).append(path)
            except (OSError, RuntimeError):
                continue
    truetype = _best({n: [f for f in files if f.lower().endswith(".ttf")] for n, files in by_name.items()})
    return truetype or _best(by_name)


def _best(by_name: dict[str, list[str]]) -> str | None:
    for name in PREFERRED:
        files = sorted(by_name.get(name, ()))
        if files:
            return files[0]
    return None


@lru_cache(maxsize=None)
def family(path: str) -> str:
    """Register the font file with matplotlib and return its family name."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()
