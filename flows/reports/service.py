"""The reports capability's verbs: monthly posts (timer and on demand) and measures against customers."""
from __future__ import annotations

from dataclasses import dataclass

from flows.deps import Dependencies
from flows.i18n import Translator
from flows.model import TimerKind
from flows.reports.customers import MEASURES
from flows.reports.monthly import MonthlyReports
from flows.reports.period import ReportInputError
from flows.reports.repeat import RepeatCustomers
from flows.timers import TimerHandler


@dataclass(frozen=True)
class MeasureOutcome:
    ok: bool
    message: str


class ReportFlows:
    """`monthly` posts the month's summary to HR; `customers` matches repeat customers at report time."""

    def __init__(self, deps: Dependencies):
        self.policy = deps.policy
        self._store = deps.store
        self._clock = deps.clock
        self.monthly = MonthlyReports(deps)
        self.customers = RepeatCustomers(deps.policy)

    def timer_handlers(self) -> dict[TimerKind, TimerHandler]:
        return self.monthly.timer_handlers()

    async def record_measure(self, case_no: str, kind: str, note: str, *, actor: str,
                             locale: str | None = None) -> MeasureOutcome:
        """Record a measure (warning letter, ban, police report…) against the customer of a case (HR)."""
        t = Translator(locale or self.policy.locale)
        kind = kind.strip().lower()
        if kind not in MEASURES:
            raise ReportInputError("customers.unknown_kind", value=kind, known=", ".join(MEASURES))
        async with self._store.transaction() as tx:
            incident = await tx.reports.by_case(case_no)
            if incident is None:
                raise ReportInputError("customers.unknown_case", case=case_no)
            if not await self.customers.record_measure(tx, incident, kind, note, actor, self._clock.now()):
                return MeasureOutcome(False, t("customers.no_customer", case=incident.case_no))
        return MeasureOutcome(True, t("customers.measure_done", case=incident.case_no,
                                      measure=t(f"report.measure.{kind}")))
