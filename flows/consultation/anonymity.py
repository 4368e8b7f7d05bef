"""What keeps consultations anonymous: case codes, sealed addresses, scrubbed text, digests.

The dispatcher opens a sealed address only at send time, so the outbox never stores an
employee's user id (sealed cards: flows.payloads).
"""
from __future__ import annotations

import re
import secrets
import uuid

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


def request_digest(secrets: Secrets, request_key: str) -> str:
    """A keyed digest of an adapter's request key: whatever it contains never lands in a table.

    Keyed (HMAC, KASUHARA_SECRET_KEY): a plain hash of a key that holds a chat or person id could
    be matched against a list of ids. No key: a random one (the request is not deduplicated).
    """
    return secrets.digest("request:" + (request_key or uuid.uuid4().hex))[:24]
