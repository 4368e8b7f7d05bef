"""`kasuhara web link`: a URL and a QR code per unit, revoked by URL or token, listed without tokens."""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def here(tmp_path, monkeypatch):
    shutil.copy(ROOT / "kasuhara.example.yaml", tmp_path / "kasuhara.yaml")
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "TEAMS_APP_ID", "KASUHARA_CONFIG", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KASUHARA_SECRET_KEY", "cli-secret-key-0123456789")
    monkeypatch.setenv("KASUHARA_PUBLIC_URL", "https://kasuhara.example.co.jp/")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'kasuhara.db'}")
    return tmp_path


def test_a_link_prints_its_url_writes_png_and_svg_and_can_be_revoked(here, capsys):
    assert main(["web", "link", "--unit", "chuo", "--out", str(here / "qr")]) == 0
    out = capsys.readouterr().out
    url = re.search(r"^https://kasuhara\.example\.co\.jp/r/([A-Za-z0-9_-]{24})$", out, re.MULTILINE)
    assert url, out
    png, svg = sorted((here / "qr").iterdir(), key=lambda p: p.suffix)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 200
    assert ElementTree.parse(svg).getroot().tag.endswith("svg")
    assert url.group(1) not in (here / "kasuhara.db").read_bytes().decode("latin-1")  # only its digest

    assert main(["web", "link", "--list"]) == 0
    listed = capsys.readouterr().out
    assert "chuo" in listed and "live" in listed and url.group(1) not in listed

    assert main(["web", "link", "--revoke", url.group(0)]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["web", "link", "--revoke", url.group(1)]) == 1  # already ended
    assert main(["web", "link", "--list"]) == 0
    assert "revoked" in capsys.readouterr().out


def test_mistakes_name_the_fix(here, capsys, monkeypatch):
    assert main(["web", "link", "--unit", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert "no unit 'nowhere'" in err and "honsha, chuo" in err
    monkeypatch.delenv("KASUHARA_PUBLIC_URL")
    assert main(["web", "link", "--unit", "chuo"]) == 2
    assert "KASUHARA_PUBLIC_URL is not set. Fix:" in capsys.readouterr().err
    monkeypatch.delenv("KASUHARA_SECRET_KEY")
    assert main(["web", "link", "--list"]) == 2
    assert "KASUHARA_SECRET_KEY is not set" in capsys.readouterr().err
