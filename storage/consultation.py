"""Consultation repository (flows.ports.Consultations and ConsultationLinks).

The employee behind a consultation is sealed with KASUHARA_SECRET_KEY and looked up by a
keyed digest: no query here ever carries a raw user id, so not even the driver's DEBUG log
(aiosqlite logs statement parameters) can tie a person to a case.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.model import Actor, Consultation, ConsultationStatus, DeliveryKind, Platform
from storage.crypto import Sealer
from storage.tables import DeliveryRow
from storage.tables_aftercare import ConsultationRow


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
        consultation_id = (await self._session.exec(
            select(DeliveryRow.consultation_id).where(DeliveryRow.platform == platform.value,
                                                      DeliveryRow.message_ref == message_ref,
                                                      DeliveryRow.kind == DeliveryKind.CARD.value,
                                                      DeliveryRow.consultation_id.is_not(None)).limit(1))).first()
        return None if consultation_id is None else await self.get(consultation_id)

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
