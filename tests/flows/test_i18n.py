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


def test_commands_split_on_any_whitespace_including_full_width_and_newlines():
    from flows.commands import CommandKind, parse_command

    assert parse_command("相談\n誰にも言えずにいます").kind is CommandKind.CONSULT
    assert parse_command("相談\n誰にも言えずにいます").argument == "誰にも言えずにいます"
    assert parse_command("sos\u30002F 窓口").argument == "2F 窓口"
    assert parse_command("REPORT").kind is CommandKind.REPORT
    assert parse_command("こんにちは").kind is CommandKind.UNKNOWN
    assert parse_command("  ").kind is CommandKind.EMPTY
