"""Database engine and units of work: SQLite by default (WAL), PostgreSQL via DATABASE_URL.

How the hot path talks to the database (issue 8):
- PostgreSQL: SQLAlchemy's asyncio session on psycopg 3, which is natively async (no threads).
- SQLite: one synchronous connection in a transaction whose statements run inline on the event
  loop (the ORM session is made only when a repository uses the ORM; the hot statements run on
  the driver, storage/driver.py). SQLite is a library, not a server: a statement on a
  page-cached WAL database takes tens of microseconds, far less than handing it to aiosqlite's
  thread and back (which cost a third of the CPU per incident). BEGIN IMMEDIATE waits in a
  worker thread when another process holds the write lock; COMMIT (a WAL append and an fsync)
  runs inline while commits are fast and goes to a worker thread after a slow one (a
  checkpoint, a slow disk) until they are fast again.
Write units may carry the dispatcher (`births`, flows.ports.Births): outbox rows due at once are
claimed in the transaction that queues them and handed to it when the commit is done.
Reads that need no write lock use `Database.read()`: a deferred SQLite transaction on its own
connection (WAL readers never wait for the writer) and no in-process write lock.
"""
from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.ports import Births
from storage.crypto import Sealer
from storage.repositories import SqlTransaction

DEFAULT_URL = "sqlite:///kasuhara.db"
SQLITE_BUSY_TIMEOUT_MS = 5000
SLOW_COMMIT_S = 0.005  # a commit slower than this (checkpoint, slow disk): the next ones go off the loop


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


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str) -> AsyncEngine:
    """An asyncio engine (PostgreSQL; also SQLite for tools that want one)."""
    # hide_parameters: SQLAlchemy's DEBUG log and error messages would otherwise print bound
    # values (user ids, message text) next to the statement.
    engine = create_async_engine(async_url(url), pool_pre_ping=not is_sqlite(url), hide_parameters=True)
    if is_sqlite(url):
        _sqlite_setup(engine.sync_engine, immediate=True, busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS)
    return engine


def make_sqlite_engine(url: str, *, immediate: bool) -> Engine:
    """A synchronous SQLite engine; `immediate` takes the write lock at BEGIN (writers queue)."""
    engine = create_engine(sync_url(url), hide_parameters=True, poolclass=QueuePool, pool_size=4 if immediate else 8,
                           max_overflow=8, connect_args={"check_same_thread": False})
    # The writer's BEGIN IMMEDIATE runs on the event loop: it must fail at once when another
    # process (a CLI command) holds the write lock and wait in a worker thread instead
    # (Database._sqlite_unit): SQLite's busy handler would sleep on the loop.
    _sqlite_setup(engine, immediate=immediate, busy_timeout_ms=0 if immediate else SQLITE_BUSY_TIMEOUT_MS)
    return engine


def _sqlite_setup(engine: Engine, *, immediate: bool, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):  # noqa: ANN001
        # A unit of work reads then writes; a deferred SQLite transaction that upgrades to a
        # write lock after another writer committed fails at once with SQLITE_BUSY. Taking
        # the write lock up front makes writers queue instead. Readers stay deferred.
        # On the driver: SQLAlchemy's execution layer would cost more than the statement.
        connection.connection.dbapi_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


class InlineSession:
    """The awaitable surface of AsyncSession over one SQLite connection in a transaction (see module doc).

    The ORM session is made only when a repository uses the ORM; statements on the driver
    (storage/driver.py) and Core statements run on the connection itself.
    """

    def __init__(self, connection: Connection):
        self._connection = connection
        self._orm: Session | None = None

    @property
    def _session(self) -> Session:
        if self._orm is None:  # joins the connection's transaction; the unit of work commits it
            self._orm = Session(bind=self._connection, expire_on_commit=False)
        return self._orm

    @property
    def bind(self):
        return self._connection.engine

    def dbapi(self) -> sqlite3.Connection:
        """The unit of work's sqlite3 connection, for storage.driver (pending ORM changes flushed first)."""
        self.flush_pending()
        return self._connection.connection.dbapi_connection

    def flush_pending(self) -> None:
        orm = self._orm
        if orm is not None and (orm.new or orm.dirty or orm.deleted):
            orm.flush()

    def close(self) -> None:
        if self._orm is not None:
            self._orm.close()

    async def execute(self, statement, params=None, **kw):
        if not kw and not getattr(statement, "_propagate_attrs", None):
            # A Core statement (no ORM entity): run it on the connection and skip the ORM's
            # execution layer.
            self.flush_pending()
            return self._connection.execute(statement, params)
        return self._session.execute(statement, params, **kw)

    async def exec(self, statement, **kw):
        return self._session.exec(statement, **kw)

    async def get(self, entity, ident, **kw):
        return self._session.get(entity, ident, **kw)

    async def scalar(self, statement, params=None, **kw):
        return self._session.scalar(statement, params, **kw)

    def add(self, instance) -> None:
        self._session.add(instance)

    async def flush(self) -> None:
        self.flush_pending()

    async def delete(self, instance) -> None:
        self._session.delete(instance)

    @asynccontextmanager
    async def begin_nested(self):
        with self._session.begin_nested() as nested:
            yield nested


_IN_TRANSACTION: ContextVar[bool] = ContextVar("kasuhara_in_transaction", default=False)


class Database:
    """The `flows.ports.Store`: one short SQL transaction per unit of work."""

    def __init__(self, url: str, sealer: Sealer):
        self.url = url
        self.sealer = sealer
        self.sqlite = is_sqlite(url)
        if self.sqlite:
            self._writer = make_sqlite_engine(url, immediate=True)
            self._reader = make_sqlite_engine(url, immediate=False)
            self.engine = None
        else:
            self.engine = make_engine(url)
        # SQLite has one writer at a time and its busy handler sleeps in 1–100 ms steps;
        # queueing our own writers on a lock instead keeps an alert's path in milliseconds.
        self._write_lock = asyncio.Lock() if self.sqlite else None
        # COMMIT (a WAL append and one fsync: a fraction of a millisecond on an SSD) runs on the
        # event loop: handing it to a thread would hold the write lock for a whole turn of a busy
        # loop, and under load every report queues behind that. After a slow commit the next
        # ones go to a worker thread until one is fast again.
        self._commit_off_loop = False
        # Set by the runtime to its dispatcher: outbox rows due at once are claimed at birth
        # and handed over when their transaction commits (flows.ports.Births).
        self.births: Births | None = None

    @property
    def dialect(self) -> str:
        return "sqlite" if self.sqlite else "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        """A read-write unit of work: everything in it commits together or not at all."""
        async with self._unit(write=True) as tx:
            yield tx

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqlTransaction]:
        """A unit of work that only reads: no write lock, a consistent snapshot, nothing committed."""
        async with self._unit(write=False) as tx:
            yield tx

    @asynccontextmanager
    async def _unit(self, *, write: bool) -> AsyncIterator[SqlTransaction]:
        if _IN_TRANSACTION.get():
            raise RuntimeError("nested transaction: finish the current unit of work first")
        births = self.births if write else None
        token = _IN_TRANSACTION.set(True)
        tx, committed = None, False
        try:
            async with self._dialect_unit(write=write, births=births) as tx:
                yield tx
            committed = True
        finally:
            _IN_TRANSACTION.reset(token)  # the sends handed over below run outside this unit
            if births is not None and tx is not None:
                if tx.outbox.born and committed:  # deliveries claimed at birth: sent now
                    births.adopt(tx.outbox.born, tx.incidents.known)
                elif tx.outbox.born:  # rolled back: their room given back
                    births.release(tx.outbox.born)
                if committed and tx.outbox.unclaimed:
                    births.queued(tx.outbox.unclaimed)

    @asynccontextmanager
    async def _dialect_unit(self, *, write: bool, births: Births | None) -> AsyncIterator[SqlTransaction]:
        if not self.sqlite:
            async with AsyncSession(self.engine, expire_on_commit=False) as session:
                async with session.begin():
                    if not write:
                        await session.connection(execution_options={"postgresql_readonly": True})
                    tx = SqlTransaction(session, self.sealer, births)
                    yield tx
                    if write:
                        await tx.audit.write_pending()
        elif write:
            async with self._write_lock:
                async with self._sqlite_unit(self._writer, write=True, births=births) as tx:
                    yield tx
        else:
            async with self._sqlite_unit(self._reader, write=False) as tx:
                yield tx

    @asynccontextmanager
    async def _sqlite_unit(self, engine: Engine, *, write: bool,
                           births: Births | None = None) -> AsyncIterator[SqlTransaction]:
        connection = engine.connect()
        session = InlineSession(connection)
        committing = None
        try:
            try:
                transaction = connection.begin()  # BEGIN [IMMEDIATE] now, inline
            except Exception as error:  # another process holds the write lock: wait off the loop
                if not _busy(error):
                    raise
                connection.rollback()
                transaction = await asyncio.to_thread(_begin_waiting, connection)
            tx = SqlTransaction(session, self.sealer, births)
            yield tx
            if not write:
                return
            await tx.audit.write_pending()
            session.flush_pending()
            if self._commit_off_loop:
                # COMMIT was slow last time (a checkpoint, a slow disk): wait for it in a worker
                # thread. Shielded, so a cancelled request never leaves a half-finished commit
                # behind a rollback.
                committing = asyncio.get_running_loop().run_in_executor(None, _timed, transaction.commit)
                took = await asyncio.shield(committing)
            else:
                took = _timed(transaction.commit)
            self._commit_off_loop = took > SLOW_COMMIT_S
        except BaseException:
            if committing is None:
                connection.rollback()
            raise
        finally:
            def close(_=None) -> None:
                session.close()
                connection.close()

            if committing is not None and not committing.done():
                committing.add_done_callback(close)
            else:
                close()

    async def stats(self) -> dict:
        """What /healthz and /metrics report: incidents recorded, the oldest pending delivery.

        Raises when the database does not answer.
        """
        async with self.read() as tx:
            incidents = (await tx.session.execute(text("SELECT count(*) FROM incidents"))).scalar_one()
            oldest = await tx.outbox.oldest_pending()
        return {"incidents": incidents, "oldest_pending": oldest}

    async def close(self) -> None:
        if self.sqlite:
            self._writer.dispose()
            self._reader.dispose()
        else:
            await self.engine.dispose()


def _begin_waiting(connection: Connection):
    """BEGIN IMMEDIATE in a worker thread, letting SQLite's busy handler wait for the lock."""
    dbapi = connection.connection.dbapi_connection
    dbapi.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    try:
        return connection.begin()
    finally:
        dbapi.execute("PRAGMA busy_timeout=0")


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _busy(error: Exception) -> bool:
    cause = getattr(error, "orig", error)
    return isinstance(cause, sqlite3.OperationalError) and "locked" in str(cause)


class ServerLockError(Exception):
    """Another `kasuhara serve` already runs on this SQLite file."""


def acquire_server_lock(url: str):
    """Hold an exclusive lock beside a SQLite file for this process's life; None for PostgreSQL.

    SQLite allows one writer process: two servers on one file would both send every alert.
    CLI commands don't take this lock, so they keep working beside the server.
    """
    if not is_sqlite(url):
        return None
    path = sync_url(url).split(":///", 1)[-1].split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    lock_path = Path(os.path.abspath(path) + ".serve.lock")
    handle = open(lock_path, "a+")  # noqa: SIM115 (kept open: the lock lives as long as the file handle)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        other = handle.read().strip() or "?"
        handle.close()
        raise ServerLockError(
            f"database {url}: another `kasuhara serve` (pid {other}) already runs on this SQLite file. "
            "Fix: stop it first, or run several replicas on PostgreSQL (DATABASE_URL=postgresql://…); "
            "SQLite allows one server per file.") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle
