"""The example policy: bilingual comments, and check-config knows its placeholder ids."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot import python_too_old
from bot.checks import EXAMPLE_IDS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "kasuhara.example.yaml"


def test_every_id_of_the_example_is_known_as_a_placeholder():
    text = EXAMPLE.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    ids = set(data["admins"]["slack"])
    ids |= {i for unit in data["units"] for spec in unit["targets"].values() for ids_ in spec.values() for i in ids_}
    ids |= set(re.findall(r'"(19:[^"]+@thread\.tacv2)"', text))  # the commented Teams example
    assert ids == EXAMPLE_IDS


def test_comment_paragraphs_are_in_japanese_and_english():
    paragraphs, current = [], []
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#"):
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    prose = [p for p in paragraphs if not re.fullmatch(r"(\s*#\s*[-a-z_]+:.*\n?)+", p)]  # commented YAML aside
    assert prose
    for paragraph in prose:
        assert re.search(r"[ぁ-んァ-ン一-龯]", paragraph), paragraph
        assert re.search(r"\b(the|is|are|to|of|and|or|a|in|may|with)\b", paragraph), paragraph


def test_an_old_python_gets_one_clear_sentence():
    message = python_too_old((3, 9, 2))
    assert message.startswith("kasuhara needs Python 3.11 or newer; this is Python 3.9.2") and "3.11 以上" in message
    assert python_too_old((3, 11, 0)) is None and python_too_old((3, 13, 1)) is None
