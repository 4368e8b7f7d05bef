"""Follow-up and consultation repositories (flows.ports.FollowUps, Consultations, ConsultationLinks).

The employee behind a consultation is sealed with KASUHARA_SECRET_KEY and looked up by a
keyed digest: no query here ever carries a raw user id, so not even the driver's DEBUG log
(aiosqlite logs statement parameters) can tie a person to a case.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.model import (
    Actor,
    Consultation,
    ConsultationStatus,
    DeliveryKind,
    FollowUp,
    FollowUpStatus,
    IncidentStatus,
    Platform,
    Role,
)
from storage.crypto import Sealer
from storage.tables import DeliveryRow, IncidentRow, TimerRow
from storage.tables_aftercare import ConsultationRow, FollowUpRow


class SqlFollowUps:
    def __init__(self, session: AsyncSession, sealer: Sealer):
        self._session = session
        self._sealer = sealer

    async def add(self, follow_up: FollowUp) -> FollowUp:
        row = FollowUpRow(
            incident_id=follow_up.incident_id, kind=follow_up.kind, role=follow_up.role.value,
            due_at=follow_up.due_at, remind_every_s=int(follow_up.remind_every.total_seconds()),
            escalate_after_s=int(follow_up.escalate_after.total_seconds()), escalate_to=follow_up.escalate_to.value,
            status=follow_up.status.value)
        self._session.add(row)
        await self._session.flush()
        follow_up.id = row.id
        return follow_up

    async def get(self, follow_up_id: int) -> FollowUp | None:
        row = await self._session.get(FollowUpRow, follow_up_id, populate_existing=True)
        return None if row is None else self._to_model(row)

    async def for_incident(self, incident_id: int) -> list[FollowUp]:
        rows = (await self._session.exec(
            select(FollowUpRow).where(FollowUpRow.incident_id == incident_id).order_by(FollowUpRow.id))).all()
        return [self._to_model(r) for r in rows]

    async def save_progress(self, follow_up: FollowUp) -> None:
        await self._session.execute(update(FollowUpRow).where(FollowUpRow.id == follow_up.id).values(
            reminded=follow_up.reminded, escalated_at=follow_up.escalated_at, snoozed_until=follow_up.snoozed_until))

    async def record(self, follow_up_id: int, actor: str, at: datetime, record: dict, sensitive: dict) -> bool:
        result = await self._session.execute(
            update(FollowUpRow)
            .where(FollowUpRow.id == follow_up_id, FollowUpRow.status == FollowUpStatus.OPEN.value)
            .values(status=FollowUpStatus.DONE.value, recorded_by=actor, recorded_at=at,
                    record=json.dumps(record, ensure_ascii=False),
                    sensitive_enc=self._sealer.seal(json.dumps(sensitive, ensure_ascii=False)) if sensitive else ""))
        return result.rowcount == 1

    async def close_case(self, incident_id: int, at: datetime) -> int:
        await self._session.execute(update(IncidentRow).where(IncidentRow.id == incident_id)
                                    .values(status=IncidentStatus.CLOSED.value))
        result = await self._session.execute(
            update(FollowUpRow)
            .where(FollowUpRow.incident_id == incident_id, FollowUpRow.status == FollowUpStatus.OPEN.value)
            .values(status=FollowUpStatus.CANCELLED.value, recorded_at=at))
        # A closed case pings nobody again: not its alert, not its follow-ups, not its check-in.
        await self._session.execute(
            update(TimerRow)
            .where(TimerRow.incident_id == incident_id, TimerRow.fired_at.is_(None))
            .values(cancelled=True))
        return result.rowcount

    def _to_model(self, row: FollowUpRow) -> FollowUp:
        return FollowUp(
            incident_id=row.incident_id, kind=row.kind, role=Role(row.role), due_at=row.due_at,
            remind_every=timedelta(seconds=row.remind_every_s), escalate_after=timedelta(seconds=row.escalate_after_s),
            escalate_to=Role(row.escalate_to), id=row.id, status=FollowUpStatus(row.status), reminded=row.reminded,
            escalated_at=row.escalated_at, snoozed_until=row.snoozed_until, recorded_by=row.recorded_by,
            recorded_at=row.recorded_at, record=json.loads(row.record),
            sensitive=json.loads(self._sealer.open(row.sensitive_enc)) if row.sensitive_enc else {})


class SqlConsultations:
    """Both consultation ports: the case itself and its sealed link to the employee."""

    def __init__(self, session: AsyncSession, sealer: Sealer):
        self._session = session
        self._sealer = sealer

    # -- flows.ports.Consultations -----------------------------------------------------------
    async def add(self, owner: Actor, code: str, unit_id: str, at: datetime) -> Consultation | None:
        row = ConsultationRow(code=code, unit_id=unit_id, platform=owner.platform.value,
                              owner_digest=self._digest(owner), link_enc=self._sealer.seal(owner.key), created_at=at)
        try:
            async with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:  # the random code is taken: the caller draws another
            return None
        return self._to_model(row)

    async def get(self, consultation_id: int | None = None, *, code: str | None = None) -> Consultation | None:
        if consultation_id is not None:
            row = await self._session.get(ConsultationRow, consultation_id, populate_existing=True)
        else:
            row = (await self._session.exec(
                select(ConsultationRow).where(ConsultationRow.code == (code or "").strip().upper()))).first()
        return None if row is None else self._to_model(row)

    async def by_thread(self, platform: Platform, message_ref: str) -> Consultation | None:
        if not message_ref:
            return None
        payloads = (await self._session.exec(
            select(DeliveryRow.payload).where(DeliveryRow.platform == platform.value,
                                              DeliveryRow.message_ref == message_ref,
                                              DeliveryRow.kind == DeliveryKind.CARD.value))).all()
        for payload in payloads:
            consultation_id = json.loads(payload).get("consultation_id")
            if consultation_id is not None:
                return await self.get(int(consultation_id))
        return None

    async def current_for(self, owner: Actor) -> Consultation | None:
        row = (await self._session.exec(
            select(ConsultationRow)
            .where(ConsultationRow.owner_digest == self._digest(owner),
                   ConsultationRow.status == ConsultationStatus.OPEN.value)
            .order_by(ConsultationRow.id.desc()).limit(1))).first()
        return None if row is None else self._to_model(row)

    async def save(self, consultation: Consultation) -> None:
        await self._session.execute(update(ConsultationRow).where(ConsultationRow.id == consultation.id).values(
            first_message_at=consultation.first_message_at, first_reply_at=consultation.first_reply_at,
            revealed_name_enc=self._sealer.seal(consultation.revealed_name)))

    async def close(self, consultation_id: int, at: datetime) -> bool:
        result = await self._session.execute(
            update(ConsultationRow)
            .where(ConsultationRow.id == consultation_id, ConsultationRow.status == ConsultationStatus.OPEN.value)
            .values(status=ConsultationStatus.CLOSED.value, closed_at=at))
        return result.rowcount == 1

    # -- flows.ports.ConsultationLinks -------------------------------------------------------
    async def is_owner(self, consultation_id: int, actor: Actor) -> bool:
        row = await self._session.get(ConsultationRow, consultation_id)
        return row is not None and bool(row.owner_digest) and row.owner_digest == self._digest(actor)

    async def recipient(self, consultation_id: int) -> Actor | None:
        row = await self._session.get(ConsultationRow, consultation_id, populate_existing=True)
        if row is None or not row.link_enc:
            return None
        platform, _, user_id = self._sealer.open(row.link_enc).partition(":")
        return Actor(Platform(platform), user_id)

    async def forget(self, consultation_id: int, at: datetime) -> bool:
        result = await self._session.execute(
            update(ConsultationRow)
            .where(ConsultationRow.id == consultation_id, ConsultationRow.link_enc != "")
            .values(link_enc="", owner_digest="", forgotten_at=at))
        return result.rowcount == 1

    # -- helpers -----------------------------------------------------------------------------
    def _digest(self, actor: Actor) -> str:
        return self._sealer.digest("consultation-owner:" + actor.key)

    def _to_model(self, row: ConsultationRow) -> Consultation:
        return Consultation(
            code=row.code, unit_id=row.unit_id, platform=Platform(row.platform), created_at=row.created_at, id=row.id,
            status=ConsultationStatus(row.status), first_message_at=row.first_message_at,
            first_reply_at=row.first_reply_at, closed_at=row.closed_at,
            revealed_name=self._sealer.open(row.revealed_name_enc))

