"""Block Kit building blocks: text objects, escaping and the limits Slack enforces.

Slack rejects a whole message or modal when one text is too long, so every text goes
through `clip` with the documented limit (shared/reference/LIMITS.md).
"""
from __future__ import annotations

import re

MODAL_TITLE_MAX = 24  # also submit / close
VIEW_BLOCKS_MAX = 100
MESSAGE_BLOCKS_MAX = 50
PRIVATE_METADATA_MAX = 3000
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000
HEADER_MAX = 150
LABEL_MAX = 2000  # input label and hint
PLACEHOLDER_MAX = 150
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTIONS_MAX = 100  # per select, and option groups per select
ACTIONS_MAX = 25
TEXT_INPUT_MAX = 3000
MESSAGE_TEXT_MAX = 3000  # notification fallback; Slack truncates far later, people read less

_DANGLING_ENTITY = re.compile(r"&[a-z]{0,3}…$")


def escape(text: str) -> str:
    """Escape the three characters mrkdwn treats as markup (&, <, >).

    Without it a report text like "<!channel>" would ping a whole channel.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Shorten text to `limit` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return _DANGLING_ENTITY.sub("…", text[: limit - 1] + "…")


def plain(text: str, limit: int) -> dict:
    """Return a plain_text object within `limit` (empty text becomes a dash: Slack wants ≥1 char)."""
    return {"type": "plain_text", "text": clip(text.strip() or "-", limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> dict:
    """Return a mrkdwn object of already escaped text within `limit`."""
    return {"type": "mrkdwn", "text": clip(text or "-", limit)}


def chunks(items: list, size: int) -> list[list]:
    """Split items into lists of at most `size` (Slack caps fields, buttons, options)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def join_within(parts: list[str], limit: int, separator: str = "\n") -> list[str]:
    """Join parts into as few texts as possible, each within `limit` characters."""
    texts: list[str] = []
    current = ""
    for part in parts:
        part = clip(part, limit)
        candidate = f"{current}{separator}{part}" if current else part
        if len(candidate) <= limit:
            current = candidate
        else:
            texts.append(current)
            current = part
    if current:
        texts.append(current)
    return texts
