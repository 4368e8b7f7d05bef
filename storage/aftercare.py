"""Follow-up repository (flows.ports.FollowUps): the after-care tasks of incidents.

The sensitive part of a record (support decided, hearing notes) is sealed with KASUHARA_SECRET_KEY.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.model import FollowUp, FollowUpStatus, Role
from storage.crypto import Sealer
from storage.driver import Driver
from storage.tables_aftercare import FollowUpRow


class SqlFollowUps:
    def __init__(self, session: AsyncSession, sealer: Sealer):
        self._session = session
        self._sealer = sealer

    async def add(self, follow_up: FollowUp) -> FollowUp:
        follow_up.id = await Driver(self._session).value(
            "INSERT INTO follow_ups (incident_id, kind, role, due_at, remind_every_s, escalate_after_s, escalate_to, "
            "status, reminded, recorded_by, recorded_by_id, record, sensitive_enc) VALUES (:incident_id, :kind, "
            ":role, :due_at, :remind_every_s, :escalate_after_s, :escalate_to, :status, 0, '', '', '{}', '') "
            "RETURNING id",
            incident_id=follow_up.incident_id, kind=follow_up.kind, role=follow_up.role.value,
            due_at=follow_up.due_at, remind_every_s=int(follow_up.remind_every.total_seconds()),
            escalate_after_s=int(follow_up.escalate_after.total_seconds()), escalate_to=follow_up.escalate_to.value,
            status=follow_up.status.value)
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

    async def record(self, follow_up_id: int, actor: str, at: datetime, record: dict, sensitive: dict,
                     actor_id: str = "") -> bool:
        result = await self._session.execute(
            update(FollowUpRow)
            .where(FollowUpRow.id == follow_up_id, FollowUpRow.status == FollowUpStatus.OPEN.value)
            .values(status=FollowUpStatus.DONE.value, recorded_by=actor, recorded_by_id=actor_id, recorded_at=at,
                    record=json.dumps(record, ensure_ascii=False),
                    sensitive_enc=self._sealer.seal(json.dumps(sensitive, ensure_ascii=False)) if sensitive else ""))
        return result.rowcount == 1

    async def cancel_open(self, incident_id: int, at: datetime) -> int:
        result = await self._session.execute(
            update(FollowUpRow)
            .where(FollowUpRow.incident_id == incident_id, FollowUpRow.status == FollowUpStatus.OPEN.value)
            .values(status=FollowUpStatus.CANCELLED.value, recorded_at=at))
        return result.rowcount

    def _to_model(self, row: FollowUpRow) -> FollowUp:
        return FollowUp(
            incident_id=row.incident_id, kind=row.kind, role=Role(row.role), due_at=row.due_at,
            remind_every=timedelta(seconds=row.remind_every_s), escalate_after=timedelta(seconds=row.escalate_after_s),
            escalate_to=Role(row.escalate_to), id=row.id, status=FollowUpStatus(row.status), reminded=row.reminded,
            escalated_at=row.escalated_at, snoozed_until=row.snoozed_until, recorded_by=row.recorded_by, recorded_by_id=row.recorded_by_id,
            recorded_at=row.recorded_at, record=json.loads(row.record),
            sensitive=json.loads(self._sealer.open(row.sensitive_enc)) if row.sensitive_enc else {})
