"""What the reports capability reads from storage, and reading one report's records."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from flows.model import AuditEvent, Consultation, FollowUp, Incident
from flows.policy import Policy
from flows.reports.build import RepeatCustomer, ReportRecords, trend_start, unit_scope
from flows.reports.customers import CustomerMatch
from flows.reports.model import AuditCheck
from flows.reports.period import Month


class ReportReader(Protocol):
    """Read-only queries over incidents, follow-ups, the audit log and consultations."""

    async def incidents(self, since: datetime, until: datetime, unit_ids: Sequence[str] | None = None, *,
                        include_sensitive: bool = False) -> list[Incident]:
        """Reported before `until`: all since `since`, and older ones still open at `since`."""
        ...

    async def by_case(self, case_no: str) -> Incident | None: ...

    async def follow_ups(self, incident_ids: Iterable[int], *, include_sensitive: bool = False) -> list[FollowUp]: ...

    async def events(self, incident_ids: Iterable[int]) -> list[AuditEvent]: ...

    async def consultations(self, since: datetime, until: datetime,
                            unit_ids: Sequence[str] | None = None) -> list[Consultation]: ...

    async def audit_check(self) -> AuditCheck:
        """Verify the audit log's hash chain; say how many entries over which period."""
        ...

    async def repeat_customers(self, since: datetime, until: datetime, *,
                               include_identifier: bool) -> list[RepeatCustomer]:
        """Customers with two or more reports in [since, until); identifiers opened only for HR."""
        ...

    async def customer_matches(self, incident_ids: Iterable[int]) -> dict[int, CustomerMatch]:
        """What each incident's alert said about its customer (only incidents that named one)."""
        ...


async def read_records(reader: ReportReader, policy: Policy, month: Month, unit_id: str | None, *,
                       include_sensitive: bool) -> ReportRecords:
    """Read everything the month's report and its five-month trend need, for the unit and below."""
    scope = unit_scope(policy, unit_id)
    since, until = trend_start(month, policy.timezone), month.end(policy.timezone)
    incidents = await reader.incidents(since, until, scope, include_sensitive=include_sensitive)
    ids = [i.id for i in incidents]
    matches = await reader.customer_matches(ids)
    window = policy.reports.repeat_window
    return ReportRecords(
        incidents=tuple(incidents),
        follow_ups=tuple(await reader.follow_ups(ids, include_sensitive=include_sensitive)),
        events=tuple(await reader.events(ids)),
        consultations=tuple(await reader.consultations(since, until, scope)),
        audit=await reader.audit_check(),
        repeat_customers=tuple(await reader.repeat_customers(month.start(policy.timezone) - window, until,
                                                             include_identifier=include_sensitive)),
        repeat_ids=frozenset(i for i, m in matches.items() if m.repeat),
        earlier_cases={i: tuple(e.case_no for e in m.earlier) for i, m in matches.items() if m.repeat},
    )
