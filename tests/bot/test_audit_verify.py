"""`kasuhara audit verify`: a keyed chain anchored outside the database catches edits and cuts."""
from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.app import prepare_database
from tests.bot.test_cli import run
from tests.databases import migrated_sqlite
from flows.model import AuditEvent
from storage.db import Database
from storage.keys import generate, open_keys

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def env(tmp_path):
    key = generate()
    url = migrated_sqlite(tmp_path / "k.db")  # a copy of the migrated template: no key, no salt yet
    prepare_database(url)
    return url, key, tmp_path


@pytest.fixture
def kasuhara(env):
    """`kasuhara <args>` in the test's directory, with its database and key (tests/bot/test_cli.run)."""
    url, key, tmp = env
    settings = {"KASUHARA_SECRET_KEY": key, "DATABASE_URL": url, "KASUHARA_CONFIG": str(ROOT / "kasuhara.example.yaml")}

    def command(*args: str, **extra: str):
        return run(list(args), tmp, **settings, **extra)
    return command


async def add_events(url: str, key: str, count: int, first: int = 0) -> None:
    database = Database(url, open_keys(url, key))
    async with database.transaction() as tx:
        for i in range(first, first + count):
            await tx.audit.add(AuditEvent(START + timedelta(minutes=i), "acknowledged", actor=f"slack:U{i}",
                                          actor_name=f"name {i}", incident_id=None))
    await database.close()


def verify(kasuhara, **extra) -> tuple[int, str]:
    result = kasuhara("audit", "verify", **extra)
    return result.returncode, result.stdout + result.stderr


def test_verify_reports_entries_period_and_entries_newer_than_the_anchor(env, kasuhara):
    url, key, tmp = env
    asyncio.run(add_events(url, key, 5))
    assert kasuhara("audit", "anchor").returncode == 0
    assert (tmp / "k.db.audit-anchors").exists()  # beside the SQLite file by default
    asyncio.run(add_events(url, key, 2, first=5))
    code, out = verify(kasuhara)
    assert code == 0, out
    assert "entries checked: 7" in out and "2026-11-20 10:00 – 2026-11-20 10:06 (Asia/Tokyo)" in out
    assert "entries newer than the latest anchor: 2" in out and "audit log intact" in out


def test_editing_a_row_and_recomputing_the_plain_hash_chain_is_detected(env, kasuhara):
    url, key, tmp = env
    asyncio.run(add_events(url, key, 4))
    kasuhara("audit", "anchor").returncode
    with sqlite3.connect(tmp / "k.db") as connection:  # what the issue did: edit, then recompute SHA-256 links
        connection.execute("UPDATE audit_events SET actor = 'slack:UEVIL' WHERE id = 2")
        prev = ""
        for row_id, at, action, actor, detail in connection.execute(
                "SELECT id, at, action, actor, detail FROM audit_events ORDER BY id").fetchall():
            link = hashlib.sha256("\x1f".join([prev, at, action, actor, detail, ""]).encode()).hexdigest()
            connection.execute("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?", (prev, link, row_id))
            prev = link
    code, out = verify(kasuhara)
    assert code == 1 and "altered at entry 1" in out  # every recomputed link is wrong without the key


def test_editing_a_row_is_detected(env, kasuhara):
    url, key, tmp = env
    asyncio.run(add_events(url, key, 4))
    kasuhara("audit", "anchor").returncode
    with sqlite3.connect(tmp / "k.db") as connection:
        connection.execute("UPDATE audit_events SET actor_name = 'someone else' WHERE id = 3")
    code, out = verify(kasuhara)
    assert code == 1 and "altered at entry 3" in out


def test_cutting_the_tail_below_the_anchor_is_detected(env, kasuhara):
    url, key, tmp = env
    asyncio.run(add_events(url, key, 6))
    kasuhara("audit", "anchor").returncode
    with sqlite3.connect(tmp / "k.db") as connection:
        connection.execute("DELETE FROM audit_events WHERE id > 4")
    code, out = verify(kasuhara)
    assert code == 1 and "entry 6 anchored at" in out and "is gone" in out
    kasuhara("audit", "anchor").returncode  # a new anchor of the shorter log does not hide the cut
    assert verify(kasuhara)[0] == 1


def test_an_edited_anchor_file_is_detected(env, kasuhara):
    url, key, tmp = env
    asyncio.run(add_events(url, key, 3))
    kasuhara("audit", "anchor").returncode
    path = tmp / "k.db.audit-anchors"
    anchor = json.loads(path.read_text())
    anchor.update(entries=2, last_id=2)
    path.write_text(json.dumps(anchor) + "\n")
    code, out = verify(kasuhara)
    assert code == 1 and "anchor file altered" in out


def test_without_an_anchor_verify_says_how_to_make_one(env, kasuhara):
    url, key, tmp = env
    elsewhere = {"KASUHARA_AUDIT_ANCHORS": str(tmp / "elsewhere" / "anchors.jsonl")}
    asyncio.run(add_events(url, key, 1))
    code, out = verify(kasuhara, **elsewhere)
    assert code == 1 and "no anchor in" in out and "kasuhara audit anchor" in out
    assert kasuhara("audit", "anchor", **elsewhere).returncode == 0 and (tmp / "elsewhere" / "anchors.jsonl").exists()
    assert verify(kasuhara, **elsewhere)[0] == 0


def test_rows_from_before_the_upgrade_are_checked_and_marked_legacy(env, kasuhara):
    url, key, tmp = env
    with sqlite3.connect(tmp / "k.db") as connection:  # rows as the previous version chained them
        prev = ""
        for i in range(3):
            at = f"2026-11-19T0{i}:00:00"
            link = hashlib.sha256("\x1f".join([prev, at + "+00:00", "reported", "slack:U1", "", ""]).encode()).hexdigest()
            connection.execute("INSERT INTO audit_events (at, action, actor, detail, prev_hash, hash) "
                               "VALUES (?, 'reported', 'slack:U1', '', ?, ?)", (at.replace("T", " "), prev, link))
            prev = link
    asyncio.run(add_events(url, key, 2))
    kasuhara("audit", "anchor").returncode
    code, out = verify(kasuhara)
    assert code == 0, out
    assert "entries checked: 5" in out and "3 are legacy entries" in out
    with sqlite3.connect(tmp / "k.db") as connection:
        connection.execute("UPDATE audit_events SET actor = 'x' WHERE id = 2")
    assert verify(kasuhara)[0] == 1


async def test_the_running_bot_anchors_at_start_and_stop(env):
    from bot.config import Settings
    from bot.policy_file import load_policy
    from bot.app import build_runtime

    url, key, tmp = env
    settings = Settings.from_env({"DATABASE_URL": url, "KASUHARA_SECRET_KEY": key, "SLACK_BOT_TOKEN": "xoxb-x",
                                  "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "http://127.0.0.1:9/api/"})
    runtime = await build_runtime(settings, load_policy(ROOT / "kasuhara.example.yaml"))
    await runtime.start()
    await runtime.stop()
    reasons = [json.loads(line)["reason"] for line in (tmp / "k.db.audit-anchors").read_text().splitlines()]
    assert reasons == ["start", "stop"]
