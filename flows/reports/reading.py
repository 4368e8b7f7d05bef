"""What the reports capability reads from storage, and reading one report's records."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from flows.model import AuditEvent, Consultation, FollowUp, Incident
from flows.policy import Policy
from flows.reports.build import ReportRecords, trend_start, unit_scope
from flows.reports.model import AuditCheck
from flows.reports.period import Month


class ReportReader(Protocol):
    """Read-only queries over incidents, follow-ups, the audit log and consultations."""

    async def incidents(self, since: datetime, until: datetime, unit_ids: Sequence[str] | None = None, *,
                        include_sensitive: bool = False) -> list[Incident]:
        """Reported before `until`: all since `since`, and older ones still open at `since`."""
        ...

    async def follow_ups(self, incident_ids: Iterable[int], *, include_sensitive: bool = False) -> list[FollowUp]: ...

    async def events(self, incident_ids: Iterable[int]) -> list[AuditEvent]: ...

    async def consultations(self, since: datetime, until: datetime,
                            unit_ids: Sequence[str] | None = None) -> list[Consultation]: ...

    async def audit_check(self) -> AuditCheck:
        """Verify the audit log's hash chain; say how many entries over which period."""
        ...


async def read_records(reader: ReportReader, policy: Policy, month: Month, unit_id: str | None, *,
                       include_sensitive: bool) -> ReportRecords:
    """Read everything the month's report and its five-month trend need, for the unit and below."""
    scope = unit_scope(policy, unit_id)
    since, until = trend_start(month, policy.timezone), month.end(policy.timezone)
    incidents = await reader.incidents(since, until, scope, include_sensitive=include_sensitive)
    ids = [i.id for i in incidents]
    return ReportRecords(
        incidents=tuple(incidents),
        follow_ups=tuple(await reader.follow_ups(ids, include_sensitive=include_sensitive)),
        events=tuple(await reader.events(ids)),
        consultations=tuple(await reader.consultations(since, until, scope)),
        audit=await reader.audit_check(),
    )
