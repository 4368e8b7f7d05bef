"""`kasuhara web link`: a URL and a QR code per unit, revoked by URL or token, listed without tokens."""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.bot.test_cli import run
from tests.keys import TEST_KEY

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def here(tmp_path):
    shutil.copy(ROOT / "kasuhara.example.yaml", tmp_path / "kasuhara.yaml")
    return tmp_path


def env(here: Path, **extra) -> dict:
    return {"KASUHARA_SECRET_KEY": TEST_KEY, "KASUHARA_PUBLIC_URL": "https://kasuhara.example.co.jp/",
            "DATABASE_URL": f"sqlite:///{here / 'kasuhara.db'}", **extra}


def test_a_link_prints_its_url_writes_png_and_svg_and_can_be_revoked(here):
    made = run(["web", "link", "--unit", "chuo", "--out", str(here / "qr")], here, **env(here))
    assert made.returncode == 0, made.stderr
    url = re.search(r"^https://kasuhara\.example\.co\.jp/r/([A-Za-z0-9_-]{24})$", made.stdout, re.MULTILINE)
    assert url, made.stdout
    png, svg = sorted((here / "qr").iterdir(), key=lambda p: p.suffix)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 200
    assert ElementTree.parse(svg).getroot().tag.endswith("svg")
    assert url.group(1) not in (here / "kasuhara.db").read_bytes().decode("latin-1")  # only its digest

    listed = run(["web", "link", "--list"], here, **env(here))
    assert "chuo" in listed.stdout and "live" in listed.stdout and url.group(1) not in listed.stdout

    revoked = run(["web", "link", "--revoke", url.group(0)], here, **env(here))
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert run(["web", "link", "--revoke", url.group(1)], here, **env(here)).returncode == 1  # already ended
    assert "revoked" in run(["web", "link", "--list"], here, **env(here)).stdout


def test_mistakes_name_the_fix(here):
    wrong_unit = run(["web", "link", "--unit", "nowhere"], here, **env(here))
    assert wrong_unit.returncode == 2
    assert "no unit 'nowhere'" in wrong_unit.stderr and "honsha, chuo" in wrong_unit.stderr
    no_url = run(["web", "link", "--unit", "chuo"], here, **env(here, KASUHARA_PUBLIC_URL=""))
    assert no_url.returncode == 2 and "KASUHARA_PUBLIC_URL is not set. Fix:" in no_url.stderr
    no_key = run(["web", "link", "--list"], here, **env(here, KASUHARA_SECRET_KEY=""))
    assert no_key.returncode == 2 and "KASUHARA_SECRET_KEY is not set" in no_key.stderr
