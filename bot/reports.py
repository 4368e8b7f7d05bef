"""Monthly reports for the CLI: read, build, render, audit (the composition of the reports capability)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from bot.config import ConfigError, Settings
from bot.export import _database
from bot.operator import operator
from flows.model import AuditEvent
from flows.policy import Policy
from flows.reports.build import build_monthly_report
from flows.reports.model import MonthlyReport
from flows.reports.period import Month
from flows.reports.reading import read_records
from storage.reports import SqlReports


async def record_measure(settings: Settings, policy: Policy, case_no: str, kind: str, note: str):
    """Record a measure against the customer of a case; the note is sealed, so the secret key is needed."""
    from flows.deps import Dependencies
    from flows.reports.service import ReportFlows
    from bot.clock import SystemClock

    async with _database(settings, need_secret=True) as database:
        flows = ReportFlows(Dependencies(policy, database, SystemClock()))
        return await flows.record_measure(case_no, kind, note, actor=operator())


@dataclass(frozen=True)
class Rendered:
    report: MonthlyReport
    data: bytes


async def monthly_report(settings: Settings, policy: Policy, month: Month, unit_id: str | None, *, fmt: str,
                         include_sensitive: bool, now: datetime, destination: str,
                         font: str | None = None) -> Rendered:
    """Build and render one month's report, and audit the export (who, what, which period)."""
    from adapters.documents import FontMissing, render

    # Always keyed: the report checks the audit chain and the export itself is audited (HMAC chain).
    async with _database(settings, need_secret=True) as database:
        async with database.transaction() as tx:
            records = await read_records(SqlReports(tx.session, database.sealer), policy, month, unit_id,
                                         include_sensitive=include_sensitive)
        report = build_monthly_report(policy, month, unit_id, records, now, include_sensitive=include_sensitive)
        try:
            data = await asyncio.to_thread(render, report, fmt, font=font)
        except FontMissing as error:
            raise ConfigError(str(error)) from None
        async with database.transaction() as tx:
            await tx.audit.add(AuditEvent(now, "report_exported", actor=operator(),
                                          detail=f"monthly {month} unit={unit_id or 'all'} format={fmt} "
                                                 f"sensitive={'yes' if include_sensitive else 'no'} -> {destination}"))
    return Rendered(report, data)
