"""Report links and receipt codes (flows.ports.ReportLinks, Receipts): digests only."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.model import ReportLink
from storage.crypto import Sealer
from storage.tables_web import ReceiptRow, ReportLinkRow


class SqlReportLinks:
    def __init__(self, session: AsyncSession, sealer: Sealer):
        self._session = session
        self._sealer = sealer

    def _digest(self, token: str) -> str:
        return self._sealer.digest(f"report-link:{token}")

    async def add(self, token: str, unit_id: str, at: datetime) -> ReportLink:
        row = ReportLinkRow(token_digest=self._digest(token), unit_id=unit_id, created_at=at)
        self._session.add(row)
        await self._session.flush()
        return _link(row)

    async def unit_of(self, token: str) -> str | None:
        row = (await self._session.exec(select(ReportLinkRow).where(
            ReportLinkRow.token_digest == self._digest(token), ReportLinkRow.revoked_at.is_(None)))).first()
        return None if row is None else row.unit_id

    async def revoke(self, token: str, at: datetime) -> ReportLink | None:
        row = (await self._session.exec(select(ReportLinkRow).where(
            ReportLinkRow.token_digest == self._digest(token), ReportLinkRow.revoked_at.is_(None)))).first()
        if row is None:
            return None
        await self._session.execute(update(ReportLinkRow).where(ReportLinkRow.id == row.id).values(revoked_at=at))
        return ReportLink(row.id, row.unit_id, row.created_at, at)

    async def list_all(self) -> list[ReportLink]:
        rows = (await self._session.exec(select(ReportLinkRow).order_by(ReportLinkRow.id))).all()
        return [_link(r) for r in rows]


class SqlReceipts:
    def __init__(self, session: AsyncSession, sealer: Sealer):
        self._session = session
        self._sealer = sealer

    def _digest(self, code: str) -> str:
        return self._sealer.digest(f"receipt:{code}")

    async def add(self, code: str, incident_id: int, at: datetime) -> bool:
        try:
            async with self._session.begin_nested():
                self._session.add(ReceiptRow(code_digest=self._digest(code), incident_id=incident_id, created_at=at))
        except IntegrityError:
            return False
        return True

    async def incident_of(self, code: str) -> int | None:
        row = (await self._session.exec(select(ReceiptRow).where(ReceiptRow.code_digest == self._digest(code)))).first()
        return None if row is None else row.incident_id


def _link(row: ReportLinkRow) -> ReportLink:
    return ReportLink(row.id, row.unit_id, row.created_at, row.revoked_at)
