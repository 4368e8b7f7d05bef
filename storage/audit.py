"""Audit log (flows.ports.AuditLog): append-only, each row chained to the previous by hash."""
from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.model import AuditEvent
from storage.tables import AuditRow


def row_hash(prev_hash: str, event: AuditEvent) -> str:
    """Hash one event together with its predecessor's hash (tamper-evident chain)."""
    text = "\x1f".join([prev_hash, event.at.isoformat(), event.action, event.actor, event.detail,
                        str(event.incident_id or "")])
    return hashlib.sha256(text.encode()).hexdigest()


class SqlAudit:
    def __init__(self, session: AsyncSession):
        self._session = session

    async def add(self, event: AuditEvent) -> None:
        if self._session.bind.dialect.name == "postgresql":  # serialise the chain's tip
            await self._session.execute(text("SELECT pg_advisory_xact_lock(8712001)"))
        last = (await self._session.exec(select(AuditRow.hash).order_by(AuditRow.id.desc()).limit(1))).first()
        prev = last or ""
        self._session.add(AuditRow(at=event.at, action=event.action, actor=event.actor, detail=event.detail,
                                   incident_id=event.incident_id, prev_hash=prev, hash=row_hash(prev, event)))
        await self._session.flush()

    async def for_incident(self, incident_id: int) -> list[AuditEvent]:
        rows = (await self._session.exec(
            select(AuditRow).where(AuditRow.incident_id == incident_id).order_by(AuditRow.id))).all()
        return [_event(r) for r in rows]

    async def verify_chain(self) -> int | None:
        """Return the id of the first row whose hash does not match, or None if intact."""
        prev = ""
        for row in (await self._session.exec(select(AuditRow).order_by(AuditRow.id))).all():
            if row.prev_hash != prev or row.hash != row_hash(prev, _event(row)):
                return row.id
            prev = row.hash
        return None


def _event(row: AuditRow) -> AuditEvent:
    return AuditEvent(at=row.at, action=row.action, actor=row.actor, detail=row.detail, incident_id=row.incident_id)
