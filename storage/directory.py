"""Request keys, role bindings and conversation references."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.model import Platform
from storage.sql import insert_for
from storage.tables import ConversationRefRow, RequestKeyRow, RoleBindingRow


class SqlRequestKeys:
    """Remember processed request keys (Slack view ids, Teams activity ids) for idempotency."""

    def __init__(self, session: AsyncSession):
        self._session = session

    async def seen(self, key: str) -> int | None:
        table = RequestKeyRow.__table__
        return (await self._session.execute(select(table.c.result_id).where(table.c.key == key))).scalar()

    async def remember(self, key: str, result_id: int, at: datetime) -> bool:
        """One INSERT … ON CONFLICT DO NOTHING (no savepoint): False when the key was stored first."""
        table = RequestKeyRow.__table__
        statement = insert_for(self._session)(table).values(key=key, result_id=result_id, created_at=at)
        result = await self._session.execute(
            statement.on_conflict_do_nothing(index_elements=["key"]).returning(table.c.key))
        return result.scalar() is not None


class SqlBindings:
    def __init__(self, session: AsyncSession):
        self._session = session

    async def bind(self, platform: Platform, unit_id: str, role: str, address: str, actor: str, at: datetime) -> bool:
        try:
            async with self._session.begin_nested():
                self._session.add(RoleBindingRow(platform=platform.value, unit_id=unit_id, role=role, address=address,
                                                 actor=actor, created_at=at))
        except IntegrityError:
            return False
        return True

    async def all(self) -> list[tuple[Platform, str, str, str]]:
        table = RoleBindingRow.__table__
        rows = (await self._session.execute(
            select(table.c.platform, table.c.unit_id, table.c.role, table.c.address).order_by(table.c.id))).all()
        return [(Platform(platform), unit_id, role, address) for platform, unit_id, role, address in rows]


class SqlConversationDirectory:
    """flows.ports.ConversationDirectory on its own short transactions."""

    def __init__(self, database):
        self._database = database

    async def save(self, platform: Platform, key: str, reference: dict, at: datetime) -> None:
        async with self._database.transaction() as tx:
            session = tx.session
            row = await session.get(ConversationRefRow, (platform.value, key))
            if row is None:
                session.add(ConversationRefRow(platform=platform.value, key=key, reference=json.dumps(reference),
                                               updated_at=at))
            else:
                row.reference = json.dumps(reference)
                row.updated_at = at

    async def get(self, platform: Platform, key: str) -> dict | None:
        async with self._database.transaction() as tx:
            row = await tx.session.get(ConversationRefRow, (platform.value, key))
            return None if row is None else json.loads(row.reference)

    async def keys(self, platform: Platform) -> list[str]:
        async with self._database.transaction() as tx:
            rows = (await tx.session.exec(
                select(ConversationRefRow.key).where(ConversationRefRow.platform == platform.value))).all()
            return list(rows)
