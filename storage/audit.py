"""Audit log (flows.ports.AuditLog): append-only, each row chained to the previous by an HMAC.

The chain's key is derived from KASUHARA_SECRET_KEY (storage/crypto.py) and never stored, so
someone who can edit the database cannot recompute the links; anchors kept outside the
database (storage/anchors.py) make cutting the tail detectable too. Rows written before the
chain was keyed are `legacy`: plain SHA-256 links, checked and reported as such.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.model import AuditEvent
from storage.driver import Driver
from storage.tables import AuditRow


class ChainRow(Protocol):
    id: int
    at: datetime
    action: str
    actor: str
    actor_name: str
    detail: str
    incident_id: int | None
    prev_hash: str
    hash: str
    keyed: bool


def _utc(at: datetime) -> str:
    return at.astimezone(timezone.utc).replace(tzinfo=None).isoformat()


def link_text(prev_hash: str, row) -> str:
    """What one keyed link covers: the previous link and every field of the row."""
    return "\x1f".join(["v2", prev_hash, _utc(row.at), row.action, row.actor, row.actor_name, row.detail,
                        str(row.incident_id or "")])


def legacy_hash(prev_hash: str, row) -> str:
    """The unkeyed SHA-256 link of rows written before the chain was keyed."""
    joined = "\x1f".join([prev_hash, row.at.isoformat(), row.action, row.actor, row.detail,
                          str(row.incident_id or "")])
    return hashlib.sha256(joined.encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """What a walk over the chain found."""

    entries: int
    legacy: int  # rows with unkeyed links (written before the upgrade), all at the start
    first_at: datetime | None
    last_at: datetime | None
    last_id: int  # 0 for an empty log
    head: str  # the last row's link ("" for an empty log)
    broken_at: int | None  # id of the first row whose link does not match
    heads: dict[int, str]  # row id -> link, to compare with anchors

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def check_rows(rows, mac) -> ChainReport:
    """Walk rows in id order and check every link (`mac`: Sealer.audit_mac)."""
    prev, legacy, count, broken = "", 0, 0, None
    first_at = last_at = None
    heads: dict[int, str] = {}
    seen_keyed = False
    last_id = 0
    for row in rows:
        count += 1
        first_at = first_at or row.at
        last_at, last_id = row.at, row.id
        if row.keyed:
            seen_keyed = True
            expected = mac(link_text(prev, row))
        else:
            legacy += 1
            expected = legacy_hash(prev, row) if not seen_keyed else None  # legacy after keyed: inserted
        if broken is None and (row.prev_hash != prev or expected is None or row.hash != expected):
            broken = row.id
        heads[row.id] = row.hash
        prev = row.hash
    return ChainReport(count, legacy, first_at, last_at, last_id, prev, broken, heads)


class SqlAudit:
    def __init__(self, session: AsyncSession, sealer):
        self._session = session
        self._sealer = sealer
        self._pending: list[AuditEvent] = []  # written when the unit of work ends (write_pending)

    async def add(self, event: AuditEvent) -> None:
        """Append an entry to the chain, in the unit of work's transaction (see write_pending)."""
        self._pending.append(event)

    async def write_pending(self) -> None:
        """Link the unit's entries to the tip and insert them in one statement, just before the
        commit (storage.db calls this; reads of the log call it first).

        On PostgreSQL the tip is serialised with a transaction-scoped advisory lock, so it is held
        only from here to the commit, not through the whole report; on SQLite the unit of work
        holds the write lock anyway.
        """
        if not self._pending:
            return
        events, self._pending = self._pending, []
        sql = Driver(self._session)
        if not sql.sqlite:
            await sql.run("SELECT pg_advisory_xact_lock(8712001)")
        prev = await sql.value("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1") or ""
        rows, params = [], {}
        for n, event in enumerate(events):
            link = self._sealer.audit_mac(link_text(prev, event))
            rows.append(f"(:at{n}, :action{n}, :actor{n}, :actor_name{n}, :detail{n}, :incident_id{n}, :prev{n}, "
                        f":hash{n}, :keyed)")
            params.update({f"at{n}": event.at, f"action{n}": event.action, f"actor{n}": event.actor,
                           f"actor_name{n}": event.actor_name, f"detail{n}": event.detail,
                           f"incident_id{n}": event.incident_id, f"prev{n}": prev, f"hash{n}": link})
            prev = link
        await sql.run("INSERT INTO audit_events (at, action, actor, actor_name, detail, incident_id, prev_hash, hash, "
                      "keyed) VALUES " + ", ".join(rows), keyed=True, **params)

    async def for_incident(self, incident_id: int) -> list[AuditEvent]:
        await self.write_pending()
        rows = (await self._session.exec(
            select(AuditRow).where(AuditRow.incident_id == incident_id).order_by(AuditRow.id))).all()
        return [_event(r) for r in rows]

    async def check(self) -> ChainReport:
        """Walk the whole chain with the current key."""
        await self.write_pending()
        rows = (await self._session.exec(select(AuditRow).order_by(AuditRow.id))).all()
        return check_rows(rows, self._sealer.audit_mac)

    async def verify_chain(self) -> int | None:
        """Return the id of the first row whose link does not match, or None if intact."""
        return (await self.check()).broken_at


def _event(row: AuditRow) -> AuditEvent:
    return AuditEvent(at=row.at, action=row.action, actor=row.actor, detail=row.detail, incident_id=row.incident_id,
                      actor_name=row.actor_name)
