"""Request keys, role bindings and conversation references."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.model import Platform
from storage.driver import Driver
from storage.tables import ConversationRefRow, RoleBindingRow


class SqlRequestKeys:
    """Remember processed request keys (Slack view ids, Teams activity ids) for idempotency."""

    def __init__(self, session: AsyncSession):
        self._sql = Driver(session)

    async def seen(self, key: str) -> int | None:
        return await self._sql.value("SELECT result_id FROM request_keys WHERE key = :key", key=key)

    async def remember(self, key: str, result_id: int, at: datetime) -> bool:
        """One INSERT … ON CONFLICT DO NOTHING (no savepoint): False when the key was stored first."""
        stored = await self._sql.value(
            "INSERT INTO request_keys (key, result_id, created_at) VALUES (:key, :result_id, :at) "
            "ON CONFLICT (key) DO NOTHING RETURNING key", key=key, result_id=result_id, at=at)
        return stored is not None


class SqlBindings:
    def __init__(self, session: AsyncSession):
        self._session = session
        self._sql = Driver(session)

    async def bind(self, platform: Platform, unit_id: str, role: str, address: str, actor: str, at: datetime) -> bool:
        try:
            async with self._session.begin_nested():
                self._session.add(RoleBindingRow(platform=platform.value, unit_id=unit_id, role=role, address=address,
                                                 actor=actor, created_at=at))
        except IntegrityError:
            return False
        return True

    async def all(self) -> list[tuple[Platform, str, str, str]]:
        rows = await self._sql.rows("SELECT platform, unit_id, role, address FROM role_bindings ORDER BY id")
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
