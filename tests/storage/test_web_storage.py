"""Report links, receipts and the web inbox, on every backend: digests and sealed cards only."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from bot.app import prepare_database
from flows.cards import ActionId, Card, CardAction
from flows.model import Actor, EscalationSnapshot, ChainStep, IncidentDraft, Platform, RiskLevel, Role
from storage.db import Database
from storage.web_inbox import SqlWebInbox
from tests.keys import sealer_for

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
TOKEN = "Zp3xQ0-secret-link-token-abc"


@pytest.fixture
async def db(migrated_url):
    """A copy of the migrated template on each backend (test_contract migrates from scratch)."""
    prepare_database(migrated_url)
    database = Database(migrated_url, sealer_for(migrated_url))
    yield database
    await database.close()


async def _dump(db: Database) -> str:
    async with db.transaction() as tx:
        rows = []
        for table in ("report_links", "receipts", "web_inbox"):
            rows += [repr(tuple(r)) for r in (await tx.session.execute(text(f"SELECT * FROM {table}"))).all()]
    return "\n".join(rows)


async def test_a_link_names_its_unit_until_revoked_and_only_its_digest_is_stored(db):
    async with db.transaction() as tx:
        link = await tx.links.add(TOKEN, "store-1", NOW)
    async with db.transaction() as tx:
        assert await tx.links.unit_of(TOKEN) == "store-1"
        assert await tx.links.unit_of(TOKEN + "x") is None
    assert TOKEN not in await _dump(db)
    async with db.transaction() as tx:
        revoked = await tx.links.revoke(TOKEN, NOW + timedelta(days=1))
        assert await tx.links.revoke(TOKEN, NOW + timedelta(days=2)) is None  # already ended
    assert revoked.id == link.id and revoked.revoked_at == NOW + timedelta(days=1)
    async with db.transaction() as tx:
        assert await tx.links.unit_of(TOKEN) is None
        listed = await tx.links.list_all()
    assert [(l.unit_id, l.revoked_at) for l in listed] == [("store-1", NOW + timedelta(days=1))]


async def test_a_receipt_finds_its_incident_and_a_taken_code_is_refused(db):
    step = ChainStep(RiskLevel.L2, (Role.FIELD_MANAGER,), timedelta(minutes=15), (Role.DIVISION_HEAD,))
    draft = IncidentDraft(unit_id="store-1", reporter=Actor(Platform.WEB, "w-1"), occurred_at=NOW, contact_channel="phone",
                          description="大声", behaviours=("abuse",), danger=False, level=RiskLevel.L2,
                          assessed_level=RiskLevel.L2, reasons=("abuse",))
    async with db.transaction() as tx:
        incident = await tx.incidents.add(draft, EscalationSnapshot(step, (), ()), NOW)
        assert await tx.receipts.add("R7KQ2-M9XDP", incident.id, NOW)
        assert not await tx.receipts.add("R7KQ2-M9XDP", incident.id, NOW)
    async with db.transaction() as tx:
        assert await tx.receipts.incident_of("R7KQ2-M9XDP") == incident.id
        assert await tx.receipts.incident_of("R7KQ2-M9XDQ") is None
        reporter = (await tx.incidents.get(incident.id)).reporter
    assert reporter == Actor(Platform.WEB, "w-1")
    assert "R7KQ2-M9XDP" not in await _dump(db)


async def test_the_inbox_keeps_cards_sealed_per_box_newest_first(db):
    inbox = SqlWebInbox(db)
    first = await inbox.post("honsha/hr", Card("相談 C-7KQ2", lines=("眠れない",)), NOW)
    await inbox.post("honsha/hr", Card("二通目"), NOW + timedelta(seconds=1))
    await inbox.post("consult:secret-name", Card("回答"), NOW)
    assert await inbox.update(first, Card("相談 C-7KQ2 (済)", actions=(CardAction(ActionId.ACKNOWLEDGE, "OK", "1"),)),
                              NOW + timedelta(seconds=2))
    assert not await inbox.update("999999", Card("x"), NOW)
    assert not await inbox.update("not-a-ref", Card("x"), NOW)
    got = await inbox.messages("honsha/hr")
    assert [c.title for _, c, _ in got] == ["二通目", "相談 C-7KQ2 (済)"]
    assert got[1][1].actions[0].id is ActionId.ACKNOWLEDGE
    assert [c.title for _, c, _ in await inbox.messages("consult:secret-name")] == ["回答"]
    assert await inbox.messages("nobody") == []
    dump = await _dump(db)
    assert "眠れない" not in dump and "secret-name" not in dump and "honsha/hr" not in dump
    assert await inbox.purge(NOW + timedelta(seconds=1)) == 1  # only the consulter's, untouched since NOW
    assert await inbox.messages("consult:secret-name") == []
