"""The Teams app manifest, its localization and the uploadable package."""
from __future__ import annotations

import json
import struct
import zipfile
import zlib

import jsonschema
import pytest

from adapters.teams.package import MANIFEST_DIR, build_package
from tests.adapters.teams.teams_harness import REFERENCE

APP_ID = "2f0d1c3b-8a4e-4b6f-9c7d-5e1a0b2c3d4e"


def validator(name: str):
    schema = json.loads((REFERENCE / name).read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema, format_checker=jsonschema.FormatChecker())


def errors(schema_name: str, document: dict) -> list[str]:
    return [f"{list(e.path)}: {e.message[:200]}" for e in validator(schema_name).iter_errors(document)]


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Return width, height and the unfiltered RGBA rows of an 8-bit RGBA PNG (filter 0 only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 6), "icons are 8-bit RGBA"
    idat, offset = b"", 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if kind == b"IDAT":
            idat += data[offset + 8:offset + 8 + length]
        offset += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 4 + 1
    rows = [raw[i * stride:(i + 1) * stride] for i in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, height, [row[1:] for row in rows]


@pytest.fixture
def package(tmp_path) -> zipfile.ZipFile:
    path = build_package(APP_ID, tmp_path / "kasuhara-teams.zip", env={})
    with zipfile.ZipFile(path) as archive:
        yield archive


def test_package_holds_manifest_icons_and_localization_at_the_root(package):
    assert sorted(package.namelist()) == ["color.png", "en-us.json", "manifest.json", "outline.png"]


def test_packaged_manifest_is_valid_v1_19_with_the_app_id_filled(package):
    manifest = json.loads(package.read("manifest.json"))
    assert errors("MicrosoftTeams.schema.v1.19.json", manifest) == []
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert "{{" not in package.read("manifest.json").decode()


def test_bot_offers_report_sos_and_help_everywhere_consult_in_personal_and_bind_in_shared(package):
    bot = json.loads(package.read("manifest.json"))["bots"][0]
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    titles = {lst["scopes"][0]: [c["title"] for c in lst["commands"]] for lst in bot["commandLists"]}
    assert titles["personal"] == ["報告", "sos", "ヘルプ", "相談"]  # never in a channel: others would read it
    assert titles["team"] == titles["groupChat"] == ["報告", "sos", "ヘルプ", "bind"]


def test_japanese_is_the_default_and_english_localizes_every_command(package):
    manifest = json.loads(package.read("manifest.json"))
    english = json.loads(package.read("en-us.json"))
    assert manifest["localizationInfo"]["defaultLanguageTag"] == "ja-jp"
    assert manifest["localizationInfo"]["additionalLanguages"] == [{"languageTag": "en-us", "file": "en-us.json"}]
    assert errors("MicrosoftTeams.Localization.schema.json", english) == []
    for i, command_list in enumerate(manifest["bots"][0]["commandLists"]):
        for j, _ in enumerate(command_list["commands"]):
            assert f"bots[0].commandLists[{i}].commands[{j}].title" in english
            assert f"bots[0].commandLists[{i}].commands[{j}].description" in english
    assert english["bots[0].commandLists[0].commands[0].title"] == "report"
    assert english["bots[0].commandLists[0].commands[3].title"] == "consult"


def test_color_icon_is_192_square_and_opaque(package):
    width, height, rows = read_png(package.read("color.png"))
    assert (width, height) == (192, 192)
    assert all(row[i] == 255 for row in rows for i in range(3, len(row), 4))


def test_outline_icon_is_32_square_white_on_transparent(package):
    width, height, rows = read_png(package.read("outline.png"))
    assert (width, height) == (32, 32)
    pixels = [row[i:i + 4] for row in rows for i in range(0, len(row), 4)]
    assert all(p[:3] == b"\xff\xff\xff" for p in pixels if p[3])  # every visible pixel is white
    assert pixels[0][3] == 0 and any(p[3] == 255 for p in pixels)  # transparent corner, solid shape


def test_committed_icons_are_what_the_icon_script_draws():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_icons", MANIFEST_DIR / "make_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (MANIFEST_DIR / "outline.png").read_bytes() == module.outline_icon()


def test_developer_links_come_from_the_environment(tmp_path):
    env = {"TEAMS_APP_DEVELOPER_NAME": 'Example "Corp"', "TEAMS_APP_WEBSITE_URL": "https://corp.example.jp/kasuhara"}
    with zipfile.ZipFile(build_package(APP_ID, tmp_path / "p.zip", env=env)) as archive:
        developer = json.loads(archive.read("manifest.json"))["developer"]
    assert developer == {"name": 'Example "Corp"', "websiteUrl": "https://corp.example.jp/kasuhara",
                         "privacyUrl": "https://corp.example.jp/kasuhara", "termsOfUseUrl": "https://corp.example.jp/kasuhara"}


@pytest.mark.parametrize("app_id", ["", "not-a-guid", "{{TEAMS_APP_ID}}"])
def test_a_missing_or_malformed_app_id_is_refused_with_the_fix(tmp_path, app_id):
    with pytest.raises(ValueError, match="Microsoft App ID"):
        build_package(app_id, tmp_path / "p.zip", env={})


def test_plain_http_developer_links_are_refused(tmp_path):
    with pytest.raises(ValueError, match="https"):
        build_package(APP_ID, tmp_path / "p.zip", env={"TEAMS_APP_WEBSITE_URL": "http://corp.example.jp"})
