"""Database engine and transactions: SQLite by default (WAL), PostgreSQL via DATABASE_URL."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.crypto import Sealer
from storage.repositories import SqlTransaction

DEFAULT_URL = "sqlite:///kasuhara.db"


def async_url(url: str) -> str:
    """Pick the async driver for a plain DATABASE_URL (sqlite:///x.db, postgresql://…)."""
    if url.startswith("sqlite:"):
        return url.replace("sqlite:", "sqlite+aiosqlite:", 1) if "+" not in url.split(":")[0] else url
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sync_url(url: str) -> str:
    """The same database through a synchronous driver (for Alembic)."""
    if url.startswith("sqlite"):
        return "sqlite:" + url.split(":", 1)[1]
    if url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> AsyncEngine:
    # hide_parameters: SQLAlchemy's DEBUG log and error messages would otherwise print bound
    # values (user ids, message text) next to the statement.
    engine = create_async_engine(async_url(url), pool_pre_ping=not url.startswith("sqlite"), hide_parameters=True)
    if url.startswith("sqlite"):
        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(connection):  # noqa: ANN001
            # Every unit of work reads then writes; a deferred SQLite transaction that
            # upgrades to a write lock after another writer committed fails at once with
            # SQLITE_BUSY. Taking the write lock up front makes writers queue instead.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    return engine


_IN_TRANSACTION: ContextVar[bool] = ContextVar("kasuhara_in_transaction", default=False)


class Database:
    """The `flows.ports.Store`: one SQL transaction per unit of work."""

    def __init__(self, url: str, sealer: Sealer):
        self.url = url
        self.engine = make_engine(url)
        self.sealer = sealer
        # SQLite has one writer at a time and its busy handler sleeps in 1–100 ms steps;
        # queueing our own writers on a lock instead keeps an alert's path in milliseconds.
        self._write_lock = asyncio.Lock() if url.startswith("sqlite") else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        if _IN_TRANSACTION.get():
            raise RuntimeError("nested transaction: finish the current unit of work first")
        token = _IN_TRANSACTION.set(True)
        try:
            if self._write_lock is None:
                async with self._session() as tx:
                    yield tx
            else:
                async with self._write_lock, self._session() as tx:
                    yield tx
        finally:
            _IN_TRANSACTION.reset(token)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[SqlTransaction]:
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            async with session.begin():
                yield SqlTransaction(session, self.sealer)

    async def close(self) -> None:
        await self.engine.dispose()
