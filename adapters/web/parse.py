"""Form posts -> typed values, once, at the edge: raw form values, actors, codes.

A person on the web has no account. A reporter gets a fresh random actor id; a consulter's
actor id is derived from their passphrase with scrypt, so the case is theirs by knowledge of
the passphrase alone and no table holds anything that leads back to a browser or a person.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import unicodedata

from multidict import MultiDict

from flows.forms import FieldKind, FormSpec, RawValues
from flows.model import Actor, Platform

REPORTER_MAX = 200
PASSPHRASE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: easy to copy by hand
PASSPHRASE_GROUPS = 4  # 4 x 4 characters of 32: 80 bits
# scrypt makes each passphrase guess cost ~16 MB and tens of milliseconds (offline attacks
# on a stolen database); online guesses are rate-limited and delayed on top (guard.py).
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 24}


def raw_values(spec: FormSpec, form: MultiDict) -> dict[str, str | list[str] | None]:
    """The submitted values of a FormSpec's fields (lists for multi-selects), as typed."""
    raw: dict[str, str | list[str] | None] = {}
    for field in spec.fields:
        if field.kind is FieldKind.MULTISELECT:
            raw[field.id] = [v for v in form.getall(field.id, []) if isinstance(v, str)]
        else:
            value = form.get(field.id)
            raw[field.id] = value if isinstance(value, str) else None
    return raw


def with_value(raw: RawValues, field_id: str, value: str) -> dict:
    return {**raw, field_id: value}


def reporter(form: MultiDict, field: str) -> tuple[Actor, str | None]:
    """A new reporter without an account; the optional name/contact, or an error key when too long."""
    given = " ".join((form.get(field) or "").split())
    actor = Actor(Platform.WEB, "w-" + secrets.token_hex(12), given[:REPORTER_MAX])
    return actor, ("web.field.reporter.too_long" if len(given) > REPORTER_MAX else None)


def code(form: MultiDict, field: str) -> str:
    """A code as typed on a phone: full-width forms folded, spaces and case ignored."""
    text = unicodedata.normalize("NFKC", form.get(field) or "").upper()
    return "".join(c for c in text if not c.isspace())[:60]


def receipt_code(text: str) -> str:
    """Receipt codes are shown as R-XXXX-XXXX-XXXX-XXXX; accept them with or without the dashes and the R."""
    body = "".join(c for c in text.upper() if c.isalnum())
    if len(body) == 17 and body.startswith("R"):
        body = body[1:]
    return "R-" + "-".join(body[i:i + 4] for i in range(0, len(body), 4)) if body else ""


def case_code(text: str) -> str:
    """Case codes are shown as C-XXXX; accept them with or without the dash and the C."""
    body = "".join(c for c in text.upper() if c.isalnum())
    return "C-" + (body[1:] if len(body) == 5 and body.startswith("C") else body)


def new_passphrase() -> str:
    return "-".join("".join(secrets.choice(PASSPHRASE_ALPHABET) for _ in range(4)) for _ in range(PASSPHRASE_GROUPS))


def passphrase(text: str) -> str:
    body = "".join(c for c in unicodedata.normalize("NFKC", text).upper() if c.isalnum())
    return "-".join(body[i:i + 4] for i in range(0, len(body), 4))


async def consulter(passphrase_text: str) -> Actor:
    """The anonymous actor a passphrase stands for (the same passphrase, the same actor)."""
    normalized = passphrase(passphrase_text)
    key = await asyncio.to_thread(hashlib.scrypt, normalized.encode(), salt=b"kasuhara-web-consult-v1", **SCRYPT)
    return Actor(Platform.WEB, "c-" + base64.b32encode(key).decode().rstrip("=").lower())
