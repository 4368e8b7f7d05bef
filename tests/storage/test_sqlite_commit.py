"""SQLite units of work: COMMIT runs on the event loop while commits are fast, in a worker
thread after a slow one (a checkpoint, a slow disk) until one is fast again."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import event

import storage.db
from bot.app import prepare_database
from flows.model import AuditEvent
from storage.db import Database
from tests.databases import migrated_sqlite
from tests.keys import TEST_KEY, sealer_for
from tests.storage.test_contract import NOW


@pytest.fixture
async def db(tmp_path):
    url = migrated_sqlite(tmp_path / "commit.db", TEST_KEY)
    prepare_database(url)
    database = Database(url, sealer_for(url))
    yield database
    await database.close()


async def test_commits_run_inline_until_one_is_slow_then_off_the_loop_until_fast_again(db, monkeypatch):
    committed_in: list[str] = []
    event.listen(db._writer, "commit", lambda _conn: committed_in.append(threading.current_thread().name))

    async def write(n: int) -> None:
        async with db.transaction() as tx:
            await tx.audit.add(AuditEvent(NOW, "test", detail=str(n)))

    await write(1)
    await write(2)
    monkeypatch.setattr(storage.db, "SLOW_COMMIT_S", -1.0)  # every commit now counts as slow
    await write(3)  # inline, and found slow
    await write(4)  # off the loop
    monkeypatch.setattr(storage.db, "SLOW_COMMIT_S", 60.0)
    await write(5)  # off the loop, and found fast
    await write(6)  # inline again
    main = threading.current_thread().name
    assert [name == main for name in committed_in] == [True, True, True, False, False, True]
    async with db.read() as tx:  # every one committed, the chain intact
        report = await tx.audit.check()
    assert report.broken_at is None and report.entries == 6
