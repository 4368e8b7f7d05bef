"""What an outbox row carries besides its target: the card, sealed when it is sensitive.

Shared by the flows that queue cards and by the dispatcher, which opens a sealed card only
at send time, so the outbox never stores HR-only or consultation content in clear.
"""
from __future__ import annotations

import json

from flows.cards import Card, card_from_dict, card_to_dict
from flows.ports import Secrets


def sealed_payload(secrets: Secrets, card: Card, **extra: object) -> dict:
    """An outbox payload whose card is sealed: for HR-only and consultation content."""
    return {"sealed_card": secrets.seal(json.dumps(card_to_dict(card), ensure_ascii=False)), **extra}


def open_card(secrets: Secrets, payload: dict) -> Card:
    """The card of an outbox payload, sealed or not."""
    if "sealed_card" in payload:
        return card_from_dict(json.loads(secrets.open(payload["sealed_card"])))
    return card_from_dict(payload["card"])
