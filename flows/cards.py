"""Neutral message structure that every adapter renders (Block Kit, Adaptive Cards).

Text here is plain: adapters escape it for their markup. Actions carry an `ActionId` and a
short opaque value (e.g. an incident id); adapters map ids to their own strings in ids.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class ActionId(str, Enum):
    ACKNOWLEDGE = "acknowledge"
    OPEN_REPORT = "open_report"  # complete the report (optionally of an SOS)
    RECORD_FOLLOW_UP = "record_follow_up"
    SNOOZE_FOLLOW_UP = "snooze_follow_up"
    CHECKIN_ANSWER = "checkin_answer"
    CONSULT_START = "consult_start"
    CONSULT_REPLY = "consult_reply"
    CONSULT_CLOSE = "consult_close"
    CONSULT_REVEAL = "consult_reveal"
    CONSULT_NEW = "consult_new"
    CHANGE_LEVEL = "change_level"  # a manager re-classifies an incident (a form: level and reason)


class Tone(str, Enum):
    INFO = "info"
    GOOD = "good"
    WARNING = "warning"
    DANGER = "danger"


@dataclass(frozen=True)
class CardAction:
    id: ActionId
    label: str
    value: str = ""
    primary: bool = False


@dataclass(frozen=True)
class Card:
    """A titled message with optional fields, plain-text lines and buttons."""

    title: str
    lines: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    actions: tuple[CardAction, ...] = ()
    tone: Tone = Tone.INFO
    footer: str = ""
    summary: str = field(default="")  # notification / fallback text; defaults to the title

    @property
    def fallback(self) -> str:
        return self.summary or self.title


def notice_card(text: str, *, tone: Tone = Tone.INFO) -> Card:
    """A one-line answer (errors, confirmations of small actions)."""
    return Card(title=text, tone=tone)


def card_to_dict(card: Card) -> dict:
    """Serialise a card for the outbox (JSON-safe)."""
    return {
        "title": card.title,
        "lines": list(card.lines),
        "fields": [list(f) for f in card.fields],
        "actions": [{"id": a.id.value, "label": a.label, "value": a.value, "primary": a.primary} for a in card.actions],
        "tone": card.tone.value,
        "footer": card.footer,
        "summary": card.summary,
    }


def card_from_dict(data: dict) -> Card:
    return Card(
        title=data["title"],
        lines=tuple(data.get("lines", ())),
        fields=tuple((k, v) for k, v in data.get("fields", ())),
        actions=tuple(CardAction(ActionId(a["id"]), a["label"], a.get("value", ""), a.get("primary", False))
                      for a in data.get("actions", ())),
        tone=Tone(data.get("tone", "info")),
        footer=data.get("footer", ""),
        summary=data.get("summary", ""),
    )
