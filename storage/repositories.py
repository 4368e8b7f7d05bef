"""One transaction's repositories (flows.ports.Transaction)."""
from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from flows.ports import Births
from storage.aftercare import SqlFollowUps
from storage.audit import SqlAudit
from storage.consultation import SqlConsultations
from storage.crypto import Sealer
from storage.customers import SqlCustomers
from storage.directory import SqlBindings, SqlRequestKeys
from storage.incidents import SqlIncidents
from storage.outbox import SqlOutbox, SqlTimers
from storage.report_links import SqlReceipts, SqlReportLinks
from storage.reports import SqlReports


class SqlTransaction:
    def __init__(self, session: AsyncSession, sealer: Sealer, births: Births | None = None):
        self.session = session
        self.incidents = SqlIncidents(session, sealer)
        self.outbox = SqlOutbox(session, births)
        self.timers = SqlTimers(session)
        self.audit = SqlAudit(session, sealer)
        self.requests = SqlRequestKeys(session)
        self.bindings = SqlBindings(session)
        self.follow_ups = SqlFollowUps(session, sealer)
        self.consultations = self.consultation_links = SqlConsultations(session, sealer)
        self.links = SqlReportLinks(session, sealer)
        self.receipts = SqlReceipts(session, sealer)
        self.customers = SqlCustomers(session, sealer, linked=lambda incident_id: self.incidents.known.pop(incident_id, None))
        self.reports = SqlReports(session, sealer)
        self.secrets = sealer
