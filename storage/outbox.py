"""Outbox and timer repositories (flows.ports.Outbox, flows.ports.Timers)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.model import Delivery, DeliveryKind, DeliveryStatus, Platform, Role, Target, Timer, TimerKind
from flows.payloads import check, payload_from_dict, payload_to_dict
from storage.tables import DeliveryRow, TimerRow

CLAIM_LEASE = timedelta(seconds=60)  # a send that crashed mid-way is retried after this


class SqlOutbox:
    def __init__(self, session: AsyncSession):
        self._session = session

    async def add(self, delivery: Delivery) -> Delivery | None:
        existing = (await self._session.exec(
            select(DeliveryRow.id).where(DeliveryRow.dedupe_key == delivery.dedupe_key))).first()
        if existing is not None:
            return None
        check(delivery.kind, delivery.payload)
        now = delivery.next_attempt_at
        if now is None:
            raise ValueError("a delivery needs next_attempt_at (the time it was queued)")
        row = DeliveryRow(
            kind=delivery.kind.value, platform=delivery.target.platform.value, address=delivery.target.address,
            incident_id=delivery.incident_id, role=delivery.role.value if delivery.role else None, tier=delivery.tier,
            payload=json.dumps(payload_to_dict(delivery.payload), ensure_ascii=False), dedupe_key=delivery.dedupe_key,
            follow_up_id=getattr(delivery.payload, "follow_up_id", None),
            consultation_id=getattr(delivery.payload, "consultation_id", None),
            next_attempt_at=now, created_at=now,
        )
        try:
            async with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:  # a concurrent transaction queued the same message
            return None
        delivery.id = row.id
        return delivery

    async def claim_due(self, now: datetime, limit: int) -> list[Delivery]:
        rows = (await self._session.exec(
            select(DeliveryRow)
            .where(DeliveryRow.status == DeliveryStatus.PENDING.value, DeliveryRow.next_attempt_at <= now)
            .order_by(DeliveryRow.id).limit(limit))).all()
        for row in rows:
            row.next_attempt_at = now + CLAIM_LEASE
        return [_to_model(r) for r in rows]

    async def mark_sent(self, delivery_id: int, ref: str, at: datetime) -> None:
        await self._session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(
            status=DeliveryStatus.SENT.value, message_ref=ref, sent_at=at, attempts=DeliveryRow.attempts + 1))

    async def mark_retry(self, delivery_id: int, at: datetime, error: str) -> None:
        await self._session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(
            next_attempt_at=at, error=error[:2000], attempts=DeliveryRow.attempts + 1))

    async def mark_failed(self, delivery_id: int, error: str, at: datetime) -> None:
        await self._session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(
            status=DeliveryStatus.FAILED.value, error=error[:2000], sent_at=at, attempts=DeliveryRow.attempts + 1))

    async def sent_for_incident(self, incident_id: int) -> list[Delivery]:
        rows = (await self._session.exec(
            select(DeliveryRow).where(DeliveryRow.incident_id == incident_id,
                                      DeliveryRow.status == DeliveryStatus.SENT.value)
            .order_by(DeliveryRow.id))).all()
        return [_to_model(r) for r in rows]

    async def all_for_incident(self, incident_id: int) -> list[Delivery]:
        rows = (await self._session.exec(
            select(DeliveryRow).where(DeliveryRow.incident_id == incident_id).order_by(DeliveryRow.id))).all()
        return [_to_model(r) for r in rows]


def _to_model(row: DeliveryRow) -> Delivery:
    return Delivery(
        kind=DeliveryKind(row.kind), target=Target(Platform(row.platform), row.address), incident_id=row.incident_id,
        role=Role(row.role) if row.role else None, tier=row.tier,
        payload=payload_from_dict(DeliveryKind(row.kind), json.loads(row.payload)), id=row.id,
        status=DeliveryStatus(row.status), attempts=row.attempts, next_attempt_at=row.next_attempt_at,
        message_ref=row.message_ref, error=row.error, dedupe_key=row.dedupe_key,
    )


class SqlTimers:
    def __init__(self, session: AsyncSession):
        self._session = session

    async def add(self, timer: Timer) -> Timer:
        row = TimerRow(kind=timer.kind.value, due_at=timer.due_at, incident_id=timer.incident_id, ref_id=timer.ref_id,
                       seq=timer.seq)
        self._session.add(row)
        await self._session.flush()
        timer.id = row.id
        return timer

    async def due(self, now: datetime, limit: int) -> list[Timer]:
        rows = (await self._session.exec(
            select(TimerRow)
            .where(TimerRow.fired_at.is_(None), TimerRow.cancelled == False, TimerRow.due_at <= now)  # noqa: E712
            .order_by(TimerRow.due_at, TimerRow.id).limit(limit))).all()
        return [_timer(r) for r in rows]

    async def claim(self, timer_id: int, at: datetime) -> bool:
        result = await self._session.execute(
            update(TimerRow)
            .where(TimerRow.id == timer_id, TimerRow.fired_at.is_(None), TimerRow.cancelled == False)  # noqa: E712
            .values(fired_at=at))
        return result.rowcount == 1

    async def cancel(self, *, incident_id: int | None = None, ref_id: int | None = None,
                     kinds: tuple[TimerKind, ...] = ()) -> int:
        query = update(TimerRow).where(TimerRow.fired_at.is_(None), TimerRow.cancelled == False)  # noqa: E712
        if incident_id is not None:
            query = query.where(TimerRow.incident_id == incident_id)
        if ref_id is not None:
            query = query.where(TimerRow.ref_id == ref_id)
        if kinds:
            query = query.where(TimerRow.kind.in_([k.value for k in kinds]))
        result = await self._session.execute(query.values(cancelled=True))
        return result.rowcount

    async def pending(self, *, incident_id: int | None = None, ref_id: int | None = None) -> list[Timer]:
        query = select(TimerRow).where(TimerRow.fired_at.is_(None), TimerRow.cancelled == False)  # noqa: E712
        if incident_id is not None:
            query = query.where(TimerRow.incident_id == incident_id)
        if ref_id is not None:
            query = query.where(TimerRow.ref_id == ref_id)
        return [_timer(r) for r in (await self._session.exec(query.order_by(TimerRow.due_at))).all()]


def _timer(row: TimerRow) -> Timer:
    return Timer(kind=TimerKind(row.kind), due_at=row.due_at, incident_id=row.incident_id, ref_id=row.ref_id,
                 seq=row.seq, id=row.id, fired_at=row.fired_at, cancelled=row.cancelled)
