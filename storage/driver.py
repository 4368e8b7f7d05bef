"""Hand-written SQL on the database driver, for the statements on an alert's path (issue 8).

Building a SQLAlchemy statement, computing its cache key and running it through the ORM's
execution layer cost about half of the CPU of a report; the driver itself takes a few
microseconds per statement. So the repositories' hot methods (a report, its outbox rows,
timers and audit entries, the outbox's claims and outcomes) write their SQL once, as text
with `:name` parameters, and run it here:

- SQLite: straight on the sqlite3 connection of the unit of work (`:name` is sqlite3's own
  parameter style), inline on the event loop like every SQLite statement (storage/db.py).
- PostgreSQL: on the unit of work's own psycopg 3 (async) connection, inside its transaction,
  the text converted once to psycopg's `%(name)s` style.

Values are stored exactly as the SQLAlchemy tables store them, so the ORM reads what this
writes and the other way round: times as naive UTC (on SQLite the text SQLAlchemy writes,
`YYYY-MM-DD HH:MM:SS.ffffff`, so comparisons in SQL keep working), booleans as 0/1.
The tables and the schema stay SQLModel's and Alembic's. At DEBUG each statement is logged
(`kasuhara.storage.sql`), never its parameters: they hold user ids and message text.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from functools import lru_cache

log = logging.getLogger("kasuhara.storage.sql")
_RAW = "kasuhara.driver_connection"  # the psycopg connection of a PostgreSQL unit of work (session.info)
_NAME = re.compile(r"(?<![:\w]):(\w+)")


def stored_time(value: datetime) -> datetime:
    """An aware time as the naive UTC the tables keep (storage.tables.UTCDateTime)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def utc(value) -> datetime | None:
    """A time column read back: aware UTC (SQLite gives text, PostgreSQL a naive datetime)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc)


@lru_cache(maxsize=256)
def _psycopg(sql: str) -> str:
    return _NAME.sub(r"%(\1)s", sql.replace("%", "%%"))


class Driver:
    """Run SQL text in one unit of work's transaction (see the module doc)."""

    def __init__(self, session):
        self._session = session
        self.sqlite = session.bind.dialect.name == "sqlite"  # an AsyncSession or storage.db.InlineSession

    def _params(self, sql: str, params: dict) -> dict:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s", sql)
        out = {}
        for name, value in params.items():
            if isinstance(value, datetime):
                value = stored_time(value)
                if self.sqlite:
                    value = value.strftime("%Y-%m-%d %H:%M:%S.%f")
            out[name] = value
        return out

    async def rows(self, sql: str, **params) -> list[tuple]:
        if self.sqlite:
            return self._session.dbapi().execute(sql, self._params(sql, params)).fetchall()
        cursor = await self._pg(sql, params)
        return await cursor.fetchall() if cursor.description is not None else []

    async def row(self, sql: str, **params) -> tuple | None:
        if self.sqlite:
            return self._session.dbapi().execute(sql, self._params(sql, params)).fetchone()
        cursor = await self._pg(sql, params)
        return await cursor.fetchone() if cursor.description is not None else None

    async def value(self, sql: str, **params):
        found = await self.row(sql, **params)
        return None if found is None else found[0]

    async def run(self, sql: str, **params) -> int:
        """Execute a statement; return how many rows it changed."""
        if self.sqlite:
            return self._session.dbapi().execute(sql, self._params(sql, params)).rowcount
        return (await self._pg(sql, params)).rowcount

    async def _pg(self, sql: str, params: dict):
        """Run on the unit of work's psycopg connection itself, inside its transaction."""
        session = self._session
        if session.new or session.dirty or session.deleted:
            await session.flush()
        raw = session.info.get(_RAW)
        if raw is None:
            connection = await session.connection()
            raw = session.info[_RAW] = (await connection.get_raw_connection()).driver_connection
        cursor = raw.cursor()
        await cursor.execute(_psycopg(sql), self._params(sql, params))
        return cursor
