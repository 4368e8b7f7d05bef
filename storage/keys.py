"""KASUHARA_SECRET_KEY: strength, derivation with a stored salt, key check, rotation.

The database keeps a random salt and a check value (table key_check), never the key. At
start `open_keys` derives the keys and compares the check: a different key refuses to start
instead of leaving sealed alerts undeliverable. `rotate` re-seals every sealed column,
re-computes the keyed digests and re-keys the audit chain in one transaction.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import os
import secrets
import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from storage.audit import check_rows, link_text
from storage.crypto import KDF_NAME, DerivedKeys, Sealer, open_sealed
from storage.db import sync_url
from storage.tables import AuditRow, DeliveryRow, IncidentRow, KeyCheckRow
from storage.tables_aftercare import ConsultationRow, FollowUpRow
from storage.tables_reports import CustomerLinkRow, CustomerMeasureRow
from storage.tables_web import WebInboxRow

log = logging.getLogger(__name__)

SECRET_ENV, OLD_SECRET_ENV = "KASUHARA_SECRET_KEY", "KASUHARA_SECRET_KEY_OLD"
MIN_BITS = 128
GENERATE = ("`kasuhara keys generate` (or `python -c \"import secrets; print(secrets.token_urlsafe(32))\"`), "
            "which gives 256 random bits")
OWNER_PREFIX = "consultation-owner:"  # what storage.aftercare digests to find a person's case


class KeyProblem(Exception):
    """The key is missing, weak or not the one the data was sealed with (says how to fix it)."""


def generate() -> str:
    """A new key with 256 random bits."""
    return secrets.token_urlsafe(32)


def estimate_bits(secret: str) -> float:
    """A conservative estimate of the randomness in a key (bits).

    Length times the bits of the smallest alphabet the characters fit (hex, base64url,
    printable ASCII, …), capped by how unevenly the characters are used: repeated or
    patterned keys ("aaaa…", "abcabc…") score low whatever their length. A key made by
    `secrets.token_urlsafe(16)` or `token_hex(16)` or longer passes, except a 16-byte base64
    key that by chance lacks a whole letter case (about 1 in 50,000): it is judged by the
    smaller alphabet. `kasuhara keys generate` (32 bytes) always passes.
    """
    if not secret:
        return 0.0
    n = len(secret)
    chars = set(secret)
    words = secret.split()
    if len(words) > 1 and all(w.isalpha() for w in words):
        return len(set(words)) * DICEWARE_WORD_BITS  # a passphrase: each word is about one diceware roll
    if chars <= set("0123456789abcdef") or chars <= set("0123456789ABCDEF"):
        alphabet = 16
    elif chars <= BASE64_CHARS and chars & set(string.ascii_lowercase) and chars & set(string.ascii_uppercase):
        alphabet = 64  # base64 / base64url output (token_urlsafe, openssl rand -base64)
    else:
        alphabet = 0
        for group in ("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"):
            if chars & set(group):
                alphabet += len(group)
        if chars & set("-_"):
            alphabet += 2
        if any(not c.isalnum() and c not in "-_" and c.isascii() for c in chars):
            alphabet += 31
        if any(not c.isascii() for c in chars):
            alphabet += 1000
    by_alphabet = n * math.log2(max(alphabet, 2))
    # How evenly the characters are used (plug-in Shannon entropy against the most a key of
    # this length could show) and how much is a repeat of what came before (LZ77-style):
    # random keys score near 1 on both, "aaaa…", "abab…" and "Secret1!Secret1!" do not.
    counts = Counter(secret)
    shannon = -sum(c / n * math.log2(c / n) for c in counts.values())
    usage = shannon / math.log2(min(n, alphabet)) if min(n, alphabet) > 1 else 0.0
    ratio = min(usage, _fresh_fraction(secret))
    return by_alphabet if ratio >= RANDOM_LOOKING else by_alphabet * ratio


DICEWARE_WORD_BITS = math.log2(7776)
BASE64_CHARS = frozenset(string.ascii_letters + string.digits + "-_+/=")
RANDOM_LOOKING = 0.7  # random keys of 22+ characters stay well above this


def _fresh_fraction(secret: str, min_match: int = 4) -> float:
    """The share of characters that do not repeat an earlier run of `min_match` or more."""
    i, fresh = 0, 0
    while i < len(secret):
        longest = 0
        for j in range(i):
            k = 0
            while i + k < len(secret) and secret[j + k] == secret[i + k] and j + k < i + k:
                k += 1
            longest = max(longest, k)
        if longest >= min_match:
            fresh += 1  # a back-reference costs about one symbol
            i += longest
        else:
            fresh += 1
            i += 1
    return fresh / len(secret)


def check_strength(secret: str, variable: str = SECRET_ENV) -> None:
    """Refuse a key with less than 128 bits of randomness, with the command that makes one."""
    if not secret:
        raise KeyProblem(f"environment: {variable} is not set. Fix: set it to a key made by {GENERATE}, and keep "
                         "it outside the database (it seals sensitive fields and keys the audit chain).")
    bits = estimate_bits(secret)
    if bits < MIN_BITS:
        raise KeyProblem(f"environment: {variable} is too weak (about {bits:.0f} bits of randomness; at least "
                         f"{MIN_BITS} are needed). Fix: make a key with {GENERATE}; if data was already sealed with "
                         f"the weak key, set it as {OLD_SECRET_ENV} and the new one as {SECRET_ENV}, then run "
                         "`kasuhara keys rotate`.")


class LegacyKeys:
    """The derivation before key_check existed: one unsalted SHA-256 of the secret."""

    def __init__(self, secret: str):
        key = base64.urlsafe_b64encode(hashlib.sha256(b"kasuhara-v1:" + secret.encode()).digest())
        self._fernet = Fernet(key)
        # Its look-up digests (consultation owners, report link tokens, receipt codes, customers) were
        # HMACs under this key: kept as the digest key, so they stay valid (it is stored sealed).
        self.mac_key = hashlib.sha256(b"kasuhara-mac-v1:" + secret.encode()).digest()

    def open(self, token: str) -> str:
        return open_sealed(self._fernet, token, "cannot decrypt with the legacy key")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _stored(connection: Connection) -> KeyCheckRow | None:
    row = connection.execute(select(KeyCheckRow.__table__).where(KeyCheckRow.__table__.c.id == 1)).first()
    return None if row is None else KeyCheckRow(**row._mapping)


def _sealed_columns():
    """Every column holding one sealed value (consultations and the outbox are handled apart)."""
    return [(IncidentRow.__table__, IncidentRow.__table__.c.feelings_support_enc),
            (FollowUpRow.__table__, FollowUpRow.__table__.c.sensitive_enc),
            (WebInboxRow.__table__, WebInboxRow.__table__.c.card_enc),
            (CustomerLinkRow.__table__, CustomerLinkRow.__table__.c.identifier_enc),
            (CustomerMeasureRow.__table__, CustomerMeasureRow.__table__.c.note_enc)]


def _sample_token(connection: Connection) -> str | None:
    """One sealed value, to tell whether a key can open the data (None: nothing is sealed yet)."""
    for column in (*(c for _, c in _sealed_columns()), ConsultationRow.__table__.c.link_enc,
                   ConsultationRow.__table__.c.revealed_name_enc):
        value = connection.execute(select(column).where(column != "").limit(1)).scalar()
        if value:
            return value
    for payload in connection.execute(select(DeliveryRow.__table__.c.payload)
                                      .where(DeliveryRow.__table__.c.payload.like('%"sealed_card"%')).limit(1)).scalars():
        return json.loads(payload)["sealed_card"]
    return None


def _insert_check(connection: Connection, keys: DerivedKeys, salt: bytes, digest_key: bytes, now: datetime) -> None:
    connection.execute(KeyCheckRow.__table__.insert().values(
        id=1, kdf=KDF_NAME, salt=salt.hex(), check=keys.check, created_at=now,
        digest_key_enc=keys.fernet.encrypt(digest_key).decode()))


def _sealer(stored: KeyCheckRow, keys: DerivedKeys) -> Sealer:
    """The Sealer of a key that passed the check (unwraps the stored digest key)."""
    return Sealer(keys, keys.fernet.decrypt(stored.digest_key_enc.encode()))


def open_keys(database_url: str, secret: str, old_secret: str = "") -> Sealer:
    """Derive the keys of this database; raise KeyProblem for a weak or wrong key.

    The first start on an empty database draws the salt. A database sealed before key_check
    existed (the unsalted derivation) is re-sealed with the new derivation here, once.
    """
    check_strength(secret)
    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as connection:
            stored = _stored(connection)
            if stored is None:
                _first_use(connection, secret, old_secret)
                stored = _stored(connection)  # ours, or that of a process that started at the same moment
        keys = DerivedKeys.of(secret, bytes.fromhex(stored.salt))
        if keys.check == stored.check:
            if old_secret:
                log.warning("%s is set but no longer needed (the data is sealed with %s): remove it",
                            OLD_SECRET_ENV, SECRET_ENV)
            return _sealer(stored, keys)
        if old_secret and DerivedKeys.of(old_secret, bytes.fromhex(stored.salt)).check == stored.check:
            raise KeyProblem(f"environment: the database is still sealed with {OLD_SECRET_ENV}. Fix: run "
                             f"`kasuhara keys rotate` (with both {SECRET_ENV} and {OLD_SECRET_ENV} set) before "
                             "starting the bot.")
        raise KeyProblem(f"environment: {SECRET_ENV} is not the key this database was sealed with (the key check "
                         f"failed; key id {stored.check[:12]}). Fix: set {SECRET_ENV} to the key the bot ran with. "
                         f"To change keys, set the old one as {OLD_SECRET_ENV} and the new one as {SECRET_ENV}, then "
                         "run `kasuhara keys rotate`.")
    finally:
        engine.dispose()


def _first_use(connection: Connection, secret: str, old_secret: str) -> None:
    """Draw the salt and the digest key; re-seal data sealed by the unsalted derivation."""
    salt, digest_key = os.urandom(16), os.urandom(32)
    keys = DerivedKeys.of(secret, salt)
    sample = _sample_token(connection)
    if sample is not None:  # sealed by a version without key_check: re-seal with the new derivation
        legacy = next((LegacyKeys(s) for s in (secret, old_secret) if s and _opens(LegacyKeys(s), sample)), None)
        if legacy is None:
            raise KeyProblem(f"environment: {SECRET_ENV} cannot open the data in this database (sealed before the "
                             f"key check existed). Fix: set {SECRET_ENV} to the key the bot ran with; to change it, "
                             f"set the old one as {OLD_SECRET_ENV} and a new one as {SECRET_ENV}.")
        digest_key = legacy.mac_key
        counts = _reseal(connection, legacy.open, Sealer(keys, digest_key))
        log.warning("re-sealed %s values with the salted key derivation (%s)", sum(counts.values()), KDF_NAME)
    try:
        with connection.begin_nested():
            _insert_check(connection, keys, salt, digest_key, _now())
    except IntegrityError:  # another process started at the same moment and stored its salt
        pass


def _opens(legacy: LegacyKeys, token: str) -> bool:
    try:
        legacy.open(token)
    except ValueError:
        return False
    return True


def _reseal(connection: Connection, old_open: Callable[[str], str], new: Sealer) -> dict[str, int]:
    """Re-seal every sealed column and re-compute keyed digests; return counts per table."""
    counts: dict[str, int] = {}
    for table, column in _sealed_columns():
        for row_id, token in connection.execute(select(table.c.id, column).where(column != "")).all():
            connection.execute(update(table).where(table.c.id == row_id).values({column.name: new.seal(old_open(token))}))
            counts[table.name] = counts.get(table.name, 0) + 1
    consultations = ConsultationRow.__table__
    for row_id, link, name in connection.execute(select(consultations.c.id, consultations.c.link_enc,
                                                        consultations.c.revealed_name_enc)).all():
        owner = old_open(link)
        connection.execute(update(consultations).where(consultations.c.id == row_id).values(
            link_enc=new.seal(owner), owner_digest=new.digest(OWNER_PREFIX + owner) if owner else "",
            revealed_name_enc=new.seal(old_open(name))))
        counts["consultations"] = counts.get("consultations", 0) + 1
    inbox = WebInboxRow.__table__
    for row_id, token in connection.execute(select(inbox.c.id, inbox.c.card_enc).where(inbox.c.card_enc != "")).all():
        connection.execute(update(inbox).where(inbox.c.id == row_id).values(card_enc=new.seal(old_open(token))))
        counts["web_inbox"] = counts.get("web_inbox", 0) + 1
    outbox = DeliveryRow.__table__
    for row_id, payload in connection.execute(select(outbox.c.id, outbox.c.payload)
                                              .where(outbox.c.payload.like('%"sealed_card"%'))).all():
        data = json.loads(payload)
        data["sealed_card"] = new.seal(old_open(data["sealed_card"]))
        connection.execute(update(outbox).where(outbox.c.id == row_id)
                           .values(payload=json.dumps(data, ensure_ascii=False)))
        counts["outbox"] = counts.get("outbox", 0) + 1
    return counts


@dataclass(frozen=True)
class Rotation:
    resealed: dict[str, int]
    audit_entries: int  # keyed audit rows re-linked with the new key
    sealer: Sealer


def rotate(database_url: str, new_secret: str, old_secret: str) -> Rotation:
    """Re-seal everything sealed with `old_secret` under `new_secret` (one transaction).

    The audit chain is checked with the old key first: a broken chain is not re-keyed (that
    would make tampering look intact); the caller anchors the new head afterwards.
    """
    check_strength(new_secret)
    if not old_secret:
        raise KeyProblem(f"environment: {OLD_SECRET_ENV} is not set. Fix: set it to the key the data is sealed "
                         f"with now, and {SECRET_ENV} to the new key.")
    if new_secret == old_secret:
        raise KeyProblem(f"environment: {SECRET_ENV} and {OLD_SECRET_ENV} are the same. Fix: make a new key "
                         f"with {GENERATE}.")
    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as connection:
            stored = _stored(connection)
            if stored is None:  # never started with key_check: open_keys handles the legacy data
                raise KeyProblem("the database has no key check yet. Fix: start the bot (or run `kasuhara keys "
                                 f"check`) once with {SECRET_ENV} set to the key it ran with, then rotate.")
            old = DerivedKeys.of(old_secret, bytes.fromhex(stored.salt))
            if old.check != stored.check:
                if DerivedKeys.of(new_secret, bytes.fromhex(stored.salt)).check == stored.check:
                    raise KeyProblem(f"the database is already sealed with {SECRET_ENV}: nothing to rotate. Fix: "
                                     f"remove {OLD_SECRET_ENV}.")
                raise KeyProblem(f"environment: {OLD_SECRET_ENV} is not the key this database was sealed with (the "
                                 f"key check failed). Fix: set {OLD_SECRET_ENV} to the key the bot ran with.")
            old_sealer = _sealer(stored, old)
            audit = AuditRow.__table__
            rows = connection.execute(select(audit).order_by(audit.c.id)).all()
            report = check_rows(rows, old_sealer.audit_mac)
            if not report.intact:
                raise KeyProblem(f"the audit log is altered at entry {report.broken_at}: re-keying would hide it. "
                                 "Fix: run `kasuhara audit verify`, restore the database from a backup, then rotate.")
            salt = os.urandom(16)
            new_keys = DerivedKeys.of(new_secret, salt)
            digest_key = old.fernet.decrypt(stored.digest_key_enc.encode())  # kept: see KeyCheckRow
            new = Sealer(new_keys, digest_key)
            counts = _reseal(connection, old_sealer.open, new)
            prev, relinked = "", 0
            for row in rows:
                if row.keyed:
                    link = new.audit_mac(link_text(prev, row))
                    connection.execute(update(audit).where(audit.c.id == row.id).values(prev_hash=prev, hash=link))
                    prev, relinked = link, relinked + 1
                else:
                    prev = row.hash
            connection.execute(update(KeyCheckRow.__table__).where(KeyCheckRow.__table__.c.id == 1).values(
                kdf=KDF_NAME, salt=salt.hex(), check=new.keys.check, rotated_at=_now(),
                digest_key_enc=new_keys.fernet.encrypt(digest_key).decode()))
        return Rotation(counts, relinked, new)
    finally:
        engine.dispose()
