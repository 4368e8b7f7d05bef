"""Message catalogs: every user-facing string, Japanese first, English too.

Strings live in `flows/locales/<locale>/<area>.json` (one file per area so that adapters
and flows can each own theirs); keys are dotted names, values use str.format fields.
"""
from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "ja"
SUPPORTED = ("ja", "en")


def normalize_locale(value: str | None, fallback: str = DEFAULT_LOCALE) -> str:
    """Map a platform locale ('en-US', 'ja-JP', None) to one we have."""
    if not value:
        return fallback
    head = value.replace("_", "-").split("-")[0].lower()
    return head if head in SUPPORTED else fallback


@lru_cache(maxsize=None)
def _catalog(locale: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / locale).glob("*.json")):
        for key, value in json.loads(path.read_text(encoding="utf-8")).items():
            if key in merged:
                raise ValueError(f"duplicate message key {key!r} in {path}")
            merged[key] = value
    return merged


class Translator:
    """Look up catalog strings for one locale, falling back to Japanese."""

    def __init__(self, locale: str = DEFAULT_LOCALE):
        self.locale = normalize_locale(locale)

    def __call__(self, key: str, **fields: object) -> str:
        text = _catalog(self.locale).get(key)
        if text is None:
            text = _catalog(DEFAULT_LOCALE).get(key)
        if text is None:
            raise KeyError(f"message key {key!r} is missing from flows/locales/{self.locale}")
        return text.format(**fields) if fields else text

    def has(self, key: str) -> bool:
        return key in _catalog(self.locale) or key in _catalog(DEFAULT_LOCALE)


def catalog_keys(locale: str) -> set[str]:
    """All keys of one locale (tests compare ja and en)."""
    return set(_catalog(locale))


def local_time(moment: datetime | None, tz: str) -> str:
    """Format a UTC moment for people: local time of the policy (Asia/Tokyo by default)."""
    if moment is None:
        return "-"
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y/%m/%d %H:%M")
