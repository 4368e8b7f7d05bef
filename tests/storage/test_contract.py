"""One contract suite, run against every backend (SQLite and PostgreSQL)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from bot.app import prepare_database
from flows.cards import Card
from flows.model import (
    Actor, AuditEvent, CardPayload, ChainStep, Delivery, DeliveryKind, EscalationSnapshot, FollowUp, FollowUpStatus,
    IncidentDraft, IncidentStatus, PlannedTarget, Platform, RiskLevel, Role, Target, Timer, TimerKind,
)
from flows.payloads import open_body, plain, sealed
from flows.reports.customers import CustomerMatch
from storage import migrate
from storage.db import Database, sync_url
from tests.keys import sealer_for

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
STEP = ChainStep(RiskLevel.L2, (Role.FIELD_MANAGER,), timedelta(minutes=15), (Role.DIVISION_HEAD,))
SNAPSHOT = EscalationSnapshot(STEP, (PlannedTarget(Role.FIELD_MANAGER, Target(Platform.SLACK, "C1")),),
                              (PlannedTarget(Role.DIVISION_HEAD, Target(Platform.TEAMS, "19:x@thread.tacv2")),))


def draft(**overrides) -> IncidentDraft:
    values = dict(unit_id="chuo", reporter=Actor(Platform.SLACK, "U1", "山田"), occurred_at=NOW,
                  contact_channel="phone",
                  description="大声", behaviours=("abuse",), danger=False, level=RiskLevel.L2,
                  assessed_level=RiskLevel.L2, reasons=("abuse",), feelings_support="眠れない")
    values.update(overrides)
    return IncidentDraft(**values)


@pytest.fixture
async def db(migrated_url):
    """A copy of the migrated template on each backend (the test above migrates from scratch)."""
    prepare_database(migrated_url)
    database = Database(migrated_url, sealer_for(migrated_url))
    yield database
    await database.close()


def test_migrations_create_exactly_the_models_schema(database_url):
    migrate.upgrade(database_url)
    assert migrate.current_revision(database_url) == migrate.head_revision(database_url)
    engine = create_engine(sync_url(database_url))
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert diff == []


async def test_incident_round_trip_keeps_the_snapshot_and_seals_sensitive_text(db):
    async with db.transaction() as tx:
        stored = await tx.incidents.add(draft(), SNAPSHOT, NOW)
    assert stored.case_no == f"K-2026-{stored.id:05d}"
    async with db.transaction() as tx:
        loaded = await tx.incidents.get(stored.id)
        raw = (await tx.session.execute(text("SELECT feelings_support_enc FROM incidents"))).scalar_one()
    assert loaded.snapshot == SNAPSHOT and loaded.feelings_support == "眠れない"
    assert loaded.occurred_at == NOW and loaded.reporter == Actor(Platform.SLACK, "U1", "山田")
    assert "眠れない" not in raw and raw


async def test_a_unit_knows_the_incidents_it_wrote_or_read_until_it_changes_them(db):
    """What a send claimed at birth renders without reading back (flows.ports.Births.adopt)."""
    async with db.transaction() as tx:
        added = await tx.incidents.add(draft(), SNAPSHOT, NOW)
        assert tx.incidents.known == {added.id: added}
        await tx.customers.link(added.id, "09012345678", "090-1234-5678", CustomerMatch(), NOW)
        assert tx.incidents.known == {}  # its alert now shows a customer: read it again
        loaded = await tx.incidents.get(added.id)
        assert tx.incidents.known == {added.id: loaded} and loaded.customer == CustomerMatch()
        for change in (lambda: tx.incidents.acknowledge(added.id, "m", NOW), lambda: tx.incidents.close(added.id),
                       lambda: tx.incidents.complete(added.id, {"place": "売場"}),
                       lambda: tx.incidents.set_level(added.id, RiskLevel.L3, SNAPSHOT, reason="r", by="m", at=NOW)):
            await tx.incidents.get(added.id)
            await change()
            assert tx.incidents.known == {}


async def test_acknowledge_is_conditional_even_under_concurrency(db):
    async with db.transaction() as tx:
        incident = await tx.incidents.add(draft(), SNAPSHOT, NOW)

    async def ack(who):
        async with db.transaction() as tx:
            return await tx.incidents.acknowledge(incident.id, who, NOW)

    results = await asyncio.gather(*(ack(f"m{i}") for i in range(8)))
    assert sorted(results) == [False] * 7 + [True]


async def test_outbox_dedupes_claims_due_rows_and_leases_them(db):
    delivery = Delivery(kind=DeliveryKind.ALERT, target=Target(Platform.SLACK, "C1"), dedupe_key="a:1",
                        next_attempt_at=NOW)
    async with db.transaction() as tx:
        assert await tx.outbox.add(delivery) is not None
        assert await tx.outbox.add(Delivery(kind=DeliveryKind.ALERT, target=Target(Platform.SLACK, "C1"),
                                            dedupe_key="a:1", next_attempt_at=NOW)) is None
    async with db.transaction() as tx:
        assert await tx.outbox.claim_due(NOW - timedelta(seconds=1), 10) == []
        [claimed] = await tx.outbox.claim_due(NOW, 10)
    async with db.transaction() as tx:
        assert await tx.outbox.claim_due(NOW + timedelta(seconds=1), 10) == []  # leased
        await tx.outbox.mark_retry(claimed.id, NOW + timedelta(seconds=5), "ratelimited")
    async with db.transaction() as tx:
        [again] = await tx.outbox.claim_due(NOW + timedelta(seconds=5), 10)
        assert again.attempts == 1 and again.error == "ratelimited"
        await tx.outbox.mark_sent(again.id, "C1|123.4", NOW)
    async with db.transaction() as tx:
        assert await tx.outbox.claim_due(NOW + timedelta(hours=1), 10) == []


async def test_timers_fire_once_and_can_be_cancelled(db):
    async with db.transaction() as tx:
        first = await tx.timers.add(Timer(TimerKind.ACK_DEADLINE, NOW, incident_id=None))
        second = await tx.timers.add(Timer(TimerKind.ACK_DEADLINE, NOW + timedelta(minutes=5)))
    async with db.transaction() as tx:
        assert [t.id for t in await tx.timers.due(NOW, 10)] == [first.id]
        assert await tx.timers.claim(first.id, NOW)
        assert not await tx.timers.claim(first.id, NOW)
        assert await tx.timers.cancel(kinds=(TimerKind.ACK_DEADLINE,)) == 1
    async with db.transaction() as tx:
        assert await tx.timers.due(NOW + timedelta(hours=1), 10) == []
        assert not await tx.timers.claim(second.id, NOW)


async def test_request_keys_and_bindings_are_unique(db):
    async with db.transaction() as tx:
        assert await tx.requests.remember("slack:view:V1", 7, NOW)
        assert not await tx.requests.remember("slack:view:V1", 8, NOW)
        assert await tx.requests.seen("slack:view:V1") == 7
        assert await tx.bindings.bind(Platform.TEAMS, "honsha", "hr", "19:a@thread.tacv2", "admin", NOW)
        assert not await tx.bindings.bind(Platform.TEAMS, "honsha", "hr", "19:a@thread.tacv2", "admin", NOW)
        assert await tx.bindings.all() == [(Platform.TEAMS, "honsha", "hr", "19:a@thread.tacv2")]


async def test_a_failed_transaction_leaves_nothing_half_stored(db):
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.incidents.add(draft(), SNAPSHOT, NOW)
            raise RuntimeError("crash between insert and commit")
    async with db.transaction() as tx:
        assert await tx.incidents.list_all() == []


async def test_the_audit_chain_detects_tampering(db):
    async with db.transaction() as tx:
        for i in range(3):
            await tx.audit.add(AuditEvent(NOW, "step", detail=str(i)))
        assert await tx.audit.verify_chain() is None
        await tx.session.execute(text("UPDATE audit_events SET detail = 'forged' WHERE detail = '1'"))
        broken = await tx.audit.verify_chain()
    assert broken is not None


async def test_audit_entries_of_concurrent_units_form_one_chain_in_commit_order(db):
    """Entries are linked at the end of their unit (PostgreSQL: the tip is locked only from there
    to the commit); units that roll back leave no entry and no gap in the chain."""
    async def unit(name: str, fail: bool = False) -> None:
        async with db.transaction() as tx:
            await tx.audit.add(AuditEvent(NOW, "step", detail=f"{name}-1", incident_id=None))
            await asyncio.sleep(0)
            await tx.audit.add(AuditEvent(NOW, "step", detail=f"{name}-2"))
            if fail:
                raise RuntimeError("rolled back")

    results = await asyncio.gather(*(unit(f"u{i}", fail=i == 3) for i in range(6)), return_exceptions=True)
    assert [isinstance(r, RuntimeError) for r in results] == [False, False, False, True, False, False]
    async with db.transaction() as tx:
        await tx.audit.add(AuditEvent(NOW, "read-your-writes", incident_id=None))
        assert (await tx.audit.check()).entries == 11  # a unit's reads of the log see its own entries
        details = (await tx.session.execute(text("SELECT detail FROM audit_events ORDER BY id"))).scalars().all()
    assert sorted(details) == sorted([f"u{i}-{n}" for i in (0, 1, 2, 4, 5) for n in (1, 2)] + [""])
    for i in (0, 1, 2, 4, 5):  # a unit's entries are next to each other, in the order it added them
        assert details.index(f"u{i}-2") == details.index(f"u{i}-1") + 1
    async with db.read() as tx:
        assert (await tx.audit.check()).broken_at is None


async def test_typed_payloads_round_trip_and_a_thread_finds_its_consultation_by_column(db):
    card = Card(title="匿名相談 C-7KQM", lines=("つらいです",))
    async with db.transaction() as tx:
        consultation = await tx.consultations.add(Actor(Platform.SLACK, "U0EMPLOYEE"), "C-7KQM", "chuo", NOW)
        relay = await tx.outbox.add(Delivery(
            kind=DeliveryKind.CARD, target=Target(Platform.SLACK, "C0DESK"), dedupe_key="relay:1", next_attempt_at=NOW,
            payload=CardPayload(sealed(tx.secrets, card), consultation_id=consultation.id)))
        reminder = await tx.outbox.add(Delivery(
            kind=DeliveryKind.CARD, target=Target(Platform.SLACK, "C0HR"), dedupe_key="fu:1", next_attempt_at=NOW,
            payload=CardPayload(plain(card), follow_up_id=7)))
        with pytest.raises(TypeError):
            await tx.outbox.add(Delivery(kind=DeliveryKind.CARD, target=Target(Platform.SLACK, "C0HR"),
                                         dedupe_key="bad", next_attempt_at=NOW))  # an alert's payload on a card
    async with db.transaction() as tx:
        claimed = {d.id: d for d in await tx.outbox.claim_due(NOW, 10)}
        assert claimed[reminder.id].payload == CardPayload(plain(card), follow_up_id=7)
        assert open_body(tx.secrets, claimed[relay.id].payload.body) == card
        await tx.outbox.mark_sent(relay.id, "C0DESK|1.2", NOW)
        await tx.outbox.mark_sent(reminder.id, "C0HR|3.4", NOW)
    async with db.transaction() as tx:
        assert (await tx.consultations.by_thread(Platform.SLACK, "C0DESK|1.2")).code == "C-7KQM"
        assert await tx.consultations.by_thread(Platform.SLACK, "C0HR|3.4") is None  # a reminder: no case
        assert await tx.consultations.by_thread(Platform.TEAMS, "C0DESK|1.2") is None


async def test_closing_an_incident_and_cancelling_its_open_follow_ups(db):
    async with db.transaction() as tx:
        incident = await tx.incidents.add(draft(), SNAPSHOT, NOW)
        for kind in ("hearing", "review"):
            await tx.follow_ups.add(FollowUp(incident.id, kind, Role.HR, NOW, timedelta(days=1), timedelta(days=2),
                                             Role.DIVISION_HEAD))
        [hearing, _] = await tx.follow_ups.for_incident(incident.id)
        assert await tx.follow_ups.record(hearing.id, "hr", NOW, {"with_whom": "本人"}, {})
    async with db.transaction() as tx:
        assert await tx.incidents.close(incident.id)
        assert not await tx.incidents.close(incident.id)  # closed already
        assert await tx.follow_ups.cancel_open(incident.id, NOW) == 1  # the recorded one stays done
    async with db.transaction() as tx:
        assert (await tx.incidents.get(incident.id)).status is IncidentStatus.CLOSED
        statuses = [f.status for f in await tx.follow_ups.for_incident(incident.id)]
    assert statuses == [FollowUpStatus.DONE, FollowUpStatus.CANCELLED]


def test_migration_0004_moves_the_ids_out_of_the_json_of_rows_written_before(database_url):
    migrate.upgrade(database_url, "0003")
    engine = create_engine(sync_url(database_url))
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO outbox (kind, platform, address, tier, payload, status, attempts, next_attempt_at, "
            "message_ref, error, dedupe_key, created_at) VALUES "
            "('card', 'slack', 'C0DESK', 0, :relay, 'sent', 1, :now, 'C0DESK|1.2', '', 'relay:1', :now), "
            "('card', 'slack', 'C0HR', 0, :reminder, 'sent', 1, :now, 'C0HR|3.4', '', 'fu:1', :now), "
            "('alert', 'slack', 'C0MGR', 0, '{\"kind\": \"alert\"}', 'sent', 1, :now, 'C0MGR|5.6', '', 'a:1', :now)"),
            {"relay": '{"sealed_card": "x", "consultation_id": 4}', "reminder": '{"card": {}, "follow_up_id": 7}',
             "now": NOW.replace(tzinfo=None)})
    migrate.upgrade(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT dedupe_key, follow_up_id, consultation_id FROM outbox "
                                       "ORDER BY dedupe_key")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("a:1", None, None), ("fu:1", 7, None), ("relay:1", None, 4)]
