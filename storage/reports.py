"""Read queries of the monthly report and exports (flows.reports.ports.ReportReader).

Read-only: sealed columns are opened only when HR asked for them (`include_sensitive`), so a
report without them needs no KASUHARA_SECRET_KEY. Consultations are read as counts material
only: no code, no revealed name, no link.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, or_
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.model import AuditEvent, Consultation, ConsultationStatus, FollowUp, FollowUpStatus, Incident, Platform, Role
from flows.reports.build import RepeatCase, RepeatCustomer
from flows.reports.customers import CustomerMatch
from flows.reports.filters import IncidentFilter
from flows.reports.model import AuditCheck
from storage.audit import SqlAudit
from storage.crypto import Sealer
from storage.customers import SqlCustomers
from storage.incidents import SqlIncidents
from storage.tables import AuditRow, IncidentRow
from storage.tables_aftercare import ConsultationRow, FollowUpRow
from storage.tables_reports import CustomerLinkRow

CHUNK = 500  # ids per IN (...) clause: well below SQLite's and PostgreSQL's parameter limits


class SqlReports:
    def __init__(self, session: AsyncSession, sealer: Sealer):
        self._session = session
        self._sealer = sealer

    async def incidents(self, since: datetime, until: datetime, unit_ids: Sequence[str] | None = None, *,
                        include_sensitive: bool = False) -> list[Incident]:
        """Incidents reported before `until`: every one since `since`, and older ones still open then.

        An older case counts when it was not closed, or closed only after `since` (its age
        matters for the open-cases KPI).
        """
        closed_late = select(AuditRow.incident_id).where(AuditRow.action == "case_closed", AuditRow.at >= since)
        query = select(IncidentRow).where(
            IncidentRow.created_at < until,
            or_(IncidentRow.created_at >= since, IncidentRow.status != "closed", IncidentRow.id.in_(closed_late)))
        if unit_ids is not None:
            query = query.where(IncidentRow.unit_id.in_(list(unit_ids)))
        rows = (await self._session.exec(query.order_by(IncidentRow.created_at, IncidentRow.id))).all()
        converter = SqlIncidents(self._session, self._sealer)
        return [converter._to_model(r, include_sensitive=include_sensitive) for r in rows]

    async def matching(self, chosen: IncidentFilter, *, include_sensitive: bool = False) -> list[Incident]:
        """Incidents reported in the filter's period, units, levels and statuses, oldest first."""
        query = select(IncidentRow)
        if chosen.since is not None:
            query = query.where(IncidentRow.created_at >= chosen.since)
        if chosen.until is not None:
            query = query.where(IncidentRow.created_at < chosen.until)
        if chosen.units is not None:
            query = query.where(IncidentRow.unit_id.in_(list(chosen.units)))
        if chosen.levels is not None:
            query = query.where(IncidentRow.level.in_(sorted(int(v) for v in chosen.levels)))
        if chosen.statuses is not None:
            query = query.where(IncidentRow.status.in_(sorted(v.value for v in chosen.statuses)))
        rows = (await self._session.exec(query.order_by(IncidentRow.created_at, IncidentRow.id))).all()
        converter = SqlIncidents(self._session, self._sealer)
        return [converter._to_model(r, include_sensitive=include_sensitive) for r in rows]

    async def by_case(self, case_no: str) -> Incident | None:
        row = (await self._session.exec(select(IncidentRow.id).where(IncidentRow.case_no == case_no.strip()))).first()
        return None if row is None else await SqlIncidents(self._session, self._sealer).get(row)

    async def follow_ups(self, incident_ids: Iterable[int], *, include_sensitive: bool = False) -> list[FollowUp]:
        found = []
        for chunk in _chunks(incident_ids):
            rows = (await self._session.exec(
                select(FollowUpRow).where(FollowUpRow.incident_id.in_(chunk)).order_by(FollowUpRow.id))).all()
            found += [self._follow_up(r, include_sensitive) for r in rows]
        return found

    async def events(self, incident_ids: Iterable[int]) -> list[AuditEvent]:
        found = []
        for chunk in _chunks(incident_ids):
            rows = (await self._session.exec(
                select(AuditRow).where(AuditRow.incident_id.in_(chunk)).order_by(AuditRow.id))).all()
            found += [AuditEvent(r.at, r.action, r.actor, r.detail, r.incident_id) for r in rows]
        return found

    async def consultations(self, since: datetime, until: datetime,
                            unit_ids: Sequence[str] | None = None) -> list[Consultation]:
        """Consultations started in [since, until): times and unit only (code and name left out)."""
        query = select(ConsultationRow).where(ConsultationRow.created_at >= since, ConsultationRow.created_at < until)
        if unit_ids is not None:
            query = query.where(ConsultationRow.unit_id.in_(list(unit_ids)))
        rows = (await self._session.exec(query.order_by(ConsultationRow.id))).all()
        return [Consultation(code="", unit_id=r.unit_id, platform=Platform(r.platform), created_at=r.created_at,
                             id=r.id, status=ConsultationStatus(r.status), first_message_at=r.first_message_at,
                             first_reply_at=r.first_reply_at, closed_at=r.closed_at) for r in rows]

    async def audit_check(self) -> AuditCheck:
        """Verify the audit log's hash chain and say what was checked."""
        count, first, last = (await self._session.exec(
            select(func.count(AuditRow.id), func.min(AuditRow.at), func.max(AuditRow.at)))).one()
        broken = await SqlAudit(self._session, self._sealer).verify_chain()  # keyed: needs the key
        return AuditCheck(entries=count or 0, first_at=_aware(first), last_at=_aware(last), broken_at=broken)

    async def repeat_customers(self, since: datetime, until: datetime, *,
                               include_identifier: bool) -> list[RepeatCustomer]:
        found = await SqlCustomers(self._session, self._sealer).repeats(since, until,
                                                                        include_identifier=include_identifier)
        return [RepeatCustomer(c["digest"], c["identifier"],
                               tuple(RepeatCase(case_no, created_at, unit_id) for _, case_no, created_at, unit_id
                                     in c["cases"]), c["measures"]) for c in found]

    async def customer_matches(self, incident_ids: Iterable[int]) -> dict[int, CustomerMatch]:
        customers = SqlCustomers(self._session, self._sealer)
        found = {}
        for chunk in _chunks(incident_ids):
            rows = (await self._session.exec(
                select(CustomerLinkRow.incident_id).where(CustomerLinkRow.incident_id.in_(chunk)))).all()
            for incident_id in rows:
                found[incident_id] = await customers.of_incident(incident_id)
        return found

    def _follow_up(self, row: FollowUpRow, include_sensitive: bool) -> FollowUp:
        return FollowUp(
            incident_id=row.incident_id, kind=row.kind, role=Role(row.role), due_at=row.due_at,
            remind_every=timedelta(seconds=row.remind_every_s), escalate_after=timedelta(seconds=row.escalate_after_s),
            escalate_to=Role(row.escalate_to), id=row.id, status=FollowUpStatus(row.status), reminded=row.reminded,
            escalated_at=row.escalated_at, snoozed_until=row.snoozed_until, recorded_by=row.recorded_by,
            recorded_at=row.recorded_at, record=json.loads(row.record),
            sensitive=json.loads(self._sealer.open(row.sensitive_enc)) if include_sensitive and row.sensitive_enc else {})


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ids = sorted(set(ids))
    for n in range(0, len(ids), CHUNK):
        yield ids[n:n + CHUNK]


def _aware(moment: datetime | None) -> datetime | None:
    """min()/max() bypass the column type: SQLite hands back naive UTC (or text)."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
