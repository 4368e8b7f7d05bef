"""KASUHARA_SECRET_KEY: strength, salted derivation with a key check, rotation, legacy data."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import string
import sqlite3
from datetime import datetime, timezone

import pytest
from cryptography.fernet import Fernet

from bot.app import prepare_database
from flows.model import Actor, IncidentDraft, Platform, RiskLevel
from storage.db import Database
from storage.keys import KeyProblem, check_strength, estimate_bits, generate, open_keys, rotate
from tests.databases import migrated_sqlite
from tests.storage.test_contract import SNAPSHOT

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("weak", ["a", "test-secret", "k" * 40, "ab" * 30, "correct horse battery staple",
                                  "Password123!Password123!Password123!", "パスワードパスワード"])
def test_weak_keys_are_refused_with_the_command_that_makes_a_good_one(weak):
    with pytest.raises(KeyProblem) as refused:
        check_strength(weak)
    message = str(refused.value)
    assert "KASUHARA_SECRET_KEY" in message and "kasuhara keys generate" in message and "token_urlsafe(32)" in message


@pytest.mark.parametrize("make", [generate, lambda: secrets.token_urlsafe(16), lambda: secrets.token_hex(16),
                                  lambda: base64.b64encode(secrets.token_bytes(16)).decode()])
def test_generated_keys_of_128_bits_or_more_pass(make):
    for _ in range(200):
        key = make()
        if make is not generate and not (set(key) & set(string.ascii_lowercase) and set(key) & set(string.ascii_uppercase)):
            continue  # 16 random bytes without one letter case (about 1 in 50,000): see the test below
        assert estimate_bits(key) >= 128, key


def test_a_16_byte_key_that_by_chance_lacks_a_letter_case_is_judged_conservatively():
    """The estimate cannot tell such a key from a weaker alphabet: it may be refused, with the
    command that makes a good one; `kasuhara keys generate` (32 bytes) always passes."""
    assert estimate_bits("-14QSHEYDG4F6JTKQ4K-_A") < 128  # a real token_urlsafe(16) output
    assert all(estimate_bits(generate()) >= 128 for _ in range(200))


def test_a_missing_key_is_refused():
    with pytest.raises(KeyProblem, match="KASUHARA_SECRET_KEY is not set"):
        check_strength("")


def _db(tmp_path):
    url = migrated_sqlite(tmp_path / "k.db")  # a copy of the migrated template: no key, no salt yet
    prepare_database(url)
    return url


def test_the_database_keeps_a_salt_and_a_check_value_never_the_key(tmp_path):
    url, key = _db(tmp_path), generate()
    sealer = open_keys(url, key)
    with sqlite3.connect(tmp_path / "k.db") as connection:
        [(kdf, salt, check)] = connection.execute("SELECT kdf, salt, \"check\" FROM key_check").fetchall()
    assert kdf.startswith("scrypt") and len(bytes.fromhex(salt)) == 16 and check == sealer.keys.check
    raw = (tmp_path / "k.db").read_bytes()
    assert key.encode() not in raw
    assert open_keys(url, key).key_id == sealer.key_id  # the same key opens it again
    (tmp_path / "other").mkdir()
    assert open_keys(_db(tmp_path / "other"), key).key_id != sealer.key_id  # another database: another salt, other keys


def test_a_wrong_key_refuses_to_start_naming_the_variable(tmp_path):
    url = _db(tmp_path)
    open_keys(url, generate())
    with pytest.raises(KeyProblem) as refused:
        open_keys(url, generate())
    assert "KASUHARA_SECRET_KEY is not the key this database was sealed with" in str(refused.value)
    assert "Fix:" in str(refused.value) and "kasuhara keys rotate" in str(refused.value)


async def _seed(url: str, sealer) -> int:
    """An incident with sensitive text, a consultation (sealed link), a sealed outbox card, audit rows."""
    from flows.cards import Card
    from flows.model import AuditEvent, CardPayload, Delivery, DeliveryKind, Target
    from flows.payloads import sealed

    database = Database(url, sealer)
    async with database.transaction() as tx:
        incident = await tx.incidents.add(IncidentDraft(
            unit_id="chuo", reporter=Actor(Platform.SLACK, "U1", "山田"), occurred_at=NOW, contact_channel="phone",
            description="x", behaviours=("abuse",), danger=False, level=RiskLevel.L2, assessed_level=RiskLevel.L2,
            reasons=("abuse",), feelings_support="眠れない"), SNAPSHOT, NOW)
        case = await tx.consultations.add(Actor(Platform.SLACK, "U9"), "C-2345", "chuo", NOW)
        case.revealed_name = "佐藤"
        await tx.consultations.save(case)
        await tx.outbox.add(Delivery(kind=DeliveryKind.CARD, target=Target(Platform.SLACK, "C0HR"),
                                     payload=CardPayload(sealed(tx.secrets, Card("hr only"))),
                                     dedupe_key="seed", next_attempt_at=NOW))
        await tx.links.add("link-token-handed-to-staff", "chuo", NOW)
        for action in ("reported", "acknowledged"):
            await tx.audit.add(AuditEvent(NOW, action, actor="slack:U2", incident_id=incident.id))
    await database.close()
    return incident.id


async def _read(url: str, sealer) -> tuple[str, str, bool, str, int | None]:
    database = Database(url, sealer)
    async with database.transaction() as tx:
        [incident] = await tx.incidents.list_all()
        case = await tx.consultations.get(code="C-2345")
        owner = await tx.consultation_links.is_owner(case.id, Actor(Platform.SLACK, "U9"))
        [payload] = (await tx.session.exec(__import__("sqlalchemy").text("SELECT payload FROM outbox"))).all()
        card = tx.secrets.open(json.loads(payload[0])["sealed_card"])
        broken = await tx.audit.verify_chain()
        unit = await tx.links.unit_of("link-token-handed-to-staff")
    await database.close()
    return incident.feelings_support, case.revealed_name, owner, card, broken, unit


async def test_rotation_reseals_everything_and_rekeys_the_audit_chain(tmp_path):
    url, old_key, new_key = _db(tmp_path), generate(), generate()
    old = open_keys(url, old_key)
    await _seed(url, old)
    before = (tmp_path / "k.db").read_bytes()

    with pytest.raises(KeyProblem, match="still sealed with KASUHARA_SECRET_KEY_OLD"):
        open_keys(url, new_key, old_key)  # serving before rotating is refused with the fix
    done = rotate(url, new_key, old_key)
    assert done.resealed == {"incidents": 1, "consultations": 1, "outbox": 1} and done.audit_entries == 2

    with pytest.raises(KeyProblem):
        open_keys(url, old_key)  # the old key no longer opens it
    new = open_keys(url, new_key)
    # Report links handed out before keep working: only their keyed digest is stored, and the
    # digest key is re-wrapped, not changed.
    read = await _read(url, new)
    assert read[:3] == ("眠れない", "佐藤", True) and '"hr only"' in read[3] and read[4:] == (None, "chuo")
    assert (tmp_path / "k.db").read_bytes() != before


def test_rotation_refuses_a_wrong_old_key_and_a_weak_new_one(tmp_path):
    url, key = _db(tmp_path), generate()
    open_keys(url, key)
    with pytest.raises(KeyProblem, match="KASUHARA_SECRET_KEY_OLD is not the key"):
        rotate(url, generate(), generate())
    with pytest.raises(KeyProblem, match="too weak"):
        rotate(url, "short", key)


async def test_rotation_refuses_to_launder_an_altered_audit_log(tmp_path):
    url, key = _db(tmp_path), generate()
    await _seed(url, open_keys(url, key))
    with sqlite3.connect(tmp_path / "k.db") as connection:
        connection.execute("UPDATE audit_events SET actor = 'slack:U666' WHERE action = 'acknowledged'")
    with pytest.raises(KeyProblem, match="audit log is altered"):
        rotate(url, generate(), key)


async def test_data_sealed_by_the_old_unsalted_derivation_is_resealed_at_first_start(tmp_path):
    url, key = _db(tmp_path), generate()
    legacy = Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"kasuhara-v1:" + key.encode()).digest()))
    legacy_mac = hashlib.sha256(b"kasuhara-mac-v1:" + key.encode()).digest()
    import hmac
    with sqlite3.connect(tmp_path / "k.db") as connection:  # what the previous version wrote
        connection.execute(
            "INSERT INTO consultations (code, unit_id, platform, status, owner_digest, link_enc, revealed_name_enc, "
            "created_at) VALUES ('C-2345', 'chuo', 'slack', 'open', ?, ?, '', '2026-11-20 01:00:00')",
            (hmac.new(legacy_mac, b"consultation-owner:slack:U9", hashlib.sha256).hexdigest(),
             legacy.encrypt(b"slack:U9").decode()))
    with pytest.raises(KeyProblem, match="cannot open the data"):
        open_keys(url, generate())  # a different key is refused, nothing rewritten
    sealer = open_keys(url, key)
    database = Database(url, sealer)
    async with database.transaction() as tx:
        case = await tx.consultations.get(code="C-2345")
        assert await tx.consultation_links.is_owner(case.id, Actor(Platform.SLACK, "U9"))
        assert await tx.consultation_links.recipient(case.id) == Actor(Platform.SLACK, "U9")
    await database.close()


async def test_legacy_digests_stay_valid_after_the_upgrade(tmp_path):
    """Report link tokens and receipt codes are stored only as digests: the upgrade keeps their key."""
    import hmac

    url, key = _db(tmp_path), generate()
    legacy = Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"kasuhara-v1:" + key.encode()).digest()))
    legacy_mac = hashlib.sha256(b"kasuhara-mac-v1:" + key.encode()).digest()
    token = "link-token-handed-out-before"
    with sqlite3.connect(tmp_path / "k.db") as connection:
        connection.execute("INSERT INTO report_links (token_digest, unit_id, created_at) VALUES (?, 'chuo', "
                           "'2026-11-20 01:00:00')",
                           (hmac.new(legacy_mac, f"report-link:{token}".encode(), hashlib.sha256).hexdigest(),))
        connection.execute("INSERT INTO incidents (case_no, unit_id, reporter_platform, reporter_id, reporter_name, "
                           "occurred_at, place, channel, description, behaviours, types, danger, level, "
                           "assessed_level, reasons, counterpart, injury_damage, first_response, evidence, "
                           "final_action, prevention, feelings_support_enc, is_sos, status, created_at, "
                           "acknowledged_by, snapshot) SELECT 'K-1', 'chuo', 'slack', 'U1', '', '2026-11-20 01:00:00', "
                           "'', 'phone', 'x', '[]', '[]', 0, 2, 2, '[]', '', '', '', '[]', '[]', '', ?, 0, 'open', "
                           "'2026-11-20 01:00:00', '', '{}'", (legacy.encrypt("眠れない".encode()).decode(),))
    database = Database(url, open_keys(url, key))
    async with database.transaction() as tx:
        assert await tx.links.unit_of(token) == "chuo"
        [incident] = await tx.incidents.list_all()
        assert incident.feelings_support == "眠れない"
    await database.close()
