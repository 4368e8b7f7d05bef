"""Customers of incidents (flows.reports.ports.Customers): keyed digests, sealed identifiers, measures."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.reports.customers import CustomerMatch, EarlierCase, Measure
from storage.crypto import Sealer
from storage.driver import Driver
from storage.tables import IncidentRow
from storage.tables_reports import CustomerLinkRow, CustomerMeasureRow

DIGEST_PURPOSE = "customer-identifier:"  # keeps these HMACs apart from every other keyed digest


class SqlCustomers:
    def __init__(self, session: AsyncSession, sealer: Sealer, *, linked: Callable[[int], object] = lambda _: None):
        self._session = session
        self._sealer = sealer
        self._linked = linked  # told which incident's customer changed (what its alert shows)

    def _digest(self, normalized: str) -> str:
        return self._sealer.digest(DIGEST_PURPOSE + normalized)

    async def match(self, normalized: str, since: datetime) -> CustomerMatch:
        """Earlier incidents of this customer reported since `since`, and every measure recorded."""
        digest = self._digest(normalized)
        rows = (await self._session.exec(
            select(CustomerLinkRow.incident_id, IncidentRow.case_no, IncidentRow.created_at)
            .join(IncidentRow, IncidentRow.id == CustomerLinkRow.incident_id)
            .where(CustomerLinkRow.digest == digest, CustomerLinkRow.created_at >= since)
            .order_by(IncidentRow.created_at))).all()
        return CustomerMatch(tuple(EarlierCase(*row) for row in rows), await self._measures(digest))

    async def link(self, incident_id: int, normalized: str, identifier: str, match: CustomerMatch,
                   at: datetime) -> None:
        """Remember the incident's customer: digest for matching, the text sealed for HR."""
        self._session.add(CustomerLinkRow(
            incident_id=incident_id, digest=self._digest(normalized), identifier_enc=self._sealer.seal(identifier),
            created_at=at, matched=json.dumps(_match_to_dict(match), ensure_ascii=False)))
        self._linked(incident_id)
        await self._session.flush()

    async def of_incident(self, incident_id: int) -> CustomerMatch | None:
        """What the incident's alert says about its customer (None: no customer given)."""
        matched = await Driver(self._session).value("SELECT matched FROM customer_links WHERE incident_id = :id",
                                                    id=incident_id)
        return None if matched is None else _match_from_dict(json.loads(matched))

    async def add_measure(self, incident_id: int, kind: str, note: str, actor: str, at: datetime) -> bool:
        """Record a measure against the customer of an incident; False when the case names no customer."""
        row = (await self._session.exec(
            select(CustomerLinkRow.digest).where(CustomerLinkRow.incident_id == incident_id))).first()
        if row is None:
            return False
        self._session.add(CustomerMeasureRow(digest=row, kind=kind, note_enc=self._sealer.seal(note), actor=actor,
                                             incident_id=incident_id, at=at))
        await self._session.flush()
        return True

    async def repeats(self, since: datetime, until: datetime, *, include_identifier: bool) -> list[dict]:
        """Customers with two or more incidents reported in [since, until), with their cases and measures."""
        rows = (await self._session.exec(
            select(CustomerLinkRow, IncidentRow.case_no, IncidentRow.created_at, IncidentRow.unit_id)
            .join(IncidentRow, IncidentRow.id == CustomerLinkRow.incident_id)
            .where(CustomerLinkRow.created_at >= since, CustomerLinkRow.created_at < until)
            .order_by(IncidentRow.created_at))).all()
        grouped: dict[str, list] = {}
        for link, case_no, created_at, unit_id in rows:
            grouped.setdefault(link.digest, []).append((link, case_no, created_at, unit_id))
        found = []
        for digest, cases in grouped.items():
            if len(cases) < 2:
                continue
            identifier = self._sealer.open(cases[-1][0].identifier_enc) if include_identifier else ""
            found.append({"digest": digest, "identifier": identifier,
                          "cases": [(c[0].incident_id, c[1], c[2], c[3]) for c in cases],
                          "measures": await self._measures(digest)})
        return found

    async def _measures(self, digest: str) -> tuple[Measure, ...]:
        rows = (await self._session.exec(
            select(CustomerMeasureRow).where(CustomerMeasureRow.digest == digest)
            .order_by(CustomerMeasureRow.at))).all()
        return tuple(Measure(r.kind, r.at, r.actor) for r in rows)


def _match_to_dict(match: CustomerMatch) -> dict:
    return {"earlier": [[e.incident_id, e.case_no, e.created_at.isoformat()] for e in match.earlier],
            "measures": [[m.kind, m.at.isoformat(), m.by] for m in match.measures]}


def _match_from_dict(data: dict) -> CustomerMatch:
    return CustomerMatch(
        tuple(EarlierCase(i, c, datetime.fromisoformat(at)) for i, c, at in data.get("earlier", ())),
        tuple(Measure(k, datetime.fromisoformat(at), by) for k, at, by in data.get("measures", ())))
