"""What keeps consultations anonymous and sensitive cards confidential at rest.

Case codes, sealed addresses, scrubbed text and sealed card payloads. Shared by the flows
and the dispatcher, which opens a sealed address or card only at send time, so the outbox
never stores an employee's user id or HR-only content in clear.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid

from flows.cards import Card, card_from_dict, card_to_dict
from flows.ports import Secrets

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: easy to read out and type
CODE_RE = re.compile(rf"^C-[{CODE_ALPHABET}]{{4}}$")
SEALED_PREFIX = "consultation:"  # outbox address of the employee: opened only at send time
TEXT_MAX = 3000
_MENTION = re.compile(r"<[@!#][^>]*>|<at>.*?</at>", re.IGNORECASE | re.DOTALL)  # Slack <@U…>, Teams <at>…</at>


def draw_code() -> str:
    return "C-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(4))


def sealed_address(consultation_id: int) -> str:
    return f"{SEALED_PREFIX}{consultation_id}"


def sealed_id(address: str) -> int | None:
    """The consultation behind a sealed outbox address, or None for an ordinary address."""
    rest = address[len(SEALED_PREFIX):] if address.startswith(SEALED_PREFIX) else ""
    return int(rest) if rest.isdigit() else None


def clean_text(text: str) -> str:
    """Drop mentions (they carry user ids) and cap the length."""
    return _MENTION.sub("@…", text or "").strip()[:TEXT_MAX]


def request_digest(request_key: str) -> str:
    """Hash an adapter's request key: whatever it contains never lands in a table."""
    return hashlib.sha256((request_key or uuid.uuid4().hex).encode()).hexdigest()[:24]


def sealed_payload(secrets: Secrets, card: Card, **extra: object) -> dict:
    """An outbox payload whose card is sealed: for HR-only and consultation content."""
    return {"sealed_card": secrets.seal(json.dumps(card_to_dict(card), ensure_ascii=False)), **extra}


def open_card(secrets: Secrets, payload: dict) -> Card:
    """The card of an outbox payload, sealed or not."""
    if "sealed_card" in payload:
        return card_from_dict(json.loads(secrets.open(payload["sealed_card"])))
    return card_from_dict(payload["card"])
