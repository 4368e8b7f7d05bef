import json
from pathlib import Path

from flows.i18n import Translator, catalog_keys, normalize_locale

LOCALES = Path(__file__).resolve().parents[2] / "flows" / "locales"


def test_japanese_and_english_catalogs_have_the_same_keys_per_file():
    for ja_file in (LOCALES / "ja").glob("*.json"):
        en_file = LOCALES / "en" / ja_file.name
        assert en_file.exists(), f"{en_file} is missing"
        assert set(json.loads(ja_file.read_text())) == set(json.loads(en_file.read_text())), ja_file.name
    assert catalog_keys("ja") == catalog_keys("en")


def test_platform_locales_map_to_ours():
    assert normalize_locale("en-US") == "en"
    assert normalize_locale("ja-JP") == "ja"
    assert normalize_locale("fr-FR") == "ja"
    assert normalize_locale(None, "en") == "en"


def test_translator_formats_and_falls_back():
    assert Translator("en")("confirm.title", case="K-1") == "Report received (K-1)"
    assert Translator("ja")("confirm.title", case="K-1") == "報告を受け付けました（K-1）"
