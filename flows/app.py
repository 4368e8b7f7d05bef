"""The flows' one front door: a sub-object per capability, built from one `Dependencies`.

    flows = Flows(Dependencies(policy, store, clock, wake))
    await flows.incidents.submit_report(...)
    await flows.aftercare.record(...)
    await flows.consultation.handle_dm(...)
    for kind, handler in flows.timer_handlers().items(): sweep.on(kind, handler)

The facade has no verbs of its own: what a person can do lives in the capability that owns it.
"""
from __future__ import annotations

from flows.aftercare.service import AftercareFlows
from flows.consultation.service import ConsultationFlows
from flows.deps import Dependencies
from flows.incidents.service import IncidentFlows
from flows.model import TimerKind
from flows.policy import Policy
from flows.reports.service import ReportFlows
from flows.timers import TimerHandler


class Flows:
    """Every capability's flows: `incidents`, `aftercare`, `consultation`, `reports`."""

    def __init__(self, deps: Dependencies):
        self.deps = deps
        self.aftercare = AftercareFlows(deps)
        # A new incident plans its after-care in the transaction that stores it.
        self.reports = ReportFlows(deps)
        self.incidents = IncidentFlows(deps, on_opened=self.aftercare.schedule_for, customers=self.reports.customers)
        self.consultation = ConsultationFlows(deps)

    @property
    def policy(self) -> Policy:
        return self.deps.policy

    def timer_handlers(self) -> dict[TimerKind, TimerHandler]:
        """Every timer handler, the one list bot/ and the tests register on `TimerSweep.on`."""
        handlers: dict[TimerKind, TimerHandler] = {}
        for capability in (self.incidents, self.aftercare, self.consultation, self.reports):
            for kind, handler in capability.timer_handlers().items():
                if kind in handlers:
                    raise ValueError(f"two capabilities handle timer kind {kind.value}")
                handlers[kind] = handler
        return handlers
